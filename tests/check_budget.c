/*
 * check_budget.c: the request memory budget (gatewayd/budget.c): what it
 * takes and refuses at and past its limit, that giving back frees exactly
 * what was taken, a limit lowered below what is held, sizes that would wrap,
 * and refusals logged at most once a second with the count since the last
 * line.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "budget.h"

START_TEST(test_take_within_limit)
{
	struct budget b = { 0 };

	ck_assert(budget_take(&b, 100, 60));
	ck_assert(budget_take(&b, 100, 40));	/* exactly the limit is allowed */
	ck_assert_uint_eq(budget_used(&b), 100);
	ck_assert(!budget_take(&b, 100, 1));
	ck_assert(budget_take(&b, 100, 0));
	ck_assert_uint_eq(budget_used(&b), 100);
}
END_TEST

START_TEST(test_refused_take_changes_nothing)
{
	struct budget b = { 0 };

	ck_assert(budget_take(&b, 100, 70));
	ck_assert(!budget_take(&b, 100, 31));
	ck_assert_uint_eq(budget_used(&b), 70);
	ck_assert(budget_take(&b, 100, 30));
}
END_TEST

START_TEST(test_give_back_to_zero)
{
	struct budget b = { 0 };

	ck_assert(budget_take(&b, 1000, 300));
	ck_assert(budget_take(&b, 1000, 700));
	ck_assert(!budget_take(&b, 1000, 1));
	budget_give(&b, 300);
	ck_assert_uint_eq(budget_used(&b), 700);
	ck_assert(budget_take(&b, 1000, 300));
	budget_give(&b, 300);
	budget_give(&b, 700);
	ck_assert_uint_eq(budget_used(&b), 0);
	ck_assert(budget_take(&b, 1000, 1000));
}
END_TEST

/* A reload lowers the limit below what is held: nothing more until it drains. */
START_TEST(test_limit_lowered_below_used)
{
	struct budget b = { 0 };

	ck_assert(budget_take(&b, 1000, 800));
	ck_assert(!budget_take(&b, 500, 1));
	ck_assert(!budget_take(&b, 500, SIZE_MAX));
	budget_give(&b, 400);
	ck_assert(!budget_take(&b, 500, 101));
	ck_assert(budget_take(&b, 500, 100));
	ck_assert_uint_eq(budget_used(&b), 500);
}
END_TEST

START_TEST(test_huge_sizes_do_not_wrap)
{
	struct budget b = { 0 };

	ck_assert(budget_take(&b, SIZE_MAX, 10));
	ck_assert(!budget_take(&b, SIZE_MAX, SIZE_MAX));
	ck_assert(budget_take(&b, SIZE_MAX, SIZE_MAX - 10));
	ck_assert_uint_eq(budget_used(&b), SIZE_MAX);
	ck_assert(!budget_take(&b, SIZE_MAX, 1));
}
END_TEST

/* The first refusal is logged; more within the second are only counted. */
START_TEST(test_refusals_logged_once_a_second)
{
	struct budget b = { 0 };

	ck_assert_uint_eq(budget_refusal(&b, 1000.0), 1);
	ck_assert_uint_eq(budget_refusal(&b, 1000.2), 0);
	ck_assert_uint_eq(budget_refusal(&b, 1000.9), 0);
	ck_assert_uint_eq(budget_refusal(&b, 1001.0), 3);	/* the two held back, and this one */
	ck_assert_uint_eq(budget_refusal(&b, 1001.5), 0);
	ck_assert_uint_eq(budget_refusal(&b, 1060.0), 2);
	ck_assert_uint_eq(budget_refusal(&b, 1061.5), 1);
}
END_TEST

static Suite *budget_suite(void)
{
	Suite *s = suite_create("budget");
	TCase *tc = tcase_create("budget");

	tcase_add_test(tc, test_take_within_limit);
	tcase_add_test(tc, test_refused_take_changes_nothing);
	tcase_add_test(tc, test_give_back_to_zero);
	tcase_add_test(tc, test_limit_lowered_below_used);
	tcase_add_test(tc, test_huge_sizes_do_not_wrap);
	tcase_add_test(tc, test_refusals_logged_once_a_second);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(budget_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
