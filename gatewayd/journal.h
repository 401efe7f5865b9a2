/*
 * journal.h: the durable log of async jobs: a file header, then an
 * append-only run of records, each framed and checked by a CRC-32C keyed
 * with the journal's secret, replayed at start-up and compacted when it has
 * grown well past what is still live.
 *
 * Layout (little-endian), the codec's business only:
 *   file header, once:  magic u32 "GWJH" | version u32 (2) | secret 16 bytes
 *   each record:        magic u32 "GWJ1" | length u32 (of what follows the
 *     check) | check u32 = crc32c(secret || the rest) |
 *     type u8 | id 16 bytes | time_ms u64 | type-specific fields
 * The secret comes from getrandom() when the file is created and is carried
 * into each compacted file. A torn last record or garbage is detected by
 * length and check; replay skips it, resynchronising on the next magic, and
 * reports what it skipped. Bytes a client placed in a request body may be
 * scanned there, but cannot verify without the secret (journal_codec.c
 * says why a keyed CRC suffices). A file without the header is an older
 * gatewayd's: replayed once with the unkeyed check, then compacted.
 */
#ifndef GATEWAYD_JOURNAL_H
#define GATEWAYD_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define JOURNAL_ID_LEN 16
/* The per-journal secret that keys every record's check. */
#define JOURNAL_KEY_LEN 16
/* Bytes of the file header: magic, version, secret. */
#define JOURNAL_FILE_HEADER_LEN (4 + 4 + JOURNAL_KEY_LEN)

/* When appended records are flushed to disk ([global] async.fsync). */
enum journal_fsync {
	JOURNAL_FSYNC_ALWAYS,	/* before each 202: no accepted job can be lost */
	JOURNAL_FSYNC_BATCH,	/* group commit every async.fsync_interval (default) */
	JOURNAL_FSYNC_OFF,	/* left to the kernel */
};

enum journal_type {
	JOURNAL_ACCEPTED = 1,	/* a job was accepted: function, params, body */
	JOURNAL_STARTED = 2,	/* attempt N was given to a worker */
	JOURNAL_FINISHED = 3,	/* the job ended: outcome, status, kept response */
	JOURNAL_FORGOTTEN = 4,	/* result_ttl passed: the job is gone */
	JOURNAL_DELIVERED = 5,	/* its callback is over: delivered (succeeded) or failed, attempts */
};

/* One record; pointers refer into the decoded buffer or the caller's data. */
struct journal_record {
	enum journal_type type;
	uint8_t id[JOURNAL_ID_LEN];
	uint64_t time_ms;		/* wall clock, milliseconds since the epoch */
	/* JOURNAL_ACCEPTED */
	const char *function;		/* the function's name (not NUL-terminated) */
	size_t function_len;
	const uint8_t *params;		/* the PARAMS stream as the web server sent it */
	size_t params_len;
	const uint8_t *body;
	size_t body_len;
	/* JOURNAL_STARTED */
	uint32_t attempt;		/* 1 for the first */
	/* JOURNAL_FINISHED (and JOURNAL_DELIVERED: succeeded, attempts) */
	bool succeeded;
	uint32_t attempts;
	uint16_t status;		/* the function's HTTP status (0 when it gave none) */
	const uint8_t *response;	/* the response as the function wrote it (headers, body), bounded */
	size_t response_len;
};

/* Bytes journal_record_encode() writes for r. */
size_t journal_record_size(const struct journal_record *r);

/*
 * Writes r into out, its check keyed with key (JOURNAL_KEY_LEN bytes).
 * Returns the bytes written, or 0 when cap is too small.
 */
size_t journal_record_encode(const struct journal_record *r, const uint8_t *key, uint8_t *out,
    size_t cap);

/*
 * Decodes the record at buf, checked with key (NULL: the unkeyed check of
 * journals without a header). Returns the bytes it spans, 0 when it is not
 * whole within len (a torn tail, or more to read), -1 when it is corrupt
 * (bad magic, length, check or type, or written under another key).
 */
ssize_t journal_record_decode(const uint8_t *buf, size_t len, const uint8_t *key,
    struct journal_record *r);

/* CRC-32C (Castagnoli) of len bytes. */
uint32_t journal_crc32c(const void *data, size_t len);

/* A record's check: CRC-32C of key (when not NULL) then payload. */
uint32_t journal_record_check(const uint8_t *key, const void *payload, size_t len);

/* Writes the file header that carries key. */
void journal_header_encode(const uint8_t key[JOURNAL_KEY_LEN], uint8_t out[JOURNAL_FILE_HEADER_LEN]);

/*
 * Reads a file header from buf: JOURNAL_FILE_HEADER_LEN with key filled,
 * 0 when len is short of it but what is there agrees (an empty or torn
 * header), -1 when buf starts otherwise (another version, no header).
 */
ssize_t journal_header_decode(const uint8_t *buf, size_t len, uint8_t key[JOURNAL_KEY_LEN]);

struct journal;

/*
 * Opens (creating, 0600) the journal at path for appending, with the fsync
 * policy; under batch, the caller's timer calls journal_sync(). A new (or
 * empty) file gets a header with a fresh secret, synced. A file that starts
 * with a record instead is an older gatewayd's, opened unkeyed (see
 * journal_unkeyed). Returns it, or NULL with err (also for a file that is
 * neither).
 */
struct journal *journal_open(const char *path, enum journal_fsync policy, char *err,
    size_t err_len);

/* Receives replayed records, and the byte ranges replay had to skip. */
struct journal_replay_ops {
	void (*record)(void *ctx, const struct journal_record *r);
	void (*skipped)(void *ctx, uint64_t offset, uint64_t len);
};

/*
 * Reads the whole file from the start and hands every whole record, in
 * order, to ops->record; corrupt regions are skipped (resynchronising on
 * the next magic) and reported to ops->skipped. A torn tail is truncated
 * away, so appends start on a record boundary. Returns 0, or -1 with err
 * on an I/O error.
 */
int journal_replay(struct journal *j, const struct journal_replay_ops *ops, void *ctx,
    char *err, size_t err_len);

/*
 * Appends r. Policy always: durable (fdatasync) when this returns; batch:
 * written now, made durable by the next journal_sync(); off: written.
 * Returns 0, or -1 with errno (the record may not be in the journal).
 */
int journal_append(struct journal *j, const struct journal_record *r);

/*
 * Appends r without syncing it, whatever the policy: made durable by the
 * next synced append or journal_sync(). For records whose loss a replay
 * survives (an attempt started or finished: the job just runs again).
 */
int journal_append_unsynced(struct journal *j, const struct journal_record *r);

/* fdatasync if anything was appended since the last sync. 0 / -1 (errno). */
int journal_sync(struct journal *j);

/*
 * Whether appends wait for a journal_sync(): any append under policy batch,
 * journal_append_unsynced()'s under always; never under off.
 */
bool journal_sync_pending(const struct journal *j);

/*
 * Whether j is an older gatewayd's journal without a header: replay checks
 * its records unkeyed, as that gatewayd did (trusted as before, this once),
 * and it takes no append (EROFS) until journal_compact() rewrote it keyed.
 */
bool journal_unkeyed(const struct journal *j);

/* Bytes in the file now. */
uint64_t journal_size(const struct journal *j);

/*
 * Rewrites the journal with only the records write_live() appends (through
 * journal_append on the journal it is given), into path.tmp behind a header
 * with j's secret, fsynced, then renamed over path. On failure the old
 * journal stays in use. 0 / -1 with err.
 */
int journal_compact(struct journal *j, int (*write_live)(void *ctx, struct journal *out),
    void *ctx, char *err, size_t err_len);

void journal_close(struct journal *j);

#endif /* GATEWAYD_JOURNAL_H */
