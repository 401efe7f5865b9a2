/*
 * gateway_api.h: what gatewayd answers itself under /_gateway/: the async
 * jobs (async_api.c) to anyone who has a job's id; status, metrics and ping
 * to the admin socket, and on the web servers' listeners only where
 * status.front = on lets them (from status.allowed_clients); reload to the
 * admin socket only.
 */
#ifndef GATEWAYD_GATEWAY_API_H
#define GATEWAYD_GATEWAY_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct gateway;

/* One request under /_gateway/, as request.c hands it over. */
struct api_request {
	bool admin;			/* it came on the admin socket */
	const char *method;		/* REQUEST_METHOD (NULL: none) */
	size_t method_len;
	const char *path;		/* normal form, starting "/_gateway/" */
	size_t path_len;
	const uint8_t *params;		/* its whole PARAMS stream (QUERY_STRING, REMOTE_ADDR) */
	size_t params_len;
};

/*
 * Appends to out the whole CGI response (header block and body) for q.
 * Returns 0, or -1 when out of memory.
 */
int gateway_api_answer(struct gateway *gw, const struct api_request *q, struct buf *out);

#endif /* GATEWAYD_GATEWAY_API_H */
