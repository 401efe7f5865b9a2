/*
 * admin_client.h: one FastCGI request to gatewayd's admin socket, as a web
 * server would send it, and its whole CGI response.
 */
#ifndef GATEWAYCTL_ADMIN_CLIENT_H
#define GATEWAYCTL_ADMIN_CLIENT_H

#include <stddef.h>

#include "buf.h"

/* At most this many extra params (request headers) per call. */
#define ADMIN_CALL_PARAMS_MAX 32

/* What to ask. */
struct admin_call {
	const char *method;		/* GET, POST, DELETE */
	const char *path;		/* sent as SCRIPT_NAME and, with query, REQUEST_URI */
	const char *query;		/* QUERY_STRING, or NULL */
	const char *function;		/* GATEWAY_FUNCTION (invoke), or NULL */
	const char *param_names[ADMIN_CALL_PARAMS_MAX];	/* extra params, HTTP_* for headers */
	const char *param_values[ADMIN_CALL_PARAMS_MAX];
	size_t param_count;
	const void *body;		/* STDIN (CONTENT_LENGTH is set from it), may be NULL */
	size_t body_len;
	double timeout;			/* seconds for the whole exchange */
};

/* What came back: the status line's code, the header block, the body. */
struct admin_reply {
	int status;			/* "Status:" (200 when absent) */
	struct buf headers;		/* the header lines, "\r\n"-terminated, no blank line */
	struct buf body;
};

/*
 * Sends call on the unix socket at path and reads the response until
 * END_REQUEST. Returns 0, or -1 with err filled (cannot connect, timed out,
 * broken response). The caller frees reply with admin_reply_free().
 */
int admin_request(const char *path, const struct admin_call *call, struct admin_reply *reply,
    char *err, size_t err_len);

/* The value of header name in reply (case-insensitive), copied into out; NULL when absent. */
const char *admin_reply_header(const struct admin_reply *reply, const char *name, char *out,
    size_t out_len);

void admin_reply_free(struct admin_reply *reply);

/* Monotonic seconds: what gatewayctl's deadlines and rates are measured in. */
double admin_now(void);

#endif /* GATEWAYCTL_ADMIN_CLIENT_H */
