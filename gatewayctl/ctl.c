/*
 * ctl.c: what every gatewayctl command shares (see ctl.h): finding the
 * admin socket (from the same configuration gatewayd reads), calling it,
 * reading and printing its answers.
 */
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "config.h"
#include "ctl.h"

static int admin_listen_of(void *user, const char *section, const char *name, const char *value);

const char *ctl_socket(struct ctl *ctl)
{
	static char path[PATH_MAX];
	struct gateway_conf *conf = NULL;
	char err[8192];

	if (ctl->socket_path != NULL)
		return ctl->socket_path;
	if (config_load_without_secrets(ctl->config_path, &conf, err, sizeof(err)) < 0) {
		/*
		 * A file being edited may be broken and gatewayd still runs on the
		 * last good one: its admin_listen, read as gatewayd would, still
		 * says where (reload must reach gatewayd to be refused there).
		 */
		char value[PATH_MAX] = "", dir[PATH_MAX];
		if (ini_parse(ctl->config_path, admin_listen_of, value) < 0 || value[0] == '\0') {
			ctl_error(CTL_UNREACHABLE, "cannot read %s (use -c CONFIG or -a SOCKET):\n%s",
			    ctl->config_path, err);
			return NULL;
		}
		snprintf(dir, sizeof(dir), "%s", ctl->config_path);
		if (value[0] == '/')
			snprintf(path, sizeof(path), "%s", value);
		else
			snprintf(path, sizeof(path), "%s/%s", dirname(dir), value);
		return ctl->socket_path = path;
	}
	if (conf->admin_listen == NULL) {
		ctl_error(CTL_UNREACHABLE, "%s sets no admin_listen: gatewayd has no admin socket "
		    "(add admin_listen = PATH to [global] and reload)", ctl->config_path);
		config_free(conf);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s", conf->admin_listen);
	config_free(conf);
	return ctl->socket_path = path;
}

/* inih: keeps [global] admin_listen's value in user (PATH_MAX bytes). */
static int admin_listen_of(void *user, const char *section, const char *name, const char *value)
{
	if (strcmp(section, "global") == 0 && strcmp(name, "admin_listen") == 0)
		snprintf(user, PATH_MAX, "%s", value);
	return 1;
}

int ctl_call(struct ctl *ctl, const struct admin_call *call, struct admin_reply *reply)
{
	char err[512];
	const char *socket_path = ctl_socket(ctl);
	struct admin_call c = *call;

	if (socket_path == NULL)
		return CTL_UNREACHABLE;
	c.timeout = ctl->timeout;
	if (admin_request(socket_path, &c, reply, err, sizeof(err)) < 0) {
		admin_reply_free(reply);
		return ctl_error(CTL_UNREACHABLE, "%s", err);
	}
	return CTL_OK;
}

int ctl_get_json(struct ctl *ctl, const char *path, const char *query, json_t **out)
{
	const struct admin_call call = { .method = "GET", .path = path, .query = query };
	struct admin_reply reply;
	json_error_t error;
	int rc = ctl_call(ctl, &call, &reply);

	*out = NULL;
	if (rc != CTL_OK)
		return rc;
	*out = json_loadb((const char *)buf_head(&reply.body), buf_used(&reply.body), 0, &error);
	if (*out == NULL) {
		rc = ctl_error(CTL_UNREACHABLE, "%s: status %d, not JSON: %s", path, reply.status,
		    error.text);
	} else if (reply.status >= 300) {
		const char *why = json_string_value(json_object_get(*out, "error"));
		rc = reply.status == 404 ? CTL_NOT_FOUND :
		    ctl_error(CTL_FAILED, "%s: %s", path, why != NULL ? why : "refused");
		json_decref(*out);
		*out = NULL;
	}
	admin_reply_free(&reply);
	return rc;
}

void ctl_write(FILE *out, const struct buf *b)
{
	if (buf_used(b) > 0)
		fwrite(buf_head(b), 1, buf_used(b), out);
}

void ctl_print_json(const json_t *value)
{
	char *text = json_dumps(value, JSON_COMPACT);

	if (text != NULL)
		puts(text);
	free(text);
}

int ctl_error(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("gatewayctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

json_int_t ctl_num(const json_t *object, const char *path)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.')) != NULL && object != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		object = json_object_get(object, key);
		path = dot + 1;
	}
	const json_t *v = object != NULL ? json_object_get(object, path) : NULL;
	return json_is_number(v) ? (json_int_t)json_number_value(v) : 0;
}
