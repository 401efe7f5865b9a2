/*
 * notify.h: telling systemd how gatewayd is doing (sd_notify(3)'s protocol,
 * a few datagrams on the unix socket $NOTIFY_SOCKET names; no libsystemd):
 * READY=1 once it serves, RELOADING=1 then READY=1 around a reload,
 * STOPPING=1 when it stops, and a STATUS= line with each. Without
 * $NOTIFY_SOCKET every call does nothing. With Type=notify-reload (or
 * Type=notify), systemctl start returns once gatewayd really serves.
 *
 * One socket per process, so its state is this file's.
 */
#ifndef GATEWAYD_NOTIFY_H
#define GATEWAYD_NOTIFY_H

/*
 * First thing in main(): keeps $NOTIFY_SOCKET and removes it from the
 * environment, so that no worker is handed it (clear_env = no passes
 * gatewayd's environment on). systemd ignores any other sender than the
 * main process (NotifyAccess=main, its default).
 */
void notify_take_socket(void);

/*
 * Connects to the kept socket, while gatewayd may still be root (the
 * socket may be root's); once connected, sending needs no permission.
 * Logs a warning when it cannot (systemd then waits for READY in vain).
 */
void notify_connect(void);

/* Sends one notification: lines "NAME=value" (printf-style). */
void notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* GATEWAYD_NOTIFY_H */
