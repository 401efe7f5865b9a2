/*
 * spawner_proto.h: the messages between gatewayd and its spawner (see
 * spawner.h), as pure functions over byte buffers.
 *
 * Every message, in both directions, has one layout (little-endian):
 *
 *   type u8 | group u8 | generation u32 | child u64 | pid i32 | value i32 |
 *   name_len u16 | name | data_len u32 | data
 *
 * Fields a type does not use are zero. One message is one SOCK_SEQPACKET
 * datagram; descriptors travel beside it as SCM_RIGHTS. The spawner decodes
 * what the daemon sends, and the daemon is the process that parses web input,
 * so the decoder trusts nothing: every length is checked against what
 * arrived and against the bounds below, and each type's required fields are
 * checked before a message is handed on.
 */
#ifndef FCGI_POOL_SPAWNER_PROTO_H
#define FCGI_POOL_SPAWNER_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The largest message (a CGI program's environment, a LOADED list). */
#define SPAWNER_MSG_MAX (192 * 1024)
/* The fixed part: everything but name and data. */
#define SPAWNER_MSG_HEADER 28
/* The longest function name a message may carry. */
#define SPAWNER_NAME_MAX 255
/* The longest secret a LOADED entry may carry. */
#define SPAWNER_SECRET_MAX 4096
/* Variables a SPAWN may carry. */
#define SPAWNER_ENV_MAX 4096
/* Descriptors a SPAWN carries: the child's 0, 1 and 2. */
#define SPAWNER_SPAWN_FDS 3

enum spawner_msg_type {
	/* daemon -> spawner, on the request socket */
	SPAWNER_LOAD = 1,	/* read the configuration anew: LOADED or ERROR */
	SPAWNER_RELEASE = 2,	/* generation is no longer used: no reply */
	SPAWNER_SPAWN = 3,	/* start function name of generation, data = extra env: SPAWNED or ERROR */
	SPAWNER_SIGNAL = 4,	/* send value (a signal) to child (its group if group): no reply */
	SPAWNER_INSPECT = 5,	/* what the child with pid is doing: INSPECTED or ERROR */
	/* spawner -> daemon, replies on the request socket */
	SPAWNER_LOADED = 0x81,	/* generation; data = one entry per function (below) */
	SPAWNER_SPAWNED = 0x82,	/* child, pid; one descriptor: the exec-error pipe */
	SPAWNER_INSPECTED = 0x83,	/* data = its /proc syscall, wchan and stack, as text */
	SPAWNER_ERROR = 0x8f,	/* data = why, as text */
	/* spawner -> daemon, events on the event socket */
	SPAWNER_EXITED = 0xc1,	/* child, pid reaped; value = waitpid status */
};

/* One decoded or to-be-encoded message; pointers refer into the buffer. */
struct spawner_msg {
	enum spawner_msg_type type;
	bool group;			/* SIGNAL */
	uint32_t generation;		/* RELEASE, SPAWN, LOADED */
	uint64_t child;			/* SIGNAL, SPAWNED, EXITED: the spawner's serial for a child */
	int32_t pid;			/* SPAWNED, EXITED */
	int32_t value;			/* SIGNAL: the signal; EXITED: the wait status */
	const char *name;		/* SPAWN: the function (not NUL-terminated) */
	size_t name_len;
	const uint8_t *data;		/* SPAWN: NUL-terminated NAME=VALUE strings back to back;
					   LOADED: entries; ERROR: text */
	size_t data_len;
};

/*
 * One function of a LOADED reply: how the spawner will start its workers,
 * and the one secret of its configuration that the daemon needs but may
 * not be able to read itself (it runs unprivileged; the file may be root's).
 */
struct spawner_function {
	const char *name;		/* not NUL-terminated */
	size_t name_len;
	uint64_t digest;		/* changes whenever how its workers start changes */
	uint32_t uid;			/* what its workers run as */
	uint32_t gid;
	const char *secret;		/* not NUL-terminated; its callbacks' signing key, or NULL */
	size_t secret_len;		/* at most SPAWNER_SECRET_MAX; 0 without one */
};

/* Bytes spawner_msg_encode() needs for m. */
size_t spawner_msg_size(const struct spawner_msg *m);

/*
 * Writes m into out. Returns the bytes written, or 0 when cap is too small
 * or m breaks a bound (name longer than SPAWNER_NAME_MAX, more than
 * SPAWNER_MSG_MAX bytes in all).
 */
size_t spawner_msg_encode(const struct spawner_msg *m, uint8_t *out, size_t cap);

/*
 * Decodes the whole datagram buf[0, len). Returns 0, or -1 when it is
 * malformed: a length that does not match what arrived, an unknown type, a
 * field its type requires missing or out of range (see spawner_msg_type).
 */
int spawner_msg_decode(const uint8_t *buf, size_t len, struct spawner_msg *m);

/*
 * Splits a SPAWN's data into NUL-terminated strings: stores up to max
 * pointers into data in strings[] and returns their number, or -1 when the
 * data does not end with a NUL or holds more than max strings.
 */
ssize_t spawner_env_split(const uint8_t *data, size_t len, const char **strings, size_t max);

/* Bytes one LOADED entry takes. */
size_t spawner_function_size(const struct spawner_function *f);

/* Writes f at out (spawner_function_size(f) bytes, checked by the caller). */
size_t spawner_function_encode(const struct spawner_function *f, uint8_t *out);

/*
 * Decodes the LOADED entry at data[0, len): returns the bytes it spans, 0
 * when len is 0 (no more entries), -1 when it is malformed.
 */
ssize_t spawner_function_decode(const uint8_t *data, size_t len, struct spawner_function *f);

#endif /* FCGI_POOL_SPAWNER_PROTO_H */
