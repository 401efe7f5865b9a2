/*
 * router.h: which function a request is for, from its FastCGI params.
 */
#ifndef GATEWAYD_ROUTER_H
#define GATEWAYD_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* The path prefix that names a function directly: /function/<name>. */
#define ROUTER_FUNCTION_PREFIX "/function/"

/*
 * Routes a request whose complete PARAMS stream is params, in this order:
 *   1. a GATEWAY_FUNCTION param (set by the web server): that function, or
 *      none when it names no function (never a fall-through);
 *   2. the longest `route =` prefix matching the request path, at a path
 *      segment boundary (/api/v1/track matches /api/v1/track/7, not
 *      /api/v1/tracking);
 *   3. /function/<name> at the start of the path.
 * The path is DOCUMENT_URI, else SCRIPT_NAME, else REQUEST_URI without its
 * query string. Returns the function, or NULL (the caller answers 404).
 */
const struct function_conf *router_route(const struct gateway_conf *conf,
    const uint8_t *params, size_t params_len);

/*
 * Routes by an already extracted GATEWAY_FUNCTION value (NULL when absent)
 * and path; the pure core of router_route().
 */
const struct function_conf *router_match(const struct gateway_conf *conf,
    const char *function, size_t function_len, const char *path, size_t path_len);

#endif /* GATEWAYD_ROUTER_H */
