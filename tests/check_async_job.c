/*
 * check_async_job.c: unit tests for what gatewayd/async_job.c reads out of
 * a job's kept response: async_response_status().
 *
 * Each response is copied into a buffer of exactly its length, so that a
 * read past its end is a heap overflow `make check SAN=1` reports.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "async_job.h"

/* async_response_status() of text, from a heap copy of exactly its bytes. */
static unsigned status_of(const char *text)
{
	size_t len = strlen(text);
	uint8_t *copy = malloc(len > 0 ? len : 1);

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, text, len);
	unsigned status = async_response_status(copy, len);
	free(copy);
	return status;
}

START_TEST(test_status_header)
{
	ck_assert_uint_eq(status_of("Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nno"), 404);
	ck_assert_uint_eq(status_of("Content-Type: text/plain\nstatus:201\n\nmade"), 201);
	ck_assert_uint_eq(status_of("Content-Type: text/plain\r\n\r\nStatus: 500\r\n"), 200);
	ck_assert_uint_eq(status_of("Content-Type: text/plain\r\n\r\n"), 200);
	ck_assert_uint_eq(status_of(""), 0);
}
END_TEST

/* A response cut inside a Status line of spaces: nothing past the end is read. */
START_TEST(test_status_cut_short)
{
	ck_assert_uint_eq(status_of("Status:   "), 200);
	ck_assert_uint_eq(status_of("Status:      "), 200);
	ck_assert_uint_eq(status_of("Status:   50"), 200);
	ck_assert_uint_eq(status_of("Status:   503"), 503);
}
END_TEST

/* Three digits or no status: "40\r" once read as 4, 0 and '\r' - '0', 365. */
START_TEST(test_status_not_digits)
{
	ck_assert_uint_eq(status_of("Status: 40\r\n\r\n"), 200);
	ck_assert_uint_eq(status_of("Status: 4x4 odd\r\n\r\n"), 200);
	ck_assert_uint_eq(status_of("Status: 404\r\n\r\n"), 404);
}
END_TEST

static Suite *async_job_suite(void)
{
	Suite *s = suite_create("async_job");
	TCase *tc = tcase_create("response_status");

	tcase_add_test(tc, test_status_header);
	tcase_add_test(tc, test_status_cut_short);
	tcase_add_test(tc, test_status_not_digits);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(async_job_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
