/*
 * check_callback.c: unit tests for the callback allow list and signature
 * (gatewayd/callback_policy.c).
 *
 * The allow-list tests are the attacks the prefix match must stop (another
 * host that starts with the allowed one, userinfo, a path that only starts
 * with the prefix's last segment, dot segments) beside the URLs it must let
 * through. The signature tests are RFC 4231's HMAC-SHA256 vectors.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "callback_policy.h"

#define ALLOW	"http://allowed.example/hooks https://Secure.Example:8443/ http://127.0.0.1:9000"

START_TEST(test_allowed)
{
	static const char *const urls[] = {
		"http://allowed.example/hooks",
		"http://allowed.example/hooks/",
		"http://allowed.example/hooks/job?x=1",
		"http://allowed.example/hooks?x=1",
		"HTTP://ALLOWED.EXAMPLE/hooks/a",
		"http://allowed.example:80/hooks/a",
		"http://allowed.example/hooks/a@b",	/* '@' after the host is path, not userinfo */
		"https://secure.example:8443/anything",
		"https://secure.example:8443/",
		"http://127.0.0.1:9000",
		"http://127.0.0.1:9000/",
		"http://127.0.0.1:9000/any/path",
	};

	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
		ck_assert_msg(callback_url_allowed(urls[i], ALLOW), "%s refused", urls[i]);
}
END_TEST

START_TEST(test_refused)
{
	static const char *const urls[] = {
		"http://allowed.example.evil/hooks",		/* another host */
		"http://allowed.example@evil/hooks",		/* userinfo */
		"http://evil/http://allowed.example/hooks",	/* prefix inside the path */
		"http://allowed.example/hooksX",		/* not a segment boundary */
		"http://allowed.example/hook",
		"http://allowed.example/",
		"http://allowed.example/hooks/../admin",	/* climbs out of the prefix */
		"http://allowed.example/hooks/%2e%2E/admin",
		"http://allowed.example/hooks/./x",
		"http://allowed.example:8080/hooks",		/* another port */
		"https://allowed.example/hooks",		/* another scheme (port too) */
		"https://secure.example/",			/* 443, not 8443 */
		"http://secure.example:8443/",
		"ftp://allowed.example/hooks",
		"file:///etc/passwd",
		"http://127.0.0.1:90000/",
		"http://127.0.0.1:9000#frag",
		"http://127.0.0.1:9000/a#frag",
		"http://127.0.0.1:9000/a\\b",
		"http://127.0.0.1:9000/a b",
		"http://127.0.0.1:9000/a\"b",
		"http://127.0.0.1:9000/a?<b>",
		"http://127.0.0.1:9000\n/",
		"http://127.0.0.10:9000/",
		"http://127.0.0.1:900/",
		"http:///hooks",
		"allowed.example/hooks",
		"",
	};

	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
		ck_assert_msg(!callback_url_allowed(urls[i], ALLOW), "%s allowed", urls[i]);
}
END_TEST

START_TEST(test_nothing_allowed_by_default)
{
	ck_assert(!callback_url_allowed("http://127.0.0.1:9000/", NULL));
	ck_assert(!callback_url_allowed("http://127.0.0.1:9000/", ""));
	ck_assert(!callback_url_allowed("http://127.0.0.1:9000/", " \t "));
}
END_TEST

START_TEST(test_prefix_valid)
{
	ck_assert(callback_prefix_valid("http://127.0.0.1:9000"));
	ck_assert(callback_prefix_valid("https://hooks.example/in/"));
	ck_assert(callback_prefix_valid("http://[::1]:8080/x"));
	ck_assert(!callback_prefix_valid("http://user@hooks.example/"));
	ck_assert(!callback_prefix_valid("http://hooks.example/?q"));
	ck_assert(!callback_prefix_valid("gopher://hooks.example/"));
	ck_assert(!callback_prefix_valid("http://[]/"));
	ck_assert(!callback_prefix_valid("http://hooks.example:/"));
	ck_assert(!callback_prefix_valid("hooks.example"));
}
END_TEST

/* The MAC of (key, data) as hex, or "" when callback_sign() fails. */
static const char *sign_hex(const void *key, size_t key_len, const char *data, size_t len)
{
	static char hex[CALLBACK_SIGNATURE_HEX + 1];

	if (callback_sign(key, key_len, data, len, hex) < 0)
		hex[0] = '\0';
	return hex;
}

/* RFC 4231 4.2, test case 1: a 20-byte key of 0x0b, "Hi There". */
START_TEST(test_rfc4231_case1)
{
	unsigned char key[20];

	memset(key, 0x0b, sizeof(key));
	ck_assert_str_eq(sign_hex(key, sizeof(key), "Hi There", 8),
	    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}
END_TEST

/* RFC 4231 4.3, test case 2: a key shorter than the block, "Jefe". */
START_TEST(test_rfc4231_case2)
{
	const char *data = "what do ya want for nothing?";

	ck_assert_str_eq(sign_hex("Jefe", 4, data, strlen(data)),
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}
END_TEST

/* RFC 4231 4.7, test case 6: a 131-byte key, longer than the block, hashed first. */
START_TEST(test_rfc4231_case6)
{
	unsigned char key[131];
	const char *data = "Test Using Larger Than Block-Size Key - Hash Key First";

	memset(key, 0xaa, sizeof(key));
	ck_assert_str_eq(sign_hex(key, sizeof(key), data, strlen(data)),
	    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}
END_TEST

/* An empty body (a function that answers nothing) is signed too. */
START_TEST(test_empty_body)
{
	char empty[CALLBACK_SIGNATURE_HEX + 1];

	strcpy(empty, sign_hex("key", 3, "", 0));
	ck_assert_uint_eq(strlen(empty), CALLBACK_SIGNATURE_HEX);
	ck_assert_str_ne(empty, sign_hex("key", 3, "x", 1));
}
END_TEST

static Suite *callback_suite(void)
{
	Suite *s = suite_create("callback");
	TCase *allow = tcase_create("allow");
	TCase *sign = tcase_create("sign");

	tcase_add_test(allow, test_allowed);
	tcase_add_test(allow, test_refused);
	tcase_add_test(allow, test_nothing_allowed_by_default);
	tcase_add_test(allow, test_prefix_valid);
	tcase_add_test(sign, test_rfc4231_case1);
	tcase_add_test(sign, test_rfc4231_case2);
	tcase_add_test(sign, test_rfc4231_case6);
	tcase_add_test(sign, test_empty_body);
	suite_add_tcase(s, allow);
	suite_add_tcase(s, sign);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(callback_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
