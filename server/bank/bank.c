// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-bank core: config, card DB, request handling.  See bank.h and
 * docs/protocol.md ("ISO 8583 profile"). */
#include "bank.h"

#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "iso8583.h"
#include "payterm_crypto.h"

/* ---- logging ---- */

void bank_log(const char *level, const char *event, const char *fmt, ...)
{
	char extra[768], ts[40];
	struct timespec now;
	struct tm tm;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(extra, sizeof(extra), fmt, ap);
	va_end(ap);
	fprintf(stderr,
		"{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"event\":\"%s\"%s%s}\n",
		ts, now.tv_nsec / 1000000, level, event, extra[0] ? "," : "",
		extra);
}

void bank_today(char yymm[5])
{
	const char *e = getenv("PAYTERM_BANK_TODAY");
	time_t t = time(NULL);
	struct tm tm;

	if (e && strlen(e) >= 4) {
		memcpy(yymm, e, 4);
		yymm[4] = 0;
		return;
	}
	gmtime_r(&t, &tm);
	yymm[0] = (char)('0' + (unsigned)tm.tm_year % 100 / 10);
	yymm[1] = (char)('0' + (unsigned)tm.tm_year % 10);
	yymm[2] = (char)('0' + (unsigned)(tm.tm_mon + 1) / 10 % 10);
	yymm[3] = (char)('0' + (unsigned)(tm.tm_mon + 1) % 10);
	yymm[4] = 0;
}

/* ---- config ---- */

static int hexkey(json_t *o, const char *name, uint8_t *out, size_t min,
		  size_t max, size_t *len)
{
	const char *s = json_string_value(json_object_get(o, name));
	size_t l;

	if (!s || pt_hex_decode(s, out, max, &l) || l < min)
		return -1;
	if (len)
		*len = l;
	else if (l != min)
		return -1;
	return 0;
}

/* Every key of the file and its JSON type: anything else is an error that
 * names the key (a typo must not silently become a default). */
struct bank_key {
	const char *key;
	json_type type;
};

static const struct bank_key cfg_keys[] = {
	{ "comment", JSON_STRING }, { "listen", JSON_STRING },
	{ "port", JSON_INTEGER }, { "db", JSON_STRING },
	{ "pan_key", JSON_STRING }, { "pvk", JSON_STRING },
	{ "decimalization_table", JSON_STRING }, { "imk_ac", JSON_STRING },
	{ "cvm_limit", JSON_INTEGER }, { "max_pin_tries", JSON_INTEGER },
	{ "bdks", JSON_ARRAY },
}, bdk_keys[] = {
	{ "comment", JSON_STRING }, { "scheme", JSON_STRING },
	{ "id", JSON_STRING }, { "ksi", JSON_STRING }, { "key", JSON_STRING },
};

static char cfg_msg[200];

static int check_keys(json_t *o, const char *where,
		      const struct bank_key *tab, size_t n, const char **err)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(o, k, v) {
		for (i = 0; i < n && strcmp(tab[i].key, k); i++)
			;
		if (i == n) {
			snprintf(cfg_msg, sizeof(cfg_msg), "%s%s: unknown key", where, k);
			*err = cfg_msg;
			return -1;
		}
		if (json_typeof(v) != tab[i].type) {
			snprintf(cfg_msg, sizeof(cfg_msg), "%s%s: expected %s", where, k,
				 tab[i].type == JSON_INTEGER ? "an integer" :
				 tab[i].type == JSON_ARRAY ? "an array" : "a string");
			*err = cfg_msg;
			return -1;
		}
	}
	return 0;
}

/* A relative "db" is taken from the configuration file's directory. */
static int cfg_db_path(struct bank_cfg *c, const char *path, const char *db)
{
	char *tmp, *dir;
	int n;

	if (db[0] == '/') {
		n = snprintf(c->db, sizeof(c->db), "%s", db);
		return n > 0 && (size_t)n < sizeof(c->db) ? 0 : -1;
	}
	tmp = strdup(path);
	dir = tmp ? realpath(dirname(tmp), NULL) : NULL;
	free(tmp);
	n = dir ? snprintf(c->db, sizeof(c->db), "%s/%s", dir, db) : -1;
	free(dir);
	return n > 0 && (size_t)n < sizeof(c->db) ? 0 : -1;
}

int bank_cfg_load(struct bank_cfg *c, const char *path, const char **err)
{
	json_error_t je;
	json_t *root, *v;
	size_t i;
	int rc = -1;
	const char *s;

	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1");
	c->port = 8583;
	c->cvm_limit = 5000;
	c->max_pin_tries = 3;
	c->slow_amount = -1;
	c->bad_resp_mac_amount = -1;
	snprintf(c->dectab, sizeof(c->dectab), "0123456789012345");
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root || !json_is_object(root)) {
		snprintf(cfg_msg, sizeof(cfg_msg), "cannot read or parse: line %d: %s",
			 root ? 1 : je.line, root ? "not a JSON object" : je.text);
		*err = cfg_msg;
		json_decref(root);
		return -1;
	}
	if (check_keys(root, "", cfg_keys, sizeof(cfg_keys) / sizeof(cfg_keys[0]), err))
		goto out;
	json_array_foreach(json_object_get(root, "bdks"), i, v) {
		char where[32];

		snprintf(where, sizeof(where), "bdks[%zu].", i);
		if (!json_is_object(v)) {
			snprintf(cfg_msg, sizeof(cfg_msg), "bdks[%zu]: expected an object", i);
			*err = cfg_msg;
			goto out;
		}
		if (check_keys(v, where, bdk_keys, sizeof(bdk_keys) / sizeof(bdk_keys[0]), err))
			goto out;
	}
	if ((s = json_string_value(json_object_get(root, "listen"))))
		snprintf(c->listen, sizeof(c->listen), "%s", s);
	if ((v = json_object_get(root, "port")))
		c->port = (int)json_integer_value(v);
	if (c->port < 0 || c->port > 65535) {
		*err = "port: 0..65535";
		goto out;
	}
	if ((s = json_string_value(json_object_get(root, "db"))) &&
	    (!*s || cfg_db_path(c, path, s))) {
		*err = "db: empty or too long a path";
		goto out;
	}
	if ((v = json_object_get(root, "cvm_limit")))
		c->cvm_limit = json_integer_value(v);
	if ((v = json_object_get(root, "max_pin_tries")))
		c->max_pin_tries = (int)json_integer_value(v);
	if (c->max_pin_tries < 1 || c->max_pin_tries > 99 || c->cvm_limit < 0) {
		*err = "max_pin_tries: 1..99; cvm_limit: not negative";
		goto out;
	}
	if ((s = json_string_value(json_object_get(root,
						   "decimalization_table")))) {
		if (strlen(s) != 16) {
			*err = "decimalization_table must have 16 digits";
			goto out;
		}
		memcpy(c->dectab, s, 17);
	}
	if (hexkey(root, "pvk", c->pvk, 16, 16, NULL)) {
		*err = "pvk: 32 hex digits required";
		goto out;
	}
	if (hexkey(root, "imk_ac", c->imk_ac, 16, 16, NULL)) {
		*err = "imk_ac: 32 hex digits required";
		goto out;
	}
	if (hexkey(root, "pan_key", c->pan_key, 32, 32, NULL)) {
		*err = "pan_key: 64 hex digits required";
		goto out;
	}
	v = json_object_get(root, "bdks");
	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > BANK_MAX_BDKS) {
		*err = "bdks: array of 1..16 BDKs required";
		goto out;
	}
	for (i = 0; i < json_array_size(v); i++) {
		json_t *b = json_array_get(v, i);
		struct bank_bdk *d = &c->bdks[i];
		const char *sch = json_string_value(json_object_get(b, "scheme"));
		size_t l;

		if (sch && !strcmp(sch, "aes")) {
			d->scheme = BANK_KM_AES;
			if (hexkey(b, "id", d->id, 4, 4, NULL) ||
			    hexkey(b, "key", d->key, 16, 32, &d->keylen) ||
			    (d->keylen != 16 && d->keylen != 24 &&
			     d->keylen != 32)) {
				*err = "aes bdk: id (8 hex) and key (32/48/64 hex) required";
				goto out;
			}
		} else if (sch && !strcmp(sch, "tdes")) {
			d->scheme = BANK_KM_TDES;
			if (hexkey(b, "ksi", d->id, 5, 5, NULL) ||
			    hexkey(b, "key", d->key, 16, 16, &l)) {
				*err = "tdes bdk: ksi (10 hex) and key (32 hex) required";
				goto out;
			}
			d->keylen = 16;
		} else {
			*err = "bdk scheme must be \"aes\" or \"tdes\"";
			goto out;
		}
	}
	c->nbdks = i;
	rc = 0;
out:
	json_decref(root);	/* hex strings of keys stay in freed heap:
				 * the config is a test-key file */
	if (rc)
		bank_cfg_wipe(c);
	return rc;
}

void bank_cfg_wipe(struct bank_cfg *c)
{
	pt_cleanse(c, sizeof(*c));
}

/* ---- database ---- */

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"CREATE TABLE IF NOT EXISTS cards("
	" id TEXT PRIMARY KEY, pan_hmac TEXT UNIQUE NOT NULL, masked_pan TEXT,"
	" psn INTEGER, expiry TEXT NOT NULL, pin_offset TEXT NOT NULL,"
	" pin_tries INTEGER NOT NULL DEFAULT 0, balance INTEGER NOT NULL,"
	" currency TEXT NOT NULL, status TEXT NOT NULL, chip INTEGER NOT NULL,"
	" cdol1 TEXT, last_atc INTEGER NOT NULL DEFAULT -1);"
	"CREATE TABLE IF NOT EXISTS txns("
	" id INTEGER PRIMARY KEY, tid TEXT NOT NULL, stan TEXT NOT NULL,"
	" tdt TEXT NOT NULL, card_id TEXT, amount INTEGER NOT NULL DEFAULT 0,"
	" currency TEXT, rc TEXT, auth TEXT, rrn TEXT, state TEXT NOT NULL,"
	" created TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP, req_hash TEXT,"
	" UNIQUE(tid, stan, tdt));"
	"CREATE TABLE IF NOT EXISTS ksns(ksn TEXT PRIMARY KEY);";

int bank_open(struct bank *b, const struct bank_cfg *cfg, const char **err)
{
	memset(b, 0, sizeof(*b));
	b->cfg = *cfg;
	pthread_mutex_init(&b->lock, NULL);
	if (!cfg->db[0]) {
		*err = "no database path (config \"db\" or --db)";
		return -1;
	}
	if (sqlite3_open_v2(cfg->db, &b->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		*err = "cannot open the database";
		sqlite3_close(b->db);
		b->db = NULL;
		return -1;
	}
	chmod(cfg->db, 0600);
	sqlite3_busy_timeout(b->db, 5000);
	if (sqlite3_exec(b->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		*err = "cannot create the database schema";
		sqlite3_close(b->db);
		b->db = NULL;
		return -1;
	}
	/* a database of an older bank: add the request hash column (an
	 * error here means it is there already) */
	sqlite3_exec(b->db, "ALTER TABLE txns ADD COLUMN req_hash TEXT", NULL,
		     NULL, NULL);
	return 0;
}

void bank_close(struct bank *b)
{
	if (b->db)
		sqlite3_close(b->db);
	b->db = NULL;
	pthread_mutex_destroy(&b->lock);
	bank_cfg_wipe(&b->cfg);
}

static void pan_hmac(const struct bank *b, const char *pan, char out[65])
{
	uint8_t md[32];
	unsigned mdlen = sizeof(md);

	HMAC(EVP_sha256(), b->cfg.pan_key, 32, (const uint8_t *)pan,
	     strlen(pan), md, &mdlen);
	pt_hex_encode(md, 32, out);
}

int bank_init_db(struct bank *b, const char *cards_json, const char **err)
{
	json_error_t je;
	json_t *root, *cards;
	sqlite3_stmt *st = NULL;
	int n = 0, rc = -1;

	root = json_load_file(cards_json, 0, &je);
	if (!root) {
		*err = "cannot read or parse the card file";
		return -1;
	}
	cards = json_object_get(root, "cards");
	if (!json_is_array(cards)) {
		*err = "card file: no \"cards\" array";
		goto out;
	}
	if (sqlite3_exec(b->db, "BEGIN; DELETE FROM cards; DELETE FROM txns;"
			 " DELETE FROM ksns;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(b->db,
			       "INSERT INTO cards(id, pan_hmac, masked_pan, psn,"
			       " expiry, pin_offset, balance, currency, status,"
			       " chip, cdol1) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
			       -1, &st, NULL) != SQLITE_OK) {
		*err = "database error";
		goto out;
	}
	for (size_t i = 0; i < json_array_size(cards); i++) {
		json_t *c = json_array_get(cards, i), *chip;
		const char *id, *pan, *exp, *off, *cur, *status, *psn, *cdol1 = NULL;
		char hm[65], masked[20];

		if (json_is_false(json_object_get(c, "on_file")))
			continue;
		id = json_string_value(json_object_get(c, "id"));
		pan = json_string_value(json_object_get(c, "pan"));
		exp = json_string_value(json_object_get(c, "expiry"));
		off = json_string_value(json_object_get(c, "pin_offset"));
		cur = json_string_value(json_object_get(c, "currency"));
		status = json_string_value(json_object_get(c, "status"));
		psn = json_string_value(json_object_get(c, "psn"));
		chip = json_object_get(c, "chip");
		if (chip)
			cdol1 = json_string_value(json_object_get(chip, "cdol1"));
		if (!id || !pan || !bank_luhn_ok(pan) || !exp ||
		    strlen(exp) != 4 || !off || !cur || !status ||
		    !json_is_integer(json_object_get(c, "balance")) ||
		    (chip && !cdol1)) {
			*err = "card file: card with missing or invalid members";
			goto out;
		}
		pan_hmac(b, pan, hm);
		bank_mask_pan(pan, masked);
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, hm, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, masked, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 4, psn ? atoi(psn) : -1);
		sqlite3_bind_text(st, 5, exp, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 6, off, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 7, json_integer_value(
				   json_object_get(c, "balance")));
		sqlite3_bind_text(st, 8, cur, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 9, status, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 10, chip != NULL);
		if (cdol1)
			sqlite3_bind_text(st, 11, cdol1, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(st, 11);
		if (sqlite3_step(st) != SQLITE_DONE) {
			*err = "card file: duplicate card or database error";
			goto out;
		}
		n++;
	}
	if (sqlite3_exec(b->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		*err = "database commit failed";
		goto out;
	}
	rc = n;
out:
	if (rc < 0)
		sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_finalize(st);
	json_decref(root);
	return rc;
}

/* ---- request handling ---- */

struct card_row {
	char id[64];
	int psn;
	char expiry[5];
	char pin_offset[13];
	int pin_tries;
	long long balance;
	char currency[4];
	char status[16];
	int chip;
	uint8_t cdol1[64];
	size_t cdol1_len;
};

static void col_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(out, cap, "%s", t ? (const char *)t : "");
}

static int card_lookup(struct bank *b, const char *pan, struct card_row *c)
{
	sqlite3_stmt *st;
	char hm[65], cdol[160];
	int rc = -1;

	pan_hmac(b, pan, hm);
	if (sqlite3_prepare_v2(b->db,
			       "SELECT id, psn, expiry, pin_offset, pin_tries,"
			       " balance, currency, status, chip, cdol1 FROM"
			       " cards WHERE pan_hmac = ?", -1, &st, NULL))
		return -2;
	sqlite3_bind_text(st, 1, hm, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		memset(c, 0, sizeof(*c));
		col_text(st, 0, c->id, sizeof(c->id));
		c->psn = sqlite3_column_int(st, 1);
		col_text(st, 2, c->expiry, sizeof(c->expiry));
		col_text(st, 3, c->pin_offset, sizeof(c->pin_offset));
		c->pin_tries = sqlite3_column_int(st, 4);
		c->balance = sqlite3_column_int64(st, 5);
		col_text(st, 6, c->currency, sizeof(c->currency));
		col_text(st, 7, c->status, sizeof(c->status));
		c->chip = sqlite3_column_int(st, 8);
		col_text(st, 9, cdol, sizeof(cdol));
		if (pt_hex_decode(cdol, c->cdol1, sizeof(c->cdol1),
				  &c->cdol1_len))
			c->cdol1_len = 0;
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

static int exec_sql(struct bank *b, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc;

	if (sqlite3_prepare_v2(b->db, sql, -1, &st, NULL))
		return -1;
	va_start(ap, fmt);
	for (int i = 0; fmt[i]; i++) {
		if (fmt[i] == 's') {
			const char *s = va_arg(ap, const char *);

			if (s)
				sqlite3_bind_text(st, i + 1, s, -1,
						  SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(st, i + 1);
		} else {
			sqlite3_bind_int64(st, i + 1, va_arg(ap, long long));
		}
	}
	va_end(ap);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_CONSTRAINT)
		return 1;
	return -1;
}

struct req {
	struct iso8583_msg m;
	struct iso8583_msg r;
	char tid[9], stan[7], tdt[11], entry[4], cur[4];
	char req_hash[ISO8583_REQ_HASH_LEN + 1];	/* field 48, "" if bad */
	unsigned long long amount;
};

static void echo(struct req *q, const int *fields, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (iso8583_has(&q->m, fields[i]))
			iso8583_copy(&q->r, &q->m, fields[i]);
}

static int resp_mti(const char *mti, char out[5])
{
	memcpy(out, mti, 5);
	if (out[2] != '0')
		return -1;
	out[2] = '1';
	return 0;
}

/* 48 is echoed: the response MAC covers it (docs/protocol.md) */
static const int echo_0200[] = { 3, 4, 7, 11, 12, 13, 22, 41, 42, 48, 49, 53,
				 63 };
static const int echo_0400[] = { 3, 4, 7, 11, 12, 13, 41, 42, 49, 63, 90 };
static const int echo_0800[] = { 7, 11, 41, 70 };

static int require(const struct iso8583_msg *m, const int *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!iso8583_has(m, f[i]))
			return -1;
	return 0;
}

static void gen_auth(char out[7])
{
	uint8_t r[6];

	pt_random(r, sizeof(r));
	for (int i = 0; i < 6; i++)
		out[i] = (char)('0' + r[i] % 10);
	out[6] = 0;
}

static void gen_rrn(long long rowid, char out[13])
{
	time_t t = time(NULL);
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	snprintf(buf, sizeof(buf), "%01u%03u%08llu",
		 (unsigned)tm.tm_year % 10, (unsigned)tm.tm_yday % 366 + 1,
		 (unsigned long long)rowid % 100000000ULL);
	memcpy(out, buf, 12);
	out[12] = 0;
}

/* Forbidden tags in field 55: they carry card data. */
static int icc_tag_forbidden(uint32_t t)
{
	return t == 0x57 || t == 0x5A || t == 0x5F20 || t == 0x5F24 ||
	       t == 0x5F34 || t == 0x56 || t == 0x9F1F || t == 0x9F20 ||
	       t == 0x9F6B;
}

/* ARQC verification; 0 ok, -1 fail.  arpc_out gets tag 91 value. */
static int verify_arqc(struct bank *b, const struct card_row *c,
		       const struct bank_card_data *cd,
		       const struct bank_tlv *it, size_t n, const char *rc,
		       uint8_t arpc_out[10], int *atc_out)
{
	const struct bank_tlv *arqc = bank_tlv_find(it, n, 0x9F26);
	const struct bank_tlv *cid = bank_tlv_find(it, n, 0x9F27);
	const struct bank_tlv *atc = bank_tlv_find(it, n, 0x9F36);
	const struct bank_tlv *aip = bank_tlv_find(it, n, 0x82);
	uint32_t tags[32];
	size_t lens[32], nt;
	uint8_t data[256], mk[16], sk[16], mac[8];
	size_t dl = 0;
	int ret = -1;
	uint16_t a;

	if (!arqc || arqc->len != 8 || !cid || cid->len != 1 ||
	    cid->val[0] != 0x80 || !atc || atc->len != 2 || !aip ||
	    aip->len != 2 || !c->chip || !c->cdol1_len)
		return -1;
	if (bank_dol_parse(c->cdol1, c->cdol1_len, tags, lens, 32, &nt))
		return -1;
	for (size_t i = 0; i < nt; i++) {
		const struct bank_tlv *t = bank_tlv_find(it, n, tags[i]);

		if (!t || t->len != lens[i] || dl + lens[i] > sizeof(data) - 4)
			return -1;
		memcpy(data + dl, t->val, t->len);
		dl += t->len;
	}
	memcpy(data + dl, aip->val, 2);
	memcpy(data + dl + 2, atc->val, 2);
	dl += 4;
	a = (uint16_t)(atc->val[0] << 8 | atc->val[1]);
	if (bank_emv_mk_option_a(b->cfg.imk_ac, cd->pan,
				 cd->psn >= 0 ? cd->psn : c->psn, mk) ||
	    bank_emv_csk(mk, a, sk) || bank_emv_arqc(sk, data, dl, mac))
		goto out;
	if (pt_memcmp_ct(mac, arqc->val, 8))
		goto out;
	if (bank_emv_arpc(sk, arqc->val, (const uint8_t *)rc, arpc_out))
		goto out;
	arpc_out[8] = (uint8_t)rc[0];
	arpc_out[9] = (uint8_t)rc[1];
	*atc_out = a;
	ret = 0;
out:
	pt_cleanse(mk, sizeof(mk));
	pt_cleanse(sk, sizeof(sk));
	return ret;
}

static const char *rc_text(const char *rc)
{
	static const struct { const char *rc, *t; } tab[] = {
		{ "00", "approved" }, { "05", "do not honour" },
		{ "14", "invalid card number" }, { "51", "insufficient funds" },
		{ "54", "expired card" }, { "55", "incorrect PIN" },
		{ "75", "PIN tries exceeded" }, { "91", "issuer unavailable" },
		{ "94", "duplicate transmission" },
		{ "96", "system malfunction" },
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(rc, tab[i].rc))
			return tab[i].t;
	return "?";
}

/*
 * The 0200.  Fills q->r; returns the response code.  why gets a short
 * reason for the log (no card data).
 */
static const char *handle_0200(struct bank *b, struct req *q,
			       char masked[20], const char **why,
			       int *mac_ok, struct bank_keys *k)
{
	static const int req_fields[] = { 3, 4, 7, 11, 12, 13, 22, 41, 42, 48,
					  49, 53, 62, 64 };
	uint8_t macdata[2048], mac[8], ct[300], pt[300], pinblk[16], icc[260];
	size_t macl, ctl, ptl, pinl = 0, iccl = 0, nicc = 0;
	struct bank_tlv icc_items[BANK_TLV_MAX];
	struct bank_card_data cd;
	struct card_row card;
	char pin[PT_PIN_MAX + 1] = "", today[5], proc[7], auth[7], rrn[13];
	char ksnhex[25];
	const uint8_t *f53, *f64;
	int chip, have_pin, pin_ok = 0, atc = -1, r;
	uint8_t arpc[10];
	const char *rc = "96";
	long long rowid;

	*mac_ok = 0;
	memset(&cd, 0, sizeof(cd));
	memset(&card, 0, sizeof(card));
	if (require(&q->m, req_fields, sizeof(req_fields) / sizeof(int))) {
		*why = "mandatory field missing";
		return "96";
	}
	iso8583_get_str(&q->m, 3, proc, sizeof(proc));
	if (strcmp(proc, "000000")) {
		*why = "processing code not supported";
		return "96";
	}
	/* the MAC binds the request by these bytes: one spelling only */
	if (!q->req_hash[0]) {
		*why = "field 48 not a SHA-256 in lower-case hex";
		return "96";
	}
	chip = !strcmp(q->entry, "051") || !strcmp(q->entry, "071");
	if (!chip && strcmp(q->entry, "901")) {
		*why = "POS entry mode not supported";
		return "96";
	}
	if (b->down) {
		*why = "issuer down mode";
		return "91";
	}
	/* crypto: keys, MAC, card data, PIN block, ICC data */
	f53 = iso8583_get(&q->m, 53, NULL);
	if (bank_keys_derive(f53, b->cfg.bdks, b->cfg.nbdks, k)) {
		*why = "field 53: unknown BDK, bad KSN or key type";
		return "96";
	}
	pt_hex_encode(k->ksn, k->ksnlen, ksnhex);
	if (iso8583_mac_data(&q->m, iso8583_req_mac_fields,
			     iso8583_req_mac_nfields, macdata, sizeof(macdata),
			     &macl) ||
	    bank_mac(k, 0, macdata, macl, mac)) {
		*why = "MAC computation failed";
		return "96";
	}
	f64 = iso8583_get(&q->m, 64, NULL);
	if (pt_memcmp_ct(mac, f64, 8)) {
		*why = "request MAC wrong";
		return "96";
	}
	*mac_ok = 1;
	have_pin = k->pin_format >= 0;
	if ((k->pin_format == 4) != iso8583_has(&q->m, 61) ||
	    (k->pin_format == 0 || k->pin_format == 3) !=
	    iso8583_has(&q->m, 52)) {
		*why = "PIN block field does not match field 53";
		return "96";
	}
	if (chip != iso8583_has(&q->m, 55)) {
		*why = chip ? "chip transaction without field 55" :
			      "field 55 in a magstripe transaction";
		return chip ? "05" : "96";
	}
	if (iso8583_get_hex(&q->m, 62, ct, sizeof(ct), &ctl) ||
	    bank_decrypt_data(k, ct, ctl, pt, sizeof(pt), &ptl)) {
		*why = "card data does not decrypt";
		return "96";
	}
	r = bank_card_data_parse(pt, ptl, &cd);
	pt_cleanse(pt, sizeof(pt));
	if (r) {
		*why = "card data malformed";
		rc = "96";
		goto out;
	}
	bank_mask_pan(cd.pan, masked);
	if (!bank_luhn_ok(cd.pan)) {
		*why = "PAN check digit";
		rc = "14";
		goto out;
	}
	if (have_pin) {
		if (k->pin_format == 4) {
			r = iso8583_get_hex(&q->m, 61, pinblk, sizeof(pinblk),
					    &pinl) || pinl != 16;
		} else {
			memcpy(pinblk, iso8583_get(&q->m, 52, NULL), 8);
			pinl = 8;
			r = 0;
		}
		if (r) {
			*why = "PIN block field malformed";
			rc = "96";
			goto out;
		}
		pin_ok = !pt_pinblock_decrypt(k->pin_format, k->pin, k->keylen,
					      pinblk, pinl, cd.pan, pin);
		pt_cleanse(pinblk, sizeof(pinblk));
	}
	if (chip) {
		if (iso8583_get_hex(&q->m, 55, icc, sizeof(icc), &iccl) ||
		    bank_tlv_parse(icc, iccl, icc_items, BANK_TLV_MAX, &nicc)) {
			*why = "field 55 malformed";
			rc = "96";
			goto out;
		}
		for (size_t i = 0; i < nicc; i++)
			if (icc_tag_forbidden(icc_items[i].tag)) {
				*why = "field 55 carries card data";
				rc = "96";
				goto out;
			}
	}

	pthread_mutex_lock(&b->lock);
	sqlite3_exec(b->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	r = exec_sql(b, "INSERT INTO txns(tid, stan, tdt, amount, currency,"
		     " req_hash, state) VALUES(?,?,?,?,?,?,'pending')", "sssiss",
		     q->tid, q->stan, q->tdt, (long long)q->amount, q->cur,
		     q->req_hash);
	if (r) {
		*why = r > 0 ? "duplicate STAN / transmission" : "database";
		rc = r > 0 ? "94" : "96";
		goto unlock;
	}
	rowid = sqlite3_last_insert_rowid(b->db);
	r = exec_sql(b, "INSERT INTO ksns(ksn) VALUES(?)", "s", ksnhex);
	if (r) {
		*why = r > 0 ? "KSN already used" : "database";
		rc = r > 0 ? "94" : "96";
		goto record;
	}
	r = card_lookup(b, cd.pan, &card);
	if (r) {
		*why = r == -1 ? "card not on file" : "database";
		rc = r == -1 ? "14" : "96";
		goto record;
	}
	if (strcmp(card.status, "active")) {
		*why = "card blocked";
		rc = "05";
		goto record;
	}
	bank_today(today);
	if (strcmp(card.expiry, today) < 0) {
		*why = "card expired";
		rc = "54";
		goto record;
	}
	if (strcmp(card.expiry, cd.expiry)) {
		*why = "card data expiry differs from the card on file";
		rc = "05";
		goto record;
	}
	if (chip) {
		/* the ARPC is computed with the final response code below */
		if (verify_arqc(b, &card, &cd, icc_items, nicc, "00", arpc,
				&atc)) {
			*why = "ARQC wrong";
			rc = "05";
			goto record;
		}
	}
	if (card.pin_tries >= b->cfg.max_pin_tries) {
		*why = "PIN tries exceeded (card locked)";
		rc = "75";
		goto record;
	}
	if (have_pin) {
		int ok = pin_ok && bank_ibm3624_verify(b->cfg.pvk,
						       b->cfg.dectab, cd.pan,
						       pin, card.pin_offset) == 1;

		if (!ok) {
			int tries = card.pin_tries + 1;

			exec_sql(b, "UPDATE cards SET pin_tries = ? WHERE id = ?",
				 "is", (long long)tries, card.id);
			*why = "PIN wrong";
			rc = tries >= b->cfg.max_pin_tries ? "75" : "55";
			goto record;
		}
		if (card.pin_tries)
			exec_sql(b, "UPDATE cards SET pin_tries = 0 WHERE id = ?",
				 "s", card.id);
	} else if (!(!strcmp(q->entry, "071") &&
		     (long long)q->amount <= b->cfg.cvm_limit)) {
		*why = "PIN required";
		rc = "55";
		goto record;
	}
	if (strcmp(card.currency, q->cur)) {
		*why = "currency is not the card's";
		rc = "05";
		goto record;
	}
	if ((long long)q->amount > card.balance) {
		*why = "insufficient funds";
		rc = "51";
		goto record;
	}
	if (exec_sql(b, "UPDATE cards SET balance = balance - ?, last_atc = ?"
		     " WHERE id = ?", "iis", (long long)q->amount,
		     (long long)atc, card.id)) {
		*why = "database";
		rc = "96";
		goto record;
	}
	rc = "00";
	*why = "approved";
record:
	gen_rrn(rowid, rrn);
	if (!strcmp(rc, "00")) {
		gen_auth(auth);
		iso8583_set_str(&q->r, 38, auth);
	}
	iso8583_set_str(&q->r, 37, rrn);
	exec_sql(b, "UPDATE txns SET card_id = ?, rc = ?, auth = ?, rrn = ?,"
		 " state = ? WHERE id = ?", "sssssi",
		 rc[0] == '9' && rc[1] == '4' ? NULL : (card.id[0] ? card.id : NULL),
		 rc, !strcmp(rc, "00") ? auth : NULL, rrn,
		 !strcmp(rc, "00") ? "approved" : "declined", rowid);
unlock:
	if (sqlite3_exec(b->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(&b->lock);
	if (chip && atc >= 0) {
		uint8_t f55[16];
		int l;

		/* ARPC for the final response code */
		if (strcmp(rc, "00") &&
		    verify_arqc(b, &card, &cd, icc_items, nicc, rc, arpc, &atc))
			atc = -1;
		if (atc >= 0) {
			l = bank_tlv_put(f55, sizeof(f55), 0, 0x91, arpc, 10);
			if (l > 0)
				iso8583_set_hex(&q->r, 55, f55, (size_t)l);
		}
	}
out:
	pt_cleanse(pin, sizeof(pin));
	pt_cleanse(&cd, sizeof(cd));
	pt_cleanse(&card, sizeof(card));
	pt_cleanse(icc, sizeof(icc));
	return rc;
}

static const char *handle_0400(struct bank *b, struct req *q,
			       const char **why, long long *restored)
{
	static const int req_fields[] = { 3, 4, 7, 11, 41, 49, 90 };
	char f90[43], otdt[11], ostan[7], state[16] = "", card[64] = "";
	sqlite3_stmt *st;
	long long amount = 0, id = -1;

	*restored = 0;
	if (require(&q->m, req_fields, sizeof(req_fields) / sizeof(int))) {
		*why = "mandatory field missing";
		return "96";
	}
	iso8583_get_str(&q->m, 90, f90, sizeof(f90));
	if (memcmp(f90, "0200", 4)) {
		*why = "field 90: original MTI not 0200";
		return "96";
	}
	memcpy(ostan, f90 + 4, 6);
	ostan[6] = 0;
	memcpy(otdt, f90 + 10, 10);
	otdt[10] = 0;
	pthread_mutex_lock(&b->lock);
	sqlite3_exec(b->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (sqlite3_prepare_v2(b->db, "SELECT id, state, amount, card_id, rrn"
			       " FROM txns WHERE tid = ? AND stan = ? AND"
			       " tdt = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, q->tid, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, ostan, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, otdt, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			char rrn[13];

			id = sqlite3_column_int64(st, 0);
			col_text(st, 1, state, sizeof(state));
			amount = sqlite3_column_int64(st, 2);
			col_text(st, 3, card, sizeof(card));
			col_text(st, 4, rrn, sizeof(rrn));
			if (strlen(rrn) == 12)
				iso8583_set_str(&q->r, 37, rrn);
		}
		sqlite3_finalize(st);
	}
	if (id < 0) {
		exec_sql(b, "INSERT INTO txns(tid, stan, tdt, amount, currency,"
			 " state) VALUES(?,?,?,0,?,'reversed')", "ssss", q->tid,
			 ostan, otdt, q->cur);
		*why = "original not found: remembered";
	} else if (!strcmp(state, "approved")) {
		exec_sql(b, "UPDATE cards SET balance = balance + ? WHERE id = ?",
			 "is", amount, card);
		exec_sql(b, "UPDATE txns SET state = 'reversed' WHERE id = ?",
			 "i", id);
		*restored = amount;
		*why = "reversed, balance restored";
	} else {
		*why = !strcmp(state, "reversed") ? "already reversed" :
						    "original not approved";
	}
	if (sqlite3_exec(b->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(&b->lock);
	return "00";
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

enum bank_action bank_handle(struct bank *b, const uint8_t *reqbuf,
			     size_t len, uint8_t *resp, size_t cap,
			     size_t *resplen, int *delay_ms)
{
	struct req *q;
	struct bank_keys k;
	const char *rc = "96", *why = "";
	char mti[5], masked[20] = "", rmti[5];
	int bad = 0, urc, mac_ok = 0;
	long long restored = 0;
	enum bank_action act = BANK_REPLY;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	*resplen = 0;
	*delay_ms = 0;
	memset(&k, 0, sizeof(k));
	q = calloc(1, sizeof(*q));
	if (!q)
		return BANK_CLOSE;
	urc = iso8583_unpack(&q->m, reqbuf, len, &bad);
	memcpy(mti, q->m.mti, 5);
	if (!mti[0] || resp_mti(mti, rmti)) {
		bank_log("warn", "malformed", "\"error\":\"%s\",\"action\":"
			 "\"close\"", iso8583_strerror(urc));
		act = BANK_CLOSE;
		goto done;
	}
	iso8583_init(&q->r, rmti);
	iso8583_get_str(&q->m, 41, q->tid, sizeof(q->tid));
	iso8583_get_str(&q->m, 11, q->stan, sizeof(q->stan));
	iso8583_get_str(&q->m, 7, q->tdt, sizeof(q->tdt));
	iso8583_get_str(&q->m, 22, q->entry, sizeof(q->entry));
	iso8583_get_str(&q->m, 49, q->cur, sizeof(q->cur));
	if (iso8583_req_hash_ok(&q->m))
		iso8583_get_str(&q->m, 48, q->req_hash, sizeof(q->req_hash));
	if (iso8583_get_num(&q->m, 4, &q->amount))
		q->amount = 0;
	if (urc) {
		if (!iso8583_has(&q->m, 11)) {
			bank_log("warn", "malformed", "\"mti\":\"%s\","
				 "\"error\":\"%s\",\"field\":%d,\"action\":"
				 "\"close\"", mti, iso8583_strerror(urc), bad);
			act = BANK_CLOSE;
			goto done;
		}
		static const int e[] = { 7, 11, 41 };

		echo(q, e, 3);
		iso8583_set_str(&q->r, 39, "96");
		bank_log("warn", "malformed", "\"mti\":\"%s\",\"stan\":\"%s\","
			 "\"error\":\"%s\",\"field\":%d,\"rc\":\"96\"", mti,
			 q->stan, iso8583_strerror(urc), bad);
		goto pack;
	}
	if (!strcmp(mti, "0200")) {
		echo(q, echo_0200, sizeof(echo_0200) / sizeof(int));
		if (b->cfg.drop_amount_set &&
		    (long long)q->amount == b->cfg.drop_amount) {
			bank_log("info", "drop", "\"stan\":\"%s\"", q->stan);
			act = BANK_DROP;
			goto done;
		}
		rc = handle_0200(b, q, masked, &why, &mac_ok, &k);
		iso8583_set_str(&q->r, 39, rc);
		if (mac_ok) {
			uint8_t md[256], mac[8];
			size_t ml;

			if (!iso8583_mac_data(&q->r, iso8583_resp_mac_fields,
					      iso8583_resp_mac_nfields, md,
					      sizeof(md), &ml) &&
			    !bank_mac(&k, 1, md, ml, mac)) {
				/* test knob: a response MAC the terminal
				 * must refuse (one bit flipped) */
				if (b->cfg.bad_resp_mac_amount >= 0 &&
				    (long long)q->amount == b->cfg.bad_resp_mac_amount)
					mac[7] ^= 1;
				iso8583_set(&q->r, 64, mac, 8);
			}
		}
		if (b->cfg.slow_amount >= 0 &&
		    (long long)q->amount == b->cfg.slow_amount)
			*delay_ms = b->cfg.slow_ms;
		bank_log(strcmp(rc, "96") ? "info" : "warn", "authorisation",
			 "\"mti\":\"0200\",\"tid\":\"%s\",\"stan\":\"%s\","
			 "\"entry\":\"%s\",\"card\":\"%s\",\"amount\":%llu,"
			 "\"currency\":\"%s\",\"request_hash\":\"%s\","
			 "\"rc\":\"%s\",\"text\":\"%s\","
			 "\"reason\":\"%s\",\"ms\":%.2f", q->tid, q->stan,
			 q->entry, masked, q->amount, q->cur, q->req_hash, rc,
			 rc_text(rc), why, ms_since(&t0));
	} else if (!strcmp(mti, "0400")) {
		echo(q, echo_0400, sizeof(echo_0400) / sizeof(int));
		rc = handle_0400(b, q, &why, &restored);
		iso8583_set_str(&q->r, 39, rc);
		bank_log("info", "reversal", "\"mti\":\"0400\",\"tid\":\"%s\","
			 "\"stan\":\"%s\",\"amount\":%llu,\"restored\":%lld,"
			 "\"rc\":\"%s\",\"reason\":\"%s\"", q->tid, q->stan,
			 q->amount, restored, rc, why);
	} else if (!strcmp(mti, "0800")) {
		char code[4] = "";
		static const int req_fields[] = { 7, 11, 70 };

		echo(q, echo_0800, sizeof(echo_0800) / sizeof(int));
		iso8583_get_str(&q->m, 70, code, sizeof(code));
		rc = (!require(&q->m, req_fields, 3) &&
		      (!strcmp(code, "001") || !strcmp(code, "002") ||
		       !strcmp(code, "301"))) ? "00" : "96";
		iso8583_set_str(&q->r, 39, rc);
		bank_log("info", "network", "\"mti\":\"0800\",\"stan\":\"%s\","
			 "\"code\":\"%s\",\"rc\":\"%s\"", q->stan, code, rc);
	}
pack:
	if (iso8583_pack(&q->r, resp, cap, resplen)) {
		bank_log("error", "pack", "\"stan\":\"%s\"", q->stan);
		act = BANK_CLOSE;
	}
done:
	bank_keys_wipe(&k);
	iso8583_wipe(&q->m);
	iso8583_wipe(&q->r);
	free(q);
	return act;
}
