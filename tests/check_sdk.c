/*
 * check_sdk.c: unit tests for the C SDK's pure parts
 * (functions/sdk/gatewayd_fn.c): URL decoding, header names to FastCGI
 * params, decimal parsing, and the query and header look-ups over a
 * request's params, which need no connection (libfcgi's FCGX_GetParam only
 * reads envp).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "gatewayd_fn.h"

/* One encoded input and what it decodes to. */
static const struct { const char *in, *out; } decode_cases[] = {
	{ "", "" },
	{ "plain", "plain" },
	{ "a+b", "a b" },
	{ "%41%62%7e", "Ab~" },
	{ "%2B+%2b", "+ +" },
	{ "caf%C3%A9", "caf\xc3\xa9" },
	{ "100%", "100%" },		/* a '%' at the end is kept */
	{ "%4", "%4" },			/* one hex digit: kept */
	{ "%zz%4g", "%zz%4g" },		/* not hex: kept */
	{ "%%41", "%A" },
	{ "%25", "%" },
};

START_TEST(url_decode_table)
{
	const char *in = decode_cases[_i].in, *want = decode_cases[_i].out;
	char out[64];
	size_t n = gwfn_url_decode(in, strlen(in), out);

	ck_assert_uint_eq(n, strlen(want));
	ck_assert_mem_eq(out, want, n);
}
END_TEST

START_TEST(url_decode_in_place_and_nul)
{
	char s[] = "x%00y+z";
	size_t n = gwfn_url_decode(s, strlen(s), s);

	ck_assert_uint_eq(n, 5);
	ck_assert_mem_eq(s, "x\0y z", 5);
}
END_TEST

/* A header name and its param, or NULL when it has none. */
static const struct { const char *name, *param; } header_cases[] = {
	{ "User-Agent", "HTTP_USER_AGENT" },
	{ "user-agent", "HTTP_USER_AGENT" },
	{ "X-Request-Id", "HTTP_X_REQUEST_ID" },
	{ "x_already", "HTTP_X_ALREADY" },
	{ "Accept", "HTTP_ACCEPT" },
	{ "Content-Type", "CONTENT_TYPE" },
	{ "content-type", "CONTENT_TYPE" },
	{ "CONTENT-LENGTH", "CONTENT_LENGTH" },
	{ "Content-Typo", "HTTP_CONTENT_TYPO" },
	{ "", NULL },
	{ "Bad Name", NULL },		/* a blank is no token */
	{ "Bad:Name", NULL },
	{ "X-\n", NULL },
	{ "X-\xc3\xa9", NULL },
};

START_TEST(header_to_param_table)
{
	const char *want = header_cases[_i].param;
	char out[64];
	int rc = gwfn_header_to_param(header_cases[_i].name, out, sizeof(out));

	if (want == NULL) {
		ck_assert_int_eq(rc, -1);
	} else {
		ck_assert_int_eq(rc, 0);
		ck_assert_str_eq(out, want);
	}
}
END_TEST

START_TEST(header_to_param_bounded)
{
	char out[12];

	ck_assert_int_eq(gwfn_header_to_param("Abcdef", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "HTTP_ABCDEF");
	ck_assert_int_eq(gwfn_header_to_param("Abcdefg", out, sizeof(out)), -1);
	ck_assert_int_eq(gwfn_header_to_param("Content-Type", out, sizeof(out)), -1);
}
END_TEST

START_TEST(parse_ulong_bounds)
{
	unsigned long v = 7;

	ck_assert_int_eq(gwfn_parse_ulong("0", 10, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(gwfn_parse_ulong("60000", 60000, &v), 0);
	ck_assert_uint_eq(v, 60000);
	ck_assert_int_eq(gwfn_parse_ulong("60001", 60000, &v), -1);
	ck_assert_int_eq(gwfn_parse_ulong("7", 5, &v), -1);	/* one digit above max */
	ck_assert_int_eq(gwfn_parse_ulong("18446744073709551615", (unsigned long)-1, &v), 0);
	ck_assert_uint_eq(v, (unsigned long)-1);
	ck_assert_int_eq(gwfn_parse_ulong("18446744073709551616", (unsigned long)-1, &v), -1);
	v = 7;
	ck_assert_int_eq(gwfn_parse_ulong("", 10, &v), -1);
	ck_assert_int_eq(gwfn_parse_ulong("+1", 10, &v), -1);
	ck_assert_int_eq(gwfn_parse_ulong(" 1", 10, &v), -1);
	ck_assert_int_eq(gwfn_parse_ulong("1x", 10, &v), -1);
	ck_assert_uint_eq(v, 7);	/* untouched on failure */
}
END_TEST

/* A request that has params and nothing else: enough for the look-ups. */
static void fake_request(struct gwfn_request *req, char **envp)
{
	memset(req, 0, sizeof(*req));
	req->fcgx.envp = envp;
}

START_TEST(query_params)
{
	char *envp[] = { "REQUEST_METHOD=GET", "QUERY_STRING=a=1&name=J%C3%BCrg+X&flag&e=&n%61me=2&x=%41",
		NULL };
	struct gwfn_request req;
	const char *name, *x;

	fake_request(&req, envp);
	name = gwfn_query_param(&req, "name");
	x = gwfn_query_param(&req, "x");
	ck_assert_str_eq(name, "J\xc3\xbcrg X");	/* the first of two "name"s */
	ck_assert_str_eq(x, "A");
	ck_assert_str_eq(gwfn_query_param(&req, "a"), "1");
	ck_assert_str_eq(gwfn_query_param(&req, "flag"), "");
	ck_assert_str_eq(gwfn_query_param(&req, "e"), "");
	ck_assert_ptr_null(gwfn_query_param(&req, "nam"));
	ck_assert_ptr_null(gwfn_query_param(&req, "names"));
	ck_assert_ptr_null(gwfn_query_param(&req, "A"));
	/* Earlier answers survive later look-ups. */
	ck_assert_str_eq(name, "J\xc3\xbcrg X");
	ck_assert_str_eq(x, "A");
	ck_assert_str_eq(gwfn_query(&req), "a=1&name=J%C3%BCrg+X&flag&e=&n%61me=2&x=%41");
	ck_assert_str_eq(gwfn_method(&req), "GET");
	free(req.query_copy);
}
END_TEST

START_TEST(query_absent)
{
	char *envp[] = { "REQUEST_METHOD=GET", NULL };
	struct gwfn_request req;

	fake_request(&req, envp);
	ck_assert_ptr_null(gwfn_query_param(&req, "a"));
	ck_assert_str_eq(gwfn_query(&req), "");
	ck_assert_str_eq(gwfn_path(&req), "");
	free(req.query_copy);
}
END_TEST

START_TEST(headers_and_path)
{
	char *envp[] = { "HTTP_X_TRACE=abc", "CONTENT_TYPE=text/csv", "HTTP_CONTENT_TYPE=wrong",
		"SCRIPT_NAME=/function/f", "DOCUMENT_URI=/function/f/sub", NULL };
	char *no_uri[] = { "SCRIPT_NAME=/function/f", NULL };
	struct gwfn_request req;

	fake_request(&req, envp);
	ck_assert_str_eq(gwfn_get_header(&req, "x-trace"), "abc");
	ck_assert_str_eq(gwfn_get_header(&req, "Content-Type"), "text/csv");
	ck_assert_ptr_null(gwfn_get_header(&req, "Content-Length"));
	ck_assert_ptr_null(gwfn_get_header(&req, "X Trace"));
	ck_assert_str_eq(gwfn_path(&req), "/function/f/sub");
	fake_request(&req, no_uri);
	ck_assert_str_eq(gwfn_path(&req), "/function/f");
}
END_TEST

static Suite *sdk_suite(void)
{
	Suite *s = suite_create("sdk");
	TCase *tc = tcase_create("sdk");

	tcase_add_loop_test(tc, url_decode_table, 0,
	    (int)(sizeof(decode_cases) / sizeof(decode_cases[0])));
	tcase_add_test(tc, url_decode_in_place_and_nul);
	tcase_add_loop_test(tc, header_to_param_table, 0,
	    (int)(sizeof(header_cases) / sizeof(header_cases[0])));
	tcase_add_test(tc, header_to_param_bounded);
	tcase_add_test(tc, parse_ulong_bounds);
	tcase_add_test(tc, query_params);
	tcase_add_test(tc, query_absent);
	tcase_add_test(tc, headers_and_path);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sdk_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
