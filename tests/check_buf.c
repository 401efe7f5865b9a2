/*
 * check_buf.c: unit tests for the growable byte buffer (common/buf.c),
 * buf_fit() above all: what an async job keeps must cost its bytes, not
 * the 4 KiB (or doubled) allocation it was read into.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* Asserts b holds exactly the n bytes of want. */
static void
assert_holds(const struct buf *b, const char *want, size_t n)
{
	ck_assert_uint_eq(buf_used(b), n);
	ck_assert_mem_eq(buf_head(b), want, n);
}

START_TEST(test_append_consume)
{
	struct buf b = { 0 };

	ck_assert_int_eq(buf_append(&b, "hello world", 11), 0);
	ck_assert_uint_ge(b.cap, 4096);
	buf_consume(&b, 6);
	assert_holds(&b, "world", 5);
	buf_consume(&b, 5);
	ck_assert_uint_eq(b.off, 0);
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
	ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(test_fit_shrinks_to_the_bytes)
{
	struct buf b = { 0 };

	ck_assert_int_eq(buf_append(&b, "params", 6), 0);
	ck_assert_int_eq(buf_fit(&b), 0);
	ck_assert_uint_eq(b.cap, 6);
	assert_holds(&b, "params", 6);
	/* A fitted buffer still grows. */
	ck_assert_int_eq(buf_append(&b, "+body", 5), 0);
	assert_holds(&b, "params+body", 11);
	buf_free(&b);
}
END_TEST

START_TEST(test_fit_moves_past_the_offset)
{
	struct buf b = { 0 };

	ck_assert_int_eq(buf_append(&b, "headers:result", 14), 0);
	buf_consume(&b, 8);
	ck_assert_int_eq(buf_fit(&b), 0);
	ck_assert_uint_eq(b.off, 0);
	ck_assert_uint_eq(b.cap, 6);
	assert_holds(&b, "result", 6);
	buf_free(&b);
}
END_TEST

START_TEST(test_fit_frees_an_empty_buffer)
{
	struct buf b = { 0 };

	ck_assert_int_eq(buf_fit(&b), 0);
	ck_assert_ptr_null(b.data);
	ck_assert_int_eq(buf_append(&b, "x", 1), 0);
	buf_consume(&b, 1);
	ck_assert_int_eq(buf_fit(&b), 0);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.cap, 0);
}
END_TEST

START_TEST(test_fit_of_a_full_buffer_keeps_it)
{
	struct buf b = { 0 };
	char block[4096];

	memset(block, 'z', sizeof(block));
	ck_assert_int_eq(buf_append(&b, block, sizeof(block)), 0);
	const uint8_t *data = b.data;
	ck_assert_int_eq(buf_fit(&b), 0);
	ck_assert_ptr_eq(b.data, data);
	assert_holds(&b, block, sizeof(block));
	buf_free(&b);
}
END_TEST

static Suite *
buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("buf");

	tcase_add_test(tc, test_append_consume);
	tcase_add_test(tc, test_fit_shrinks_to_the_bytes);
	tcase_add_test(tc, test_fit_moves_past_the_offset);
	tcase_add_test(tc, test_fit_frees_an_empty_buffer);
	tcase_add_test(tc, test_fit_of_a_full_buffer_keeps_it);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(buf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
