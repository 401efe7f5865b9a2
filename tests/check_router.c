/*
 * check_router.c: routing by GATEWAY_FUNCTION, route prefixes and
 * /function/<name>, over a configuration built in memory and over real
 * encoded PARAMS streams.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi.h"
#include "router.h"

static struct function_conf functions[] = {
	{ .name = "hello" },
	{ .name = "track", .request.route = "/api/v1/track" },
	{ .name = "track-detail", .request.route = "/api/v1/track/detail" },
	{ .name = "echo" },
	{ .name = "root", .request.route = NULL },
};
static struct gateway_conf conf = {
	.functions = functions,
	.function_count = sizeof(functions) / sizeof(functions[0]),
};

/* Routes by path alone; returns the function name or "-" for none. */
static const char *by_path(const char *path)
{
	const struct function_conf *fn = router_match_path(&conf, path, strlen(path));
	return fn != NULL ? fn->name : "-";
}

/* Encodes NULL-terminated name, value pairs into a PARAMS stream. */
static size_t encode(uint8_t *out, size_t cap, const char *const *pairs)
{
	size_t len = 0;

	for (size_t i = 0; pairs[i] != NULL; i += 2) {
		size_t n = fcgi_nv_encode(out + len, cap - len, pairs[i], strlen(pairs[i]),
		    pairs[i + 1], strlen(pairs[i + 1]));
		ck_assert_uint_gt(n, 0);
		len += n;
	}
	return len;
}

/* Routes an encoded stream; returns the function name or "-". */
static const char *by_params(const char *const *pairs)
{
	uint8_t params[2048];
	size_t len = encode(params, sizeof(params), pairs);
	struct fcgi_param lookup[ROUTER_PARAMS];

	router_prepare_lookup(lookup);
	ck_assert_int_ge(fcgi_params_lookup(params, len, lookup, ROUTER_PARAMS), 0);
	const struct function_conf *fn = router_route(&conf, lookup);
	return fn != NULL ? fn->name : "-";
}

START_TEST(function_prefix)
{
	ck_assert_str_eq(by_path("/function/hello"), "hello");
	ck_assert_str_eq(by_path("/function/hello/"), "hello");
	ck_assert_str_eq(by_path("/function/hello/more/path"), "hello");
	ck_assert_str_eq(by_path("/function/echo"), "echo");
	ck_assert_str_eq(by_path("/function/nope"), "-");
	ck_assert_str_eq(by_path("/function/"), "-");
	ck_assert_str_eq(by_path("/function"), "-");
	ck_assert_str_eq(by_path("/functions/hello"), "-");
	ck_assert_str_eq(by_path("/function/hellox"), "-");
	ck_assert_str_eq(by_path("/"), "-");
	ck_assert_str_eq(by_path(""), "-");
}
END_TEST

START_TEST(route_prefix_at_segment_boundary)
{
	ck_assert_str_eq(by_path("/api/v1/track"), "track");
	ck_assert_str_eq(by_path("/api/v1/track/"), "track");
	ck_assert_str_eq(by_path("/api/v1/track/42"), "track");
	ck_assert_str_eq(by_path("/api/v1/tracking"), "-");
	ck_assert_str_eq(by_path("/api/v1/trac"), "-");
	ck_assert_str_eq(by_path("/api/v1"), "-");
}
END_TEST

START_TEST(longest_route_wins)
{
	ck_assert_str_eq(by_path("/api/v1/track/detail"), "track-detail");
	ck_assert_str_eq(by_path("/api/v1/track/detail/7"), "track-detail");
	ck_assert_str_eq(by_path("/api/v1/track/details"), "track");
}
END_TEST

START_TEST(slash_route_matches_everything)
{
	functions[4].request.route = "/";
	ck_assert_str_eq(by_path("/anything/at/all"), "root");
	ck_assert_str_eq(by_path("/api/v1/track/1"), "track");
	/* A route beats /function/<name>: the operator asked for it. */
	ck_assert_str_eq(by_path("/function/hello"), "root");
	functions[4].request.route = NULL;
}
END_TEST

START_TEST(gateway_function_param_wins_and_never_falls_through)
{
	const char *const named[] = { "GATEWAY_FUNCTION", "echo",
		"DOCUMENT_URI", "/function/hello", NULL };
	const char *const unknown[] = { "GATEWAY_FUNCTION", "nope",
		"DOCUMENT_URI", "/function/hello", NULL };
	const char *const empty[] = { "GATEWAY_FUNCTION", "",
		"DOCUMENT_URI", "/function/hello", NULL };

	ck_assert_str_eq(by_params(named), "echo");
	ck_assert_str_eq(by_params(unknown), "-");
	ck_assert_str_eq(by_params(empty), "hello");
}
END_TEST

START_TEST(path_sources_in_order)
{
	const char *const doc_uri[] = { "SCRIPT_NAME", "/function/echo",
		"DOCUMENT_URI", "/function/hello", NULL };
	const char *const script_name[] = { "SCRIPT_NAME", "/function/echo",
		"REQUEST_URI", "/function/hello", NULL };
	const char *const request_uri[] = { "REQUEST_URI", "/function/echo?x=/function/hello", NULL };
	const char *const query_only[] = { "REQUEST_URI", "/api/v1/trackx?/api/v1/track", NULL };
	const char *const nothing[] = { "REQUEST_METHOD", "GET", NULL };

	ck_assert_str_eq(by_params(doc_uri), "hello");
	ck_assert_str_eq(by_params(script_name), "echo");
	ck_assert_str_eq(by_params(request_uri), "echo");
	ck_assert_str_eq(by_params(query_only), "-");
	ck_assert_str_eq(by_params(nothing), "-");
}
END_TEST

static Suite *router_suite(void)
{
	Suite *s = suite_create("router");
	TCase *tc = tcase_create("router");

	tcase_add_test(tc, function_prefix);
	tcase_add_test(tc, route_prefix_at_segment_boundary);
	tcase_add_test(tc, longest_route_wins);
	tcase_add_test(tc, slash_route_matches_everything);
	tcase_add_test(tc, gateway_function_param_wins_and_never_falls_through);
	tcase_add_test(tc, path_sources_in_order);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(router_suite());

	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
