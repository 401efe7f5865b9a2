/*
 * check_response_status.c: unit tests for a response's status read from
 * its CGI header block (gatewayd/response_status.c), however the STDOUT
 * stream is cut into records: at every byte, in two pieces and one byte
 * a record.
 */
#include <check.h>
#include <string.h>

#include "response_status.h"

/* Every way of cutting text gives status and says the header ended (or not). */
static void assert_status(const char *text, int status, bool ends)
{
	size_t len = strlen(text);

	for (size_t cut = 0; cut <= len; cut++) {
		struct response_status s = { 0 };
		response_status_feed(&s, (const uint8_t *)text, cut);
		bool over = response_status_feed(&s, (const uint8_t *)text + cut, len - cut);
		ck_assert_msg(response_status_code(&s) == status, "'%s' cut at %zu: %d", text, cut,
		    response_status_code(&s));
		ck_assert_msg(over == ends, "'%s' cut at %zu", text, cut);
	}
	struct response_status s = { 0 };
	for (size_t i = 0; i < len; i++)
		response_status_feed(&s, (const uint8_t *)text + i, 1);
	ck_assert_msg(response_status_code(&s) == status, "'%s' byte by byte", text);
}

START_TEST(status_field)
{
	assert_status("Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nx", 404, true);
	assert_status("Content-Type: text/plain\nstatus:201\n\n", 201, true);
	assert_status("STATUS: \t503\r\n\r\n", 503, true);
}
END_TEST

START_TEST(default_200)
{
	assert_status("Content-Type: text/plain\r\n\r\nStatus: 500\r\n", 200, true);
	assert_status("\r\nStatus: 500\r\n", 200, true);
	assert_status("X-Status: 500\r\nStatuses: 500\r\n\r\n", 200, true);
	assert_status("Status: abc\r\n\r\n", 200, true);
	assert_status("Status: 40\r\n\r\n", 200, true);
}
END_TEST

START_TEST(location_302)
{
	assert_status("Location: /elsewhere\r\n\r\n", 302, true);
	assert_status("location: /x\nStatus: 301 Moved\n\n", 301, true);
	assert_status("Status: 201 Created\r\nLocation: /x\r\n\r\n", 201, true);
}
END_TEST

START_TEST(unfinished_header)
{
	assert_status("Status: 418 Teapot\r\nContent-Type: text/plain\r\n", 418, false);
	assert_status("A-very-long-header-name-indeed: 1\r\n", 200, false);
}
END_TEST

START_TEST(nothing_after_header)
{
	struct response_status s = { 0 };

	ck_assert(response_status_feed(&s, (const uint8_t *)"\n", 1));
	ck_assert(response_status_feed(&s, (const uint8_t *)"Status: 500\n\n", 13));
	ck_assert_int_eq(response_status_code(&s), 200);
}
END_TEST

int main(void)
{
	Suite *suite = suite_create("response_status");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, status_field);
	tcase_add_test(tc, default_200);
	tcase_add_test(tc, location_302);
	tcase_add_test(tc, unfinished_header);
	tcase_add_test(tc, nothing_after_header);
	suite_add_tcase(suite, tc);
	SRunner *runner = srunner_create(suite);
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? 0 : 1;
}
