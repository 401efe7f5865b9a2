/*
 * greet: a JSON greeting, the C SDK's example (functions/sdk/gatewayd_fn.h):
 * a query parameter, a request header, the body, the method, a status and
 * response headers.
 *
 *   GET  ?name=Ada		200 {"greeting":"hello, Ada","path":"/function/greet"}
 *   POST, body "Ada"		the same: the name is the body (at most 256 bytes)
 *   header X-Greeting: hi	"hi, Ada" instead of "hello, Ada"
 *   no name, or an empty one	400 {"error":"no name"}
 *   a body above 256 bytes	413 {"error":"body above the limit"}
 *   any other method		405 {"error":"method not allowed"}, Allow: GET, POST
 *
 * Every answer is one line of application/json with a Content-Length, and says
 * "Vary: X-Greeting" (a cache must keep one answer per greeting). The name,
 * the greeting and the path are JSON-escaped (RFC 8259 section 7).
 */
#include <stdio.h>
#include <string.h>

#include "gatewayd_fn.h"

#define GREET_MAX_NAME	256	/* largest body taken as a name */

static size_t greet_json_string(char *out, size_t size, const char *s);
static void greet_answer(struct gwfn_request *req, int status, const char *json);
static void greet_handle(struct gwfn_request *req);

/*
 * Writes s as a JSON string, quotes included, into out (size bytes), cut
 * short when it does not fit. Returns the length written (always < size).
 */
static size_t greet_json_string(char *out, size_t size, const char *s)
{
	const unsigned char *p;
	size_t n = 0;

	if (size < 8) {
		if (size > 0)
			out[0] = '\0';
		return 0;
	}
	out[n++] = '"';
	for (p = (const unsigned char *)s; *p != '\0' && n + 8 < size; p++) {
		if (*p == '"' || *p == '\\') {
			out[n++] = '\\';
			out[n++] = (char)*p;
		} else if (*p < 0x20) {
			n += (size_t)snprintf(out + n, size - n, "\\u%04x", *p);
		} else {
			out[n++] = (char)*p;
		}
	}
	out[n++] = '"';
	out[n] = '\0';
	return n;
}

/* Sends json whole with the headers every answer has. */
static void greet_answer(struct gwfn_request *req, int status, const char *json)
{
	gwfn_set_status(req, status);
	gwfn_add_header(req, "Content-Type", "application/json");
	gwfn_add_header(req, "Vary", "X-Greeting");
	if (status == 405)
		gwfn_add_header(req, "Allow", "GET, POST");
	gwfn_send(req, json, strlen(json));
}

/* Handles one accepted request from start to end. */
static void greet_handle(struct gwfn_request *req)
{
	const char *method = gwfn_method(req);
	const char *greeting = gwfn_get_header(req, "X-Greeting");
	const char *name, *body;
	char text[2 * GREET_MAX_NAME], path[1024], json[6 * sizeof(text) + sizeof(path) + 64];
	size_t len, n;
	int status;

	if (strcmp(method, "POST") == 0) {
		status = gwfn_read_body(req, GREET_MAX_NAME, &body, &len);
		if (status != 0) {
			snprintf(json, sizeof(json), "{\"error\":\"%s\"}\n", req->error);
			greet_answer(req, status, json);
			return;
		}
		name = body;
	} else if (strcmp(method, "GET") == 0) {
		name = gwfn_query_param(req, "name");
	} else {
		greet_answer(req, 405, "{\"error\":\"method not allowed\"}\n");
		return;
	}
	if (name == NULL || *name == '\0') {
		greet_answer(req, 400, "{\"error\":\"no name\"}\n");
		return;
	}
	snprintf(text, sizeof(text), "%s, %s",
	    greeting != NULL && *greeting != '\0' ? greeting : "hello", name);
	greet_json_string(path, sizeof(path), gwfn_path(req));
	n = (size_t)snprintf(json, sizeof(json), "{\"greeting\":");
	n += greet_json_string(json + n, sizeof(json) - n, text);
	snprintf(json + n, sizeof(json) - n, ",\"path\":%s}\n", path);
	greet_answer(req, 200, json);
}

int main(void)
{
	struct gwfn_request req;

	if (gwfn_init(&req) != 0)
		return 1;
	while (gwfn_accept(&req) == 0)
		greet_handle(&req);
	gwfn_free(&req);
	return 0;
}
