/*
 * check_access_log_format.c: unit tests for access_log.format
 * (gatewayd/access_log_format.c): which formats are refused, what each
 * field writes, "-" for what a request lacks, and a line that stays one
 * line, cut to its buffer.
 */
#include <check.h>
#include <string.h>

#include "access_log_format.h"

static const struct request_summary sample = {
	.function = "echo",
	.peer = "unix",
	.method = { "POST", 4 },
	.uri = { "/function/echo?x=1", 18 },
	.status = 201,
	.started = 1764777600.25,	/* 2025-12-03T16:00:00.250Z */
	.duration = 0.001234,
	.worker_pid = 4242,
	.bytes_in = 5,
	.bytes_out = 77,
	.job_id = "0123456789abcdef0123456789abcdef",
};

static const char *format_line(const char *format, const struct request_summary *s)
{
	static char out[512];
	char err[128];

	ck_assert_msg(access_log_format_check(format, err, sizeof(err)) == 0, "%s: %s", format, err);
	size_t n = access_log_format_line(format, s, out, sizeof(out));
	ck_assert(n >= 1 && out[n - 1] == '\n');
	out[n] = '\0';
	return out;
}

START_TEST(default_format_has_every_field)
{
	ck_assert_str_eq(format_line(ACCESS_LOG_DEFAULT_FORMAT, &sample),
	    "2025-12-03T16:00:00.250Z echo \"POST /function/echo?x=1\" 201 1234 4242 5 77 "
	    "0123456789abcdef0123456789abcdef\n");
}
END_TEST

START_TEST(absent_fields_are_dashes)
{
	struct request_summary s = { .peer = "unix", .status = 404 };

	ck_assert_str_eq(format_line("%n %m %r %s %p %j %R 100%%", &s), "- - - 404 0 - unix 100%\n");
}
END_TEST

START_TEST(refused_formats)
{
	char err[128];

	ck_assert_int_eq(access_log_format_check("%t %x", err, sizeof(err)), -1);
	ck_assert(strstr(err, "%x") != NULL);
	ck_assert_int_eq(access_log_format_check("ends in %", err, sizeof(err)), -1);
	ck_assert_int_eq(access_log_format_check("plain text", err, sizeof(err)), 0);
}
END_TEST

START_TEST(one_line_cut_to_its_buffer)
{
	struct request_summary s = sample;
	char out[16];

	s.uri = (struct summary_text){ "/a\nb\rc", 6 };
	ck_assert_str_eq(format_line("%r", &s), "/a?b?c\n");
	size_t n = access_log_format_line("%r %r %r %r", &sample, out, sizeof(out));
	ck_assert_uint_eq(n, sizeof(out));
	ck_assert(memchr(out, '\n', n) == out + n - 1);
}
END_TEST

int main(void)
{
	Suite *suite = suite_create("access_log_format");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, default_format_has_every_field);
	tcase_add_test(tc, absent_fields_are_dashes);
	tcase_add_test(tc, refused_formats);
	tcase_add_test(tc, one_line_cut_to_its_buffer);
	suite_add_tcase(suite, tc);
	SRunner *runner = srunner_create(suite);
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? 0 : 1;
}
