/*
 * check_async_job.c: unit tests for gatewayd/async_job.c: what it reads
 * out of a job's kept response (async_response_line(),
 * async_response_status()), and the table of jobs by id, which grows with
 * a burst and shrinks back after it.
 *
 * Each response is copied into a buffer of exactly its length, so that a
 * read past its end is a heap overflow `make check SAN=1` reports.
 */
#include <check.h>
#include <stdio.h>
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

/*
 * The header lines async_response_line() walks in text (a heap copy of
 * exactly its bytes), "start:len" each, then "|next" of the line that
 * stopped the walk (the body's start, or the end).
 */
static void assert_lines(const char *text, const char *want)
{
	size_t len = strlen(text), off = 0, used = 0;
	uint8_t *copy = malloc(len > 0 ? len : 1);
	char got[256];
	struct async_header_line l;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, text, len);
	got[0] = '\0';
	for (; async_response_line(copy, len, off, &l); off = l.next)
		used += (size_t)snprintf(got + used, sizeof(got) - used, "%zu:%zu ", l.start, l.len);
	snprintf(got + used, sizeof(got) - used, "|%zu", l.next);
	free(copy);
	ck_assert_str_eq(got, want);
}

START_TEST(test_header_lines)
{
	assert_lines("Status: 404\r\nA: b\r\n\r\nbody", "0:11 13:4 |21");
	assert_lines("A: b\nC: d\n\nbody", "0:4 5:4 |11");
	assert_lines("A: b\r\n", "0:4 |6");	/* no blank line: the end */
	assert_lines("A: b", "0:4 |4");		/* cut inside a line */
	assert_lines("\r\nbody", "|2");		/* no header at all */
	assert_lines("", "|0");
}
END_TEST

/* A job whose id is n spread over its bytes (the table hashes the first eight). */
static struct async_job *job_numbered(uint32_t n)
{
	uint8_t id[JOURNAL_ID_LEN] = { 0 };

	for (size_t i = 0; i < sizeof(id); i++)
		id[i] = (uint8_t)((n * 2654435761u) >> (8 * (i % 4))) ^ (uint8_t)i;
	memcpy(id + sizeof(id) - sizeof(n), &n, sizeof(n));
	struct async_job *job = async_job_new(id, "f", 1);
	ck_assert_ptr_nonnull(job);
	return job;
}

START_TEST(test_table_burst_and_back)
{
	enum { BURST = 20000, KEPT = 100 };
	static struct async_job *jobs[BURST];
	struct async_table t = { 0 };

	for (uint32_t i = 0; i < BURST; i++) {
		jobs[i] = job_numbered(i);
		ck_assert_int_eq(async_table_insert(&t, jobs[i]), 0);
	}
	ck_assert_uint_eq(t.count, BURST);
	ck_assert_uint_ge(t.bucket_count, BURST);
	for (uint32_t i = KEPT; i < BURST; i++) {
		ck_assert_ptr_eq(async_table_find(&t, jobs[i]->id), jobs[i]);
		async_table_remove(&t, jobs[i]);
		ck_assert_ptr_null(async_table_find(&t, jobs[i]->id));
		async_job_free(jobs[i]);
	}
	ck_assert_uint_eq(t.count, KEPT);
	ck_assert_uint_eq(t.bucket_count, ASYNC_TABLE_MIN);
	for (uint32_t i = 0; i < KEPT; i++)
		ck_assert_ptr_eq(async_table_find(&t, jobs[i]->id), jobs[i]);
	async_table_free(&t);
	ck_assert_uint_eq(t.bucket_count, 0);
}
END_TEST

static Suite *async_job_suite(void)
{
	Suite *s = suite_create("async_job");
	TCase *tc = tcase_create("response_status");
	TCase *table = tcase_create("table");

	tcase_add_test(tc, test_status_header);
	tcase_add_test(tc, test_status_cut_short);
	tcase_add_test(tc, test_status_not_digits);
	tcase_add_test(tc, test_header_lines);
	suite_add_tcase(s, tc);
	tcase_add_test(table, test_table_burst_and_back);
	suite_add_tcase(s, table);
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
