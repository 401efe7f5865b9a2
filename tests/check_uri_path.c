/*
 * check_uri_path.c: unit tests for URL paths in normal form
 * (gatewayd/uri_path.c): a table of paths and what each becomes, or why it
 * is refused, in both forms; and, over every short path of an alphabet of
 * the bytes that matter, that uri_path_is_normal() says "normal" exactly
 * when uri_path_normalize() gives the path back unchanged, and that a
 * normal form is normal.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "uri_path.h"

/* One path and its normal form, or NULL with (part of) the reason it is refused. */
struct path_case {
	const char *in;
	const char *out;	/* NULL: refused */
	const char *why;	/* a substring of the reason, when refused */
};

/* Both forms agree on these: no '%' in them. */
static const struct path_case both_forms[] = {
	{ "/", "/", NULL },
	{ "/function/hello", "/function/hello", NULL },
	{ "/function/hello/", "/function/hello/", NULL },
	{ "/function/.hidden/x..y/...", "/function/.hidden/x..y/...", NULL },
	{ "/function/admin/../hello", "/function/hello", NULL },
	{ "/function/hello/./x", "/function/hello/x", NULL },
	{ "/function/hello/.", "/function/hello/", NULL },
	{ "/function/hello/..", "/function/", NULL },
	{ "/function/hello/x/../..", "/function/", NULL },
	{ "/function/hello/../../api", "/api", NULL },
	{ "//function//hello", "/function/hello", NULL },
	{ "/function///hello///", "/function/hello/", NULL },
	{ "/./function/hello", "/function/hello", NULL },
	{ "/.", "/", NULL },
	{ "//", "/", NULL },
	{ "/a/..", "/", NULL },
	{ "/..", NULL, "climbs above the root" },
	{ "/../function/hello", NULL, "climbs above the root" },
	{ "/function/../../hello", NULL, "climbs above the root" },
	{ "/a/./../..", NULL, "climbs above the root" },
	{ "", NULL, "does not start with '/'" },
	{ "function/hello", NULL, "does not start with '/'" },
	{ "http://host/function/hello", NULL, "does not start with '/'" },
	{ "*", NULL, "does not start with '/'" },
};

/* As on the request line: escapes decoded, and checked. */
static const struct path_case encoded[] = {
	{ "/function/%68ello", "/function/hello", NULL },
	{ "/function/%2e%2e/admin", "/admin", NULL },
	{ "/function/admin/%2E%2E/hello", "/function/hello", NULL },
	{ "/function/admin/.%2e/hello", "/function/hello", NULL },
	{ "/function/hello/%2e/x", "/function/hello/x", NULL },
	{ "/function/%2e%2e%2e", "/function/...", NULL },
	{ "/function/100%25", "/function/100%", NULL },
	{ "/function/%252e%252e/admin", "/function/%2e%2e/admin", NULL },
	{ "/function/a%20b", "/function/a b", NULL },
	{ "/%2e%2e/function/hello", NULL, "climbs above the root" },
	{ "/function/hello%2fadmin", NULL, "encoded '/'" },
	{ "/function/hello%2Fadmin", NULL, "encoded '/'" },
	{ "/function/%2f", NULL, "encoded '/'" },
	{ "/function/hello%00", NULL, "NUL" },
	{ "/function/%zz", NULL, "invalid percent-escape" },
	{ "/function/%", NULL, "invalid percent-escape" },
	{ "/function/%2", NULL, "invalid percent-escape" },
	{ "/function/%2g", NULL, "invalid percent-escape" },
	{ "%2ffunction/hello", NULL, "does not start with '/'" },
};

/* Decoded by the web server: '%' is a byte like any other, decoded once only. */
static const struct path_case decoded[] = {
	{ "/function/%2e%2e/admin", "/function/%2e%2e/admin", NULL },
	{ "/function/hello%2fadmin", "/function/hello%2fadmin", NULL },
	{ "/function/%zz", "/function/%zz", NULL },
	{ "/function/hello?x=/../admin", "/function/admin", NULL },
};

/* Normalises c->in in form and checks the outcome. */
static void check_case(const struct path_case *c, enum uri_path_form form)
{
	size_t len = strlen(c->in), out_len = 0;
	char out[256];
	const char *why = NULL;

	int rc = uri_path_normalize(c->in, len, form, out, &out_len, &why);
	if (c->out == NULL) {
		ck_assert_msg(rc == -1, "%s (form %d): refused expected, got \"%.*s\"", c->in,
		    (int)form, (int)out_len, out);
		ck_assert_ptr_nonnull(why);
		ck_assert_msg(strstr(why, c->why) != NULL, "%s: reason \"%s\", expected \"%s\"",
		    c->in, why, c->why);
		ck_assert(!uri_path_is_normal(c->in, len, form));
		return;
	}
	ck_assert_msg(rc == 0, "%s (form %d): refused: %s", c->in, (int)form, why);
	ck_assert_msg(out_len == strlen(c->out) && memcmp(out, c->out, out_len) == 0,
	    "%s (form %d): \"%.*s\", expected \"%s\"", c->in, (int)form, (int)out_len, out,
	    c->out);
	ck_assert_uint_le(out_len, len);
	ck_assert_int_eq(uri_path_is_normal(c->in, len, form), strcmp(c->in, c->out) == 0);
}

START_TEST(table_both_forms)
{
	for (size_t i = 0; i < sizeof(both_forms) / sizeof(both_forms[0]); i++) {
		check_case(&both_forms[i], URI_PATH_ENCODED);
		check_case(&both_forms[i], URI_PATH_DECODED);
	}
}
END_TEST

START_TEST(table_encoded)
{
	for (size_t i = 0; i < sizeof(encoded) / sizeof(encoded[0]); i++)
		check_case(&encoded[i], URI_PATH_ENCODED);
}
END_TEST

START_TEST(table_decoded)
{
	for (size_t i = 0; i < sizeof(decoded) / sizeof(decoded[0]); i++)
		check_case(&decoded[i], URI_PATH_DECODED);
}
END_TEST

START_TEST(nul_byte_refused_in_both_forms)
{
	const char path[] = "/function/hello\0/x";
	char out[32];
	size_t out_len;
	const char *why = NULL;

	for (int form = URI_PATH_ENCODED; form <= URI_PATH_DECODED; form++) {
		ck_assert(!uri_path_is_normal(path, sizeof(path) - 1, form));
		ck_assert_int_eq(uri_path_normalize(path, sizeof(path) - 1, form, out, &out_len,
		    &why), -1);
		ck_assert_ptr_nonnull(strstr(why, "NUL"));
	}
}
END_TEST

/*
 * Every path of up to 7 bytes over an alphabet of the bytes that matter,
 * in both forms: normal exactly when normalising changes nothing, a normal
 * form is normal (as decoded), and normalising it again changes nothing.
 */
START_TEST(is_normal_agrees_with_normalize)
{
	static const char alphabet[] = "/.%2eFa";
	const size_t k = sizeof(alphabet) - 1;
	char path[8], out[8], again[8];

	for (size_t len = 1; len <= 7; len++) {
		size_t total = 1;
		for (size_t i = 0; i < len; i++)
			total *= k;
		for (size_t n = 0; n < total; n++) {
			size_t v = n;
			for (size_t i = 0; i < len; i++, v /= k)
				path[i] = alphabet[v % k];
			for (int form = URI_PATH_ENCODED; form <= URI_PATH_DECODED; form++) {
				size_t out_len, again_len;
				const char *why;
				int rc = uri_path_normalize(path, len, form, out, &out_len, &why);
				bool same = rc == 0 && out_len == len && memcmp(out, path, len) == 0;
				/* ck_abort_msg() only on failure: a ck_assert a path is too slow */
				if (uri_path_is_normal(path, len, form) != same)
					ck_abort_msg("\"%.*s\" (form %d): is_normal and normalize "
					    "disagree", (int)len, path, form);
				if (rc < 0)
					continue;
				if (!uri_path_is_normal(out, out_len, URI_PATH_DECODED))
					ck_abort_msg("\"%.*s\" (form %d) -> \"%.*s\", not normal",
					    (int)len, path, form, (int)out_len, out);
				if (uri_path_normalize(out, out_len, URI_PATH_DECODED, again,
				    &again_len, &why) < 0 || again_len != out_len ||
				    memcmp(again, out, out_len) != 0)
					ck_abort_msg("\"%.*s\" (form %d): its normal form changes "
					    "again", (int)len, path, form);
			}
		}
	}
}
END_TEST

static Suite *uri_path_suite(void)
{
	Suite *s = suite_create("uri_path");
	TCase *tc = tcase_create("uri_path");

	tcase_add_test(tc, table_both_forms);
	tcase_add_test(tc, table_encoded);
	tcase_add_test(tc, table_decoded);
	tcase_add_test(tc, nul_byte_refused_in_both_forms);
	tcase_add_test(tc, is_normal_agrees_with_normalize);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(uri_path_suite());

	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
