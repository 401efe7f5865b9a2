/*
 * check_spawner.c: the spawner (fcgi-pool/spawner*.c). Its message codec,
 * which decodes what the unprivileged daemon sends, must take every
 * well-formed message and refuse every malformed one; the spawner process,
 * driven through the daemon's API, must start only what its table holds,
 * report each child's exit once, signal only its own children; and a
 * daemon that sends garbage (a compromised one) must end it, not steer it.
 */
#include "spawner.h"
#include "spawner_proto.h"
#include "spawner_stub.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- the codec -------------------------------------------------------------- */

static size_t encode(const struct spawner_msg *m, uint8_t *out, size_t cap)
{
	size_t n = spawner_msg_encode(m, out, cap);

	ck_assert_uint_eq(n, spawner_msg_size(m));
	return n;
}

START_TEST(test_round_trip)
{
	static const uint8_t env[] = "A=1\0B=two\0";
	uint8_t buf[256];
	struct spawner_msg d, m = { .type = SPAWNER_SPAWN, .generation = 7, .name = "hello",
				    .name_len = 5, .data = env, .data_len = sizeof(env) - 1 };
	const char *strings[4];

	size_t n = encode(&m, buf, sizeof(buf));
	ck_assert_int_eq(spawner_msg_decode(buf, n, &d), 0);
	ck_assert_int_eq(d.type, SPAWNER_SPAWN);
	ck_assert_uint_eq(d.generation, 7);
	ck_assert_uint_eq(d.name_len, 5);
	ck_assert(memcmp(d.name, "hello", 5) == 0);
	ck_assert_int_eq(spawner_env_split(d.data, d.data_len, strings, 4), 2);
	ck_assert_str_eq(strings[0], "A=1");
	ck_assert_str_eq(strings[1], "B=two");

	m = (struct spawner_msg){ .type = SPAWNER_SIGNAL, .child = 1ULL << 40, .value = SIGTERM,
				  .group = true };
	n = encode(&m, buf, sizeof(buf));
	ck_assert_int_eq(spawner_msg_decode(buf, n, &d), 0);
	ck_assert(d.group);
	ck_assert_uint_eq(d.child, 1ULL << 40);
	ck_assert_int_eq(d.value, SIGTERM);

	m = (struct spawner_msg){ .type = SPAWNER_EXITED, .child = 3, .pid = 4242, .value = 9 << 8 };
	n = encode(&m, buf, sizeof(buf));
	ck_assert_int_eq(spawner_msg_decode(buf, n, &d), 0);
	ck_assert_int_eq(d.pid, 4242);
	ck_assert_int_eq(d.value, 9 << 8);
}
END_TEST

START_TEST(test_loaded_entries)
{
	struct spawner_function f = { .name = "echo", .name_len = 4, .digest = 0x1122334455667788ULL,
				      .uid = 61234, .gid = 61235 }, g;
	uint8_t entries[64], buf[128];
	size_t n = spawner_function_encode(&f, entries);
	struct spawner_msg d, m = { .type = SPAWNER_LOADED, .generation = 1, .data = entries,
				    .data_len = n };

	ck_assert_uint_eq(n, spawner_function_size(&f));
	ck_assert_int_eq(spawner_function_decode(entries, n, &g), (ssize_t)n);
	ck_assert_uint_eq(g.digest, f.digest);
	ck_assert_uint_eq(g.uid, 61234);
	ck_assert_uint_eq(g.gid, 61235);
	ck_assert_int_eq(spawner_function_decode(entries, 0, &g), 0);
	ck_assert_int_eq(spawner_function_decode(entries, n - 1, &g), -1);
	ck_assert_int_eq(spawner_msg_decode(buf, encode(&m, buf, sizeof(buf)), &d), 0);
	m.data_len = n - 1;	/* a torn entry makes the whole reply malformed */
	ck_assert_int_eq(spawner_msg_decode(buf, encode(&m, buf, sizeof(buf)), &d), -1);
	ck_assert_ptr_null(g.secret);
}
END_TEST

/* An entry carries the function's callback signing key, bytes as they are. */
START_TEST(test_loaded_entry_secret)
{
	struct spawner_function f = { .name = "hook", .name_len = 4, .digest = 7, .uid = 1,
				      .gid = 2, .secret = "s3cret\n=", .secret_len = 8 }, g;
	uint8_t entries[64];
	size_t n = spawner_function_encode(&f, entries);

	ck_assert_uint_eq(n, spawner_function_size(&f));
	ck_assert_int_eq(spawner_function_decode(entries, n, &g), (ssize_t)n);
	ck_assert_uint_eq(g.secret_len, 8);
	ck_assert_mem_eq(g.secret, "s3cret\n=", 8);
	ck_assert_uint_eq(g.gid, 2);
	ck_assert_int_eq(spawner_function_decode(entries, n - 1, &g), -1);
	/* A secret length past the bound is malformed, whatever follows. */
	entries[4 + 18] = 0xff;
	ck_assert_int_eq(spawner_function_decode(entries, n, &g), -1);
}
END_TEST

/* Encodes m, lets corrupt() damage the bytes, and expects a refusal. */
static void expect_refused(const char *what, const struct spawner_msg *m,
    size_t (*corrupt)(uint8_t *buf, size_t len))
{
	uint8_t buf[256];
	struct spawner_msg d;
	size_t n = encode(m, buf, sizeof(buf));

	if (corrupt != NULL)
		n = corrupt(buf, n);
	ck_assert_msg(spawner_msg_decode(buf, n, &d) == -1, "%s: accepted", what);
}

static size_t cut_one(uint8_t *buf, size_t len)
{
	(void)buf;
	return len - 1;
}

static size_t bad_group(uint8_t *buf, size_t len)
{
	buf[1] = 2;
	return len;
}

static size_t long_name(uint8_t *buf, size_t len)
{
	buf[22] = 0xff;
	buf[23] = 0xff;
	return len;
}

static size_t huge_data(uint8_t *buf, size_t len)
{
	buf[len - 1] = 0xff;	/* data_len's top byte, when data is empty */
	return len;
}

START_TEST(test_malformed)
{
	static const uint8_t no_nul[] = "A=1";
	struct spawner_msg load = { .type = SPAWNER_LOAD };
	struct spawner_msg spawn = { .type = SPAWNER_SPAWN, .generation = 1, .name = "f",
				     .name_len = 1 };
	uint8_t buf[64];
	struct spawner_msg d;

	ck_assert_int_eq(spawner_msg_decode(buf, encode(&load, buf, sizeof(buf)), &d), 0);
	expect_refused("truncated", &load, cut_one);
	expect_refused("group byte 2", &load, bad_group);
	expect_refused("name longer than the message", &load, long_name);
	expect_refused("data longer than the message", &load, huge_data);
	expect_refused("unknown type", &(struct spawner_msg){ .type = 0x42 }, NULL);
	expect_refused("SPAWN without a name", &(struct spawner_msg){ .type = SPAWNER_SPAWN,
	    .generation = 1 }, NULL);
	expect_refused("SPAWN of generation 0", &(struct spawner_msg){ .type = SPAWNER_SPAWN,
	    .name = "f", .name_len = 1 }, NULL);
	spawn.data = no_nul;
	spawn.data_len = 3;
	expect_refused("SPAWN env without its NUL", &spawn, NULL);
	expect_refused("SIGNAL 0", &(struct spawner_msg){ .type = SPAWNER_SIGNAL, .child = 1 }, NULL);
	expect_refused("SIGNAL 65", &(struct spawner_msg){ .type = SPAWNER_SIGNAL, .child = 1,
	    .value = 65 }, NULL);
	expect_refused("SIGNAL of child 0", &(struct spawner_msg){ .type = SPAWNER_SIGNAL,
	    .value = 9 }, NULL);
	expect_refused("ERROR without text", &(struct spawner_msg){ .type = SPAWNER_ERROR }, NULL);
	ck_assert_uint_eq(spawner_msg_encode(&(struct spawner_msg){ .type = SPAWNER_SPAWN,
	    .name = "x", .name_len = SPAWNER_NAME_MAX + 1 }, buf, sizeof(buf)), 0);
}
END_TEST

START_TEST(test_env_split_bound)
{
	static const uint8_t three[] = "a=1\0b=2\0c=3\0";
	const char *strings[2];

	ck_assert_int_eq(spawner_env_split(three, sizeof(three) - 1, strings, 2), -1);
	ck_assert_int_eq(spawner_env_split(three, 0, strings, 2), 0);
}
END_TEST

/* ---- the spawner process ------------------------------------------------------ */

static char *sh_argv[] = { "/bin/sh", "-c", "exit 3", NULL };
static char *sleep_argv[] = { "/bin/sleep", "30", NULL };
static char *const no_env[] = { NULL };
static const struct sandbox_spec no_sandbox;
static const struct spawn_spec specs[] = {
	{ .argv = sh_argv, .envp = no_env, .sandbox = &no_sandbox },
	{ .argv = sleep_argv, .envp = no_env, .sandbox = &no_sandbox },
};

static const struct stub_function functions[] = { { "exit3", &specs[0] }, { "sleep", &specs[1] } };

struct exit_seen {
	int count;
	int status;
};

static void on_exited(struct spawner_watch *watch, int status)
{
	struct exit_seen *e = watch->data;

	e->count++;
	e->status = status;
}

/* Runs the loop until e has seen an exit (10 s at most). */
static void wait_exit(struct exit_seen *e)
{
	for (int i = 0; i < 10000 && e->count == 0; i++) {
		ev_run(EV_DEFAULT, EVRUN_NOWAIT);
		usleep(1000);
	}
	ck_assert_int_eq(e->count, 1);
}

/* Spawns function with /dev/null as 0, 1, 2 and a watch on its exit. */
static int spawn(struct spawner *s, const char *function, struct spawner_watch *watch,
    struct exit_seen *seen, struct spawner_child *child, char *err, size_t err_len)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), exec_fd;
	const int fds[3] = { null, null, null };

	ck_assert_int_ge(null, 0);
	int rc = spawner_spawn(s, 1, function, fds, NULL, child, &exec_fd, err, err_len);
	close(null);
	if (rc == 0) {
		close(exec_fd);
		watch->data = seen;
		spawner_watch(s, watch, child->id, on_exited);
	}
	return rc;
}

START_TEST(test_spawn_and_exit)
{
	struct spawner_watch watch = { 0 };
	struct exit_seen seen = { 0 };
	struct spawner_child child;
	struct buf loaded = { 0 };
	uint32_t generation;
	char err[256];
	struct spawner *s = spawner_start(&stub_table, NULL, err, sizeof(err));

	ck_assert_msg(s != NULL, "%s", err);
	spawner_attach(s, EV_DEFAULT, NULL, NULL);
	ck_assert_int_eq(spawner_load(s, &generation, &loaded, err, sizeof(err)), 0);
	ck_assert_uint_eq(generation, 1);
	ck_assert_uint_eq(buf_used(&loaded), 2 * 20 + 5 + 5);	/* two entries */
	buf_free(&loaded);

	ck_assert_int_eq(spawn(s, "exit3", &watch, &seen, &child, err, sizeof(err)), 0);
	ck_assert_int_gt(child.pid, 0);
	wait_exit(&seen);
	ck_assert(WIFEXITED(seen.status) && WEXITSTATUS(seen.status) == 3);

	/* Only what the table holds: no other name, no other generation. */
	ck_assert_int_eq(spawn(s, "bash", &watch, &seen, &child, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "no function bash") != NULL, "%s", err);
	ck_assert_int_eq(spawner_spawn(s, 2, "exit3", (const int[3]){ 0, 1, 2 }, NULL, &child,
	    &(int){ 0 }, err, sizeof(err)), -1);
	/* Only a CGI program takes a request's environment. */
	ck_assert_int_eq(spawner_spawn(s, 1, "exit3", (const int[3]){ 0, 1, 2 },
	    (char *const[]){ "LD_PRELOAD=/tmp/x.so", NULL }, &child, &(int){ 0 }, err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "only a CGI program") != NULL, "%s", err);
	spawner_close(s);
}
END_TEST

/*
 * A spawner on the stub table, attached, and in *stranger a child of the
 * test's that the spawner never started: what it is asked about or told to
 * signal for that one must reach nothing.
 */
static struct spawner *start_with_stranger(pid_t *stranger)
{
	char err[256];
	struct spawner *s = spawner_start(&stub_table, NULL, err, sizeof(err));

	ck_assert_msg(s != NULL, "%s", err);
	spawner_attach(s, EV_DEFAULT, NULL, NULL);
	*stranger = fork();
	ck_assert_int_ge(*stranger, 0);
	if (*stranger == 0) {
		pause();
		_exit(0);
	}
	return s;
}

START_TEST(test_signal_own_children_only)
{
	struct spawner_watch watch = { 0 };
	struct exit_seen seen = { 0 };
	struct spawner_child child;
	char err[256];
	pid_t mine;
	struct spawner *s = start_with_stranger(&mine);

	ck_assert_int_eq(spawn(s, "sleep", &watch, &seen, &child, err, sizeof(err)), 0);
	spawner_signal(s, child.id + 1000, SIGKILL, false);
	spawner_signal(s, child.id, SIGKILL, true);
	wait_exit(&seen);
	ck_assert(WIFSIGNALED(seen.status) && WTERMSIG(seen.status) == SIGKILL);
	/* A signal for a child already reported reaches nobody. */
	spawner_signal(s, child.id, SIGKILL, false);
	ck_assert_int_eq(kill(mine, 0), 0);
	kill(mine, SIGKILL);
	waitpid(mine, NULL, 0);
	spawner_close(s);
}
END_TEST

/*
 * INSPECT reads what a child of the spawner is doing (its /proc syscall
 * line starts with the number of the call it sleeps in), and refuses any
 * other pid: the test's own child, the test itself.
 */
START_TEST(test_inspect_own_children_only)
{
	struct spawner_watch watch = { 0 };
	struct exit_seen seen = { 0 };
	struct spawner_child child;
	char err[256], doing[1024];
	pid_t mine;
	struct spawner *s = start_with_stranger(&mine);

	ck_assert_int_eq(spawn(s, "sleep", &watch, &seen, &child, err, sizeof(err)), 0);
	usleep(200 * 1000);	/* until it sleeps */
	ck_assert_int_eq(spawner_inspect(s, child.pid, doing, sizeof(doing)), 0);
	ck_assert_msg(strncmp(doing, "syscall ", 8) == 0 && doing[8] >= '0' && doing[8] <= '9',
	    "%s", doing);
	ck_assert_msg(strstr(doing, "; wchan ") != NULL && strstr(doing, "; stack ") != NULL, "%s",
	    doing);
	ck_assert_int_eq(spawner_inspect(s, mine, doing, sizeof(doing)), -1);
	ck_assert_msg(strstr(doing, "not a worker") != NULL, "%s", doing);
	ck_assert_int_eq(spawner_inspect(s, getpid(), doing, sizeof(doing)), -1);
	spawner_signal(s, child.id, SIGKILL, true);
	wait_exit(&seen);
	ck_assert_int_eq(spawner_inspect(s, child.pid, doing, sizeof(doing)), -1);
	kill(mine, SIGKILL);
	waitpid(mine, NULL, 0);
	spawner_close(s);
}
END_TEST

/*
 * A daemon that sends garbage ends the spawner with SPAWNER_EXIT_PROTOCOL,
 * and the children it started die with it. The spawner is run here on
 * sockets of the test's own, so that raw bytes can be sent.
 */
START_TEST(test_garbage_ends_the_spawner)
{
	int req[2], evt[2];
	sigset_t chld;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, req), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, evt), 0);
	pid_t pid = fork();
	if (pid == 0) {
		sigemptyset(&chld);
		sigaddset(&chld, SIGCHLD);
		sigprocmask(SIG_BLOCK, &chld, NULL);
		spawner_serve(req[1], evt[1], signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC), &stub_table,
		    NULL);
	}
	static const uint8_t garbage[] = "GET / HTTP/1.1\r\n\r\n";
	ck_assert_int_eq(send(req[0], garbage, sizeof(garbage), 0), (ssize_t)sizeof(garbage));
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), SPAWNER_EXIT_PROTOCOL);
	for (int i = 0; i < 2; i++) {
		close(req[i]);
		close(evt[i]);
	}
}
END_TEST

static Suite *spawner_suite(void)
{
	Suite *s = suite_create("spawner");
	TCase *codec = tcase_create("codec");
	TCase *process = tcase_create("process");

	tcase_add_test(codec, test_round_trip);
	tcase_add_test(codec, test_loaded_entries);
	tcase_add_test(codec, test_loaded_entry_secret);
	tcase_add_test(codec, test_malformed);
	tcase_add_test(codec, test_env_split_bound);
	tcase_add_test(process, test_spawn_and_exit);
	tcase_add_test(process, test_signal_own_children_only);
	tcase_add_test(process, test_inspect_own_children_only);
	tcase_add_test(process, test_garbage_ends_the_spawner);
	suite_add_tcase(s, codec);
	suite_add_tcase(s, process);
	return s;
}

int main(void)
{
	stub_functions = functions;
	stub_function_count = sizeof(functions) / sizeof(functions[0]);
	SRunner *sr = srunner_create(spawner_suite());

	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
