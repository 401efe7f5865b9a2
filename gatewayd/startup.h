/*
 * startup.h: bringing a gateway up, in the order privilege separation asks
 * for: the spawner before any input is read, the listeners while the
 * daemon may still bind anything, the functions once it has dropped root.
 * main.c runs the steps around its own (pid file, privileges, signals); a
 * test harness that serves in-process (tests/fuzz/fuzz_front.c) runs the
 * same steps without them.
 */
#ifndef GATEWAYD_STARTUP_H
#define GATEWAYD_STARTUP_H

#include <stddef.h>

#include "gateway.h"

/*
 * Who the daemon and its workers run as (gw->identity), then the spawner
 * forked with the configuration's path. gw->conf and gw->config_path must
 * be set. Returns 0, or -1 with err filled.
 */
int startup_spawner(struct gateway *gw, char *err, size_t err_len);

/*
 * The first generation (the spawner's reading beside gw->conf), run_dir
 * made the daemon's, and the listeners opened. gw->loop must be set.
 * Returns 0, or -1 with err filled.
 */
int startup_listen(struct gateway *gw, char *err, size_t err_len);

/*
 * Every function created and its workers started, then async (the journal
 * replayed). Returns 0, or -1 with err naming the function's file:line.
 */
int startup_functions(struct gateway *gw, char *err, size_t err_len);

#endif /* GATEWAYD_STARTUP_H */
