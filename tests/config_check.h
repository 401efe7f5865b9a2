/*
 * config_check.h: the helpers every configuration loader suite shares
 * (check_config.c, check_config_sandbox.c, check_config_pool.c,
 * check_config_async.c): loading a fixture that must load or must fail with
 * exactly the errors expected, the absolute form of a fixture path, and
 * writing a configuration to a mkdtemp() directory and loading it there.
 *
 * Fixture paths are relative to the repository root, where `make unit` runs
 * the suites. Each helper fails the running test on any surprise, so a
 * test reads as the assertions it makes. They are static, one copy per
 * suite; those a suite may leave unused are marked so for -Werror.
 */
#ifndef TESTS_CONFIG_CHECK_H
#define TESTS_CONFIG_CHECK_H

#include <check.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define FIXTURES "tests/config/"

/* snprintf() that fails the test instead of cutting the text short. */
static void __attribute__((format(printf, 3, 4)))
format(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	ck_assert(n >= 0 && (size_t)n < len);
}

/* Loads path, which must succeed; the caller frees the result with config_free(). */
static struct gateway_conf *load_ok(const char *path)
{
	struct gateway_conf *conf = NULL;
	char err[4096];
	int rc = config_load(path, &conf, err, sizeof(err));

	ck_assert_msg(rc == 0, "%s failed:\n%s", path, err);
	ck_assert_ptr_nonnull(conf);
	return conf;
}

/* Loads path, which must fail and leave no config; its errors are left in err. */
static void load_fails(const char *path, char *err, size_t err_len)
{
	struct gateway_conf *conf = (struct gateway_conf *)1;

	ck_assert_int_eq(config_load(path, &conf, err, err_len), -1);
	ck_assert_ptr_null(conf);
}

/* Asserts that loading path fails with exactly the errors expected, in order. */
static void assert_errors(const char *path, const char *expected)
{
	char err[8192];

	load_fails(path, err, sizeof(err));
	ck_assert_str_eq(err, expected);
}

/* The absolute form of a fixture path, as the loader stores it; buf holds PATH_MAX. */
static const char *fixture_abs(const char *rel, char *buf)
{
	char dir[PATH_MAX];

	ck_assert_ptr_nonnull(realpath(FIXTURES, dir));
	format(buf, PATH_MAX, "%s/%s", dir, rel);
	return buf;
}

/* Writes len bytes of text to dir/name and returns the path, left in buf (PATH_MAX). */
static const char *write_bytes(const char *dir, const char *name, const char *text,
    size_t len, char *buf)
{
	FILE *fp;

	format(buf, PATH_MAX, "%s/%s", dir, name);
	fp = fopen(buf, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(text, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
	return buf;
}

/* write_bytes() of a NUL-terminated text. */
static __attribute__((unused)) const char *write_file(const char *dir, const char *name,
    const char *text, char *buf)
{
	return write_bytes(dir, name, text, strlen(text), buf);
}

/*
 * Loads len bytes of text written to main.ini in a new temporary directory,
 * in which the empty directory subdir is made first unless it is NULL (for
 * a key that names a directory). The directory's path is left in dir
 * (PATH_MAX) unless dir is NULL, main.ini's in path (PATH_MAX). Returns 0,
 * or -1 with err filled. Everything made is removed before it returns.
 */
static int load_text_in(const char *subdir, const char *text, size_t len, char *err,
    size_t err_len, struct gateway_conf **conf, char *dir, char *path)
{
	char tmpl[] = "/tmp/check_config.XXXXXX";
	char sub[PATH_MAX];
	int rc;

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	if (dir != NULL)
		format(dir, PATH_MAX, "%s", tmpl);
	if (subdir != NULL) {
		format(sub, sizeof(sub), "%s/%s", tmpl, subdir);
		ck_assert_int_eq(mkdir(sub, 0700), 0);
	}
	write_bytes(tmpl, "main.ini", text, len, path);
	rc = config_load(path, conf, err, err_len);
	unlink(path);
	if (subdir != NULL)
		rmdir(sub);
	rmdir(tmpl);
	return rc;
}

/* load_text_in() with no subdirectory, when the test needs only main.ini's path. */
static __attribute__((unused)) int load_text(const char *text, size_t len, char *err,
    size_t err_len, struct gateway_conf **conf, char *path)
{
	return load_text_in(NULL, text, len, err, err_len, conf, NULL, path);
}

/*
 * Runs suite s in CK_NORMAL mode and frees it; returns the exit status for
 * main(): EXIT_SUCCESS, or EXIT_FAILURE if any test failed.
 */
static int config_check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif /* TESTS_CONFIG_CHECK_H */
