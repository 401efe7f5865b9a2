/*
 * check_config_sandbox.c: the sandbox keys of the configuration loader
 * (seccomp, limit.*, user, group, allow_root, chdir, chroot, env_file,
 * network): their defaults, every key parsed, and each error with its exact
 * file:line, against the fixtures in tests/config/ (run from the repository
 * root, as `make unit` does) and against files written to a mkdtemp()
 * directory.
 */
#include <check.h>
#include <sys/resource.h>

#include "config_check.h"

/* The sandbox keys' defaults: the default seccomp profile, no core dumps, a clean env. */
START_TEST(test_sandbox_defaults)
{
	struct gateway_conf *conf = load_ok(FIXTURES "good_minimal.ini");
	const struct function_conf *fn = &conf->functions[0];
	int i;

	ck_assert_str_eq(fn->sandbox.seccomp, "default");
	ck_assert_ptr_null(fn->sandbox.seccomp_allow);
	ck_assert_ptr_null(fn->sandbox.seccomp_deny);
	ck_assert(fn->sandbox.seccomp_kill);
	for (i = 0; i < CONF_LIMIT_COUNT; i++)
		ck_assert_int_eq(fn->sandbox.limits[i].set, i == CONF_LIMIT_CORE);
	ck_assert_uint_eq(fn->sandbox.limits[CONF_LIMIT_CORE].value, 0);
	ck_assert(!fn->sandbox.identity.set);
	ck_assert_ptr_null(fn->sandbox.identity.user);
	ck_assert(!fn->sandbox.allow_root);
	ck_assert_ptr_null(fn->sandbox.chdir);
	ck_assert_ptr_null(fn->sandbox.chroot);
	ck_assert(fn->sandbox.clear_env);
	ck_assert_ptr_null(fn->sandbox.env_file);
	ck_assert(!fn->sandbox.network_none);
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
	ck_assert_str_eq(fn->sandbox.seccomp, fixture_abs("profile.seccomp", abs));
	ck_assert_str_eq(fn->sandbox.seccomp_allow, "@network-io, sendfile");
	ck_assert_str_eq(fn->sandbox.seccomp_deny, "ptrace  @mount");
	ck_assert(!fn->sandbox.seccomp_kill);
	ck_assert(fn->sandbox.limits[CONF_LIMIT_MEMORY].set);
	ck_assert_uint_eq(fn->sandbox.limits[CONF_LIMIT_MEMORY].value, 256ULL << 20);
	ck_assert(fn->sandbox.limits[CONF_LIMIT_CPU].set);
	ck_assert_uint_eq(fn->sandbox.limits[CONF_LIMIT_CPU].value, 2);	/* 1.5 s rounded up */
	ck_assert(fn->sandbox.limits[CONF_LIMIT_FILES].set);
	ck_assert_uint_eq(fn->sandbox.limits[CONF_LIMIT_FILES].value, 1024);
	ck_assert(fn->sandbox.limits[CONF_LIMIT_PROCS].set);
	ck_assert_uint_eq(fn->sandbox.limits[CONF_LIMIT_PROCS].value, 64);
	ck_assert(fn->sandbox.limits[CONF_LIMIT_CORE].set);
	ck_assert_uint_eq(fn->sandbox.limits[CONF_LIMIT_CORE].value, 1ULL << 20);
	ck_assert(fn->sandbox.limits[CONF_LIMIT_FSIZE].set);
	ck_assert_uint_eq(fn->sandbox.limits[CONF_LIMIT_FSIZE].value, 10ULL << 20);
	ck_assert(fn->sandbox.identity.set);
	ck_assert_str_eq(fn->sandbox.identity.user, "nobody");
	ck_assert_uint_eq(fn->sandbox.identity.uid, 65534);
	ck_assert_uint_eq(fn->sandbox.identity.gid, 65534);
	ck_assert(!fn->sandbox.allow_root);
	/* Under chroot, chdir is a path inside the jail, kept as written. */
	ck_assert_str_eq(fn->sandbox.chdir, "/sub");
	ck_assert_str_eq(fn->sandbox.chroot, fixture_abs("inc.d", abs));
	ck_assert(!fn->sandbox.clear_env);
	ck_assert(fn->sandbox.network_none);

	/* group = before user = and allow_root = after it: order does not matter. */
	fn = &conf->functions[2];
	ck_assert_str_eq(fn->name, "rooted");
	ck_assert_str_eq(fn->sandbox.seccomp, "off");
	ck_assert_uint_eq(fn->sandbox.identity.uid, 0);
	ck_assert_uint_eq(fn->sandbox.identity.gid, 65534);
	ck_assert(fn->sandbox.allow_root);
	ck_assert_uint_eq(fn->sandbox.limits[CONF_LIMIT_CPU].value, 120);
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
	ck_assert_str_eq(fn->sandbox.seccomp, "strict");
	ck_assert(fn->sandbox.seccomp_kill);
	for (i = 0; i < CONF_LIMIT_COUNT; i++) {
		ck_assert(fn->sandbox.limits[i].set);
		ck_assert_uint_eq(fn->sandbox.limits[i].value, (unsigned long long)RLIM_INFINITY);
	}
	ck_assert(fn->sandbox.identity.set);
	ck_assert_str_eq(fn->sandbox.identity.user, "65534");
	ck_assert_uint_eq(fn->sandbox.identity.uid, 65534);
	ck_assert_uint_eq(fn->sandbox.identity.gid, 65534);
	ck_assert(fn->sandbox.allow_root);
	ck_assert(fn->sandbox.clear_env);
	ck_assert(!fn->sandbox.network_none);
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
	ck_assert(!conf->functions[0].sandbox.identity.set);
	config_free(conf);
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
	ck_assert_str_eq(fn->sandbox.env_file, d.env);
	ck_assert_uint_eq(fn->sandbox.env.count, 5);
	ck_assert_str_eq(fn->sandbox.env.items[0].name, "A");
	ck_assert_str_eq(fn->sandbox.env.items[0].value, "ini-wins");
	ck_assert_str_eq(fn->sandbox.env.items[1].name, "B");
	ck_assert_str_eq(fn->sandbox.env.items[1].value, "from-ini");
	ck_assert_str_eq(fn->sandbox.env.items[2].name, "D");
	ck_assert_str_eq(fn->sandbox.env.items[2].value, "x=y ");
	ck_assert_str_eq(fn->sandbox.env.items[3].name, "E");
	ck_assert_str_eq(fn->sandbox.env.items[3].value, "");
	ck_assert_str_eq(fn->sandbox.env.items[4].name, "C");
	ck_assert_str_eq(fn->sandbox.env.items[4].value, "ini-only");
	config_free(conf);
	env_dir_remove(&d);
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

static Suite *config_sandbox_suite(void)
{
	Suite *s = suite_create("config_sandbox");
	TCase *good = tcase_create("good"), *bad = tcase_create("errors");

	tcase_add_test(good, test_sandbox_defaults);
	tcase_add_test(good, test_sandbox_full);
	tcase_add_test(good, test_sandbox_unlimited);
	tcase_add_test(good, test_global_root);
	tcase_add_test(good, test_env_file_merge);
	tcase_add_test(bad, test_error_sandbox);
	tcase_add_test(bad, test_error_env_file_world_readable);
	tcase_add_test(bad, test_error_env_file_lines);
	tcase_add_test(bad, test_error_chdir_in_chroot);
	suite_add_tcase(s, good);
	suite_add_tcase(s, bad);
	return s;
}

int main(void)
{
	return config_check_run(config_sandbox_suite());
}
