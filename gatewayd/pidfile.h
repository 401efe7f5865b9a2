/*
 * pidfile.h: [global] pid = path: where gatewayd writes its pid, so that
 * `gatewayd -s reload` (and init scripts) can signal it.
 *
 * The pid file is written while gatewayd is still root, and root signals
 * what it names, so it is handled as a file others may have tampered with:
 * a symlink at its path is never followed, an existing file must be a
 * plain file of its writer's, and `-s` signals only a running gatewayd
 * (the same program, by its name), never whatever pid the file holds.
 */
#ifndef GATEWAYD_PIDFILE_H
#define GATEWAYD_PIDFILE_H

#include <stddef.h>
#include <sys/types.h>

/* Writes our pid to path (NULL: nothing to do). Returns 0, or -1 with err. */
int pidfile_write(const char *path, char *err, size_t err_len);

/* Removes path if it still holds pid (path NULL: nothing to do). */
void pidfile_remove(const char *path, pid_t pid);

/*
 * gatewayd -s: sends sig to the gatewayd whose pid is in path. Prints what
 * went wrong on stderr (no pid = in config_path, no such file, not a
 * gatewayd, no such process). Returns the exit status: 0 when the signal was
 * sent.
 */
int pidfile_signal(const char *path, const char *config_path, int sig);

#endif /* GATEWAYD_PIDFILE_H */
