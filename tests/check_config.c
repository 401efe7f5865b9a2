/*
 * check_config.c: the configuration loader's core: files, includes, the
 * [global] and function keys every config has, their values and errors,
 * and the duration and size parsers. Against the fixtures in tests/config/
 * (run from the repository root, as `make unit` does) and against files
 * written to a mkdtemp() directory. The sandbox keys are tested in
 * check_config_sandbox.c, the pool keys in check_config_pool.c, the async
 * keys in check_config_async.c; the helpers they share are config_check.h's.
 *
 * Error tests assert the whole error text where it is stable, so that a
 * message, its file:line or the order of errors cannot drift unnoticed.
 */
#include <check.h>

#include "config_check.h"

START_TEST(test_minimal_defaults)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_minimal.ini");
	const struct function_conf *fn;
	char abs[PATH_MAX];

	ck_assert_uint_eq(conf->listen.count, 1);
	ck_assert_str_eq(conf->listen.items[0], "127.0.0.1:9000");
	ck_assert_uint_eq(conf->allowed_clients.count, 0);
	ck_assert_uint_eq(conf->listen_mode, 0660);
	ck_assert_int_eq(conf->listen_backlog, 511);
	ck_assert_str_eq(conf->run_dir, "/run/gatewayd");
	ck_assert_int_eq(conf->log_level, LOG_LEVEL_INFO);
	ck_assert_uint_eq(conf->max_connections, 1024);
	ck_assert_uint_eq(conf->max_params, 64 * 1024);
	ck_assert_uint_eq(conf->request_memory_max, 256 * 1024 * 1024);
	ck_assert_uint_eq(conf->function_count, 1);
	fn = &conf->functions[0];
	ck_assert_str_eq(fn->name, "echo");
	ck_assert_str_eq(fn->pool.exec.line, "bin/handler");
	ck_assert_str_eq(fn->pool.exec.argv[0], fixture_abs("bin/handler", abs));
	ck_assert_ptr_null(fn->pool.exec.argv[1]);
	ck_assert_ptr_null(fn->request.script);
	ck_assert_ptr_null(fn->request.route);
	ck_assert_int_eq(fn->pool.pm, PM_STATIC);
	ck_assert_uint_eq(fn->pool.max_children, 4);
	ck_assert_uint_eq(fn->pool.max_requests, 0);
	ck_assert_uint_eq(fn->pool.queue_max, 512);
	ck_assert_double_eq(fn->pool.queue_timeout, 30);
	ck_assert_uint_eq(fn->request.max_body, 8 * 1024 * 1024);
	ck_assert(!fn->request.retry);
	ck_assert_uint_eq(fn->sandbox.env.count, 0);
	ck_assert_uint_eq(fn->request.params.count, 0);
	ck_assert_str_eq(fn->file, FIXTURES "good_minimal.ini");
	ck_assert_uint_eq(fn->line, 5);
	config_free(conf);
}
END_TEST

START_TEST(test_full_global)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_full.ini");
	char abs[PATH_MAX];

	ck_assert_uint_eq(conf->listen.count, 5);
	ck_assert_str_eq(conf->listen.items[0], fixture_abs("gatewayd.sock", abs));
	ck_assert_str_eq(conf->listen.items[1], "/run/gatewayd/gw.sock");
	ck_assert_str_eq(conf->listen.items[2], "127.0.0.1:9000");
	ck_assert_str_eq(conf->listen.items[3], "[::1]:9001");
	ck_assert_str_eq(conf->listen.items[4], "localhost:9002");
	ck_assert_uint_eq(conf->allowed_clients.count, 3);
	ck_assert_str_eq(conf->allowed_clients.items[0], "127.0.0.1");
	ck_assert_str_eq(conf->allowed_clients.items[1], "::1");
	ck_assert_str_eq(conf->allowed_clients.items[2], "10.0.0.2");
	ck_assert_uint_eq(conf->listen_mode, 0600);
	ck_assert_int_eq(conf->listen_backlog, 128);
	ck_assert_str_eq(conf->run_dir, fixture_abs("run", abs));
	ck_assert_int_eq(conf->log_level, LOG_LEVEL_DEBUG);
	ck_assert_uint_eq(conf->max_connections, 2048);
	ck_assert_uint_eq(conf->max_params, 128 * 1024);
	ck_assert_uint_eq(conf->request_memory_max, 32 * 1024 * 1024);
	config_free(conf);
}
END_TEST

START_TEST(test_full_function)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_full.ini");
	const struct function_conf *fn;
	char abs[PATH_MAX];

	ck_assert_uint_eq(conf->function_count, 2);
	fn = &conf->functions[0];
	ck_assert_str_eq(fn->pool.exec.line, "./bin/handler --flag\tvalue");
	ck_assert_str_eq(fn->pool.exec.argv[0], fixture_abs("bin/handler", abs));
	ck_assert_str_eq(fn->pool.exec.argv[1], "--flag");
	ck_assert_str_eq(fn->pool.exec.argv[2], "value");
	ck_assert_ptr_null(fn->pool.exec.argv[3]);
	ck_assert_str_eq(fn->request.script, fixture_abs("bin/app.php", abs));
	ck_assert_str_eq(fn->request.route, "/api/echo");
	ck_assert_int_eq(fn->pool.pm, PM_STATIC);
	ck_assert_uint_eq(fn->pool.max_children, 8);
	ck_assert_uint_eq(fn->pool.max_requests, 10000);
	ck_assert_uint_eq(fn->pool.queue_max, 0);
	ck_assert_double_eq_tol(fn->pool.queue_timeout, 0.5, 1e-9);
	ck_assert_uint_eq(fn->request.max_body, 1024 * 1024);
	ck_assert(fn->request.retry);
	ck_assert_uint_eq(fn->sandbox.env.count, 3);
	ck_assert_str_eq(fn->sandbox.env.items[0].name, "DB_HOST");
	ck_assert_str_eq(fn->sandbox.env.items[0].value, "127.0.0.1");
	ck_assert_str_eq(fn->sandbox.env.items[1].name, "_X1");
	ck_assert_str_eq(fn->sandbox.env.items[1].value, "second");
	ck_assert_str_eq(fn->sandbox.env.items[2].name, "EQ");
	ck_assert_str_eq(fn->sandbox.env.items[2].value, "a=b;c");
	ck_assert_uint_eq(fn->request.params.count, 2);
	ck_assert_str_eq(fn->request.params.items[0].name, "HTTP X");
	ck_assert_str_eq(fn->request.params.items[0].value, "a b c");
	ck_assert_str_eq(fn->request.params.items[1].name, "EMPTY");
	ck_assert_str_eq(fn->request.params.items[1].value, "");
	ck_assert_uint_eq(fn->line, 17);

	fn = &conf->functions[1];
	ck_assert_str_eq(fn->name, "root.fn-2");
	ck_assert_str_eq(fn->pool.exec.argv[0], "/bin/true");
	ck_assert_str_eq(fn->request.route, "/");
	ck_assert_double_eq(fn->pool.queue_timeout, 0);
	config_free(conf);
}
END_TEST

START_TEST(test_find_function)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_full.ini");
	const char *path = "root.fn-2/rest";

	ck_assert_ptr_eq(config_find_function(conf, "echo", 4), &conf->functions[0]);
	ck_assert_ptr_eq(config_find_function(conf, path, 9), &conf->functions[1]);
	ck_assert_ptr_null(config_find_function(conf, "ech", 3));
	ck_assert_ptr_null(config_find_function(conf, "echo!", 5));
	ck_assert_ptr_null(config_find_function(conf, path, strlen(path)));
	ck_assert_ptr_null(config_find_function(conf, "", 0));
	config_free(conf);
}
END_TEST

START_TEST(test_include_glob_order)
{
	struct gateway_conf *conf = load_ok(FIXTURES "inc_main.ini");
	char abs[PATH_MAX];

	/* a.ini before b.ini (sorted); a.ini's own include comes where it stands. */
	ck_assert_uint_eq(conf->function_count, 4);
	ck_assert_str_eq(conf->functions[0].name, "a_fn");
	ck_assert_str_eq(conf->functions[1].name, "c_fn");
	ck_assert_str_eq(conf->functions[2].name, "b_fn");
	ck_assert_str_eq(conf->functions[3].name, "main_fn");
	ck_assert_str_eq(conf->functions[0].file, FIXTURES "inc.d/a.ini");
	ck_assert_str_eq(conf->functions[1].file, FIXTURES "inc.d/sub/c.conf");
	ck_assert_uint_eq(conf->functions[2].line, 1);
	/* relative to the file each is written in */
	ck_assert_str_eq(conf->functions[1].pool.exec.argv[0],
	    fixture_abs("inc.d/sub/../../bin/handler", abs));
	ck_assert_str_eq(conf->functions[1].request.script, fixture_abs("bin/app.php", abs));
	ck_assert_str_eq(conf->functions[2].pool.exec.argv[0], fixture_abs("inc.d/../bin/handler", abs));
	/* [global] merged from an included file */
	ck_assert_uint_eq(conf->max_connections, 10);
	ck_assert_int_eq(conf->log_level, LOG_LEVEL_WARN);
	ck_assert_str_eq(conf->listen.items[0], "/tmp/gatewayd-check.sock");
	ck_assert_ptr_nonnull(config_find_function(conf, "b_fn", 4));
	config_free(conf);
}
END_TEST

START_TEST(test_error_unknown_key)
{
	assert_errors(FIXTURES "err_unknown_key.ini",
	    "tests/config/err_unknown_key.ini:6: unknown key \"pm.max_child\" in [echo]\n");
}
END_TEST

START_TEST(test_error_unknown_global_key)
{
	assert_errors(FIXTURES "err_unknown_global.ini",
	    "tests/config/err_unknown_global.ini:3: unknown key \"listen_backlog\" in [global]\n");
}
END_TEST

/* Bad numbers, ranges, durations, sizes, enums, repeats: all reported, in line order. */
START_TEST(test_error_values)
{
	assert_errors(FIXTURES "err_values.ini",
	    "tests/config/err_values.ini:3: listen.mode = 0980: must be an octal mode between 0 and 0777\n"
	    "tests/config/err_values.ini:4: listen.backlog = 0: must be between 1 and 65535\n"
	    "tests/config/err_values.ini:5: log_level = verbose: must be error, warn, info or debug\n"
	    "tests/config/err_values.ini:6: max_connections = lots: must be a whole number between 1 and 1000000\n"
	    "tests/config/err_values.ini:7: request.max_params = 512: must be between 1K and 16M\n"
	    "tests/config/err_values.ini:11: mode = fcgi: must be fastcgi or cgi\n"
	    "tests/config/err_values.ini:12: pm.max_children = 0: must be between 1 and 4096\n"
	    "tests/config/err_values.ini:13: pm.max_children = 4: already set in [echo]\n"
	    "tests/config/err_values.ini:14: pm.max_requests = -1: must be a whole number between 0 and 18446744073709551615\n"
	    "tests/config/err_values.ini:15: queue.max = 1000001: must be between 0 and 1000000\n"
	    "tests/config/err_values.ini:16: queue.timeout = 5x: must be a duration such as 30s, 500ms, 2m, 1h or a number of seconds\n"
	    "tests/config/err_values.ini:17: request.max_body = 8X: must be a size between 0 and 1G (bytes, or a number with K, M or G)\n"
	    "tests/config/err_values.ini:21: pm = ondemand2: must be static, dynamic or ondemand\n"
	    "tests/config/err_values.ini:22: request.max_body = 2G: must be between 0 and 1G\n"
	    "tests/config/err_values.ini:23: queue.timeout = -1s: must be a duration such as 30s, 500ms, 2m, 1h or a number of seconds\n");
}
END_TEST

START_TEST(test_error_missing_exec)
{
	assert_errors(FIXTURES "err_missing_exec.ini",
	    "tests/config/err_missing_exec.ini:4: missing exec in [echo] (or a runtime = and its handler =)\n");
}
END_TEST

/* Not executable, missing, a directory; a missing script. Not also "missing exec". */
START_TEST(test_error_exec)
{
	char expected[4 * PATH_MAX], a[PATH_MAX], b[PATH_MAX], c[PATH_MAX], d[PATH_MAX];

	format(expected, sizeof(expected),
	    "tests/config/err_exec.ini:5: exec = bin/not-exec: %s is not an executable file\n"
	    "tests/config/err_exec.ini:8: exec = bin/missing --arg: %s: No such file or directory\n"
	    "tests/config/err_exec.ini:11: exec = bin: %s is not an executable file\n"
	    "tests/config/err_exec.ini:15: script = bin/missing.php: %s: No such file or directory\n",
	    fixture_abs("bin/not-exec", a), fixture_abs("bin/missing", b),
	    fixture_abs("bin", c), fixture_abs("bin/missing.php", d));
	assert_errors(FIXTURES "err_exec.ini", expected);
}
END_TEST

START_TEST(test_error_duplicates)
{
	assert_errors(FIXTURES "err_duplicate.ini",
	    "tests/config/err_duplicate.ini:8: duplicate function [echo], first defined at tests/config/err_duplicate.ini:4\n"
	    "tests/config/err_duplicate.ini:13: route = /api: already the route of [echo] (tests/config/err_duplicate.ini:4)\n");
}
END_TEST

/* Bad function names, bad env and param names, a bad route. */
START_TEST(test_error_names)
{
	assert_errors(FIXTURES "err_names.ini",
	    "tests/config/err_names.ini:4: bad function name [_gateway]: use A-Z a-z 0-9 _ . - and do not start with '_'\n"
	    "tests/config/err_names.ini:7: bad function name [bad name]: use A-Z a-z 0-9 _ . - and do not start with '_'\n"
	    "tests/config/err_names.ini:12: env[1BAD] = x: must be env[NAME], NAME made of A-Z a-z 0-9 _ and not starting with a digit\n"
	    "tests/config/err_names.ini:13: env[] = x: must be env[NAME], NAME made of A-Z a-z 0-9 _ and not starting with a digit\n"
	    "tests/config/err_names.ini:14: env[A-B] = x: must be env[NAME], NAME made of A-Z a-z 0-9 _ and not starting with a digit\n"
	    "tests/config/err_names.ini:15: param[] = x: must be param[NAME], NAME not empty and without ']'\n"
	    "tests/config/err_names.ini:16: route = api/: must start with '/' and not end with '/' (unless it is \"/\")\n");
}
END_TEST

START_TEST(test_error_key_before_section)
{
	assert_errors(FIXTURES "err_before_section.ini",
	    "tests/config/err_before_section.ini:2: listen = 127.0.0.1:9000: key before any section\n");
}
END_TEST

/* Every malformed line is reported, not only inih's first. */
START_TEST(test_error_syntax)
{
	assert_errors(FIXTURES "err_syntax.ini",
	    "tests/config/err_syntax.ini:3: syntax error: expected name = value or [section]\n"
	    "tests/config/err_syntax.ini:5: syntax error: a section header is [name] alone on its line\n"
	    "tests/config/err_syntax.ini:8: syntax error: a section header is [name] alone on its line\n");
}
END_TEST

START_TEST(test_error_line_too_long)
{
	assert_errors(FIXTURES "err_long_line.ini",
	    "tests/config/err_long_line.ini:4: line too long (240 characters, at most 199)\n");
}
END_TEST

START_TEST(test_error_include_cycle)
{
	assert_errors(FIXTURES "cycle/a.ini",
	    "tests/config/cycle/b.ini:2: include = a.ini: include cycle: tests/config/cycle/a.ini is already being read\n");
}
END_TEST

START_TEST(test_error_no_listen)
{
	assert_errors(FIXTURES "err_no_listen.ini",
	    "tests/config/err_no_listen.ini: no listen in [global] (at least one is required)\n");
}
END_TEST

START_TEST(test_error_no_function)
{
	assert_errors(FIXTURES "err_no_function.ini",
	    "tests/config/err_no_function.ini: no function defined\n");
}
END_TEST

START_TEST(test_error_listen_and_clients)
{
	const char *bad = "must be a unix socket path, host:port or [ipv6]:port with a port "
	    "between 1 and 65535\n";
	char expected[2048];

	format(expected, sizeof(expected),
	    "tests/config/err_listen.ini:3: listen = 127.0.0.1:9000: already listed\n"
	    "tests/config/err_listen.ini:4: listen = 127.0.0.1:70000: %s"
	    "tests/config/err_listen.ini:5: listen = 127.0.0.1: %s"
	    "tests/config/err_listen.ini:6: listen = ::1:9000: %s"
	    "tests/config/err_listen.ini:7: listen = [::1:9000: %s"
	    "tests/config/err_listen.ini:8: listen = [zz]:9000: %s"
	    "tests/config/err_listen.ini:9: listen = :9000: %s"
	    "tests/config/err_listen.ini:10: listen.allowed_clients = 127.0.0.1, 300.1.1.1: "
	    "\"300.1.1.1\" is not an IPv4 or IPv6 address\n", bad, bad, bad, bad, bad, bad);
	assert_errors(FIXTURES "err_listen.ini", expected);
}
END_TEST

START_TEST(test_admin_keys)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_admin.ini");
	char abs[PATH_MAX];

	ck_assert_ptr_nonnull(realpath(FIXTURES, abs));
	strcat(abs, "/admin.sock");
	ck_assert_str_eq(conf->admin_listen, abs);
	ck_assert(conf->status_front);
	ck_assert_uint_eq(conf->status_allowed_clients.count, 2);
	ck_assert_str_eq(conf->status_allowed_clients.items[1], "::1");
	ck_assert_uint_eq(conf->allowed_clients.count, 0);
	config_free(conf);
	conf = load_ok(FIXTURES "good_minimal.ini");
	ck_assert_ptr_null(conf->admin_listen);
	ck_assert(!conf->status_front);
	config_free(conf);
}
END_TEST

START_TEST(test_error_admin_keys)
{
	assert_errors(FIXTURES "err_admin.ini",
	    "tests/config/err_admin.ini:3: admin_listen = 127.0.0.1:9001: must be a unix socket path\n"
	    "tests/config/err_admin.ini:4: admin_listen = : already set in [global]\n"
	    "tests/config/err_admin.ini:5: status.front = maybe: must be yes or no\n"
	    "tests/config/err_admin.ini:6: status.allowed_clients = 127.0.0.1, nope: "
	    "\"nope\" is not an IPv4 or IPv6 address\n");
}
END_TEST

START_TEST(test_error_cannot_open)
{
	assert_errors(FIXTURES "does-not-exist.ini",
	    "tests/config/does-not-exist.ini: cannot open: No such file or directory\n");
}
END_TEST

/* A small buffer is cut, never overrun, and still NUL-terminated. */
START_TEST(test_error_truncated)
{
	char err[32];

	memset(err, 'Z', sizeof(err));
	load_fails(FIXTURES "err_values.ini", err, 20);
	ck_assert_str_eq(err, "tests/config/err_va");
	ck_assert_int_eq(err[20], 'Z');
	load_fails(FIXTURES "err_values.ini", NULL, 0);
	load_fails(FIXTURES "err_values.ini", err, 1);
	ck_assert_str_eq(err, "");
}
END_TEST

/* Files written at run time: nesting depth, key repeated across [global]s. */
START_TEST(test_error_include_depth)
{
	char tmpl[] = "/tmp/check_config.XXXXXX", path[PATH_MAX], text[256], expected[1024];
	char *dir = mkdtemp(tmpl);
	int i;

	ck_assert_ptr_nonnull(dir);
	/* main.ini includes 1.ini, 1.ini includes 2.ini ... 9.ini: 9 levels deep. */
	write_file(dir, "main.ini", "[global]\nlisten = 127.0.0.1:9000\ninclude = 1.ini\n"
	    "[fn]\nexec = /bin/true\n", path);
	for (i = 1; i <= 9; i++) {
		char name[16];

		format(name, sizeof(name), "%d.ini", i);
		format(text, sizeof(text), "[global]\ninclude = %d.ini\n", i + 1);
		write_file(dir, name, text, path);
	}
	format(expected, sizeof(expected),
	    "%s/8.ini:2: include = 9.ini: includes nested deeper than 8\n", dir);
	format(path, sizeof(path), "%s/main.ini", dir);
	assert_errors(path, expected);
	for (i = 1; i <= 9; i++) {
		format(path, sizeof(path), "%s/%d.ini", dir, i);
		unlink(path);
	}
	format(path, sizeof(path), "%s/main.ini", dir);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_error_global_key_twice_across_files)
{
	char tmpl[] = "/tmp/check_config.XXXXXX", path[PATH_MAX], expected[1024];
	char *dir = mkdtemp(tmpl);

	ck_assert_ptr_nonnull(dir);
	write_file(dir, "more.ini", "[global]\nlog_level = debug\n", path);
	write_file(dir, "main.ini", "[global]\nlisten = 127.0.0.1:9000\nlog_level = warn\n"
	    "include = more.ini\n[fn]\nexec = /bin/true\n", path);
	format(expected, sizeof(expected),
	    "%s/more.ini:2: log_level = debug: already set in [global]\n", dir);
	assert_errors(path, expected);
	unlink(path);
	format(path, sizeof(path), "%s/more.ini", dir);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* An include = in a function section is not a function key. */
START_TEST(test_error_include_outside_global)
{
	char tmpl[] = "/tmp/check_config.XXXXXX", path[PATH_MAX], expected[1024];
	char *dir = mkdtemp(tmpl);

	ck_assert_ptr_nonnull(dir);
	write_file(dir, "main.ini", "[global]\nlisten = 127.0.0.1:9000\n"
	    "[fn]\nexec = /bin/true\ninclude = *.ini\n", path);
	format(expected, sizeof(expected), "%s:5: unknown key \"include\" in [fn]\n", path);
	assert_errors(path, expected);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* A UTF-8 byte order mark and CRLF line ends are read as if absent. */
START_TEST(test_bom_crlf)
{
	static const char text[] = "\xEF\xBB\xBF[global]\r\nlisten = 127.0.0.1:9000\r\n"
	    "[fn]\r\nexec = /bin/true\r\nroute = /fn\r\n";
	struct gateway_conf *conf;
	char err[1024], path[PATH_MAX];

	ck_assert_msg(load_text(text, sizeof(text) - 1, err, sizeof(err), &conf, path) == 0,
	    "%s", err);
	ck_assert_str_eq(conf->listen.items[0], "127.0.0.1:9000");
	ck_assert_str_eq(conf->functions[0].request.route, "/fn");
	config_free(conf);
}
END_TEST

/* A NUL byte, an over-long socket path, an empty section: each on its own line. */
START_TEST(test_error_odd_lines)
{
	static const char text[] = "[global]\nlisten = 127.0.0.1:9000\nlog_level = in\0fo\n"
	    "listen = /run/0123456789012345678901234567890123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789.sock\n"
	    "[empty]\n";
	struct gateway_conf *conf;
	char err[1024], path[PATH_MAX], expected[2048];

	ck_assert_int_eq(load_text(text, sizeof(text) - 1, err, sizeof(err), &conf, path), -1);
	format(expected, sizeof(expected),
	    "%s:3: NUL byte in line\n"
	    "%s:4: listen = /run/0123456789012345678901234567890123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789.sock: socket path /run/01234567890123456789"
	    "01234567890123456789012345678901234567890123456789012345678901234567890123456789"
	    "0123456789.sock is longer than 107 bytes\n"
	    "%s:5: missing exec in [empty] (or a runtime = and its handler =)\n", path, path, path);
	ck_assert_str_eq(err, expected);
}
END_TEST

START_TEST(test_parse_duration)
{
	double s;

	ck_assert_int_eq(config_parse_duration("30s", &s), 0);
	ck_assert_double_eq(s, 30);
	ck_assert_int_eq(config_parse_duration("30", &s), 0);
	ck_assert_double_eq(s, 30);
	ck_assert_int_eq(config_parse_duration("0", &s), 0);
	ck_assert_double_eq(s, 0);
	ck_assert_int_eq(config_parse_duration("0.5", &s), 0);
	ck_assert_double_eq_tol(s, 0.5, 1e-12);
	ck_assert_int_eq(config_parse_duration("500ms", &s), 0);
	ck_assert_double_eq_tol(s, 0.5, 1e-12);
	ck_assert_int_eq(config_parse_duration("2m", &s), 0);
	ck_assert_double_eq(s, 120);
	ck_assert_int_eq(config_parse_duration("1h", &s), 0);
	ck_assert_double_eq(s, 3600);
	ck_assert_int_eq(config_parse_duration("1.5m", &s), 0);
	ck_assert_double_eq_tol(s, 90, 1e-9);

	s = -7;
	ck_assert_int_eq(config_parse_duration("", &s), -1);
	ck_assert_int_eq(config_parse_duration("s", &s), -1);
	ck_assert_int_eq(config_parse_duration("-1", &s), -1);
	ck_assert_int_eq(config_parse_duration("+1", &s), -1);
	ck_assert_int_eq(config_parse_duration(" 1", &s), -1);
	ck_assert_int_eq(config_parse_duration("1 ", &s), -1);
	ck_assert_int_eq(config_parse_duration(".5", &s), -1);
	ck_assert_int_eq(config_parse_duration("5.", &s), -1);
	ck_assert_int_eq(config_parse_duration("1e3", &s), -1);
	ck_assert_int_eq(config_parse_duration("inf", &s), -1);
	ck_assert_int_eq(config_parse_duration("0x10", &s), -1);
	ck_assert_int_eq(config_parse_duration("10d", &s), -1);
	ck_assert_int_eq(config_parse_duration("10S", &s), -1);
	ck_assert_int_eq(config_parse_duration("10ss", &s), -1);
	ck_assert_int_eq(config_parse_duration("1.2.3", &s), -1);
	ck_assert_double_eq(s, -7);	/* untouched on error */
}
END_TEST

START_TEST(test_parse_duration_overflow)
{
	char big[400];
	double s;

	memset(big, '9', sizeof(big) - 2);
	big[sizeof(big) - 2] = 'h';
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(config_parse_duration(big, &s), -1);
}
END_TEST

START_TEST(test_parse_size)
{
	size_t n;

	ck_assert_int_eq(config_parse_size("0", &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(config_parse_size("512", &n), 0);
	ck_assert_uint_eq(n, 512);
	ck_assert_int_eq(config_parse_size("64K", &n), 0);
	ck_assert_uint_eq(n, 64 * 1024);
	ck_assert_int_eq(config_parse_size("64k", &n), 0);
	ck_assert_uint_eq(n, 64 * 1024);
	ck_assert_int_eq(config_parse_size("8M", &n), 0);
	ck_assert_uint_eq(n, 8 * 1024 * 1024);
	ck_assert_int_eq(config_parse_size("1g", &n), 0);
	ck_assert_uint_eq(n, 1024 * 1024 * 1024);
	ck_assert_int_eq(config_parse_size("18446744073709551615", &n), 0);
	ck_assert_uint_eq(n, (size_t)-1);

	n = 7;
	ck_assert_int_eq(config_parse_size("", &n), -1);
	ck_assert_int_eq(config_parse_size("K", &n), -1);
	ck_assert_int_eq(config_parse_size("-1", &n), -1);
	ck_assert_int_eq(config_parse_size("+1", &n), -1);
	ck_assert_int_eq(config_parse_size(" 1", &n), -1);
	ck_assert_int_eq(config_parse_size("1 ", &n), -1);
	ck_assert_int_eq(config_parse_size("1KB", &n), -1);
	ck_assert_int_eq(config_parse_size("1T", &n), -1);
	ck_assert_int_eq(config_parse_size("1.5M", &n), -1);
	ck_assert_int_eq(config_parse_size("0x10", &n), -1);
	ck_assert_int_eq(config_parse_size("18446744073709551616", &n), -1);
	ck_assert_int_eq(config_parse_size("17179869184G", &n), -1);
	ck_assert_int_eq(config_parse_size("99999999999999999999999K", &n), -1);
	ck_assert_uint_eq(n, 7);	/* untouched on error */
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *good = tcase_create("good"), *bad = tcase_create("errors"), *parse = tcase_create("parse");

	tcase_add_test(good, test_admin_keys);
	tcase_add_test(good, test_minimal_defaults);
	tcase_add_test(good, test_full_global);
	tcase_add_test(good, test_full_function);
	tcase_add_test(good, test_find_function);
	tcase_add_test(good, test_include_glob_order);
	tcase_add_test(good, test_bom_crlf);
	tcase_add_test(bad, test_error_unknown_key);
	tcase_add_test(bad, test_error_unknown_global_key);
	tcase_add_test(bad, test_error_values);
	tcase_add_test(bad, test_error_missing_exec);
	tcase_add_test(bad, test_error_exec);
	tcase_add_test(bad, test_error_duplicates);
	tcase_add_test(bad, test_error_names);
	tcase_add_test(bad, test_error_key_before_section);
	tcase_add_test(bad, test_error_syntax);
	tcase_add_test(bad, test_error_line_too_long);
	tcase_add_test(bad, test_error_include_cycle);
	tcase_add_test(bad, test_error_no_listen);
	tcase_add_test(bad, test_error_no_function);
	tcase_add_test(bad, test_error_listen_and_clients);
	tcase_add_test(bad, test_error_admin_keys);
	tcase_add_test(bad, test_error_cannot_open);
	tcase_add_test(bad, test_error_truncated);
	tcase_add_test(bad, test_error_include_depth);
	tcase_add_test(bad, test_error_global_key_twice_across_files);
	tcase_add_test(bad, test_error_include_outside_global);
	tcase_add_test(bad, test_error_odd_lines);
	tcase_add_test(parse, test_parse_duration);
	tcase_add_test(parse, test_parse_duration_overflow);
	tcase_add_test(parse, test_parse_size);
	suite_add_tcase(s, good);
	suite_add_tcase(s, bad);
	suite_add_tcase(s, parse);
	return s;
}

int main(void)
{
	return config_check_run(config_suite());
}
