/*
 * spawner_proto.c: the spawner's messages (see spawner_proto.h). Integers
 * are written and read a byte at a time, little-endian, so neither
 * alignment nor the host's byte order matters.
 */
#include <string.h>

#include "spawner_proto.h"

/* Bytes of one LOADED entry besides its name: name_len, digest, uid, gid. */
#define SPAWNER_FUNCTION_FIXED 20	/* name and secret lengths, digest, uid, gid */

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

size_t spawner_msg_size(const struct spawner_msg *m)
{
	return SPAWNER_MSG_HEADER + m->name_len + m->data_len;
}

size_t spawner_msg_encode(const struct spawner_msg *m, uint8_t *out, size_t cap)
{
	size_t size = spawner_msg_size(m);

	if (m->name_len > SPAWNER_NAME_MAX || m->data_len > SPAWNER_MSG_MAX ||
	    size > SPAWNER_MSG_MAX || size > cap)
		return 0;
	out[0] = (uint8_t)m->type;
	out[1] = m->group ? 1 : 0;
	put_u32(out + 2, m->generation);
	put_u64(out + 6, m->child);
	put_u32(out + 14, (uint32_t)m->pid);
	put_u32(out + 18, (uint32_t)m->value);
	put_u16(out + 22, (uint16_t)m->name_len);
	if (m->name_len > 0)
		memcpy(out + 24, m->name, m->name_len);
	put_u32(out + 24 + m->name_len, (uint32_t)m->data_len);
	if (m->data_len > 0)
		memcpy(out + SPAWNER_MSG_HEADER + m->name_len, m->data, m->data_len);
	return size;
}

/* Whether every LOADED entry in data[0, len) is whole and well formed. */
static bool loaded_entries_valid(const uint8_t *data, size_t len)
{
	struct spawner_function f;
	ssize_t n;

	while ((n = spawner_function_decode(data, len, &f)) > 0) {
		data += n;
		len -= (size_t)n;
	}
	return n == 0;
}

/* The checks a decoded message's type makes of its fields. */
static bool msg_fields_valid(const struct spawner_msg *m)
{
	switch (m->type) {
	case SPAWNER_LOAD:
		return m->name_len == 0 && m->data_len == 0;
	case SPAWNER_RELEASE:
		return m->generation != 0;
	case SPAWNER_SPAWN:
		return m->generation != 0 && m->name_len > 0 &&
		    (m->data_len == 0 || m->data[m->data_len - 1] == '\0');
	case SPAWNER_SIGNAL:
		return m->child != 0 && m->value > 0 && m->value < 65;
	case SPAWNER_INSPECT:
		return m->pid > 0 && m->name_len == 0 && m->data_len == 0;
	case SPAWNER_INSPECTED:
		return m->data_len > 0;
	case SPAWNER_LOADED:
		return m->generation != 0 && loaded_entries_valid(m->data, m->data_len);
	case SPAWNER_SPAWNED:
	case SPAWNER_EXITED:
		return m->child != 0 && m->pid > 0;
	case SPAWNER_ERROR:
		return m->data_len > 0;
	default:
		return false;
	}
}

int spawner_msg_decode(const uint8_t *buf, size_t len, struct spawner_msg *m)
{
	size_t name_len, data_len;

	if (len < SPAWNER_MSG_HEADER || len > SPAWNER_MSG_MAX || buf[1] > 1)
		return -1;
	name_len = get_u16(buf + 22);
	if (name_len > SPAWNER_NAME_MAX || len < SPAWNER_MSG_HEADER + name_len)
		return -1;
	data_len = get_u32(buf + 24 + name_len);
	if (len != SPAWNER_MSG_HEADER + name_len + data_len)
		return -1;
	*m = (struct spawner_msg){
		.type = (enum spawner_msg_type)buf[0],
		.group = buf[1] == 1,
		.generation = get_u32(buf + 2),
		.child = get_u64(buf + 6),
		.pid = (int32_t)get_u32(buf + 14),
		.value = (int32_t)get_u32(buf + 18),
		.name = (const char *)buf + 24,
		.name_len = name_len,
		.data = buf + SPAWNER_MSG_HEADER + name_len,
		.data_len = data_len,
	};
	return msg_fields_valid(m) ? 0 : -1;
}

ssize_t spawner_env_split(const uint8_t *data, size_t len, const char **strings, size_t max)
{
	size_t count = 0;

	if (len > 0 && data[len - 1] != '\0')
		return -1;
	for (size_t off = 0; off < len; count++) {
		if (count == max)
			return -1;
		strings[count] = (const char *)data + off;
		off += strlen(strings[count]) + 1;
	}
	return (ssize_t)count;
}

size_t spawner_function_size(const struct spawner_function *f)
{
	return SPAWNER_FUNCTION_FIXED + f->name_len + f->secret_len;
}

/* name length, name, digest, uid, gid, secret length, secret. */
size_t spawner_function_encode(const struct spawner_function *f, uint8_t *out)
{
	uint8_t *secret = out + 18 + f->name_len;

	put_u16(out, (uint16_t)f->name_len);
	memcpy(out + 2, f->name, f->name_len);
	put_u64(out + 2 + f->name_len, f->digest);
	put_u32(out + 10 + f->name_len, f->uid);
	put_u32(out + 14 + f->name_len, f->gid);
	put_u16(secret, (uint16_t)f->secret_len);
	if (f->secret_len > 0)
		memcpy(secret + 2, f->secret, f->secret_len);
	return spawner_function_size(f);
}

ssize_t spawner_function_decode(const uint8_t *data, size_t len, struct spawner_function *f)
{
	if (len == 0)
		return 0;
	if (len < SPAWNER_FUNCTION_FIXED)
		return -1;
	f->name_len = get_u16(data);
	if (f->name_len == 0 || f->name_len > SPAWNER_NAME_MAX ||
	    len < SPAWNER_FUNCTION_FIXED + f->name_len)
		return -1;
	f->name = (const char *)data + 2;
	f->digest = get_u64(data + 2 + f->name_len);
	f->uid = get_u32(data + 10 + f->name_len);
	f->gid = get_u32(data + 14 + f->name_len);
	f->secret_len = get_u16(data + 18 + f->name_len);
	if (f->secret_len > SPAWNER_SECRET_MAX ||
	    len < SPAWNER_FUNCTION_FIXED + f->name_len + f->secret_len)
		return -1;
	f->secret = f->secret_len > 0 ? (const char *)data + 20 + f->name_len : NULL;
	return (ssize_t)spawner_function_size(f);
}
