/*
 * check_config_async.c: the async keys of the configuration loader
 * (gatewayd/config_async.c): their defaults, every key parsed, and each
 * error with its exact file:line, against the fixtures in tests/config/ (run
 * from the repository root, as `make unit` does) and against files written
 * to a mkdtemp() directory.
 */
#include <check.h>

#include "config_check.h"

/* The "only applies" message for each async.* key, and the missing journal's. */
#define ONLY_ASYNC " only applies with async = on or only\n"
#define NEEDS_JOURNAL " needs [global] async.journal = PATH or async.backend = nats (accepted jobs must survive a restart)\n"

/* A config a test adds lines to: [global] first, then one async function. */
#define HEAD "[global]\nlisten = 127.0.0.1:9000\n"

/*
 * load_text_in() of a NUL-terminated text, in a directory that also holds
 * an empty journal.d for async.journal to name; dir and path as there.
 */
static int load_async(const char *text, char *err, size_t err_len,
    struct gateway_conf **conf, char *dir, char *path)
{
	return load_text_in("journal.d", text, strlen(text), err, err_len, conf, dir, path);
}

/* The async.* values a function has when it sets none of them. */
static void assert_async_defaults(const struct function_conf *fn)
{
	ck_assert_uint_eq(fn->async.queue_size, 1000);
	ck_assert_uint_eq(fn->async.max_attempts, 3);
	ck_assert_uint_eq(fn->async.max_body, 1024 * 1024);
	ck_assert_uint_eq(fn->async.max_concurrency, 0);
	ck_assert_uint_eq(fn->async.result_max, 1024 * 1024);
	ck_assert_double_eq(fn->async.result_ttl, 3600);
	ck_assert_uint_eq(fn->async.results_max, 1000);
	ck_assert_uint_eq(fn->async.results_memory, 64 * 1024 * 1024);
	ck_assert_double_eq(fn->async.retry_delay, 1);
}

/* A function without async keys: async = off, and every default. */
START_TEST(test_async_defaults)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_minimal.ini");
	const struct function_conf *fn = &conf->functions[0];

	ck_assert_ptr_null(conf->async_journal);
	ck_assert_int_eq(conf->async_fsync, JOURNAL_FSYNC_BATCH);
	ck_assert_double_eq_tol(conf->async_fsync_interval, 0.01, 1e-12);
	ck_assert_int_eq(fn->async.mode, ASYNC_OFF);
	assert_async_defaults(fn);
	config_free(conf);
}
END_TEST

/* Every key set (at the top of its range), async = only with defaults, cgi, off. */
START_TEST(test_async_keys)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_async.ini");
	const struct function_conf *fn;
	char abs[PATH_MAX];

	ck_assert_str_eq(conf->async_journal, fixture_abs("gatewayd.journal", abs));
	ck_assert_int_eq(conf->async_fsync, JOURNAL_FSYNC_ALWAYS);
	ck_assert_double_eq(conf->async_fsync_interval, 10);
	ck_assert_uint_eq(conf->function_count, 4);

	fn = &conf->functions[0];
	ck_assert_str_eq(fn->name, "full");
	ck_assert_int_eq(fn->async.mode, ASYNC_ON);
	ck_assert_uint_eq(fn->async.queue_size, 1000000);
	ck_assert_uint_eq(fn->async.max_attempts, 100);
	ck_assert_uint_eq(fn->async.max_body, 16 * 1024 * 1024);
	ck_assert_uint_eq(fn->async.max_concurrency, 8);
	ck_assert_uint_eq(fn->async.result_max, 64 * 1024 * 1024);
	ck_assert_double_eq(fn->async.result_ttl, 1800);
	ck_assert_double_eq_tol(fn->async.retry_delay, 0.5, 1e-12);

	fn = &conf->functions[1];
	ck_assert_str_eq(fn->name, "only");
	ck_assert_int_eq(fn->async.mode, ASYNC_ONLY);
	assert_async_defaults(fn);

	fn = &conf->functions[2];
	ck_assert_str_eq(fn->name, "cgi");
	ck_assert_int_eq(fn->pool.mode, FUNCTION_CGI);
	ck_assert_int_eq(fn->async.mode, ASYNC_ON);
	ck_assert_uint_eq(fn->async.result_max, 0);
	ck_assert_uint_eq(fn->async.max_body, 0);

	fn = &conf->functions[3];
	ck_assert_str_eq(fn->name, "sync");
	ck_assert_int_eq(fn->async.mode, ASYNC_OFF);
	config_free(conf);
}
END_TEST

/* async.fsync's three values; async.fsync_interval at its bounds and in its units. */
START_TEST(test_async_fsync)
{
	static const struct {
		const char *line;
		enum journal_fsync fsync;
		double interval;
	} good[] = {
		{ "async.fsync = always\n", JOURNAL_FSYNC_ALWAYS, 0.01 },
		{ "async.fsync = batch\n", JOURNAL_FSYNC_BATCH, 0.01 },
		{ "async.fsync = off\n", JOURNAL_FSYNC_OFF, 0.01 },
		{ "async.fsync_interval = 10ms\n", JOURNAL_FSYNC_BATCH, 0.01 },
		{ "async.fsync_interval = 1ms\n", JOURNAL_FSYNC_BATCH, 0.001 },
		{ "async.fsync_interval = 0.25\n", JOURNAL_FSYNC_BATCH, 0.25 },
		{ "async.fsync_interval = 10000ms\n", JOURNAL_FSYNC_BATCH, 10 },
	};
	struct gateway_conf *conf;
	char text[512], err[1024], dir[PATH_MAX], path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		format(text, sizeof(text), HEAD "%s[fn]\nexec = /bin/true\n", good[i].line);
		ck_assert_msg(load_async(text, err, sizeof(err), &conf, dir, path) == 0, "%s: %s",
		    good[i].line, err);
		ck_assert_int_eq(conf->async_fsync, good[i].fsync);
		ck_assert_double_eq_tol(conf->async_fsync_interval, good[i].interval, 1e-12);
		config_free(conf);
	}
}
END_TEST

/* async.journal: relative to the file and stored absolute; the file need not exist. */
START_TEST(test_async_journal_path)
{
	struct gateway_conf *conf;
	char err[1024], dir[PATH_MAX], path[PATH_MAX], expected[PATH_MAX + 32];

	ck_assert_msg(load_async(HEAD "async.journal = ./async.journal\n[fn]\nexec = /bin/true\n"
	    "async = on\n", err, sizeof(err), &conf, dir, path) == 0, "%s", err);
	format(expected, sizeof(expected), "%s/async.journal", dir);	/* /tmp is no symlink here */
	ck_assert_str_eq(conf->async_journal, expected);
	ck_assert_int_eq(conf->functions[0].async.mode, ASYNC_ON);
	config_free(conf);

	ck_assert_msg(load_async(HEAD "async.journal = /gatewayd.journal\n[fn]\nexec = /bin/true\n"
	    "async = only\n", err, sizeof(err), &conf, dir, path) == 0, "%s", err);
	ck_assert_str_eq(conf->async_journal, "/gatewayd.journal");
	config_free(conf);
}
END_TEST

/* Every bad async value, in [global] and in functions. */
START_TEST(test_error_async_values)
{
	const char *positive = "must be a duration above 0 such as 10s, 500ms, 2m, 1h or a number "
	    "of seconds\n";
	const char *size_1g = "must be a size between 0 and 1G (bytes, or a number with K, M or G)\n";
	const char *size_64m = "must be a size between 0 and 64M (bytes, or a number with K, M or "
	    "G)\n";
	char expected[8192];

	format(expected, sizeof(expected),
	    "tests/config/err_async_values.ini:4: async.journal = spool/: must be the path of a file\n"
	    "tests/config/err_async_values.ini:5: async.fsync = sometimes: must be always, batch or off\n"
	    "tests/config/err_async_values.ini:6: async.fsync_interval = 0: must be a duration above 0 and at most 10s such as 10ms, 500ms or 1s\n"
	    "tests/config/err_async_values.ini:10: async = maybe: must be off, on or only\n"
	    "tests/config/err_async_values.ini:16: async.queue_size = 0: must be between 1 and 1000000\n"
	    "tests/config/err_async_values.ini:17: async.max_attempts = 101: must be between 1 and 100\n"
	    "tests/config/err_async_values.ini:18: async.max_body = 2G: must be between 0 and 1G\n"
	    "tests/config/err_async_values.ini:19: async.max_concurrency = 4097: must be between 0 and 4096\n"
	    "tests/config/err_async_values.ini:20: async.result_max = 65M: must be between 0 and 64M\n"
	    "tests/config/err_async_values.ini:21: async.result_ttl = 0: %s"
	    "tests/config/err_async_values.ini:22: async.retry_delay = soon: %s"
	    "tests/config/err_async_values.ini:27: async.queue_size = 1000001: must be between 1 and 1000000\n"
	    "tests/config/err_async_values.ini:28: async.max_attempts = 0: must be between 1 and 100\n"
	    "tests/config/err_async_values.ini:29: async.max_body = 1.5M: %s"
	    "tests/config/err_async_values.ini:30: async.max_concurrency = -1: must be a whole number between 0 and 4096\n"
	    "tests/config/err_async_values.ini:31: async.result_max = 1T: %s"
	    "tests/config/err_async_values.ini:32: async.result_ttl = 1d: %s"
	    "tests/config/err_async_values.ini:33: async.retry_delay = 0ms: %s"
	    "tests/config/err_async_values.ini:34: async = on: already set in [more]\n",
	    positive, positive, size_1g, size_64m, positive, positive);
	assert_errors(FIXTURES "err_async_values.ini", expected);
}
END_TEST

/* async.results_max and async.results_memory at the ends of their ranges. */
START_TEST(test_async_results_bounds)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_async_results.ini");

	ck_assert_uint_eq(conf->function_count, 2);
	ck_assert_uint_eq(conf->functions[0].async.results_max, 10000000);
	ck_assert_uint_eq(conf->functions[0].async.results_memory, 64ULL << 30);
	ck_assert_uint_eq(conf->functions[1].async.results_max, 1);
	ck_assert_uint_eq(conf->functions[1].async.results_memory, 0);
	config_free(conf);
}
END_TEST

/* Out of range, not numbers, and with async off: each at its file:line. */
START_TEST(test_error_async_results_bounds)
{
	assert_errors(FIXTURES "err_async_results.ini",
	    "tests/config/err_async_results.ini:9: async.results_max = 0: must be between 1 and 10000000\n"
	    "tests/config/err_async_results.ini:10: async.results_memory = 65G: must be between 0 and 64G\n"
	    "tests/config/err_async_results.ini:15: async.results_max = lots: must be a whole number between 1 and 10000000\n"
	    "tests/config/err_async_results.ini:16: async.results_memory = -1: must be a size between 0 and 64G (bytes, or a number with K, M or G)\n"
	    "tests/config/err_async_results.ini:20: async.results_max" ONLY_ASYNC
	    "tests/config/err_async_results.ini:21: async.results_memory" ONLY_ASYNC);
}
END_TEST

/*
 * async.* keys with async off; async.max_body above request.max_body, at its
 * line or at the header for the default; async.max_concurrency above
 * pm.max_children; then, at the end, every async function lacking a journal.
 */
START_TEST(test_error_async_applies)
{
	assert_errors(FIXTURES "err_async_applies.ini",
	    "tests/config/err_async_applies.ini:7: async.queue_size" ONLY_ASYNC
	    "tests/config/err_async_applies.ini:8: async.max_attempts" ONLY_ASYNC
	    "tests/config/err_async_applies.ini:9: async.max_body" ONLY_ASYNC
	    "tests/config/err_async_applies.ini:10: async.max_concurrency" ONLY_ASYNC
	    "tests/config/err_async_applies.ini:11: async.result_max" ONLY_ASYNC
	    "tests/config/err_async_applies.ini:12: async.result_ttl" ONLY_ASYNC
	    "tests/config/err_async_applies.ini:13: async.retry_delay" ONLY_ASYNC
	    "tests/config/err_async_applies.ini:18: async.retry_delay" ONLY_ASYNC
	    "tests/config/err_async_applies.ini:24: async.max_body = 2M: must not be more than request.max_body (1M)\n"
	    "tests/config/err_async_applies.ini:26: the default async.max_body (1M) is more than request.max_body (512K): set async.max_body\n"
	    "tests/config/err_async_applies.ini:33: request.max_body = lots: must be a size between 0 and 1G (bytes, or a number with K, M or G)\n"
	    "tests/config/err_async_applies.ini:42: async.max_concurrency = 3: must not be more than pm.max_children (2)\n"
	    "tests/config/err_async_applies.ini:22: async = on" NEEDS_JOURNAL
	    "tests/config/err_async_applies.ini:29: async = only" NEEDS_JOURNAL
	    "tests/config/err_async_applies.ini:34: async = on" NEEDS_JOURNAL
	    "tests/config/err_async_applies.ini:40: async = on" NEEDS_JOURNAL
	    "tests/config/err_async_applies.ini:46: async = on" NEEDS_JOURNAL);
}
END_TEST

/*
 * The missing journal is reported after everything else, at the async line
 * of each function that needs it; async = off needs none.
 */
START_TEST(test_error_async_no_journal)
{
	struct gateway_conf *conf;
	char err[2048], dir[PATH_MAX], path[PATH_MAX], expected[2 * PATH_MAX + 256];

	ck_assert_int_eq(load_async(HEAD "[a]\nexec = /bin/true\nasync = only\n"
	    "[b]\nexec = /bin/true\nasync = off\n"
	    "[c]\nexec = /bin/true\n\nasync = on\nlog_level = loud\n",
	    err, sizeof(err), &conf, dir, path), -1);
	format(expected, sizeof(expected),
	    "%s:13: unknown key \"log_level\" in [c]\n"
	    "%s:5: async = only" NEEDS_JOURNAL
	    "%s:12: async = on" NEEDS_JOURNAL, path, path, path);
	ck_assert_str_eq(err, expected);

	ck_assert_msg(load_async(HEAD "[b]\nexec = /bin/true\nasync = off\n", err, sizeof(err),
	    &conf, dir, path) == 0, "%s", err);
	ck_assert_ptr_null(conf->async_journal);
	config_free(conf);
}
END_TEST

/*
 * async.backend = nats needs no journal; the nats.* keys and their
 * defaults; each bad value on its own, at its line.
 */
START_TEST(test_nats_keys)
{
	static const char *const bad[][2] = {
		{ "async.backend = kafka\n", "async.backend = kafka: must be journal or nats" },
		{ "nats.url = nats://a:4222,,nats://b:4222\n", "nats.url = nats://a:4222,,nats://b:4222: "
		    "must be server URLs separated by commas, such as "
		    "nats://10.0.0.1:4222,nats://10.0.0.2:4222" },
		{ "nats.url = nats://a:4222 nats://b:4222\n", "nats.url = nats://a:4222 nats://b:4222: "
		    "must be server URLs separated by commas, such as "
		    "nats://10.0.0.1:4222,nats://10.0.0.2:4222" },
		{ "nats.stream = jobs.v1\n", "nats.stream = jobs.v1: must be 1 to 32 of A-Z a-z 0-9 _ -" },
		{ "nats.stream =\n", "nats.stream = : must be 1 to 32 of A-Z a-z 0-9 _ -" },
		{ "nats.replicas = 7\n", "nats.replicas = 7: must be between 1 and 5" },
		{ "nats.ack_wait = 0s\n", "nats.ack_wait = 0s: must be a duration above 0 such as 10s, "
		    "500ms, 2m, 1h or a number of seconds" },
	};
	struct gateway_conf *conf;
	char text[512], err[1024], dir[PATH_MAX], path[PATH_MAX], expected[2 * PATH_MAX];

	ck_assert_msg(load_async(HEAD "async.backend = nats\n[fn]\nexec = /bin/true\nasync = on\n",
	    err, sizeof(err), &conf, dir, path) == 0, "%s", err);
	ck_assert_int_eq(conf->async_backend, ASYNC_BACKEND_NATS);
	ck_assert_ptr_null(conf->async_journal);
	ck_assert_str_eq(conf->nats_url, "nats://127.0.0.1:4222");
	ck_assert_str_eq(conf->nats_stream, "GATEWAYD");
	ck_assert_uint_eq(conf->nats_replicas, 1);
	ck_assert(conf->nats_ack_wait == 30.0);
	ck_assert(conf->nats_timeout == 2.0);
	ck_assert_ptr_null(conf->nats_credentials);
	config_free(conf);

	ck_assert_msg(load_async(HEAD "async.backend = nats\nnats.url = nats://10.0.0.1:4222, "
	    "tls://10.0.0.2:4222\nnats.stream = JOBS_v1-a\nnats.replicas = 3\n"
	    "nats.ack_wait = 2s\nnats.timeout = 500ms\n[fn]\nexec = /bin/true\n",
	    err, sizeof(err), &conf, dir, path) == 0, "%s", err);
	ck_assert_str_eq(conf->nats_url, "nats://10.0.0.1:4222, tls://10.0.0.2:4222");
	ck_assert_str_eq(conf->nats_stream, "JOBS_v1-a");
	ck_assert_uint_eq(conf->nats_replicas, 3);
	ck_assert(conf->nats_ack_wait == 2.0);
	ck_assert(conf->nats_timeout == 0.5);
	config_free(conf);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		format(text, sizeof(text), HEAD "%s[fn]\nexec = /bin/true\n", bad[i][0]);
		ck_assert_int_eq(load_async(text, err, sizeof(err), &conf, dir, path), -1);
		format(expected, sizeof(expected), "%s:3: %s\n", path, bad[i][1]);
		ck_assert_str_eq(err, expected);
	}
}
END_TEST

/* Bad async.fsync, async.fsync_interval and async.journal values, one at a time. */
START_TEST(test_error_async_global)
{
	static const char *const bad[][2] = {
		{ "async.fsync = Batch\n", "async.fsync = Batch: must be always, batch or off" },
		{ "async.fsync =\n", "async.fsync = : must be always, batch or off" },
		{ "async.fsync_interval = 0ms\n", "async.fsync_interval = 0ms: must be a duration "
		    "above 0 and at most 10s such as 10ms, 500ms or 1s" },
		{ "async.fsync_interval = 10.001s\n", "async.fsync_interval = 10.001s: must be a "
		    "duration above 0 and at most 10s such as 10ms, 500ms or 1s" },
		{ "async.fsync_interval = 1m\n", "async.fsync_interval = 1m: must be a duration "
		    "above 0 and at most 10s such as 10ms, 500ms or 1s" },
		{ "async.fsync_interval = 10 ms\n", "async.fsync_interval = 10 ms: must be a "
		    "duration above 0 and at most 10s such as 10ms, 500ms or 1s" },
		{ "async.journal =\n", "async.journal = : must be the path of a file" },
		{ "async.journal = spool/\n", "async.journal = spool/: must be the path of a file" },
		{ "async.journal = /etc/hostname/j\n",
		    "async.journal = /etc/hostname/j: /etc/hostname is not a directory" },
	};
	struct gateway_conf *conf;
	char text[512], err[1024], dir[PATH_MAX], path[PATH_MAX], expected[2 * PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		format(text, sizeof(text), HEAD "%s[fn]\nexec = /bin/true\n", bad[i][0]);
		ck_assert_int_eq(load_async(text, err, sizeof(err), &conf, dir, path), -1);
		format(expected, sizeof(expected), "%s:3: %s\n", path, bad[i][1]);
		ck_assert_str_eq(err, expected);
	}

	/* A directory that does not exist yet is gatewayd's to make (run_dir): accepted. */
	ck_assert_int_eq(load_async(HEAD "async.journal = /gatewayd-no-such-dir/j\n[fn]\n"
	    "exec = /bin/true\n", err, sizeof(err), &conf, dir, path), 0);
	ck_assert_str_eq(conf->async_journal, "/gatewayd-no-such-dir/j");
	config_free(conf);

	/* A journal that is a directory; refused, it sets off no "needs a journal". */
	ck_assert_int_eq(load_async(HEAD "async.journal = journal.d\n[fn]\nexec = /bin/true\n"
	    "async = on\n", err, sizeof(err), &conf, dir, path), -1);
	format(expected, sizeof(expected), "%s:3: async.journal = journal.d: %s/journal.d is a "
	    "directory\n", path, dir);
	ck_assert_str_eq(err, expected);
}
END_TEST

static Suite *config_async_suite(void)
{
	Suite *s = suite_create("config_async");
	TCase *good = tcase_create("good"), *bad = tcase_create("errors");

	tcase_add_test(good, test_async_defaults);
	tcase_add_test(good, test_async_keys);
	tcase_add_test(good, test_async_fsync);
	tcase_add_test(good, test_async_journal_path);
	tcase_add_test(good, test_async_results_bounds);
	tcase_add_test(bad, test_error_async_results_bounds);
	tcase_add_test(bad, test_error_async_values);
	tcase_add_test(bad, test_error_async_applies);
	tcase_add_test(bad, test_error_async_no_journal);
	tcase_add_test(bad, test_error_async_global);
	tcase_add_test(bad, test_nats_keys);
	suite_add_tcase(s, good);
	suite_add_tcase(s, bad);
	return s;
}

int main(void)
{
	return config_check_run(config_async_suite());
}
