/*
 * reload.h: SIGHUP and `gatewayd -s reload`: a new configuration replaces
 * the running one without dropping a request. A new function starts; an
 * unchanged one keeps its workers; a changed or removed one is retired (its
 * workers finish the requests that chose it, then stop); listeners stay
 * open. A configuration with any error is refused whole, with file:line.
 */
#ifndef GATEWAYD_RELOAD_H
#define GATEWAYD_RELOAD_H

#include <stdbool.h>

#include "gateway.h"

/* Re-reads gw->config_path and applies it (true), or logs why not (false). */
bool reload_config(struct gateway *gw);

#endif /* GATEWAYD_RELOAD_H */
