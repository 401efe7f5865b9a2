/*
 * check_function_params.c: function_rewrite_params() over encoded PARAMS
 * streams: the web server's pairs that gatewayd sets itself are dropped
 * wherever they stand (first, last, side by side, twice), every other pair
 * keeps its bytes and its order, and gatewayd's own pairs come last.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi.h"
#include "function.h"

/* Appends NAME=VALUE, encoded, to b. */
static void pair(struct buf *b, const char *name, const char *value)
{
	size_t need = fcgi_nv_encoded_size(strlen(name), strlen(value));
	uint8_t *tail = buf_reserve(b, need);

	ck_assert_ptr_nonnull(tail);
	b->len += fcgi_nv_encode(tail, need, name, strlen(name), value, strlen(value));
}

/* The stream's pairs as "N=V;N=V;..." (static). */
static const char *pairs_text(const struct buf *b)
{
	static char text[1024];
	const uint8_t *p = buf_head(b);
	size_t len = buf_used(b), at = 0;
	struct fcgi_nv nv;

	text[0] = '\0';
	for (size_t off = 0; off < len;) {
		ssize_t n = fcgi_nv_decode(p + off, len - off, &nv);
		ck_assert_int_gt(n, 0);
		at += (size_t)snprintf(text + at, sizeof(text) - at, "%.*s=%.*s;", (int)nv.name_len,
		    (const char *)nv.name, (int)nv.value_len, (const char *)nv.value);
		off += (size_t)n;
	}
	return text;
}

/* Rewrites NAME=VALUE pairs (a NULL-terminated list of names and values) for fn. */
static const char *rewrite(const struct function *fn, const char *const *nv)
{
	struct buf in = { 0 };
	static char out[1024];

	for (size_t i = 0; nv[i] != NULL; i += 2)
		pair(&in, nv[i], nv[i + 1]);
	ck_assert_int_eq(function_rewrite_params(fn, &in), 0);
	snprintf(out, sizeof(out), "%s", pairs_text(&in));
	buf_free(&in);
	return out;
}

START_TEST(test_rewrite)
{
	struct fcgi_param replaced[] = { FCGI_PARAM("GATEWAY_FUNCTION"), FCGI_PARAM("SCRIPT_FILENAME") };
	struct function fn = { .params = { .replaced = replaced, .count = 2 } };

	pair(&fn.params.added, "GATEWAY_FUNCTION", "hello");
	pair(&fn.params.added, "SCRIPT_FILENAME", "/srv/x.php");
	ck_assert_str_eq(rewrite(&fn, (const char *const[]){ "A", "1", "B", "22", NULL }),
	    "A=1;B=22;GATEWAY_FUNCTION=hello;SCRIPT_FILENAME=/srv/x.php;");
	ck_assert_str_eq(rewrite(&fn, (const char *const[]){ "GATEWAY_FUNCTION", "spoof", "A", "1",
	    "SCRIPT_FILENAME", "/etc/passwd", "SCRIPT_FILENAME", "again", "B", "22", "C", "",
	    "GATEWAY_FUNCTION", "last", NULL }),
	    "A=1;B=22;C=;GATEWAY_FUNCTION=hello;SCRIPT_FILENAME=/srv/x.php;");
	/* Names that only share a prefix or a length stay. */
	ck_assert_str_eq(rewrite(&fn, (const char *const[]){ "GATEWAY_FUNCTIONS", "x",
	    "GATEWAY_FUNCTIOM", "y", NULL }),
	    "GATEWAY_FUNCTIONS=x;GATEWAY_FUNCTIOM=y;GATEWAY_FUNCTION=hello;SCRIPT_FILENAME=/srv/x.php;");
	ck_assert_str_eq(rewrite(&fn, (const char *const[]){ "GATEWAY_FUNCTION", "only", NULL }),
	    "GATEWAY_FUNCTION=hello;SCRIPT_FILENAME=/srv/x.php;");
	buf_free(&fn.params.added);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("function_params");
	TCase *tc = tcase_create("rewrite");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_rewrite);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
