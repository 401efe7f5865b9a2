/*
 * journal.c: the journal file (see journal.h): open, replay, append under
 * the fsync policy, compaction. The record format belongs to
 * journal_codec.c alone; this file only moves whole records in and out.
 *
 * Durability follows the usual rules for a log on a POSIX file system: a
 * record counts once fdatasync() has returned for it, a new file or a
 * rename counts once its directory has been fsync()ed too, and a
 * compaction is a new file renamed over the old one, so a crash leaves
 * either the old journal or the new one, never a mix.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "journal.h"

/* An append buffer grown past this (a large body) is freed after use. */
#define JOURNAL_BUF_KEEP	(1024 * 1024)

struct journal {
	int fd;			/* O_WRONLY | O_APPEND */
	char *path;
	enum journal_fsync policy;
	uint64_t size;		/* bytes in the file */
	bool dirty;		/* appended since the last fdatasync() */
	uint8_t *buf;		/* the encoding buffer, reused between appends */
	size_t buf_cap;
	uint8_t key[JOURNAL_KEY_LEN];	/* the secret in the file header */
	bool unkeyed;		/* an older gatewayd's file: no header (see journal.h) */
};

static struct journal	*journal_create(const char *, int, enum journal_fsync, char *, size_t);
static void	journal_free(struct journal *);
static int	sync_dir(const char *);
static int	read_header(struct journal *, char *, size_t);
static int	write_header(struct journal *);
static int	replay_map(struct journal *, const uint8_t *, size_t,
		    const struct journal_replay_ops *, void *, char *, size_t);
static int	grow_buf(struct journal *, size_t);
static int	write_all(int, const uint8_t *, size_t);
static void	cut_partial(struct journal *);
static int	journal_write(struct journal *, const struct journal_record *, bool);

/*
 * Opens path for appending with extra_flags added (O_EXCL for a
 * compaction's fresh file). The journal holds request bodies, cookies and
 * Authorization headers, so a symlink at path is refused (O_NOFOLLOW), an
 * existing file must be a plain file of ours with one link, and its mode is
 * made 0600 whatever it was. Returns the journal, or NULL with err.
 */
static struct journal *
journal_create(const char *path, int extra_flags, enum journal_fsync policy, char *err,
    size_t err_len)
{
	struct journal *j;
	struct stat st;

	if ((j = calloc(1, sizeof(*j))) == NULL || (j->path = strdup(path)) == NULL) {
		snprintf(err, err_len, "journal_open: %s: out of memory", path);
		free(j);
		return NULL;
	}
	j->policy = policy;
	j->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC | extra_flags,
	    0600);
	if (j->fd < 0 || fstat(j->fd, &st) < 0) {
		snprintf(err, err_len, "journal_open: %s: %s", path,
		    errno == ELOOP ? "is a symbolic link" : strerror(errno));
		journal_free(j);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != geteuid()) {
		snprintf(err, err_len, "journal_open: %s: not a plain file of uid %d: move it away",
		    path, (int)geteuid());
		journal_free(j);
		return NULL;
	}
	if ((st.st_mode & 07777) != 0600 && fchmod(j->fd, 0600) < 0) {
		snprintf(err, err_len, "journal_open: %s: chmod 0600: %s", path, strerror(errno));
		journal_free(j);
		return NULL;
	}
	j->size = (uint64_t)st.st_size;
	return j;
}

/* Closes and frees j without syncing anything. */
static void
journal_free(struct journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	free(j->buf);
	free(j->path);
	free(j);
}

/*
 * fsync()s the directory that holds path, which makes a file created or
 * renamed there durable. 0 / -1 (errno).
 */
static int
sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, rc = -1, saved;

	if (slash == NULL)
		dir = strdup(".");
	else
		dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (dir == NULL)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		rc = fsync(fd);
		saved = errno;
		close(fd);
		errno = saved;
	}
	free(dir);
	return rc;
}

/*
 * The event loop owns the timer that calls journal_sync() (batch: every
 * append; always: the unsynced ones), and asks journal_sync_pending()
 * whether there is anything to sync. The directory is synced
 * because the file may have just been created, and policy always promises
 * durability from the first append on.
 */
struct journal *
journal_open(const char *path, enum journal_fsync policy, char *err, size_t err_len)
{
	struct journal *j;

	if ((j = journal_create(path, 0, policy, err, err_len)) == NULL)
		return NULL;
	if (read_header(j, err, err_len) < 0) {
		journal_free(j);
		return NULL;
	}
	if (sync_dir(path) < 0) {
		snprintf(err, err_len, "journal_open: %s: syncing its directory: %s", path,
		    strerror(errno));
		journal_free(j);
		return NULL;
	}
	return j;
}

/*
 * Reads the file header into j. An empty file, or a header torn by a crash
 * while it was created (nothing can follow it then), gets a new header with
 * a fresh secret. A file that starts with a record is an older gatewayd's:
 * j is unkeyed, with a fresh secret for its compaction. 0 / -1 with err.
 */
static int
read_header(struct journal *j, char *err, size_t err_len)
{
	uint8_t head[JOURNAL_FILE_HEADER_LEN];
	struct journal_record rec;
	ssize_t n = 0, got;
	int fd;

	fd = open(j->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		while ((n = pread(fd, head, sizeof(head), 0)) < 0 && errno == EINTR)
			;
		close(fd);
	}
	if (fd < 0 || n < 0) {
		snprintf(err, err_len, "journal_open: %s: reading its header: %s", j->path,
		    strerror(errno));
		return -1;
	}
	got = journal_header_decode(head, (size_t)n, j->key);
	if (got > 0)
		return 0;
	if (got == 0) {
		if (getrandom(j->key, sizeof(j->key), 0) != (ssize_t)sizeof(j->key) ||
		    ftruncate(j->fd, 0) < 0 || write_header(j) < 0 || fdatasync(j->fd) < 0) {
			snprintf(err, err_len, "journal_open: %s: writing its header: %s",
			    j->path, strerror(errno));
			return -1;
		}
		j->dirty = false;
		return 0;
	}
	if (journal_record_decode(head, (size_t)n, NULL, &rec) >= 0 &&
	    getrandom(j->key, sizeof(j->key), 0) == (ssize_t)sizeof(j->key)) {
		j->unkeyed = true;
		return 0;
	}
	snprintf(err, err_len, "journal_open: %s: neither a gatewayd journal header nor a "
	    "record at its start: not a journal (or damaged): move it away", j->path);
	return -1;
}

/*
 * Writes the header for j's secret (fresh from read_header(), or the old
 * file's in a compaction's new one) at the end of j, a file of 0 bytes.
 * 0 / -1 (errno).
 */
static int
write_header(struct journal *j)
{
	uint8_t head[JOURNAL_FILE_HEADER_LEN];

	journal_header_encode(j->key, head);
	if (write_all(j->fd, head, sizeof(head)) < 0)
		return -1;
	j->size = sizeof(head);
	j->dirty = true;
	return 0;
}

/*
 * Maps the file read-only (j's own descriptor is write-only) and walks it.
 * The records handed to ops point into the mapping: they are valid only
 * during the call. ops must not append to j while this runs, since a
 * torn tail found at the end is cut off the file.
 */
int
journal_replay(struct journal *j, const struct journal_replay_ops *ops, void *ctx,
    char *err, size_t err_len)
{
	struct stat st;
	void *map = NULL;
	size_t size = 0;
	int fd, rc = -1;

	fd = open(j->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, err_len, "journal_replay: %s: %s", j->path, strerror(errno));
		goto done;
	}
	size = (size_t)st.st_size;
	if (size > 0) {
		map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			map = NULL;
			snprintf(err, err_len, "journal_replay: %s: mmap: %s", j->path,
			    strerror(errno));
			goto done;
		}
		madvise(map, size, MADV_SEQUENTIAL);
	}
	rc = replay_map(j, map, size, ops, ctx, err, err_len);
done:
	if (map != NULL)
		munmap(map, size);
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * Hands every whole record after the file header in map[0..size) to
 * ops->record, checked with j's secret (unkeyed: from the start, as the
 * gatewayd that wrote it did). Where decoding
 * fails (-1: corrupt; 0 before the end: a damaged length) it resynchronises
 * by decoding at each following byte, which the codec refuses at once
 * unless the magic starts there, so this is a scan for the next magic that
 * begins a whole record. Each run of skipped bytes is reported once. A run
 * that reaches the end (a torn tail, or garbage) is cut off the file.
 */
static int
replay_map(struct journal *j, const uint8_t *map, size_t size,
    const struct journal_replay_ops *ops, void *ctx, char *err, size_t err_len)
{
	struct journal_record rec;
	const uint8_t *key = j->unkeyed ? NULL : j->key;
	size_t off = j->unkeyed || size < JOURNAL_FILE_HEADER_LEN ? 0 : JOURNAL_FILE_HEADER_LEN;
	size_t bad = SIZE_MAX;		/* SIZE_MAX: not in a skipped run */
	ssize_t n;

	while (off < size) {
		n = journal_record_decode(map + off, size - off, key, &rec);
		if (n <= 0) {
			if (bad == SIZE_MAX)
				bad = off;
			off++;
			continue;
		}
		if (bad != SIZE_MAX) {
			ops->skipped(ctx, bad, off - bad);
			bad = SIZE_MAX;
		}
		ops->record(ctx, &rec);
		off += (size_t)n;
	}
	if (bad == SIZE_MAX)
		return 0;
	ops->skipped(ctx, bad, size - bad);
	if (ftruncate(j->fd, (off_t)bad) < 0 || fdatasync(j->fd) < 0) {
		snprintf(err, err_len, "journal_replay: %s: cutting the torn tail at %zu: %s",
		    j->path, bad, strerror(errno));
		return -1;
	}
	j->size = bad;
	return 0;
}

/* Makes j's buffer hold at least need bytes. 0 / -1 (ENOMEM). */
static int
grow_buf(struct journal *j, size_t need)
{
	uint8_t *buf = malloc(need);

	if (buf == NULL)
		return -1;
	free(j->buf);
	j->buf = buf;
	j->buf_cap = need;
	return 0;
}

/* write() until all of p is out. 0 / -1 (errno). */
static int
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * After a failed write: cuts off whatever part of the record reached the
 * file, so the next append starts on a record boundary. If even that fails,
 * replay will skip the fragment; the size is re-read so it stays true.
 * Keeps errno.
 */
static void
cut_partial(struct journal *j)
{
	struct stat st;
	int saved = errno;

	if (ftruncate(j->fd, (off_t)j->size) < 0 && fstat(j->fd, &st) == 0)
		j->size = (uint64_t)st.st_size;
	errno = saved;
}

/*
 * One write() per record (looping only if the kernel takes part of it), so
 * records from one process never interleave. EINVAL: r cannot be encoded
 * (unknown type, a field too long, over the 64 MiB record limit).
 */
int
journal_append(struct journal *j, const struct journal_record *r)
{
	return journal_write(j, r, j->policy == JOURNAL_FSYNC_ALWAYS);
}

int
journal_append_unsynced(struct journal *j, const struct journal_record *r)
{
	return journal_write(j, r, false);
}

/*
 * Writes r in one write(); fdatasync too when sync_now. 0 / -1 (errno;
 * EROFS for an unkeyed journal, whose records must not mix with keyed ones).
 */
static int
journal_write(struct journal *j, const struct journal_record *r, bool sync_now)
{
	size_t need = journal_record_size(r);
	int rc = -1;

	if (need == 0 || j->unkeyed) {
		errno = need == 0 ? EINVAL : EROFS;
		return -1;
	}
	if (need > j->buf_cap && grow_buf(j, need) < 0)
		return -1;
	journal_record_encode(r, j->key, j->buf, need);
	if (write_all(j->fd, j->buf, need) < 0) {
		cut_partial(j);
		goto done;
	}
	j->size += need;
	j->dirty = true;
	if (sync_now && journal_sync(j) < 0)
		goto done;
	rc = 0;
done:
	if (j->buf_cap > JOURNAL_BUF_KEEP) {
		free(j->buf);
		j->buf = NULL;
		j->buf_cap = 0;
	}
	return rc;
}

/*
 * A failed fdatasync() leaves j dirty, but a retry that succeeds does not
 * prove the earlier data reached the disk (the kernel may have dropped the
 * dirty pages): the caller should treat the failure as lost durability.
 */
int
journal_sync(struct journal *j)
{
	if (!j->dirty)
		return 0;
	if (fdatasync(j->fd) < 0)
		return -1;
	j->dirty = false;
	return 0;
}

bool
journal_sync_pending(const struct journal *j)
{
	return j->policy != JOURNAL_FSYNC_OFF && j->dirty;
}

bool
journal_unkeyed(const struct journal *j)
{
	return j->unkeyed;
}

uint64_t
journal_size(const struct journal *j)
{
	return j->size;
}

/*
 * write_live() gets a journal on path.tmp (made anew: a .tmp left by a
 * compaction that crashed is stale, and whatever is at that path is
 * removed, never written through) with policy off, and returns 0 / -1.
 * The new file is synced once, then renamed over path. From the rename on,
 * path names the new file, so j switches to it even if the directory sync
 * that follows fails (that failure is still returned: the rename may not
 * survive a crash, though either file then holds every live job).
 */
int
journal_compact(struct journal *j, int (*write_live)(void *ctx, struct journal *out),
    void *ctx, char *err, size_t err_len)
{
	struct journal *out = NULL;
	char *tmp = NULL;
	bool renamed = false;
	int fd, rc = -1;

	if (asprintf(&tmp, "%s.tmp", j->path) < 0) {
		tmp = NULL;
		snprintf(err, err_len, "journal_compact: %s: out of memory", j->path);
		goto done;
	}
	unlink(tmp);
	if ((out = journal_create(tmp, O_EXCL, JOURNAL_FSYNC_OFF, err, err_len)) == NULL)
		goto done;
	memcpy(out->key, j->key, sizeof(out->key));
	if (write_header(out) < 0) {
		snprintf(err, err_len, "journal_compact: %s: %s", tmp, strerror(errno));
		goto done;
	}
	if (write_live(ctx, out) < 0) {
		snprintf(err, err_len, "journal_compact: %s: writing the live records failed",
		    tmp);
		goto done;
	}
	if (fdatasync(out->fd) < 0 || rename(tmp, j->path) < 0) {
		snprintf(err, err_len, "journal_compact: %s: %s", tmp, strerror(errno));
		goto done;
	}
	renamed = true;
	fd = j->fd;
	j->fd = out->fd;
	out->fd = fd;		/* the old file, closed with out below */
	j->size = out->size;
	j->dirty = false;
	j->unkeyed = false;
	if (sync_dir(j->path) < 0) {
		snprintf(err, err_len, "journal_compact: %s: syncing its directory: %s",
		    j->path, strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (!renamed && tmp != NULL)
		unlink(tmp);
	if (out != NULL)
		journal_free(out);
	free(tmp);
	return rc;
}

/* Syncs what policy batch still owes; policy off leaves it to the kernel. */
void
journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	if (journal_sync_pending(j))
		journal_sync(j);
	journal_free(j);
}
