/*
 * router.h: which function a request is for, from its FastCGI params.
 */
#ifndef GATEWAYD_ROUTER_H
#define GATEWAYD_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "fcgi.h"

/* The path prefix that names a function directly: /function/<name>. */
#define ROUTER_FUNCTION_PREFIX "/function/"

/* Where router_route() finds the params it reads in its lookup array. */
enum router_param {
	ROUTER_GATEWAY_FUNCTION,	/* set by the web server to name the function */
	ROUTER_DOCUMENT_URI,
	ROUTER_SCRIPT_NAME,
	ROUTER_REQUEST_URI,
	ROUTER_PARAMS,			/* how many; callers may look more up after these */
};

/* Names lookup[0, ROUTER_PARAMS) for fcgi_params_lookup(). */
void router_prepare_lookup(struct fcgi_param *lookup);

/*
 * Routes a request whose params were looked up (see router_prepare_lookup),
 * in this order:
 *   1. a non-empty GATEWAY_FUNCTION param (set by the web server): that
 *      function, or none when it names no function (never a fall-through);
 *   2. the longest `route =` prefix matching the request path, at a path
 *      segment boundary (/api/v1/track matches /api/v1/track/7, not
 *      /api/v1/tracking);
 *   3. /function/<name> at the start of the path.
 * The path is DOCUMENT_URI, else SCRIPT_NAME, else REQUEST_URI without its
 * query string (the first non-empty). Returns the function, or NULL (the
 * caller answers 404).
 */
const struct function_conf *router_route(const struct gateway_conf *conf,
    const struct fcgi_param *lookup);

/*
 * The request path from a lookup: DOCUMENT_URI, else SCRIPT_NAME, else
 * REQUEST_URI without its query (the first non-empty). false when none.
 */
bool router_path(const struct fcgi_param *lookup, const char **path, size_t *path_len);

/* Steps 2 and 3 of router_route(), for a path alone. */
const struct function_conf *router_match_path(const struct gateway_conf *conf,
    const char *path, size_t path_len);

#endif /* GATEWAYD_ROUTER_H */
