/*
 * pidfile.h: [global] pid = path: where gatewayd writes its pid, so that
 * `gatewayd -s reload` (and init scripts) can signal it.
 */
#ifndef GATEWAYD_PIDFILE_H
#define GATEWAYD_PIDFILE_H

#include <stddef.h>

/* Writes our pid to path (NULL: nothing to do). Returns 0, or -1 with err. */
int pidfile_write(const char *path, char *err, size_t err_len);

/* Removes path if it still holds our pid (NULL: nothing to do). */
void pidfile_remove(const char *path);

/*
 * gatewayd -s: sends sig to the pid in path. Prints what went wrong on
 * stderr (no pid = in config_path, no such file, no such process). Returns
 * the exit status: 0 when the signal was sent.
 */
int pidfile_signal(const char *path, const char *config_path, int sig);

#endif /* GATEWAYD_PIDFILE_H */
