/*
 * spawner_table.h: the spawner's own reading of the configuration (see
 * fcgi-pool/spawner.h). Each LOAD reads the files anew, as root, secrets
 * included, into a generation: one worker_spec per function. The spawner
 * starts nothing else, so what a compromised daemon asks for is bounded by
 * what the configuration says. Used in the spawner process only.
 */
#ifndef GATEWAYD_SPAWNER_TABLE_H
#define GATEWAYD_SPAWNER_TABLE_H

#include <sys/types.h>

#include "identities.h"
#include "spawner.h"

struct spawner_table;

/* The ops spawner_start() serves, with a struct spawner_table as ctx. */
extern const struct spawner_table_ops spawner_table_ops;

/*
 * A table that reads config_path under policy (fixed at start: a reload
 * cannot change who runs as whom). When the daemon (daemon_pid) ends, the
 * table removes pid_file (NULL: none) if it still names it: the daemon,
 * unprivileged, may not be able to. NULL when out of memory.
 */
struct spawner_table *spawner_table_new(const char *config_path,
    const struct identity_policy *policy, const char *pid_file, pid_t daemon_pid);

/* Frees t and every generation it holds. NULL is allowed. */
void spawner_table_free(struct spawner_table *t);

#endif /* GATEWAYD_SPAWNER_TABLE_H */
