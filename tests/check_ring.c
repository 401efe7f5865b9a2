/*
 * check_ring.c: unit tests for the async queue's ring buffer (gatewayd/ring.c).
 *
 * Items are addresses inside one array, so each test can tell exactly which
 * entry came back and in what order.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "ring.h"

static int items[64];

#define ITEM(i)	((void *)&items[i])

/* Pops everything and checks it comes out as want[0..n), then NULL. */
static void
assert_drains(struct ring *r, const int *want, size_t n)
{
	ck_assert_uint_eq(ring_count(r), n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_ptr_eq(ring_peek(r), ITEM(want[i]));
		ck_assert_ptr_eq(ring_pop(r), ITEM(want[i]));
	}
	ck_assert_uint_eq(ring_count(r), 0);
	ck_assert_ptr_null(ring_peek(r));
	ck_assert_ptr_null(ring_pop(r));
}

START_TEST(test_init_zero_capacity)
{
	struct ring r;

	ck_assert_int_eq(ring_init(&r, 0), -1);
	ck_assert_ptr_null(r.slots);
}
END_TEST

START_TEST(test_empty)
{
	struct ring r;

	ck_assert_int_eq(ring_init(&r, 4), 0);
	ck_assert_uint_eq(ring_count(&r), 0);
	ck_assert(!ring_full(&r));
	ck_assert_ptr_null(ring_peek(&r));
	ck_assert_ptr_null(ring_pop(&r));
	ck_assert(!ring_remove(&r, ITEM(0)));
	ring_free(&r);
}
END_TEST

START_TEST(test_fifo_order)
{
	struct ring r;
	const int want[] = { 0, 1, 2 };

	ck_assert_int_eq(ring_init(&r, 8), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(ring_push(&r, ITEM(i)), 0);
	assert_drains(&r, want, 3);
	ring_free(&r);
}
END_TEST

START_TEST(test_full)
{
	struct ring r;
	const int want[] = { 0, 1, 2, 3 };

	ck_assert_int_eq(ring_init(&r, 4), 0);
	for (int i = 0; i < 4; i++) {
		ck_assert(!ring_full(&r));
		ck_assert_int_eq(ring_push(&r, ITEM(i)), 0);
	}
	ck_assert(ring_full(&r));
	ck_assert_int_eq(ring_push(&r, ITEM(9)), -1);
	ck_assert_int_eq(ring_push_front(&r, ITEM(9)), -1);
	/* Nothing changed by the refused pushes. */
	assert_drains(&r, want, 4);
	ring_free(&r);
}
END_TEST

START_TEST(test_wrap_around)
{
	struct ring r;
	int next_in = 0, next_out = 0;

	ck_assert_int_eq(ring_init(&r, 3), 0);
	/* Keep two or three entries in a ring of three for many laps. */
	for (int lap = 0; lap < 20; lap++) {
		while (!ring_full(&r))
			ck_assert_int_eq(ring_push(&r, ITEM(next_in++ % 64)), 0);
		ck_assert_ptr_eq(ring_pop(&r), ITEM(next_out++ % 64));
		if (lap % 2 == 0)
			ck_assert_ptr_eq(ring_pop(&r), ITEM(next_out++ % 64));
	}
	while (ring_count(&r) > 0)
		ck_assert_ptr_eq(ring_pop(&r), ITEM(next_out++ % 64));
	ck_assert_int_eq(next_in, next_out);
	ck_assert_int_gt(next_in, 3 * 3);
	ring_free(&r);
}
END_TEST

START_TEST(test_push_front)
{
	struct ring r;
	const int want[] = { 7, 0, 1, 2 };
	const int want_retry[] = { 5, 6 };

	ck_assert_int_eq(ring_init(&r, 4), 0);
	/* Start from head 0, so push_front has to wrap backwards. */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(ring_push(&r, ITEM(i)), 0);
	ck_assert_int_eq(ring_push_front(&r, ITEM(7)), 0);
	ck_assert(ring_full(&r));
	ck_assert_int_eq(ring_push_front(&r, ITEM(8)), -1);
	assert_drains(&r, want, 4);

	/* A retry put back on an empty ring is the next one out. */
	ck_assert_int_eq(ring_push_front(&r, ITEM(5)), 0);
	ck_assert_int_eq(ring_push(&r, ITEM(6)), 0);
	assert_drains(&r, want_retry, 2);
	ring_free(&r);
}
END_TEST

START_TEST(test_remove_keeps_order)
{
	struct ring r;
	const int want[] = { 3, 4, 6, 7 };

	ck_assert_int_eq(ring_init(&r, 5), 0);
	/* Move head to 3, so the five entries wrap past the array's end. */
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(ring_push(&r, ITEM(i)), 0);
		ck_assert_ptr_eq(ring_pop(&r), ITEM(i));
	}
	for (int i = 3; i < 8; i++)
		ck_assert_int_eq(ring_push(&r, ITEM(i)), 0);
	ck_assert(ring_remove(&r, ITEM(5)));	/* the middle one */
	ck_assert(!ring_remove(&r, ITEM(5)));
	ck_assert(!ring_remove(&r, ITEM(40)));
	ck_assert(!ring_full(&r));
	assert_drains(&r, want, 4);
	ring_free(&r);
}
END_TEST

START_TEST(test_remove_first_and_last)
{
	struct ring r;
	const int want[] = { 1, 2, 9 };

	ck_assert_int_eq(ring_init(&r, 4), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(ring_push(&r, ITEM(i)), 0);
	ck_assert(ring_remove(&r, ITEM(0)));
	ck_assert(ring_remove(&r, ITEM(3)));
	/* The freed room is usable at the tail, after the survivors. */
	ck_assert_int_eq(ring_push(&r, ITEM(9)), 0);
	assert_drains(&r, want, 3);
	ring_free(&r);
}
END_TEST

START_TEST(test_capacity_one)
{
	struct ring r;

	ck_assert_int_eq(ring_init(&r, 1), 0);
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(ring_push(&r, ITEM(i)), 0);
		ck_assert(ring_full(&r));
		ck_assert_int_eq(ring_push(&r, ITEM(9)), -1);
		ck_assert_int_eq(ring_push_front(&r, ITEM(9)), -1);
		ck_assert_ptr_eq(ring_pop(&r), ITEM(i));
		ck_assert_int_eq(ring_push_front(&r, ITEM(i)), 0);
		ck_assert(ring_remove(&r, ITEM(i)));
		ck_assert_uint_eq(ring_count(&r), 0);
	}
	ck_assert_ptr_null(ring_pop(&r));
	ring_free(&r);
}
END_TEST

START_TEST(test_free_leaves_unusable)
{
	struct ring r;

	ck_assert_int_eq(ring_init(&r, 2), 0);
	ck_assert_int_eq(ring_push(&r, ITEM(0)), 0);
	ring_free(&r);
	ck_assert_ptr_null(r.slots);
	ck_assert_uint_eq(ring_count(&r), 0);
	ck_assert_int_eq(ring_push(&r, ITEM(1)), -1);
	ck_assert_int_eq(ring_push_front(&r, ITEM(1)), -1);
	ck_assert_ptr_null(ring_pop(&r));
}
END_TEST

static Suite *
ring_suite(void)
{
	Suite *s = suite_create("ring");
	TCase *tc = tcase_create("ring");

	tcase_add_test(tc, test_init_zero_capacity);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_fifo_order);
	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_wrap_around);
	tcase_add_test(tc, test_push_front);
	tcase_add_test(tc, test_remove_keeps_order);
	tcase_add_test(tc, test_remove_first_and_last);
	tcase_add_test(tc, test_capacity_one);
	tcase_add_test(tc, test_free_leaves_unusable);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ring_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
