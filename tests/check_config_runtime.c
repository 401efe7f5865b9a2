/*
 * check_config_runtime.c: runtime = python3 and its handler keys
 * (gatewayd/config_runtime.c): the exec line written from them, the
 * defaults, the dump signal, and each rule broken once, reported at its line.
 */
#include <signal.h>

#include "config_check.h"

/* The runtime's program, as config_runtime.c names it (the Makefile's build directory). */
static const char *python3_program(const struct function_conf *fn)
{
	const char *p = fn->pool.exec.argv[0];
	size_t len = strlen(p);

	ck_assert_msg(len > 34 && strcmp(p + len - 34, "/runtimes/python3/gatewayd-python3") == 0,
	    "exec program %s", p);
	return p;
}

START_TEST(test_runtime_good)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_runtime.ini");
	const struct function_conf *file = &conf->functions[0], *pkg = &conf->functions[1];
	char abs[PATH_MAX];

	ck_assert_int_eq(file->runtime.runtime, RUNTIME_PYTHON3);
	ck_assert_str_eq(file->runtime.handler, fixture_abs("py/handler.py", abs));
	ck_assert_str_eq(file->runtime.function, "handle");
	ck_assert(!file->runtime.raw_body);
	ck_assert_int_eq(file->runtime.dump_signal, SIGUSR1);
	python3_program(file);
	ck_assert_str_eq(file->pool.exec.argv[1], abs);
	ck_assert_str_eq(file->pool.exec.argv[2], "handle");
	ck_assert_str_eq(file->pool.exec.argv[3], "text");
	ck_assert_ptr_null(file->pool.exec.argv[4]);
	ck_assert_int_eq(file->pool.mode, FUNCTION_FASTCGI);

	ck_assert_str_eq(pkg->runtime.handler, fixture_abs("py/pkg", abs));
	ck_assert_str_eq(pkg->pool.exec.argv[1], abs);
	ck_assert_str_eq(pkg->pool.exec.argv[2], "handle_event");
	ck_assert_str_eq(pkg->pool.exec.argv[3], "raw");
	config_free(conf);
}
END_TEST

START_TEST(test_runtime_none)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_minimal.ini");

	ck_assert_int_eq(conf->functions[0].runtime.runtime, RUNTIME_NONE);
	ck_assert_int_eq(conf->functions[0].runtime.dump_signal, 0);
	ck_assert_ptr_null(conf->functions[0].runtime.handler);
	config_free(conf);
}
END_TEST

START_TEST(test_runtime_errors)
{
	char expected[4096], abs[PATH_MAX];
	const char *f = FIXTURES "err_runtime.ini";

	fixture_abs("py", abs);
	format(expected, sizeof(expected),
	    "%s:6: exec: a function has exec = or runtime = python3, not both (the runtime runs "
	    "gatewayd's own worker program)\n"
	    "%s:11: runtime = python3 needs handler = PATH (a .py file or a package directory)\n"
	    "%s:15: mode = cgi: runtime = python3 runs a pool of FastCGI workers\n"
	    "%s:20: handler only applies with runtime = python3 (it names the handler the runtime "
	    "imports)\n"
	    "%s:21: handler.function only applies with runtime = python3 (it names the handler the "
	    "runtime imports)\n"
	    "%s:22: raw_body only applies with runtime = python3 (it names the handler the runtime "
	    "imports)\n"
	    "%s:25: runtime = python4: must be none or python3\n"
	    "%s:26: handler = py/notpkg: must be a .py file or a package directory (with an "
	    "__init__.py)\n"
	    "%s:27: handler.function = 2fast: must be a Python name (letters, digits and _, not "
	    "starting with a digit)\n"
	    "%s:31: handler = py/nosuch.py: %s/nosuch.py: No such file or directory\n"
	    "%s:24: missing exec in [badvalues] (or a runtime = and its handler =)\n",
	    f, f, f, f, f, f, f, f, f, f, abs, f);
	assert_errors(f, expected);
}
END_TEST

static Suite *config_runtime_suite(void)
{
	Suite *s = suite_create("config_runtime");
	TCase *good = tcase_create("good"), *bad = tcase_create("errors");

	tcase_add_test(good, test_runtime_good);
	tcase_add_test(good, test_runtime_none);
	tcase_add_test(bad, test_runtime_errors);
	suite_add_tcase(s, good);
	suite_add_tcase(s, bad);
	return s;
}

int main(void)
{
	return config_check_run(config_runtime_suite());
}
