/*
 * reload.h: SIGHUP and `gatewayd -s reload`: a new configuration replaces
 * the running one without dropping a request. A new function starts; an
 * unchanged one keeps its workers; a changed or removed one is retired (its
 * workers finish the requests that chose it, then stop); listeners stay
 * open. A configuration with any error is refused whole, with file:line.
 */
#ifndef GATEWAYD_RELOAD_H
#define GATEWAYD_RELOAD_H

#include <stddef.h>

#include "gateway.h"

/* Re-reads gw->config_path and applies it, or logs why not. */
void reload_config(struct gateway *gw);

/*
 * The directory for the workers' sockets: created 0700 when missing (its
 * missing parents 0755) and given to the user gatewayd will run as. 0 / -1.
 */
int reload_prepare_run_dir(const struct gateway_conf *conf, char *err, size_t err_len);

#endif /* GATEWAYD_RELOAD_H */
