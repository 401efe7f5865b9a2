/*
 * worker_spec.h: how a function's workers are started: the program and its
 * arguments, the whole environment (env_file's secrets included), the user
 * and the sandbox with its compiled seccomp filter. Built from the
 * configuration by the spawner (spawner_table.c), and by `gatewayd -t` to
 * check it; the daemon never holds one.
 */
#ifndef GATEWAYD_WORKER_SPEC_H
#define GATEWAYD_WORKER_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "sandbox.h"
#include "spawner.h"
#include "syscall_filter.h"

struct worker_spec {
	struct spawn_spec spawn;	/* what the spawner hands out: points into the rest */
	char **argv;			/* the configuration's, but argv[0] in exec_page */
	char **envp;
	struct sandbox_spec sandbox;
	struct syscall_filter *filter;	/* NULL for seccomp = off */
	void *exec_page;		/* argv[0] at an address chosen at random */
	size_t exec_page_len;
	uint64_t digest;		/* of everything above that decides how a worker starts */
};

/*
 * Builds ws for conf (whose runs_as is set). The strict profile allows one
 * execve(), whose path argument must be the exact pointer argv[0]: that
 * string lives alone in a page mapped at a random address (getrandom), so
 * nothing about any process's memory layout tells a worker where it is.
 * Returns 0, or -1 with err (a seccomp policy that does not build).
 */
int worker_spec_build(struct worker_spec *ws, const struct function_conf *conf, char *err,
    size_t err_len);

/* Frees what worker_spec_build() made (also after a failure). */
void worker_spec_free(struct worker_spec *ws);

#endif /* GATEWAYD_WORKER_SPEC_H */
