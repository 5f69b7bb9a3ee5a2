// SPDX-License-Identifier: GPL-2.0-or-later
/* paytermd: JWS ES256 payment request verification and single use. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "payterm-jws.h"
#include "request.h"

#define MAX_SKEW 300
/* the longest request taken (txn.h: struct pd_request.jws) */
#define PD_REQUEST_MAX_JWS 8192

/* exp - iat at most this ([server] request_max_lifetime) */
static int64_t max_lifetime = PD_REQUEST_MAX_LIFETIME;

void pd_request_set_max_lifetime(int64_t seconds)
{
	max_lifetime = seconds > 0 ? seconds : PD_REQUEST_MAX_LIFETIME;
}

EVP_PKEY *pd_request_load_key(const char *path)
{
	return ptc_jws_load_public(path);
}

static int copy_str(json_t *o, const char *k, char *dst, size_t cap,
		    size_t minlen)
{
	const char *v = json_string_value(json_object_get(o, k));
	size_t i, n;

	if (!v || (n = strlen(v)) < minlen || n >= cap)
		return -1;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return -1;
	memcpy(dst, v, n + 1);
	return 0;
}

enum pd_req_err pd_request_verify(EVP_PKEY *key, const char *jws,
				  const char *terminal_id, int64_t now,
				  struct pd_request *req, char *why,
				  size_t whylen)
{
	json_t *pl = NULL, *amt, *exp, *iat;
	enum pd_req_err e = PD_REQ_MALFORMED;
	const char *tid;
	int rc;

	memset(req, 0, sizeof(*req));
	snprintf(why, whylen, "malformed request");
	/* the structure, alg and signature: the shared primitive */
	rc = ptc_jws_verify(key, jws, PD_REQUEST_MAX_JWS, NULL, &pl);
	if (rc == -ENOTSUP || rc == -EKEYREJECTED) {
		snprintf(why, whylen, rc == -ENOTSUP ?
			 "request not signed with ES256" :
			 "request signature does not verify");
		return PD_REQ_FORGED;
	}
	if (rc && rc != -EPROTO)
		return e;
	/* signed by the server from here on; still check every claim */
	amt = json_object_get(pl, "amount");
	exp = json_object_get(pl, "exp");
	iat = json_object_get(pl, "iat");
	if (!json_is_object(pl) ||
	    copy_str(pl, "request_id", req->id, sizeof(req->id), 1) ||
	    copy_str(pl, "order_id", req->order_id, sizeof(req->order_id), 1) ||
	    copy_str(pl, "merchant_id", req->merchant_name,
		     sizeof(req->merchant_name), 1) ||
	    copy_str(pl, "currency_numeric", req->currency,
		     sizeof(req->currency), 3) ||
	    strspn(req->currency, "0123456789") != 3 ||
	    !json_is_integer(amt) || json_integer_value(amt) < 1 ||
	    json_integer_value(amt) > 999999999999LL || !json_is_integer(exp) ||
	    !json_is_integer(iat)) {
		snprintf(why, whylen, "request lacks a valid claim");
		goto out;
	}
	if (copy_str(pl, "currency", req->currency_alpha,
		     sizeof(req->currency_alpha), 3))
		snprintf(req->currency_alpha, sizeof(req->currency_alpha), "%s",
			 req->currency);
	/* optional; anything but printable ASCII up to 200 is not shown */
	if (copy_str(pl, "description", req->description,
		     sizeof(req->description), 0) ||
	    strlen(req->description) > 200 ||
	    strspn(req->description, " !\"#$%&'()*+,-./0123456789:;<=>?@"
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz"
		   "{|}~") != strlen(req->description))
		req->description[0] = '\0';
	req->amount = (uint64_t)json_integer_value(amt);
	req->expires = json_integer_value(exp);
	tid = json_string_value(json_object_get(pl, "terminal_id"));
	if (!tid || strcmp(tid, terminal_id)) {
		snprintf(why, whylen, "request is addressed to another terminal");
		e = PD_REQ_WRONG_TERMINAL;
		goto out;
	}
	if (req->expires <= now) {
		snprintf(why, whylen, "request expired");
		e = PD_REQ_EXPIRED;
		goto out;
	}
	if (json_integer_value(iat) > now + MAX_SKEW) {
		snprintf(why, whylen, "request issued in the future");
		e = PD_REQ_NOT_YET;
		goto out;
	}
	/* a request valid for hours is a standing order, not a payment
	 * request: whoever holds it could charge the card long after */
	if (req->expires - json_integer_value(iat) > max_lifetime ||
	    req->expires < json_integer_value(iat)) {
		snprintf(why, whylen, "request valid for %lld s (exp - iat), more "
			 "than %lld s", (long long)(req->expires -
						    json_integer_value(iat)),
			 (long long)max_lifetime);
		e = PD_REQ_LIFETIME;
		goto out;
	}
	snprintf(req->jws, sizeof(req->jws), "%s", jws);
	/* field 48: the bank then knows which request the card data was
	 * sealed for (the exact bytes verified above) */
	if (!EVP_Digest(jws, strlen(jws), req->jws_hash, NULL, EVP_sha256(),
			NULL)) {
		snprintf(why, whylen, "cannot hash the request");
		goto out;
	}
	e = PD_REQ_OK;
	why[0] = '\0';
out:
	json_decref(pl);
	return e;
}

/* ---- single use ---- */

struct used_ent {
	char *id;
	int64_t expires;
};

struct pd_used {
	char *dir;
	char *path;
	struct used_ent *e;
	size_t n, cap;
};

static int used_append(struct pd_used *u, const char *id, int64_t exp)
{
	if (u->n == u->cap) {
		size_t cap = u->cap ? 2 * u->cap : 64;
		struct used_ent *e = realloc(u->e, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		u->e = e;
		u->cap = cap;
	}
	u->e[u->n].id = strdup(id);
	if (!u->e[u->n].id)
		return -ENOMEM;
	u->e[u->n++].expires = exp;
	return 0;
}

int pd_used_open(const char *dir, struct pd_used **out)
{
	struct pd_used *u = calloc(1, sizeof(*u));
	char line[256], id[200];
	long long exp;
	FILE *f;

	if (!u || !(u->dir = strdup(dir)) ||
	    asprintf(&u->path, "%s/used-requests", dir) < 0) {
		if (u)
			free(u->dir);
		free(u);
		return -ENOMEM;
	}
	f = fopen(u->path, "re");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "%199s %lld", id, &exp) == 2)
				used_append(u, id, exp);
		fclose(f);
	} else if (errno != ENOENT) {
		int e = -errno;

		pd_used_free(u);
		return e;
	}
	*out = u;
	return 0;
}

bool pd_used_seen(struct pd_used *u, const char *id)
{
	for (size_t i = 0; i < u->n; i++)
		if (!strcmp(u->e[i].id, id))
			return true;
	return false;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		r = -errno;
	close(fd);
	return r;
}

int pd_used_add(struct pd_used *u, const char *id, int64_t expires, int64_t now)
{
	char *tmp = NULL;
	size_t i, k = 0;
	FILE *f;
	int r = 0;

	/* forget expired ids: an expired request is refused anyway */
	for (i = 0; i < u->n; i++) {
		if (u->e[i].expires + MAX_SKEW < now)
			free(u->e[i].id);
		else
			u->e[k++] = u->e[i];
	}
	u->n = k;
	r = used_append(u, id, expires);
	if (r)
		return r;
	if (asprintf(&tmp, "%s.tmp", u->path) < 0)
		return -ENOMEM;
	f = fopen(tmp, "we");
	if (!f) {
		r = -errno;
		free(tmp);
		return r;
	}
	for (i = 0; i < u->n; i++)
		fprintf(f, "%s %lld\n", u->e[i].id, (long long)u->e[i].expires);
	if (fflush(f) || fsync(fileno(f)))
		r = -errno;
	if (fclose(f) && !r)
		r = -errno;
	if (!r && rename(tmp, u->path))
		r = -errno;
	/* the rename is durable only once the directory is: a power cut
	 * before that could bring the old list back, and the request with it */
	if (!r)
		r = fsync_dir(u->dir);
	free(tmp);
	return r;
}

void pd_used_free(struct pd_used *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->n; i++)
		free(u->e[i].id);
	free(u->e);
	free(u->path);
	free(u->dir);
	free(u);
}
