/*
 * check_router.c: routing by GATEWAY_FUNCTION, route prefixes and
 * function_prefix<name>, over a configuration built in memory and over real
 * encoded PARAMS streams; and a table of path tricks, each sent as the
 * only path param (REQUEST_URI, as written; DOCUMENT_URI, as a web server
 * that decoded it would send it), with where it must go, or 400.
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
	{ .name = "admin" },
	{ .name = "shop", .request.route = "/shop" },
};
static struct gateway_conf conf = {
	.function_prefix = "/function/",
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

/*
 * Routes an encoded stream as request.c does: the path first (refused:
 * "400"), then the function. Returns the function name, "-" for none or
 * "400".
 */
static const char *by_params(const char *const *pairs)
{
	uint8_t params[2048];
	size_t len = encode(params, sizeof(params), pairs);
	struct fcgi_param lookup[ROUTER_PARAMS];
	struct router_path path;
	const char *why = NULL;

	router_prepare_lookup(lookup);
	ck_assert_int_ge(fcgi_params_lookup(params, len, lookup, ROUTER_PARAMS), 0);
	if (router_path(lookup, &path, &why) < 0) {
		ck_assert_ptr_nonnull(why);
		return "400";
	}
	const struct function_conf *fn = router_route(&conf, lookup, &path);
	return fn != NULL ? fn->name : "-";
}

/* Routes a request whose only path param is name = path. */
static const char *by_param(const char *name, const char *path)
{
	const char *const pairs[] = { name, path, NULL };
	return by_params(pairs);
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

/* One path trick: where it goes as REQUEST_URI, and as DOCUMENT_URI. */
struct path_trick {
	const char *path;
	const char *as_request_uri;	/* function, "-" (404) or "400" */
	const char *as_document_uri;
};

static const struct path_trick path_tricks[] = {
	{ "/function/hello", "hello", "hello" },
	{ "/function/admin/../hello", "hello", "hello" },
	{ "/function/hello/../admin", "admin", "admin" },
	{ "/function/hello/./x", "hello", "hello" },
	{ "//function//hello", "hello", "hello" },
	{ "/function/hello/", "hello", "hello" },
	{ "/function/hello//", "hello", "hello" },
	{ "/function/hello/..", "-", "-" },
	{ "/function/hello/.", "hello", "hello" },
	{ "/../function/hello", "400", "400" },
	{ "/function/../../hello", "400", "400" },
	{ "/function/%2e%2e/admin", "-", "-" },	/* /admin: no route */
	{ "/function/admin/%2e%2e/hello", "hello", "admin" },	/* decoded: "%2e%2e" is a name */
	{ "/function/%68ello", "hello", "-" },
	{ "/function/hello%2fadmin", "400", "-" },
	{ "/function/hello%00", "400", "-" },
	{ "/function/%zz", "400", "-" },
	{ "/function/hello?x=/../admin", "hello", "admin" },	/* decoded: '?' is a byte */
	{ "function/hello", "400", "400" },
	{ "http://example.com/function/hello", "400", "400" },
	{ "/shop", "shop", "shop" },
	{ "/shop/", "shop", "shop" },
	{ "/shop/x/../y", "shop", "shop" },
	{ "/shopx", "-", "-" },
	{ "/shopx/../shop", "shop", "shop" },
	{ "/shop/../shopx", "-", "-" },
	{ "/shop/..", "-", "-" },
	{ "/api/v1/track/../../v1/track/7", "track", "track" },
	{ "/api/v1/track/./detail", "track-detail", "track-detail" },
	{ "/api/v1//track", "track", "track" },
	{ "/api/v1/track/detail/..", "track", "track" },
	{ "/shop/%2e%2e/function/hello", "hello", "shop" },
};

START_TEST(path_tricks_table)
{
	for (size_t i = 0; i < sizeof(path_tricks) / sizeof(path_tricks[0]); i++) {
		const struct path_trick *t = &path_tricks[i];
		const char *got = by_param("REQUEST_URI", t->path);
		ck_assert_msg(strcmp(got, t->as_request_uri) == 0,
		    "REQUEST_URI %s: %s, expected %s", t->path, got, t->as_request_uri);
		got = by_param("DOCUMENT_URI", t->path);
		ck_assert_msg(strcmp(got, t->as_document_uri) == 0,
		    "DOCUMENT_URI %s: %s, expected %s", t->path, got, t->as_document_uri);
		got = by_param("SCRIPT_NAME", t->path);
		ck_assert_msg(strcmp(got, t->as_document_uri) == 0,
		    "SCRIPT_NAME %s: %s, expected %s", t->path, got, t->as_document_uri);
	}
}
END_TEST

/* GATEWAY_FUNCTION still names the function, but the path is checked first. */
START_TEST(bad_path_refused_even_with_gateway_function)
{
	const char *const bad[] = { "GATEWAY_FUNCTION", "echo",
		"REQUEST_URI", "/../function/hello", NULL };
	const char *const rewritten[] = { "GATEWAY_FUNCTION", "echo",
		"REQUEST_URI", "/function/hello/../admin", NULL };

	ck_assert_str_eq(by_params(bad), "400");
	ck_assert_str_eq(by_params(rewritten), "echo");
}
END_TEST

/* Only the path a request routes by is checked: a raw REQUEST_URI beside DOCUMENT_URI is not. */
START_TEST(only_the_routing_param_is_read)
{
	const char *const pairs[] = { "DOCUMENT_URI", "/function/hello",
		"REQUEST_URI", "/function/%zz/../admin", NULL };

	ck_assert_str_eq(by_params(pairs), "hello");
}
END_TEST

/* A normal path is used where it lies; only a rewritten one is copied. */
START_TEST(normal_path_is_not_copied)
{
	uint8_t params[256];
	const char *const normal[] = { "DOCUMENT_URI", "/function/hello", NULL };
	const char *const raw[] = { "REQUEST_URI", "/function//hello?x", NULL };
	struct fcgi_param lookup[ROUTER_PARAMS];
	struct router_path path;
	const char *why;

	size_t len = encode(params, sizeof(params), normal);
	router_prepare_lookup(lookup);
	ck_assert_int_ge(fcgi_params_lookup(params, len, lookup, ROUTER_PARAMS), 0);
	ck_assert_int_eq(router_path(lookup, &path, &why), 0);
	ck_assert(!router_path_rewritten(&path));
	ck_assert_ptr_eq(path.path, (const char *)lookup[ROUTER_DOCUMENT_URI].value);

	len = encode(params, sizeof(params), raw);
	router_prepare_lookup(lookup);
	ck_assert_int_ge(fcgi_params_lookup(params, len, lookup, ROUTER_PARAMS), 0);
	ck_assert_int_eq(router_path(lookup, &path, &why), 0);
	ck_assert(router_path_rewritten(&path));
	ck_assert_uint_eq(path.len, strlen("/function/hello"));
	ck_assert_int_eq(memcmp(path.path, "/function/hello", path.len), 0);
}
END_TEST

/* Longer than ROUTER_PATH_MAX: a normal path routes, one to rewrite is refused. */
START_TEST(long_paths)
{
	static char normal[ROUTER_PATH_MAX + 64], rewrite[ROUTER_PATH_MAX + 64];
	static uint8_t params[2 * ROUTER_PATH_MAX];
	const char *const pairs_normal[] = { "REQUEST_URI", normal, NULL };
	const char *const pairs_rewrite[] = { "REQUEST_URI", rewrite, NULL };
	struct fcgi_param lookup[ROUTER_PARAMS];
	struct router_path path;
	const char *why = NULL;

	strcpy(normal, "/function/hello/");
	memset(normal + strlen(normal), 'x', ROUTER_PATH_MAX);
	strcpy(rewrite, normal);
	rewrite[ROUTER_PATH_MAX] = '/';
	rewrite[ROUTER_PATH_MAX + 1] = '/';

	size_t len = encode(params, sizeof(params), pairs_normal);
	router_prepare_lookup(lookup);
	ck_assert_int_ge(fcgi_params_lookup(params, len, lookup, ROUTER_PARAMS), 0);
	ck_assert_int_eq(router_path(lookup, &path, &why), 0);
	ck_assert_str_eq(router_route(&conf, lookup, &path)->name, "hello");

	len = encode(params, sizeof(params), pairs_rewrite);
	router_prepare_lookup(lookup);
	ck_assert_int_ge(fcgi_params_lookup(params, len, lookup, ROUTER_PARAMS), 0);
	ck_assert_int_eq(router_path(lookup, &path, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "too long"));
}
END_TEST

/* function_prefix: another prefix, "/" (every first segment), or none at all. */
START_TEST(function_prefix_setting)
{
	conf.function_prefix = "/fn/";
	ck_assert_str_eq(by_path("/fn/hello"), "hello");
	ck_assert_str_eq(by_path("/fn/hello/x"), "hello");
	ck_assert_str_eq(by_path("/function/hello"), "-");
	ck_assert_str_eq(by_path("/fnx/hello"), "-");
	conf.function_prefix = "/";
	ck_assert_str_eq(by_path("/hello"), "hello");
	ck_assert_str_eq(by_path("/hello/x"), "hello");
	ck_assert_str_eq(by_path("/api/v1/track"), "track");	/* a route still wins */
	conf.function_prefix = NULL;
	ck_assert_str_eq(by_path("/function/hello"), "-");
	ck_assert_str_eq(by_path("/function/track"), "-");
	ck_assert_str_eq(by_path("/api/v1/track"), "track");
	ck_assert_str_eq(by_param("GATEWAY_FUNCTION", "hello"), "hello");
	conf.function_prefix = "/function/";
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
	tcase_add_test(tc, path_tricks_table);
	tcase_add_test(tc, bad_path_refused_even_with_gateway_function);
	tcase_add_test(tc, only_the_routing_param_is_read);
	tcase_add_test(tc, normal_path_is_not_copied);
	tcase_add_test(tc, long_paths);
	tcase_add_test(tc, function_prefix_setting);
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
