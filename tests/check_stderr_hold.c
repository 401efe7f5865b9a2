/*
 * check_stderr_hold.c: unit tests for FCGI_STDERR held until the header
 * block (gatewayd/stderr_hold.c): where a CGI header block ends, however
 * the STDOUT content is cut into records; and that held records come back
 * whole, in order, the empty end-of-stream one included.
 */
#include <check.h>
#include <string.h>

#include "stderr_hold.h"

/* Feeds text cut at every point; the end is found in the piece that holds end_at. */
static void assert_header_ends_at(const char *text, size_t end_at)
{
	size_t len = strlen(text);

	for (size_t cut = 0; cut <= len; cut++) {
		struct stderr_hold h = { 0 };
		bool first = stderr_hold_header_ends(&h, (const uint8_t *)text, cut);
		bool second = stderr_hold_header_ends(&h, (const uint8_t *)text + cut, len - cut);
		ck_assert_msg(first == (end_at < cut), "'%s' cut at %zu: first piece", text, cut);
		ck_assert_msg(second == (end_at >= cut), "'%s' cut at %zu: second piece", text, cut);
		ck_assert(!stderr_hold_active(&h));
		ck_assert(!stderr_hold_header_ends(&h, (const uint8_t *)"\n\n", 2));
	}
}

/* Whatever the cuts, the hold stays on. */
static void assert_header_never_ends(const char *text)
{
	size_t len = strlen(text);

	for (size_t cut = 0; cut <= len; cut++) {
		struct stderr_hold h = { 0 };
		ck_assert(!stderr_hold_header_ends(&h, (const uint8_t *)text, cut));
		ck_assert(!stderr_hold_header_ends(&h, (const uint8_t *)text + cut, len - cut));
		ck_assert_msg(stderr_hold_active(&h), "'%s' cut at %zu", text, cut);
	}
}

START_TEST(header_end_crlf)
{
	assert_header_ends_at("Content-Type: text/plain\r\n\r\nbody\n\n", 27);
	assert_header_ends_at("Status: 404\r\nContent-Type: text/plain\r\n\r\n", 40);
}
END_TEST

START_TEST(header_end_lf)
{
	assert_header_ends_at("Content-Type: text/plain\n\nbody", 25);
	assert_header_ends_at("A: 1\r\nB: 2\n\n", 11);
}
END_TEST

START_TEST(header_empty)
{
	assert_header_ends_at("\r\nbody", 1);
	assert_header_ends_at("\nbody", 0);
}
END_TEST

START_TEST(header_not_ended)
{
	assert_header_never_ends("Content-Type: text/plain\r\n");
	assert_header_never_ends("Content-Type: text/plain\r\n\r");
	assert_header_never_ends("A: 1\r\n\r\rB: 2\r\n");
	assert_header_never_ends("A: \n\r x\n");
	assert_header_never_ends("");
}
END_TEST

START_TEST(held_records_in_order)
{
	struct stderr_hold h = { 0 };
	const uint8_t *content;
	size_t len;
	static const char big[70000];	/* past FCGI_MAX_LENGTH: two records */

	ck_assert_int_eq(stderr_hold_keep(&h, (const uint8_t *)"one", 3), 0);
	ck_assert_int_eq(stderr_hold_keep(&h, (const uint8_t *)"two!", 4), 0);
	ck_assert_int_eq(stderr_hold_keep(&h, (const uint8_t *)big, sizeof(big)), 0);
	ck_assert_int_eq(stderr_hold_keep(&h, NULL, 0), 0);
	ck_assert(stderr_hold_active(&h));

	ck_assert(stderr_hold_release_next(&h, &content, &len));
	ck_assert(!stderr_hold_active(&h));
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(content, "one", 3);
	ck_assert(stderr_hold_release_next(&h, &content, &len));
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(content, "two!", 4);
	ck_assert(stderr_hold_release_next(&h, &content, &len));
	ck_assert_uint_eq(len, 65535);
	ck_assert(stderr_hold_release_next(&h, &content, &len));
	ck_assert_uint_eq(len, sizeof(big) - 65535);
	ck_assert(stderr_hold_release_next(&h, &content, &len));
	ck_assert_uint_eq(len, 0);
	ck_assert(!stderr_hold_release_next(&h, &content, &len));
	ck_assert_ptr_null(h.held.data);
	ck_assert(!stderr_hold_release_next(&h, &content, &len));
}
END_TEST

START_TEST(release_of_nothing)
{
	struct stderr_hold h = { 0 };
	const uint8_t *content;
	size_t len;

	ck_assert(!stderr_hold_release_next(&h, &content, &len));
	ck_assert(!stderr_hold_active(&h));
	stderr_hold_free(&h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stderr_hold");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, header_end_crlf);
	tcase_add_test(tc, header_end_lf);
	tcase_add_test(tc, header_empty);
	tcase_add_test(tc, header_not_ended);
	tcase_add_test(tc, held_records_in_order);
	tcase_add_test(tc, release_of_nothing);
	suite_add_tcase(s, tc);

	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
