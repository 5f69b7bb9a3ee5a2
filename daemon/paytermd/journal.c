// SPDX-License-Identifier: GPL-2.0-or-later
/* paytermd: the in-flight journal (journal.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "journal.h"
#include "log.h"

struct pd_journal {
	char *path;
	int dfd;
};

static bool charset_ok(const char *s, size_t max, const char *extra)
{
	size_t n = strlen(s);

	if (!n || n > max)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= 'a' && *s <= 'z') || (extra && strchr(extra, *s))))
			return false;
	return true;
}

bool pd_journal_key_ok(const char *key)
{
	return key && charset_ok(key, 39, NULL);
}

bool pd_payment_id_ok(const char *id)
{
	return id && charset_ok(id, 63, "_-");
}

static const char *stage_name(enum pd_jstage s)
{
	return s == PD_J_REVERSING ? "reversing" : "submitting";
}

static int sha256_hex(const char *p, size_t n, char out[65])
{
	uint8_t md[32];
	unsigned mdlen = 0;

	if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return -EIO;
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* informative text members: printable ASCII without blanks, else '_' */
static void clean(char *dst, size_t cap, const char *src)
{
	size_t i;

	for (i = 0; src && src[i] && i + 1 < cap; i++)
		dst[i] = src[i] > ' ' && src[i] < 0x7f ? src[i] : '_';
	dst[i] = '\0';
}

int pd_jrec_format(const struct pd_jrec *r, char *buf, size_t cap)
{
	char rid[80], mid[80], oid[80], cur[4], shown[16], sum[65];
	int n;

	if (!pd_journal_key_ok(r->key) ||
	    (r->payment_id[0] && !pd_payment_id_ok(r->payment_id)))
		return -EINVAL;
	clean(rid, sizeof(rid), r->request_id);
	clean(mid, sizeof(mid), r->merchant_id);
	clean(oid, sizeof(oid), r->order_id);
	clean(cur, sizeof(cur), r->currency);
	clean(shown, sizeof(shown), r->shown);
	n = snprintf(buf, cap,
		     "paytermd-inflight %d\nkey %s\nstage %s\n"
		     "%s%s%s" "%s%s%s" "%s%s%s"
		     "amount %" PRIu64 "\ncurrency %s\n"
		     "%s%s%s"
		     "created %" PRId64 "\nupdated %" PRId64 "\nattempts %u\n"
		     "%s%s%s",
		     PD_JOURNAL_VERSION, r->key, stage_name(r->stage),
		     rid[0] ? "request_id " : "", rid, rid[0] ? "\n" : "",
		     mid[0] ? "merchant_id " : "", mid, mid[0] ? "\n" : "",
		     oid[0] ? "order_id " : "", oid, oid[0] ? "\n" : "",
		     r->amount, cur[0] ? cur : "XXX",
		     r->payment_id[0] ? "payment_id " : "", r->payment_id,
		     r->payment_id[0] ? "\n" : "",
		     r->created, r->updated, r->attempts,
		     shown[0] ? "shown " : "", shown, shown[0] ? "\n" : "");
	if (n < 0 || (size_t)n + 73 > cap)
		return -ENOSPC;
	if (sha256_hex(buf, (size_t)n, sum))
		return -EIO;
	n += snprintf(buf + n, cap - (size_t)n, "sha256 %s\n", sum);
	return n;
}

static int num(const char *v, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (!*v || *v < '0' || *v > '9')
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end || x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

static int copy(char *dst, size_t cap, const char *v)
{
	if (strlen(v) >= cap)
		return -EINVAL;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

int pd_jrec_parse(const char *buf, size_t len, struct pd_jrec *r)
{
	enum { F_KEY = 1, F_STAGE = 2, F_AMOUNT = 4, F_CURRENCY = 8,
	       F_CREATED = 16 };
	static const struct { const char *name; unsigned bit; } known[] = {
		{ "key", 1 << 0 }, { "stage", 1 << 1 }, { "amount", 1 << 2 },
		{ "currency", 1 << 3 }, { "created", 1 << 4 },
		{ "request_id", 1 << 5 }, { "merchant_id", 1 << 6 },
		{ "order_id", 1 << 7 }, { "payment_id", 1 << 8 },
		{ "updated", 1 << 9 }, { "attempts", 1 << 10 },
		{ "shown", 1 << 11 },
	};
	char text[PD_JOURNAL_MAX + 1], sum[65], *line, *next, *end;
	const char *last;
	unsigned seen = 0;
	uint64_t x;
	size_t body;
	int r2 = 0;

	memset(r, 0, sizeof(*r));
	if (len > PD_JOURNAL_MAX || memchr(buf, '\0', len))
		return -EINVAL;
	memcpy(text, buf, len);
	text[len] = '\0';
	/* version first: a record of another version is not ours to judge */
	if (strncmp(text, "paytermd-inflight ", 18))
		return len < 18 && !strncmp(text, "paytermd-inflight ", len) ?
		       -EBADMSG : -EINVAL;
	if (!strchr(text, '\n'))
		return -EBADMSG;
	x = (uint64_t)strtol(text + 18, &end, 10);
	if (end == text + 18 || *end != '\n')
		return -EINVAL;
	if (x != PD_JOURNAL_VERSION)
		return -EPROTONOSUPPORT;
	/* the checksum line ends the record: torn without it */
	if (len < 73 || text[len - 1] != '\n')
		return -EBADMSG;
	last = text + len - 72;
	if ((last != text && last[-1] != '\n') || strncmp(last, "sha256 ", 7))
		return -EBADMSG;
	body = (size_t)(last - text);
	if (sha256_hex(text, body, sum) || strncmp(last + 7, sum, 64))
		return -EBADMSG;
	text[body] = '\0';
	for (line = strchr(text, '\n') + 1; *line; line = next) {
		char *sp, *val;
		unsigned bit = 0;

		next = strchr(line, '\n');
		if (!next)
			return -EINVAL;
		*next++ = '\0';
		sp = strchr(line, ' ');
		if (!sp || sp == line || !sp[1])
			return -EINVAL;
		*sp = '\0';
		val = sp + 1;
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (!strcmp(line, known[i].name))
				bit = known[i].bit;
		if (!bit)
			continue;		/* unknown member: ignored */
		if (seen & bit)
			return -EINVAL;		/* given twice */
		seen |= bit;
		if (!strcmp(line, "key"))
			r2 = pd_journal_key_ok(val) ? copy(r->key, sizeof(r->key), val) :
			     -EINVAL;
		else if (!strcmp(line, "stage"))
			r2 = !strcmp(val, "submitting") ? (r->stage = PD_J_SUBMITTING, 0) :
			     !strcmp(val, "reversing") ? (r->stage = PD_J_REVERSING, 0) :
			     -EINVAL;
		else if (!strcmp(line, "amount"))
			r2 = num(val, 999999999999ULL, &r->amount);
		else if (!strcmp(line, "currency"))
			r2 = strlen(val) == 3 ? copy(r->currency, sizeof(r->currency), val) :
			     -EINVAL;
		else if (!strcmp(line, "created") || !strcmp(line, "updated")) {
			r2 = num(val, INT64_MAX, &x);
			*(line[0] == 'c' ? &r->created : &r->updated) = (int64_t)x;
		} else if (!strcmp(line, "attempts")) {
			r2 = num(val, 1000000000, &x);
			r->attempts = (unsigned)x;
		} else if (!strcmp(line, "payment_id"))
			r2 = pd_payment_id_ok(val) ?
			     copy(r->payment_id, sizeof(r->payment_id), val) : -EINVAL;
		else if (!strcmp(line, "request_id"))
			r2 = copy(r->request_id, sizeof(r->request_id), val);
		else if (!strcmp(line, "merchant_id"))
			r2 = copy(r->merchant_id, sizeof(r->merchant_id), val);
		else if (!strcmp(line, "order_id"))
			r2 = copy(r->order_id, sizeof(r->order_id), val);
		else if (!strcmp(line, "shown"))
			r2 = copy(r->shown, sizeof(r->shown), val);
		if (r2)
			return r2;
	}
	if ((seen & (F_KEY | F_STAGE | F_AMOUNT | F_CURRENCY | F_CREATED)) !=
	    (F_KEY | F_STAGE | F_AMOUNT | F_CURRENCY | F_CREATED))
		return -EINVAL;
	if (r->stage == PD_J_REVERSING && !r->payment_id[0])
		return -EINVAL;
	return 0;
}

int pd_journal_open(const char *state_dir, struct pd_journal **out)
{
	struct pd_journal *j = calloc(1, sizeof(*j));
	int sfd, e;

	if (!j)
		return -ENOMEM;
	j->dfd = -1;
	if (asprintf(&j->path, "%s/" PD_JOURNAL_DIR, state_dir) < 0) {
		free(j);
		return -ENOMEM;
	}
	if (mkdir(j->path, 0700) == 0) {
		/* the new directory entry itself must survive a crash */
		sfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sfd >= 0) {
			fsync(sfd);
			close(sfd);
		}
	} else if (errno != EEXIST) {
		e = -errno;
		pd_journal_free(j);
		return e;
	}
	j->dfd = open(j->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->dfd < 0) {
		e = -errno;
		free(j->path);
		free(j);
		return e;
	}
	*out = j;
	return 0;
}

void pd_journal_free(struct pd_journal *j)
{
	if (!j)
		return;
	if (j->dfd >= 0)
		close(j->dfd);
	free(j->path);
	free(j);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int pd_journal_put(struct pd_journal *j, struct pd_jrec *r)
{
	char buf[PD_JOURNAL_MAX], tmp[64], name[64];
	int fd, n, e = 0;

	r->updated = (int64_t)time(NULL);
	n = pd_jrec_format(r, buf, sizeof(buf));
	if (n < 0)
		return n;
	snprintf(tmp, sizeof(tmp), ".%s.tmp", r->key);
	snprintf(name, sizeof(name), "%s.rec", r->key);
	fd = openat(j->dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	e = write_all(fd, buf, (size_t)n);
	if (!e && fsync(fd))
		e = -errno;
	if (close(fd) && !e)
		e = -errno;
	if (!e && renameat(j->dfd, tmp, j->dfd, name))
		e = -errno;
	if (!e && fsync(j->dfd))
		e = -errno;
	if (e)
		unlinkat(j->dfd, tmp, 0);
	return e;
}

int pd_journal_remove(struct pd_journal *j, const char *key)
{
	char name[64];

	if (!pd_journal_key_ok(key))
		return -EINVAL;
	snprintf(name, sizeof(name), "%s.rec", key);
	if (unlinkat(j->dfd, name, 0) && errno != ENOENT)
		return -errno;
	return fsync(j->dfd) ? -errno : 0;
}

static int read_rec(int dfd, const char *name, char *buf, size_t cap,
		    size_t *len)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;
	size_t off = 0;

	if (fd < 0)
		return -errno;
	while (off < cap && (n = read(fd, buf + off, cap - off)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			close(fd);
			return (int)n;
		}
		off += (size_t)n;
	}
	close(fd);
	*len = off;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in the directory, read before anything is changed there. */
static int list_names(int dirfd, char ***out, size_t *n_out)
{
	DIR *dir;
	struct dirent *de;
	char **v = NULL;
	size_t n = 0, cap = 0;
	int dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return -errno;
	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return -errno;
	}
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			char **nv = realloc(v, (cap = cap ? 2 * cap : 16) * sizeof(*v));

			if (!nv)
				break;
			v = nv;
		}
		if (!(v[n] = strdup(de->d_name)))
			break;
		n++;
	}
	closedir(dir);
	if (n)
		qsort(v, n, sizeof(*v), cmp_names);
	*out = v;
	*n_out = n;
	return 0;
}

int pd_journal_scan(struct pd_journal *j, pd_journal_fn fn, void *user)
{
	char **names = NULL;
	size_t n = 0, k;
	int count = 0, e;
	bool changed = false;

	e = list_names(j->dfd, &names, &n);
	if (e)
		return e;
	for (k = 0; k < n; k++) {
		const char *name = names[k];
		char key[64], buf[PD_JOURNAL_MAX + 1];
		size_t nl = strlen(name), len = 0;
		struct pd_jrec r;

		if (nl > 5 && name[0] == '.' && !strcmp(name + nl - 4, ".tmp")) {
			/* never renamed into place: nothing was sent after it */
			log_notice("journal: removing unfinished write %s", name);
			unlinkat(j->dfd, name, 0);
			changed = true;
			continue;
		}
		if (nl < 5 || nl - 4 >= sizeof(key) || strcmp(name + nl - 4, ".rec"))
			continue;
		memcpy(key, name, nl - 4);
		key[nl - 4] = '\0';
		if (!pd_journal_key_ok(key)) {
			log_err("journal: %s/%s: not a record name; left alone",
				j->path, name);
			continue;
		}
		e = read_rec(j->dfd, name, buf, sizeof(buf), &len);
		if (!e)
			e = len > PD_JOURNAL_MAX ? -EINVAL : pd_jrec_parse(buf, len, &r);
		if (!e && strcmp(r.key, key))
			e = -EINVAL;
		if (e == -EPROTONOSUPPORT) {
			log_err("journal: %s/%s: another format version; not "
				"resumed, left alone (payment %s: check its outcome "
				"with the server)", j->path, name, key);
			continue;
		}
		if (e) {
			/* the key is in the name: the outcome can still be asked
			 * for, and reversed if need be */
			log_err("journal: %s/%s is damaged (%s): resuming payment "
				"%s from its name", j->path, name,
				e == -EBADMSG ? "torn or bad checksum" :
				e == -EINVAL ? "malformed" : strerror(-e), key);
			memset(&r, 0, sizeof(r));
			memcpy(r.key, key, strlen(key) + 1);	/* checked: < 40 */
			r.stage = PD_J_SUBMITTING;
			snprintf(r.currency, sizeof(r.currency), "XXX");
			r.created = (int64_t)time(NULL);
			if (pd_journal_put(j, &r))
				log_err("journal: cannot rewrite %s", name);
		}
		fn(user, &r);
		count++;
	}
	for (k = 0; k < n; k++)
		free(names[k]);
	free(names);
	if (changed)
		fsync(j->dfd);
	return count;
}
