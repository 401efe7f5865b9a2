/*
 * check_config_pool.c: the process-pool keys of the configuration loader
 * (mode, pm, pm.*, request and spawn timeouts, crash_loop.*) and the
 * [global] timeouts and pid file: their defaults, every key parsed, and each
 * error with its exact file:line, against the fixtures in tests/config/ (run
 * from the repository root, as `make unit` does) and against files written
 * to a mkdtemp() directory.
 */
#include <check.h>

#include "config_check.h"

/* The defaults of the pool, timeout and crash-loop keys, and of [global]'s. */
START_TEST(test_pool_defaults)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_minimal.ini");
	const struct function_conf *fn = &conf->functions[0];

	ck_assert_double_eq(conf->shutdown_timeout, 30);
	ck_assert_double_eq(conf->read_timeout, 60);
	ck_assert_double_eq(conf->idle_timeout, 300);
	ck_assert_double_eq(conf->front_request_timeout, 60);
	ck_assert_ptr_null(conf->pid_file);
	ck_assert_int_eq(fn->pool.mode, FUNCTION_FASTCGI);
	ck_assert_int_eq(fn->pool.pm, PM_STATIC);
	ck_assert_uint_eq(fn->pool.min_spare, 1);
	ck_assert_uint_eq(fn->pool.max_spare, 3);
	ck_assert_uint_eq(fn->pool.start_servers, 2);	/* 1 + (3 - 1) / 2, as PHP-FPM */
	ck_assert_double_eq(fn->pool.idle_timeout, 10);
	ck_assert_uint_eq(fn->pool.max_spawn_rate, 32);
	ck_assert_uint_eq(fn->pool.max_memory, 0);
	ck_assert_double_eq(fn->pool.request_timeout, 60);
	ck_assert_double_eq(fn->pool.spawn_timeout, 10);
	ck_assert_uint_eq(fn->pool.crash_limit, 5);
	ck_assert_double_eq(fn->pool.crash_window, 10);
	config_free(conf);
}
END_TEST

START_TEST(test_pool_global)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_pool.ini");
	char abs[PATH_MAX];

	ck_assert_str_eq(conf->pid_file, fixture_abs("gatewayd.pid", abs));
	ck_assert_double_eq(conf->shutdown_timeout, 60);
	ck_assert_double_eq(conf->read_timeout, 15);
	ck_assert_double_eq(conf->idle_timeout, 0);
	ck_assert_double_eq(conf->front_request_timeout, 20);
	config_free(conf);
}
END_TEST

/* pm = dynamic with every key set, then with the defaults and a computed start. */
START_TEST(test_pool_dynamic)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_pool.ini");
	const struct function_conf *fn = &conf->functions[0];

	ck_assert_str_eq(fn->name, "dyn");
	ck_assert_int_eq(fn->pool.mode, FUNCTION_FASTCGI);
	ck_assert_int_eq(fn->pool.pm, PM_DYNAMIC);
	ck_assert_uint_eq(fn->pool.max_children, 20);
	ck_assert_uint_eq(fn->pool.start_servers, 4);
	ck_assert_uint_eq(fn->pool.min_spare, 2);
	ck_assert_uint_eq(fn->pool.max_spare, 8);
	ck_assert_double_eq(fn->pool.idle_timeout, 30);
	ck_assert_uint_eq(fn->pool.max_spawn_rate, 8);
	ck_assert_uint_eq(fn->pool.max_requests, 500);
	ck_assert_uint_eq(fn->pool.max_memory, 256 * 1024 * 1024);
	ck_assert_double_eq(fn->pool.request_timeout, 120);
	ck_assert_double_eq_tol(fn->pool.spawn_timeout, 0.5, 1e-12);
	ck_assert_uint_eq(fn->pool.crash_limit, 3);
	ck_assert_double_eq(fn->pool.crash_window, 60);

	fn = &conf->functions[1];
	ck_assert_str_eq(fn->name, "dyn-defaults");
	ck_assert_int_eq(fn->pool.pm, PM_DYNAMIC);
	ck_assert_uint_eq(fn->pool.max_children, 4);
	ck_assert_uint_eq(fn->pool.min_spare, 1);
	ck_assert_uint_eq(fn->pool.max_spare, 3);
	ck_assert_uint_eq(fn->pool.start_servers, 2);

	fn = &conf->functions[2];
	ck_assert_str_eq(fn->name, "dyn-computed");
	ck_assert_uint_eq(fn->pool.min_spare, 2);
	ck_assert_uint_eq(fn->pool.max_spare, 7);
	ck_assert_uint_eq(fn->pool.start_servers, 4);
	config_free(conf);
}
END_TEST

START_TEST(test_pool_ondemand)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_pool.ini");
	const struct function_conf *fn = &conf->functions[3];

	ck_assert_str_eq(fn->name, "lazy");
	ck_assert_int_eq(fn->pool.pm, PM_ONDEMAND);
	ck_assert_uint_eq(fn->pool.max_children, 50);
	ck_assert_double_eq_tol(fn->pool.idle_timeout, 2.5, 1e-12);
	ck_assert_uint_eq(fn->pool.max_spawn_rate, 1024);
	ck_assert_double_eq(fn->pool.request_timeout, 0);	/* no limit */
	ck_assert_double_eq(fn->pool.spawn_timeout, 0);
	config_free(conf);
}
END_TEST

/* mode = cgi with pm = static, and with pm left out. */
START_TEST(test_pool_cgi)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_pool.ini");
	const struct function_conf *fn = &conf->functions[4];

	ck_assert_str_eq(fn->name, "cgi");
	ck_assert_int_eq(fn->pool.mode, FUNCTION_CGI);
	ck_assert_int_eq(fn->pool.pm, PM_STATIC);
	ck_assert_uint_eq(fn->pool.max_children, 16);
	ck_assert_double_eq(fn->pool.request_timeout, 5);
	fn = &conf->functions[5];
	ck_assert_str_eq(fn->name, "cgi-bare");
	ck_assert_int_eq(fn->pool.mode, FUNCTION_CGI);
	ck_assert_int_eq(fn->pool.pm, PM_STATIC);
	ck_assert_uint_eq(fn->pool.max_children, 4);
	config_free(conf);
}
END_TEST

/* Every bad pool, timeout and pid value; refused values set off no section-end check. */
START_TEST(test_error_pool_values)
{
	const char *duration = "must be a duration such as 30s, 500ms, 2m, 1h or a number of seconds\n";
	const char *positive = "must be a duration above 0 such as 10s, 500ms, 2m, 1h or a number of "
	    "seconds\n";
	const char *memory = "must be 0 (off) or a size of at least 1M (a number with K, M or G)\n";
	char expected[8192], dir[PATH_MAX];

	format(expected, sizeof(expected),
	    "tests/config/err_pool.ini:3: shutdown_timeout = forever: %s"
	    "tests/config/err_pool.ini:4: front.read_timeout = -5: %s"
	    "tests/config/err_pool.ini:5: front.idle_timeout = 5d: %s"
	    "tests/config/err_pool.ini:6: pid = no-such-dir/gatewayd.pid: directory %s: No such file or directory\n"
	    "tests/config/err_pool.ini:10: mode = FastCGI: must be fastcgi or cgi\n"
	    "tests/config/err_pool.ini:11: pm = Dynamic: must be static, dynamic or ondemand\n"
	    "tests/config/err_pool.ini:12: pm.start_servers = 0: must be between 1 and 4096\n"
	    "tests/config/err_pool.ini:13: pm.min_spare_servers = 4097: must be between 1 and 4096\n"
	    "tests/config/err_pool.ini:14: pm.max_spare_servers = x: must be a whole number between 1 and 4096\n"
	    "tests/config/err_pool.ini:15: pm.process_idle_timeout = 0: %s"
	    "tests/config/err_pool.ini:16: pm.max_spawn_rate = 1025: must be between 1 and 1024\n"
	    "tests/config/err_pool.ini:17: pm.max_memory = 512K: %s"
	    "tests/config/err_pool.ini:18: request_timeout = 1 m: %s"
	    "tests/config/err_pool.ini:19: spawn_timeout = -1: %s"
	    "tests/config/err_pool.ini:20: crash_loop.count = 0: must be between 1 and 1000\n"
	    "tests/config/err_pool.ini:21: crash_loop.window = 0s: %s"
	    "tests/config/err_pool.ini:26: pm.max_spawn_rate = 0: must be between 1 and 1024\n"
	    "tests/config/err_pool.ini:27: pm.max_memory = 1T: %s"
	    "tests/config/err_pool.ini:28: pm.process_idle_timeout = 1d: %s"
	    "tests/config/err_pool.ini:29: crash_loop.count = 1001: must be between 1 and 1000\n"
	    "tests/config/err_pool.ini:30: crash_loop.window = soon: %s",
	    duration, duration, duration, fixture_abs("no-such-dir", dir), positive, memory,
	    duration, duration, positive, memory, positive, positive);
	assert_errors(FIXTURES "err_pool.ini", expected);
}
END_TEST

/* PHP-FPM's rules for pm = dynamic, each broken: at the key's line, or the header's. */
START_TEST(test_error_pool_dynamic)
{
	assert_errors(FIXTURES "err_dynamic.ini",
	    "tests/config/err_dynamic.ini:9: pm.max_spare_servers = 2: must not be less than pm.min_spare_servers (3)\n"
	    "tests/config/err_dynamic.ini:15: pm.max_spare_servers = 5: must not be more than pm.max_children (4)\n"
	    "tests/config/err_dynamic.ini:20: pm.start_servers = 1: must be between pm.min_spare_servers (2) and pm.max_spare_servers (3)\n"
	    "tests/config/err_dynamic.ini:25: pm.start_servers = 6: must be between pm.min_spare_servers (1) and pm.max_spare_servers (5)\n"
	    "tests/config/err_dynamic.ini:30: the default pm.max_spare_servers (3) is more than pm.max_children (2): set pm.max_spare_servers\n"
	    "tests/config/err_dynamic.ini:35: the default pm.max_spare_servers (3) is less than pm.min_spare_servers (5): set pm.max_spare_servers\n"
	    "tests/config/err_dynamic.ini:44: pm.min_spare_servers = 0: must be between 1 and 4096\n");
}
END_TEST

/* Keys the function's pm or mode would ignore; mode = cgi with a scaling pm. */
START_TEST(test_error_pool_applies)
{
	const char *cgi = "mode = cgi runs one process per request: pm.* scaling does not apply "
	    "(pm.max_children caps concurrency)\n";
	char expected[4096];

	format(expected, sizeof(expected),
	    "tests/config/err_pool_applies.ini:7: pm.start_servers only applies to pm = dynamic\n"
	    "tests/config/err_pool_applies.ini:8: pm.min_spare_servers only applies to pm = dynamic\n"
	    "tests/config/err_pool_applies.ini:9: pm.max_spare_servers only applies to pm = dynamic\n"
	    "tests/config/err_pool_applies.ini:10: pm.process_idle_timeout only applies to pm = dynamic or ondemand\n"
	    "tests/config/err_pool_applies.ini:16: pm.min_spare_servers only applies to pm = dynamic\n"
	    "tests/config/err_pool_applies.ini:22: pm = dynamic: %s"
	    "tests/config/err_pool_applies.ini:27: pm = ondemand: %s"
	    "tests/config/err_pool_applies.ini:34: pm.max_requests: %s"
	    "tests/config/err_pool_applies.ini:35: pm.max_memory: %s",
	    cgi, cgi, cgi, cgi);
	assert_errors(FIXTURES "err_pool_applies.ini", expected);
}
END_TEST

/* pid: a relative path stored absolute; the file may be missing, not its directory. */
START_TEST(test_pid_path)
{
	static const char *const bad[][2] = {
		{ "pid =\n", "pid = : must be the path of a file" },
		{ "pid = run/\n", "pid = run/: must be the path of a file" },
		{ "pid = /etc/hostname/gatewayd.pid\n",
		    "pid = /etc/hostname/gatewayd.pid: /etc/hostname is not a directory" },
		{ "pid = /gatewayd-no-such-dir/x.pid\n", "pid = /gatewayd-no-such-dir/x.pid: "
		    "directory /gatewayd-no-such-dir: No such file or directory" },
	};
	static const char head[] = "[fn]\nexec = /bin/true\n[global]\nlisten = 127.0.0.1:9000\n";
	struct gateway_conf *conf;
	char text[256], err[1024], path[PATH_MAX], expected[2 * PATH_MAX];
	size_t i;

	format(text, sizeof(text), "%spid = ./gatewayd.pid\n", head);
	ck_assert_msg(load_text(text, strlen(text), err, sizeof(err), &conf, path) == 0, "%s", err);
	*strrchr(path, '/') = '\0';	/* the temporary directory: /tmp is no symlink here */
	format(expected, sizeof(expected), "%s/gatewayd.pid", path);
	ck_assert_str_eq(conf->pid_file, expected);
	config_free(conf);

	format(text, sizeof(text), "%spid = /gatewayd.pid\n", head);
	ck_assert_msg(load_text(text, strlen(text), err, sizeof(err), &conf, path) == 0, "%s", err);
	ck_assert_str_eq(conf->pid_file, "/gatewayd.pid");
	config_free(conf);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		format(text, sizeof(text), "%s%s", head, bad[i][0]);
		ck_assert_int_eq(load_text(text, strlen(text), err, sizeof(err), &conf, path), -1);
		format(expected, sizeof(expected), "%s:5: %s\n", path, bad[i][1]);
		ck_assert_str_eq(err, expected);
	}
}
END_TEST

static Suite *config_pool_suite(void)
{
	Suite *s = suite_create("config_pool");
	TCase *good = tcase_create("good"), *bad = tcase_create("errors");

	tcase_add_test(good, test_pool_defaults);
	tcase_add_test(good, test_pool_global);
	tcase_add_test(good, test_pool_dynamic);
	tcase_add_test(good, test_pool_ondemand);
	tcase_add_test(good, test_pool_cgi);
	tcase_add_test(bad, test_error_pool_values);
	tcase_add_test(bad, test_error_pool_dynamic);
	tcase_add_test(bad, test_error_pool_applies);
	tcase_add_test(bad, test_pid_path);
	suite_add_tcase(s, good);
	suite_add_tcase(s, bad);
	return s;
}

int main(void)
{
	return config_check_run(config_pool_suite());
}
