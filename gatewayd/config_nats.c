/*
 * config_nats.c: [global] async.backend and the nats.* keys (docs/scaling.md):
 * which store keeps accepted jobs, and how gatewayd reaches a NATS JetStream
 * that keeps them for several nodes. All take effect at the next start: the
 * connection, the stream and the bucket are made once.
 */
#include <sys/stat.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_internal.h"

static key_parser key_nats_url, key_nats_stream, key_nats_credentials;

static const char *const backend_words[] = { "journal", "nats", NULL };

#define G(field) struct gateway_conf, field
#define RESTART CONFIG_RELOAD_RESTART

static const struct key_spec nats_keys[] = {
	WORD_KEY("async.backend", G(async_backend), RESTART, "journal", backend_words),
	KEY("nats.url", key_nats_url, G(nats_url), KIND_STRING, RESTART, "nats://127.0.0.1:4222"),
	KEY("nats.credentials", key_nats_credentials, G(nats_credentials), KIND_STRING, RESTART,
	    NULL),
	KEY("nats.stream", key_nats_stream, G(nats_stream), KIND_STRING, RESTART, "GATEWAYD"),
	NUMBER_KEY("nats.replicas", config_key_whole, G(nats_replicas), RESTART, "1", 1, 5),
	KEY("nats.ack_wait", config_key_positive_duration, G(nats_ack_wait), KIND_SCALAR, RESTART,
	    "30s"),
	KEY("nats.timeout", config_key_positive_duration, G(nats_timeout), KIND_SCALAR, RESTART,
	    "2s"),
};

const struct key_table config_nats_table = {
	TABLE_NATS, SECTION_GLOBAL, nats_keys, NAME_COUNT(nats_keys), NULL, NULL,
};

/*
 * nats.url: one or more server URLs separated by commas, each
 * nats://host:port (or tls://, or host:port as libnats takes it), no
 * spaces inside one.
 */
static int key_nats_url(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	for (const char *p = value;; p++) {
		size_t len = strcspn(p, ",");
		size_t lead = strspn(p, " \t");
		size_t word = strcspn(p + lead, " \t,");
		if (word == 0 || lead + word + strspn(p + lead + word, " \t") != len) {
			config_key_error(cf, k->name, value, "must be server URLs separated by commas, "
			    "such as nats://10.0.0.1:4222,nats://10.0.0.2:4222");
			return -1;
		}
		p += len;
		if (*p == '\0')
			break;
	}
	return config_key_text(cf, k, target, value);
}

/*
 * nats.stream: a JetStream stream name, also the first token of its
 * subjects and the start of the bucket's name: A-Z a-z 0-9 _ -, at most 32.
 */
static int key_nats_stream(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	size_t len = strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_-");

	if (len == 0 || value[len] != '\0' || len > 32) {
		config_key_error(cf, k->name, value, "must be 1 to 32 of A-Z a-z 0-9 _ -");
		return -1;
	}
	return config_key_text(cf, k, target, value);
}

/*
 * nats.credentials: the file gatewayd reads once at start, as root, before
 * it drops privileges (nats_credentials.c), stored absolute. It holds a
 * secret, so env_file's rules apply, checked by the readings that hold
 * secrets (the spawner's at start and reload, gatewayd -t); the daemon's
 * reading takes the path as written, as it may not see the file.
 */
static int key_nats_credentials(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	char **field = (char **)((char *)target + k->offset);
	struct stat st;
	char *path;

	if (cf->ld->without_secrets) {
		if ((path = config_path_absolute(cf, value)) == NULL)
			return config_out_of_memory(cf);
	} else {
		if ((path = config_path_resolve(cf, k, value, PATH_FILE)) == NULL)
			return -1;
		if (stat(path, &st) < 0) {
			config_key_error(cf, k->name, value, "%s: %s", path, strerror(errno));
			free(path);
			return -1;
		}
		if (config_secret_file_unsafe(cf, k->name, path, &st)) {
			free(path);
			return -1;
		}
	}
	free(*field);
	*field = path;
	return 0;
}
