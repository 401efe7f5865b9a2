/*
 * check_config.c: the configuration loader against the fixtures in
 * tests/config/ (run from the repository root, as `make unit` does) and
 * against files written to a mkdtemp() directory.
 *
 * Error tests assert the whole error text where it is stable, so that a
 * message, its file:line or the order of errors cannot drift unnoticed.
 */
#include <check.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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


/* Loads path, which must succeed. */
static struct gateway_conf *load_ok(const char *path)
{
	struct gateway_conf *conf = NULL;
	char err[4096];
	int rc = config_load(path, &conf, err, sizeof(err));

	ck_assert_msg(rc == 0, "%s failed:\n%s", path, err);
	ck_assert_ptr_nonnull(conf);
	return conf;
}

/* Loads path, which must fail; its errors are left in err. */
static void load_fails(const char *path, char *err, size_t err_len)
{
	struct gateway_conf *conf = (struct gateway_conf *)1;

	ck_assert_int_eq(config_load(path, &conf, err, err_len), -1);
	ck_assert_ptr_null(conf);
}

/* Asserts that loading path fails with exactly the errors expected. */
static void assert_errors(const char *path, const char *expected)
{
	char err[8192];

	load_fails(path, err, sizeof(err));
	ck_assert_str_eq(err, expected);
}

/* The absolute form of a fixture path, as the loader stores it. */
static const char *fixture_abs(const char *rel, char *buf)
{
	char dir[PATH_MAX];

	ck_assert_ptr_nonnull(realpath(FIXTURES, dir));
	format(buf, PATH_MAX, "%s/%s", dir, rel);
	return buf;
}

/* Writes len bytes of text to dir/name and returns the path in buf. */
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

static const char *write_file(const char *dir, const char *name, const char *text, char *buf)
{
	return write_bytes(dir, name, text, strlen(text), buf);
}

/* Loads text written to a temporary main.ini; returns 0 or -1 with err filled. */
static int load_text(const char *text, size_t len, char *err, size_t err_len,
    struct gateway_conf **conf, char *path)
{
	char tmpl[] = "/tmp/check_config.XXXXXX";
	char *dir = mkdtemp(tmpl);
	int rc;

	ck_assert_ptr_nonnull(dir);
	write_bytes(dir, "main.ini", text, len, path);
	rc = config_load(path, conf, err, err_len);
	unlink(path);
	rmdir(dir);
	return rc;
}

START_TEST(test_minimal_defaults)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_minimal.ini");
	const struct function_conf *fn;
	char abs[PATH_MAX];

	ck_assert_uint_eq(conf->listen_count, 1);
	ck_assert_str_eq(conf->listen[0], "127.0.0.1:9000");
	ck_assert_uint_eq(conf->allowed_client_count, 0);
	ck_assert_uint_eq(conf->listen_mode, 0660);
	ck_assert_int_eq(conf->listen_backlog, 511);
	ck_assert_str_eq(conf->run_dir, "/run/gatewayd");
	ck_assert_int_eq(conf->log_level, LOG_LEVEL_INFO);
	ck_assert_uint_eq(conf->max_connections, 1024);
	ck_assert_uint_eq(conf->max_params, 64 * 1024);
	ck_assert_uint_eq(conf->function_count, 1);
	fn = &conf->functions[0];
	ck_assert_str_eq(fn->name, "echo");
	ck_assert_str_eq(fn->exec, "bin/handler");
	ck_assert_str_eq(fn->argv[0], fixture_abs("bin/handler", abs));
	ck_assert_ptr_null(fn->argv[1]);
	ck_assert_ptr_null(fn->script);
	ck_assert_ptr_null(fn->route);
	ck_assert_int_eq(fn->pm, PM_STATIC);
	ck_assert_uint_eq(fn->max_children, 4);
	ck_assert_uint_eq(fn->max_requests, 0);
	ck_assert_uint_eq(fn->queue_max, 512);
	ck_assert_double_eq(fn->queue_timeout, 30);
	ck_assert_uint_eq(fn->max_body, 8 * 1024 * 1024);
	ck_assert_uint_eq(fn->env_count, 0);
	ck_assert_uint_eq(fn->param_count, 0);
	ck_assert_str_eq(fn->file, FIXTURES "good_minimal.ini");
	ck_assert_uint_eq(fn->line, 5);
	config_free(conf);
}
END_TEST

/* The defaults of the pool, timeout and crash-loop keys, and of [global]'s. */
START_TEST(test_pool_defaults)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_minimal.ini");
	const struct function_conf *fn = &conf->functions[0];

	ck_assert_double_eq(conf->shutdown_timeout, 30);
	ck_assert_double_eq(conf->read_timeout, 60);
	ck_assert_double_eq(conf->idle_timeout, 300);
	ck_assert_ptr_null(conf->pid_file);
	ck_assert_int_eq(fn->mode, FUNCTION_FASTCGI);
	ck_assert_int_eq(fn->pm, PM_STATIC);
	ck_assert_uint_eq(fn->min_spare, 1);
	ck_assert_uint_eq(fn->max_spare, 3);
	ck_assert_uint_eq(fn->start_servers, 2);	/* 1 + (3 - 1) / 2, as PHP-FPM */
	ck_assert_double_eq(fn->idle_timeout, 10);
	ck_assert_uint_eq(fn->max_spawn_rate, 32);
	ck_assert_uint_eq(fn->max_memory, 0);
	ck_assert_double_eq(fn->request_timeout, 60);
	ck_assert_double_eq(fn->spawn_timeout, 10);
	ck_assert_uint_eq(fn->crash_limit, 5);
	ck_assert_double_eq(fn->crash_window, 10);
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
	config_free(conf);
}
END_TEST

/* pm = dynamic with every key set, then with the defaults and a computed start. */
START_TEST(test_pool_dynamic)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_pool.ini");
	const struct function_conf *fn = &conf->functions[0];

	ck_assert_str_eq(fn->name, "dyn");
	ck_assert_int_eq(fn->mode, FUNCTION_FASTCGI);
	ck_assert_int_eq(fn->pm, PM_DYNAMIC);
	ck_assert_uint_eq(fn->max_children, 20);
	ck_assert_uint_eq(fn->start_servers, 4);
	ck_assert_uint_eq(fn->min_spare, 2);
	ck_assert_uint_eq(fn->max_spare, 8);
	ck_assert_double_eq(fn->idle_timeout, 30);
	ck_assert_uint_eq(fn->max_spawn_rate, 8);
	ck_assert_uint_eq(fn->max_requests, 500);
	ck_assert_uint_eq(fn->max_memory, 256 * 1024 * 1024);
	ck_assert_double_eq(fn->request_timeout, 120);
	ck_assert_double_eq_tol(fn->spawn_timeout, 0.5, 1e-12);
	ck_assert_uint_eq(fn->crash_limit, 3);
	ck_assert_double_eq(fn->crash_window, 60);

	fn = &conf->functions[1];
	ck_assert_str_eq(fn->name, "dyn-defaults");
	ck_assert_int_eq(fn->pm, PM_DYNAMIC);
	ck_assert_uint_eq(fn->max_children, 4);
	ck_assert_uint_eq(fn->min_spare, 1);
	ck_assert_uint_eq(fn->max_spare, 3);
	ck_assert_uint_eq(fn->start_servers, 2);

	fn = &conf->functions[2];
	ck_assert_str_eq(fn->name, "dyn-computed");
	ck_assert_uint_eq(fn->min_spare, 2);
	ck_assert_uint_eq(fn->max_spare, 7);
	ck_assert_uint_eq(fn->start_servers, 4);
	config_free(conf);
}
END_TEST

START_TEST(test_pool_ondemand)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_pool.ini");
	const struct function_conf *fn = &conf->functions[3];

	ck_assert_str_eq(fn->name, "lazy");
	ck_assert_int_eq(fn->pm, PM_ONDEMAND);
	ck_assert_uint_eq(fn->max_children, 50);
	ck_assert_double_eq_tol(fn->idle_timeout, 2.5, 1e-12);
	ck_assert_uint_eq(fn->max_spawn_rate, 1024);
	ck_assert_double_eq(fn->request_timeout, 0);	/* no limit */
	ck_assert_double_eq(fn->spawn_timeout, 0);
	config_free(conf);
}
END_TEST

/* mode = cgi with pm = static, and with pm left out. */
START_TEST(test_pool_cgi)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_pool.ini");
	const struct function_conf *fn = &conf->functions[4];

	ck_assert_str_eq(fn->name, "cgi");
	ck_assert_int_eq(fn->mode, FUNCTION_CGI);
	ck_assert_int_eq(fn->pm, PM_STATIC);
	ck_assert_uint_eq(fn->max_children, 16);
	ck_assert_double_eq(fn->request_timeout, 5);
	fn = &conf->functions[5];
	ck_assert_str_eq(fn->name, "cgi-bare");
	ck_assert_int_eq(fn->mode, FUNCTION_CGI);
	ck_assert_int_eq(fn->pm, PM_STATIC);
	ck_assert_uint_eq(fn->max_children, 4);
	config_free(conf);
}
END_TEST

START_TEST(test_full_global)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_full.ini");
	char abs[PATH_MAX];

	ck_assert_uint_eq(conf->listen_count, 5);
	ck_assert_str_eq(conf->listen[0], fixture_abs("gatewayd.sock", abs));
	ck_assert_str_eq(conf->listen[1], "/run/gatewayd/gw.sock");
	ck_assert_str_eq(conf->listen[2], "127.0.0.1:9000");
	ck_assert_str_eq(conf->listen[3], "[::1]:9001");
	ck_assert_str_eq(conf->listen[4], "localhost:9002");
	ck_assert_uint_eq(conf->allowed_client_count, 3);
	ck_assert_str_eq(conf->allowed_clients[0], "127.0.0.1");
	ck_assert_str_eq(conf->allowed_clients[1], "::1");
	ck_assert_str_eq(conf->allowed_clients[2], "10.0.0.2");
	ck_assert_uint_eq(conf->listen_mode, 0600);
	ck_assert_int_eq(conf->listen_backlog, 128);
	ck_assert_str_eq(conf->run_dir, fixture_abs("run", abs));
	ck_assert_int_eq(conf->log_level, LOG_LEVEL_DEBUG);
	ck_assert_uint_eq(conf->max_connections, 2048);
	ck_assert_uint_eq(conf->max_params, 128 * 1024);
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
	ck_assert_str_eq(fn->exec, "./bin/handler --flag\tvalue");
	ck_assert_str_eq(fn->argv[0], fixture_abs("bin/handler", abs));
	ck_assert_str_eq(fn->argv[1], "--flag");
	ck_assert_str_eq(fn->argv[2], "value");
	ck_assert_ptr_null(fn->argv[3]);
	ck_assert_str_eq(fn->script, fixture_abs("bin/app.php", abs));
	ck_assert_str_eq(fn->route, "/api/echo");
	ck_assert_int_eq(fn->pm, PM_STATIC);
	ck_assert_uint_eq(fn->max_children, 8);
	ck_assert_uint_eq(fn->max_requests, 10000);
	ck_assert_uint_eq(fn->queue_max, 0);
	ck_assert_double_eq_tol(fn->queue_timeout, 0.5, 1e-9);
	ck_assert_uint_eq(fn->max_body, 1024 * 1024);
	ck_assert_uint_eq(fn->env_count, 3);
	ck_assert_str_eq(fn->env[0].name, "DB_HOST");
	ck_assert_str_eq(fn->env[0].value, "127.0.0.1");
	ck_assert_str_eq(fn->env[1].name, "_X1");
	ck_assert_str_eq(fn->env[1].value, "second");
	ck_assert_str_eq(fn->env[2].name, "EQ");
	ck_assert_str_eq(fn->env[2].value, "a=b;c");
	ck_assert_uint_eq(fn->param_count, 2);
	ck_assert_str_eq(fn->params[0].name, "HTTP X");
	ck_assert_str_eq(fn->params[0].value, "a b c");
	ck_assert_str_eq(fn->params[1].name, "EMPTY");
	ck_assert_str_eq(fn->params[1].value, "");
	ck_assert_uint_eq(fn->line, 16);

	fn = &conf->functions[1];
	ck_assert_str_eq(fn->name, "root.fn-2");
	ck_assert_str_eq(fn->argv[0], "/bin/true");
	ck_assert_str_eq(fn->route, "/");
	ck_assert_double_eq(fn->queue_timeout, 0);
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
	ck_assert_str_eq(conf->functions[1].argv[0],
	    fixture_abs("inc.d/sub/../../bin/handler", abs));
	ck_assert_str_eq(conf->functions[1].script, fixture_abs("bin/app.php", abs));
	ck_assert_str_eq(conf->functions[2].argv[0], fixture_abs("inc.d/../bin/handler", abs));
	/* [global] merged from an included file */
	ck_assert_uint_eq(conf->max_connections, 10);
	ck_assert_int_eq(conf->log_level, LOG_LEVEL_WARN);
	ck_assert_str_eq(conf->listen[0], "/tmp/gatewayd-check.sock");
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
	    "tests/config/err_missing_exec.ini:4: missing exec in [echo]\n");
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
	ck_assert_str_eq(conf->listen[0], "127.0.0.1:9000");
	ck_assert_str_eq(conf->functions[0].route, "/fn");
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
	    "%s:5: missing exec in [empty]\n", path, path, path);
	ck_assert_str_eq(err, expected);
}
END_TEST

/* The sandbox keys' defaults: the default seccomp profile, no core dumps, a clean env. */
START_TEST(test_sandbox_defaults)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_minimal.ini");
	const struct function_conf *fn = &conf->functions[0];
	int i;

	ck_assert_str_eq(fn->seccomp, "default");
	ck_assert_ptr_null(fn->seccomp_allow);
	ck_assert_ptr_null(fn->seccomp_deny);
	ck_assert(fn->seccomp_kill);
	for (i = 0; i < CONF_LIMIT_COUNT; i++)
		ck_assert_int_eq(fn->limits[i].set, i == CONF_LIMIT_CORE);
	ck_assert_uint_eq(fn->limits[CONF_LIMIT_CORE].value, 0);
	ck_assert(!fn->identity.set);
	ck_assert_ptr_null(fn->identity.user);
	ck_assert(!fn->allow_root);
	ck_assert_ptr_null(fn->chdir);
	ck_assert_ptr_null(fn->chroot);
	ck_assert(fn->clear_env);
	ck_assert_ptr_null(fn->env_file);
	ck_assert(!fn->network_none);
	ck_assert(!conf->identity.set);
	ck_assert_ptr_null(conf->identity.user);
	config_free(conf);
}
END_TEST

START_TEST(test_sandbox_full)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_sandbox.ini");
	const struct function_conf *fn = &conf->functions[0];
	char abs[PATH_MAX];

	ck_assert(conf->identity.set);
	ck_assert_str_eq(conf->identity.user, "nobody");
	ck_assert_uint_eq(conf->identity.uid, 65534);
	ck_assert_uint_eq(conf->identity.gid, 65534);

	ck_assert_str_eq(fn->name, "boxed");
	ck_assert_str_eq(fn->seccomp, fixture_abs("profile.seccomp", abs));
	ck_assert_str_eq(fn->seccomp_allow, "@network-io, sendfile");
	ck_assert_str_eq(fn->seccomp_deny, "ptrace  @mount");
	ck_assert(!fn->seccomp_kill);
	ck_assert(fn->limits[CONF_LIMIT_MEMORY].set);
	ck_assert_uint_eq(fn->limits[CONF_LIMIT_MEMORY].value, 256ULL << 20);
	ck_assert(fn->limits[CONF_LIMIT_CPU].set);
	ck_assert_uint_eq(fn->limits[CONF_LIMIT_CPU].value, 2);	/* 1.5 s rounded up */
	ck_assert(fn->limits[CONF_LIMIT_FILES].set);
	ck_assert_uint_eq(fn->limits[CONF_LIMIT_FILES].value, 1024);
	ck_assert(fn->limits[CONF_LIMIT_PROCS].set);
	ck_assert_uint_eq(fn->limits[CONF_LIMIT_PROCS].value, 64);
	ck_assert(fn->limits[CONF_LIMIT_CORE].set);
	ck_assert_uint_eq(fn->limits[CONF_LIMIT_CORE].value, 1ULL << 20);
	ck_assert(fn->limits[CONF_LIMIT_FSIZE].set);
	ck_assert_uint_eq(fn->limits[CONF_LIMIT_FSIZE].value, 10ULL << 20);
	ck_assert(fn->identity.set);
	ck_assert_str_eq(fn->identity.user, "nobody");
	ck_assert_uint_eq(fn->identity.uid, 65534);
	ck_assert_uint_eq(fn->identity.gid, 65534);
	ck_assert(!fn->allow_root);
	/* Under chroot, chdir is a path inside the jail, kept as written. */
	ck_assert_str_eq(fn->chdir, "/sub");
	ck_assert_str_eq(fn->chroot, fixture_abs("inc.d", abs));
	ck_assert(!fn->clear_env);
	ck_assert(fn->network_none);

	/* group = before user = and allow_root = after it: order does not matter. */
	fn = &conf->functions[2];
	ck_assert_str_eq(fn->name, "rooted");
	ck_assert_str_eq(fn->seccomp, "off");
	ck_assert_uint_eq(fn->identity.uid, 0);
	ck_assert_uint_eq(fn->identity.gid, 65534);
	ck_assert(fn->allow_root);
	ck_assert_uint_eq(fn->limits[CONF_LIMIT_CPU].value, 120);
	config_free(conf);
}
END_TEST

/* unlimited for every limit; a numeric uid takes its primary group from passwd. */
START_TEST(test_sandbox_unlimited)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_sandbox.ini");
	const struct function_conf *fn = &conf->functions[1];
	int i;

	ck_assert_str_eq(fn->name, "open");
	ck_assert_str_eq(fn->seccomp, "strict");
	ck_assert(fn->seccomp_kill);
	for (i = 0; i < CONF_LIMIT_COUNT; i++) {
		ck_assert(fn->limits[i].set);
		ck_assert_uint_eq(fn->limits[i].value, (unsigned long long)RLIM_INFINITY);
	}
	ck_assert(fn->identity.set);
	ck_assert_str_eq(fn->identity.user, "65534");
	ck_assert_uint_eq(fn->identity.uid, 65534);
	ck_assert_uint_eq(fn->identity.gid, 65534);
	ck_assert(fn->allow_root);
	ck_assert(fn->clear_env);
	ck_assert(!fn->network_none);
	config_free(conf);
}
END_TEST

/* [global] may run as root: only functions need allow_root. */
START_TEST(test_global_root)
{
	static const char text[] = "[global]\nlisten = 127.0.0.1:9000\nuser = root\n"
	    "[fn]\nexec = /bin/true\n";
	struct gateway_conf *conf;
	char err[1024], path[PATH_MAX];

	ck_assert_msg(load_text(text, sizeof(text) - 1, err, sizeof(err), &conf, path) == 0,
	    "%s", err);
	ck_assert(conf->identity.set);
	ck_assert_uint_eq(conf->identity.uid, 0);
	ck_assert_uint_eq(conf->identity.gid, 0);
	ck_assert(!conf->functions[0].identity.set);
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

/* Every bad sandbox value, then the checks made when each section ends. */
START_TEST(test_error_sandbox)
{
	const char *size = "must be a size (bytes, or a number with K, M or G) or unlimited\n";
	char expected[8192], a[PATH_MAX], b[PATH_MAX], c[PATH_MAX];

	format(expected, sizeof(expected),
	    "tests/config/err_sandbox.ini:7: seccomp = missing.seccomp: %s: No such file or directory\n"
	    "tests/config/err_sandbox.ini:8: seccomp.action = trap: must be kill or errno\n"
	    "tests/config/err_sandbox.ini:9: seccomp.allow = : must not be empty\n"
	    "tests/config/err_sandbox.ini:11: seccomp.deny = mount: already set in [echo]\n"
	    "tests/config/err_sandbox.ini:12: limit.memory = 512K: must be at least 1M, or unlimited\n"
	    "tests/config/err_sandbox.ini:13: limit.cpu = 500ms: must be between 1s and 4294967295s, or unlimited\n"
	    "tests/config/err_sandbox.ini:14: limit.files = 0: must be a whole number between 1 and 1048576, or unlimited\n"
	    "tests/config/err_sandbox.ini:15: limit.procs = many: must be a whole number between 1 and 4194304, or unlimited\n"
	    "tests/config/err_sandbox.ini:16: limit.core = -1: %s"
	    "tests/config/err_sandbox.ini:17: limit.fsize = 1T: %s"
	    "tests/config/err_sandbox.ini:18: user = nosuchuser-gw: no such user\n"
	    "tests/config/err_sandbox.ini:19: allow_root = maybe: must be yes or no\n"
	    "tests/config/err_sandbox.ini:20: chdir = nowhere: %s: No such file or directory\n"
	    "tests/config/err_sandbox.ini:21: chroot = bin/handler: %s is not a directory\n"
	    "tests/config/err_sandbox.ini:22: network = bridge: must be none or host\n"
	    "tests/config/err_sandbox.ini:27: seccomp = : must be default, strict, off or a profile path\n"
	    "tests/config/err_sandbox.ini:26: group = nogroup needs user =\n"
	    "tests/config/err_sandbox.ini:32: group = nosuchgroup-gw: no such group\n"
	    "tests/config/err_sandbox.ini:31: user = root: function runs as root: set user = or allow_root = yes\n"
	    "tests/config/err_sandbox.ini:37: limit.procs = 4194305: must be a whole number between 1 and 4194304, or unlimited\n"
	    "tests/config/err_sandbox.ini:38: limit.cpu = 5d: must be a duration such as 30s, 2m, 1h, or unlimited\n"
	    "tests/config/err_sandbox.ini:36: user = 4242: uid 4242 has no passwd entry, so no primary group: set group =\n"
	    "tests/config/err_sandbox.ini:42: user = 4294967295: must be a user name or a uid below 4294967295\n"
	    "tests/config/err_sandbox.ini:43: group = 4294967295: must be a group name or a gid below 4294967295\n"
	    "tests/config/err_sandbox.ini:3: group = nogroup needs user =\n",
	    fixture_abs("missing.seccomp", a), size, size, fixture_abs("nowhere", b),
	    fixture_abs("bin/handler", c));
	assert_errors(FIXTURES "err_sandbox.ini", expected);
}
END_TEST

/* A temporary directory with main.ini and app.env (mode env_mode) in it. */
struct env_dir {
	char tmpl[32];
	char main[PATH_MAX];
	char env[PATH_MAX];	/* app.env's realpath(), as the loader stores it */
};

static void env_dir_make(struct env_dir *d, const char *ini, const char *env, mode_t env_mode)
{
	char path[PATH_MAX];

	strcpy(d->tmpl, "/tmp/check_config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d->tmpl));
	write_file(d->tmpl, "app.env", env, path);
	ck_assert_int_eq(chmod(path, env_mode), 0);
	ck_assert_ptr_nonnull(realpath(path, d->env));
	write_file(d->tmpl, "main.ini", ini, d->main);
}

static void env_dir_remove(struct env_dir *d)
{
	char path[PATH_MAX];

	format(path, sizeof(path), "%s/app.env", d->tmpl);
	unlink(path);
	unlink(d->main);
	rmdir(d->tmpl);
}

/* env_file pairs come first; env[NAME] replaces them wherever it stands. */
START_TEST(test_env_file_merge)
{
	struct env_dir d;
	struct gateway_conf *conf;
	const struct function_conf *fn;

	env_dir_make(&d, "[global]\nlisten = 127.0.0.1:9000\n[fn]\nexec = /bin/true\n"
	    "env[B] = from-ini\nenv_file = ./app.env\nenv[C] = ini-only\nenv[A] = ini-wins\n",
	    "# secrets\n\nA=file-a\nB=file-b\n   # indented comment\nD=x=y \nA=file-a2\r\nE=\n",
	    0640);
	conf = load_ok(d.main);
	fn = &conf->functions[0];
	ck_assert_str_eq(fn->env_file, d.env);
	ck_assert_uint_eq(fn->env_count, 5);
	ck_assert_str_eq(fn->env[0].name, "A");
	ck_assert_str_eq(fn->env[0].value, "ini-wins");
	ck_assert_str_eq(fn->env[1].name, "B");
	ck_assert_str_eq(fn->env[1].value, "from-ini");
	ck_assert_str_eq(fn->env[2].name, "D");
	ck_assert_str_eq(fn->env[2].value, "x=y ");
	ck_assert_str_eq(fn->env[3].name, "E");
	ck_assert_str_eq(fn->env[3].value, "");
	ck_assert_str_eq(fn->env[4].name, "C");
	ck_assert_str_eq(fn->env[4].value, "ini-only");
	config_free(conf);
	env_dir_remove(&d);
}
END_TEST

START_TEST(test_error_env_file_world_readable)
{
	struct env_dir d;
	char expected[2 * PATH_MAX];

	env_dir_make(&d, "[global]\nlisten = 127.0.0.1:9000\n[fn]\nexec = /bin/true\n"
	    "env_file = app.env\n", "A=1\n", 0644);
	format(expected, sizeof(expected),
	    "%s:5: env_file %s is readable by everyone: chmod o-r\n", d.main, d.env);
	assert_errors(d.main, expected);
	env_dir_remove(&d);
}
END_TEST

/* Bad lines name the env_file's own path:line, every one of them. */
START_TEST(test_error_env_file_lines)
{
	struct env_dir d;
	char expected[4 * PATH_MAX];

	env_dir_make(&d, "[global]\nlisten = 127.0.0.1:9000\n[fn]\nexec = /bin/true\n"
	    "env_file = app.env\nenv_file = app.env\n",
	    "OK=1\nexport X=1\nNOEQUALS\n1BAD=x\n KEY=x\n", 0600);
	format(expected, sizeof(expected),
	    "%s:2: \"export\" is not supported: write KEY=VALUE\n"
	    "%s:3: expected KEY=VALUE\n"
	    "%s:4: bad KEY \"1BAD\": use A-Z a-z 0-9 _ and do not start with a digit\n"
	    "%s:5: bad KEY \" KEY\": use A-Z a-z 0-9 _ and do not start with a digit\n"
	    "%s:6: env_file = app.env: already set in [fn]\n",
	    d.env, d.env, d.env, d.env, d.main);
	assert_errors(d.main, expected);
	env_dir_remove(&d);
}
END_TEST

/* chdir comes after chroot in the worker, so it is checked inside the jail. */
START_TEST(test_error_chdir_in_chroot)
{
	char expected[4096], sub[PATH_MAX], jail[PATH_MAX];

	format(expected, sizeof(expected),
	    "tests/config/err_chroot_chdir.ini:8: chdir = %s: must be absolute with chroot "
	    "(it is looked up inside the jail)\n"
	    "tests/config/err_chroot_chdir.ini:13: chdir = /no-such-dir: %s/no-such-dir is not a "
	    "directory\n"
	    "tests/config/err_chroot_chdir.ini:19: chdir = /no-such-dir-on-host: "
	    "/no-such-dir-on-host is not a directory\n",
	    fixture_abs("inc.d/sub", sub), fixture_abs("inc.d", jail));
	assert_errors(FIXTURES "err_chroot_chdir.ini", expected);
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
	TCase *good = tcase_create("good"), *bad = tcase_create("errors");
	TCase *parse = tcase_create("parse");

	tcase_add_test(good, test_minimal_defaults);
	tcase_add_test(good, test_full_global);
	tcase_add_test(good, test_full_function);
	tcase_add_test(good, test_find_function);
	tcase_add_test(good, test_include_glob_order);
	tcase_add_test(good, test_bom_crlf);
	tcase_add_test(good, test_sandbox_defaults);
	tcase_add_test(good, test_sandbox_full);
	tcase_add_test(good, test_sandbox_unlimited);
	tcase_add_test(good, test_global_root);
	tcase_add_test(good, test_env_file_merge);
	tcase_add_test(good, test_pool_defaults);
	tcase_add_test(good, test_pool_global);
	tcase_add_test(good, test_pool_dynamic);
	tcase_add_test(good, test_pool_ondemand);
	tcase_add_test(good, test_pool_cgi);
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
	tcase_add_test(bad, test_error_cannot_open);
	tcase_add_test(bad, test_error_truncated);
	tcase_add_test(bad, test_error_include_depth);
	tcase_add_test(bad, test_error_global_key_twice_across_files);
	tcase_add_test(bad, test_error_include_outside_global);
	tcase_add_test(bad, test_error_odd_lines);
	tcase_add_test(bad, test_error_sandbox);
	tcase_add_test(bad, test_error_env_file_world_readable);
	tcase_add_test(bad, test_error_env_file_lines);
	tcase_add_test(bad, test_error_chdir_in_chroot);
	tcase_add_test(bad, test_error_pool_values);
	tcase_add_test(bad, test_error_pool_dynamic);
	tcase_add_test(bad, test_error_pool_applies);
	tcase_add_test(bad, test_pid_path);
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
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
