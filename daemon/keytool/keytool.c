// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * payterm-keytool: DUKPT, PIN block, TR-31, KCV and key store operations
 * on libpaytermcrypto.  Output is "name: HEX" lines, or one JSON object
 * with --json.  Errors go to stderr, exit status 1 (2 for usage errors).
 * Test keys only: everything given on the command line is visible in the
 * process list.
 */
#include "payterm_crypto.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#define MAX_OPTS 32
#define MAX_OUT 48

#ifndef PT_KEYTOOL_VERSION
#define PT_KEYTOOL_VERSION "0.1.0"
#endif

static const char *prog = "payterm-keytool";

static struct { const char *name; const char *value; } opts[MAX_OPTS];
static int nopts;
static int json_out;

static struct { char name[40]; char *value; } outs[MAX_OUT];
static int nouts;

static void usage(FILE *f)
{
	fprintf(f,
"usage: %s [--json] COMMAND [options] | --version\n"
"  dukpt-ik   --bdk HEX (--ikid HEX16 | --ksn HEX)   AES initial key / TDES IPEK\n"
"  dukpt-keys (--bdk HEX | --ik HEX) --ksn HEX [--key-type aes128|aes192|aes256|tdes2|tdes3]\n"
"             24-hex KSN: AES DUKPT; 20-hex KSN: TDES DUKPT\n"
"  pinblock encode|encrypt|decrypt|decode --format 0|1|2|3|4 [--pin P] [--pan PAN]\n"
"             [--key HEX] [--block HEX] [--fill HEX]\n"
"  tr31 unwrap --kbpk HEX --block STRING\n"
"  tr31 wrap   --kbpk HEX --key HEX [--header D0000P0AE00E0000 | --version B|D\n"
"              --usage P0 --algorithm A|T --mode E --key-version 00 --exportability E]\n"
"              [--opt ID=VALUE]... [--kc] [--kp]\n"
"  kcv --key HEX [--alg tdes|aes]\n"
"  store init --store PATH --kek-file FILE [--force]\n"
"  store load --store PATH --kek-file FILE --kbpk HEX --block STRING [--ikid HEX | --ksn HEX]\n"
"  store show --store PATH --kek-file FILE\n"
"  store next --store PATH --kek-file FILE [--key-type TYPE]\n", prog);
}

static void out_add(const char *name, const char *value)
{
	if (nouts >= MAX_OUT)
		return;
	snprintf(outs[nouts].name, sizeof(outs[nouts].name), "%s", name);
	outs[nouts].value = strdup(value);
	if (!outs[nouts].value) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(1);
	}
	nouts++;
}

static void out_hex(const char *name, const uint8_t *p, size_t n)
{
	char h[2 * 512 + 1];

	if (n > 512)
		n = 512;
	pt_hex_encode(p, n, h);
	out_add(name, h);
	pt_cleanse(h, sizeof(h));
}

static int out_flush(void)
{
	int i, rc = 0;

	if (json_out) {
		json_t *o = json_object();
		char *s;

		for (i = 0; i < nouts; i++)
			json_object_set_new(o, outs[i].name, json_string(outs[i].value));
		s = json_dumps(o, JSON_COMPACT);
		if (s) {
			puts(s);
			pt_cleanse(s, strlen(s));
			free(s);
		} else {
			rc = 1;
		}
		json_decref(o);
	} else {
		for (i = 0; i < nouts; i++)
			printf("%s: %s\n", outs[i].name, outs[i].value);
	}
	for (i = 0; i < nouts; i++) {
		pt_cleanse(outs[i].value, strlen(outs[i].value));
		free(outs[i].value);
	}
	nouts = 0;
	if (fflush(stdout))
		rc = 1;
	return rc;
}

static void die(const char *what, int err) __attribute__((noreturn));
static void die(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, pt_strerror(err));
	exit(1);
}

static void die_usage(const char *msg) __attribute__((noreturn));
static void die_usage(const char *msg)
{
	fprintf(stderr, "%s: %s\n", prog, msg);
	usage(stderr);
	exit(2);
}

static const char *opt(const char *name)
{
	for (int i = 0; i < nopts; i++)
		if (!strcmp(opts[i].name, name))
			return opts[i].value ? opts[i].value : "";
	return NULL;
}

static const char *need(const char *name)
{
	const char *v = opt(name);
	char msg[80];

	if (!v || !*v) {
		snprintf(msg, sizeof(msg), "missing --%s", name);
		die_usage(msg);
	}
	return v;
}

/* Only the listed options (space separated, plus "json") are allowed. */
static void allow(const char *names)
{
	char msg[120];

	for (int i = 0; i < nopts; i++) {
		const char *p = names;
		size_t n = strlen(opts[i].name);
		int ok = 0;

		while (*p) {
			size_t l = strcspn(p, " ");

			if (l == n && !strncmp(p, opts[i].name, n))
				ok = 1;
			p += l;
			while (*p == ' ')
				p++;
		}
		if (!ok) {
			snprintf(msg, sizeof(msg), "unknown option --%s for this command",
				 opts[i].name);
			die_usage(msg);
		}
	}
}

static size_t hexarg(const char *name, const char *hex, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	int r = pt_hex_decode(hex, buf, cap, &n);
	char what[64];

	if (r) {
		snprintf(what, sizeof(what), "--%s", name);
		die(what, r);
	}
	return n;
}

static size_t hexopt(const char *name, uint8_t *buf, size_t cap)
{
	return hexarg(name, need(name), buf, cap);
}

/* ---- dukpt ---- */

static int cmd_dukpt_ik(void)
{
	uint8_t bdk[33], id[13], ik[32], kcv[3];
	size_t bdklen, idlen;
	int r;

	allow("bdk ikid ksn");
	bdklen = hexopt("bdk", bdk, sizeof(bdk));
	if (opt("ikid") && opt("ksn"))
		die_usage("give --ikid (AES) or --ksn, not both");
	if (opt("ikid")) {
		idlen = hexopt("ikid", id, sizeof(id));
		if (idlen != 8)
			die("--ikid (16 hex digits)", PT_ERR_KSN);
	} else {
		idlen = hexopt("ksn", id, sizeof(id));
		if (idlen != 10 && idlen != 12)
			die("--ksn (20 hex digits TDES, 24 AES)", PT_ERR_KSN);
	}
	if (idlen == 10) {
		if (bdklen != 16)
			die("--bdk (TDES DUKPT needs a 16-byte BDK)", PT_ERR_KEY_LENGTH);
		r = pt_dukpt_tdes_ipek(bdk, id, ik);
		if (r)
			die("dukpt-ik", r);
		out_hex("ipek", ik, 16);
		out_hex("initial_key", ik, 16);
		pt_kcv(PT_ALG_TDES, ik, 16, kcv, 3);
		out_hex("kcv", kcv, 3);
	} else {
		r = pt_dukpt_aes_initial_key(bdk, bdklen, id, ik);
		if (r)
			die("dukpt-ik", r);
		out_hex("initial_key", ik, bdklen);
		pt_kcv(PT_ALG_AES, ik, bdklen, kcv, 3);
		out_hex("kcv", kcv, 3);
	}
	pt_cleanse(bdk, sizeof(bdk));
	pt_cleanse(ik, sizeof(ik));
	return out_flush();
}

static const struct { const char *name; enum pt_dukpt_usage u; } wk_names[] = {
	{ "pin_key", PT_DUKPT_PIN },
	{ "mac_gen_key", PT_DUKPT_MAC_GEN },
	{ "mac_ver_key", PT_DUKPT_MAC_VER },
	{ "data_enc_key", PT_DUKPT_DATA_ENC },
	{ "data_dec_key", PT_DUKPT_DATA_DEC },
};

/* Working keys from a transaction key, AES (ksn 12) or TDES (ksn 10). */
static void emit_working_keys(const uint8_t *txn, size_t txnlen,
			      const uint8_t *ksn, size_t ksnlen,
			      enum pt_key_type type)
{
	uint8_t w[32];
	int r;

	for (size_t i = 0; i < sizeof(wk_names) / sizeof(wk_names[0]); i++) {
		if (ksnlen == 12)
			r = pt_dukpt_aes_working_key(txn, txnlen, ksn, wk_names[i].u,
						     type, w);
		else
			r = pt_dukpt_tdes_working_key(txn, wk_names[i].u, w);
		if (r)
			die(wk_names[i].name, r);
		out_hex(wk_names[i].name, w, ksnlen == 12 ? pt_key_type_len(type) : 16);
	}
	pt_cleanse(w, sizeof(w));
}

static enum pt_key_type key_type_opt(enum pt_key_type def)
{
	enum pt_key_type t = def;
	const char *s = opt("key-type");

	if (s && pt_key_type_parse(s, &t))
		die("--key-type (aes128|aes192|aes256|tdes2|tdes3)", PT_ERR_ALGORITHM);
	return t;
}

static int cmd_dukpt_keys(void)
{
	uint8_t key[33], ksn[13], txn[32];
	size_t keylen, ksnlen;
	int from_ik, r;
	enum pt_key_type type;

	allow("bdk ik ipek ksn key-type");
	from_ik = opt("ik") || opt("ipek");
	if (from_ik && opt("bdk"))
		die_usage("give --bdk or --ik, not both");
	keylen = from_ik ? hexopt(opt("ik") ? "ik" : "ipek", key, sizeof(key)) :
			   hexopt("bdk", key, sizeof(key));
	ksnlen = hexopt("ksn", ksn, sizeof(ksn));
	if (ksnlen == 12) {
		type = key_type_opt(PT_KT_AES128);
		r = from_ik ? pt_dukpt_aes_txn_key(key, keylen, ksn, txn) :
			      pt_dukpt_aes_host_txn_key(key, keylen, ksn, txn);
		if (r)
			die("transaction key", r);
		out_hex("ksn", ksn, 12);
		out_hex("transaction_key", txn, keylen);
		emit_working_keys(txn, keylen, ksn, 12, type);
	} else if (ksnlen == 10) {
		if (key_type_opt(PT_KT_TDES2) != PT_KT_TDES2)
			die("--key-type (TDES DUKPT keys are tdes2)", PT_ERR_ALGORITHM);
		if (keylen != 16)
			die(from_ik ? "--ik" : "--bdk", PT_ERR_KEY_LENGTH);
		r = from_ik ? pt_dukpt_tdes_txn_key(key, ksn, txn) :
			      pt_dukpt_tdes_host_txn_key(key, ksn, txn);
		if (r)
			die("transaction key", r);
		out_hex("ksn", ksn, 10);
		out_hex("transaction_key", txn, 16);
		emit_working_keys(txn, 16, ksn, 10, PT_KT_TDES2);
	} else {
		die("--ksn (24 hex digits AES, 20 TDES)", PT_ERR_KSN);
	}
	pt_cleanse(key, sizeof(key));
	pt_cleanse(txn, sizeof(txn));
	return out_flush();
}

/* ---- pinblock ---- */

static int cmd_pinblock(const char *sub)
{
	uint8_t key[33], blk[16], field[16], fill[16];
	size_t keylen = 0, len, bl;
	const char *fmt_s, *pan;
	char pin[PT_PIN_MAX + 1], *end;
	const uint8_t *rnd = NULL;
	long fmt;
	int r;

	allow("format pin pan key block fill");
	fmt_s = need("format");
	fmt = strtol(fmt_s, &end, 10);
	if (*end || fmt < 0 || fmt > 4)
		die("--format (0, 1, 2, 3 or 4)", PT_ERR_FORMAT);
	pan = opt("pan");
	if ((fmt == 0 || fmt == 3 || fmt == 4) && !pan)
		die_usage("missing --pan");
	if (opt("fill")) {
		memset(fill, 0, sizeof(fill));
		hexopt("fill", fill, sizeof(fill));
		rnd = fill;
	}
	if (!strcmp(sub, "encode")) {
		const char *p = need("pin");

		r = pt_pinblock_encode((int)fmt, p, pan, rnd, blk, &len);
		if (r)
			die("pinblock encode", r);
		/* format 4: the clear block is the PIN field (the PAN enters
		 * during encryption) */
		out_hex("pin_block", blk, len);
		r = pt_pin_field((int)fmt, p, rnd, field);
		if (!r && rnd == NULL && fmt != 4) {
			/* random fill: report the field that matches pin_block */
			r = pt_pan_field((int)fmt, pan, field);
			for (size_t i = 0; !r && i < len; i++)
				field[i] ^= blk[i];
		} else if (!r && fmt == 4) {
			memcpy(field, blk, 16);
		}
		if (r)
			die("pinblock encode", r);
		out_hex("pin_field", field, pt_pinblock_len((int)fmt));
		if (fmt == 0 || fmt == 3 || fmt == 4) {
			r = pt_pan_field((int)fmt, pan, field);
			if (r)
				die("pinblock encode", r);
			out_hex("pan_field", field, pt_pinblock_len((int)fmt));
		}
	} else if (!strcmp(sub, "encrypt")) {
		keylen = hexopt("key", key, sizeof(key));
		r = pt_pinblock_encrypt((int)fmt, key, keylen, need("pin"), pan, rnd,
					blk, &len);
		if (r)
			die("pinblock encrypt", r);
		out_hex("pin_block", blk, len);
	} else if (!strcmp(sub, "decrypt") || !strcmp(sub, "decode")) {
		int dec = !strcmp(sub, "decrypt");

		if (dec)
			keylen = hexopt("key", key, sizeof(key));
		bl = hexopt("block", blk, sizeof(blk));
		r = dec ? pt_pinblock_decrypt((int)fmt, key, keylen, blk, bl, pan, pin) :
			  pt_pinblock_decode((int)fmt, blk, bl, pan, pin);
		if (r)
			die(dec ? "pinblock decrypt" : "pinblock decode", r);
		out_add("pin", pin);
		pt_cleanse(pin, sizeof(pin));
	} else {
		die_usage("pinblock: encode, encrypt, decrypt or decode");
	}
	pt_cleanse(key, sizeof(key));
	pt_cleanse(blk, sizeof(blk));
	pt_cleanse(field, sizeof(field));
	return out_flush();
}

/* ---- tr31 ---- */

static void emit_tr31(const struct pt_tr31_key *k)
{
	char s[4], name[16];

	out_hex("key", k->key, k->keylen);
	out_hex("kcv", k->kcv, 3);
	s[0] = k->version; s[1] = 0;
	out_add("version", s);
	out_add("key_usage", k->usage);
	s[0] = k->algorithm;
	out_add("algorithm", s);
	s[0] = k->mode;
	out_add("mode_of_use", s);
	out_add("key_version", k->key_version);
	s[0] = k->exportability;
	out_add("exportability", s);
	snprintf(s, sizeof(s), "%02zu", k->nopt);
	out_add("optional_blocks", s);
	for (size_t i = 0; i < k->nopt; i++) {
		snprintf(name, sizeof(name), "opt_%s", k->opt[i].id);
		out_add(name, k->opt[i].data);
	}
}

static int cmd_tr31(const char *sub)
{
	uint8_t kbpk[33];
	size_t kbpklen;
	struct pt_tr31_key k;
	int r;

	if (!strcmp(sub, "unwrap")) {
		allow("kbpk block");
		kbpklen = hexopt("kbpk", kbpk, sizeof(kbpk));
		r = pt_tr31_unwrap(kbpk, kbpklen, need("block"), &k);
		if (r)
			die("tr31 unwrap", r);
		emit_tr31(&k);
		pt_tr31_clear(&k);
	} else if (!strcmp(sub, "wrap")) {
		char hdr[17], *blk;
		const char *h = opt("header");

		allow("kbpk key header version usage algorithm mode key-version "
		      "exportability opt kc kp");
		kbpklen = hexopt("kbpk", kbpk, sizeof(kbpk));
		memset(&k, 0, sizeof(k));
		k.keylen = hexopt("key", k.key, sizeof(k.key));
		if (!h) {
			const char *v = opt("version"), *u = opt("usage"),
				   *a = opt("algorithm"), *m = opt("mode"),
				   *kv = opt("key-version"), *e = opt("exportability");

			snprintf(hdr, sizeof(hdr), "%c0000%-2.2s%c%c%-2.2s%c0000",
				 v ? v[0] : (kbpklen == 32 ? 'D' : 'B'),
				 u ? u : "P0",
				 a ? a[0] : (kbpklen == 32 || (v && v[0] == 'D') ? 'A' : 'T'),
				 m ? m[0] : 'E', kv ? kv : "00", e ? e[0] : 'E');
			h = hdr;
		}
		r = pt_tr31_set_header(&k, h);
		if (r)
			die("tr31 wrap: header", r);
		for (int i = 0; i < nopts; i++) {
			const char *v = opts[i].value;

			if (strcmp(opts[i].name, "opt"))
				continue;
			if (!v || strlen(v) < 3 || v[2] != '=')
				die_usage("--opt ID=VALUE (two-character ID)");
			r = pt_tr31_opt_add(&k, v, v + 3);
			if (r)
				die("tr31 wrap: --opt", r);
		}
		if (opt("kc") || opt("kp")) {
			uint8_t kcv[5];
			char hex[11], data[16];
			int aes_kbpk = k.version == 'D';

			if (opt("kc") && (k.algorithm == 'A' || k.algorithm == 'T')) {
				pt_kcv(k.algorithm == 'A' ? PT_ALG_AES : PT_ALG_TDES,
				       k.key, k.keylen, kcv, 3);
				pt_hex_encode(kcv, 3, hex);
				snprintf(data, sizeof(data), "%s%s",
					 k.algorithm == 'A' ? "01" : "00", hex);
				pt_tr31_opt_add(&k, "KC", data);
			}
			if (opt("kp")) {
				r = pt_kcv(aes_kbpk ? PT_ALG_AES : PT_ALG_TDES, kbpk, kbpklen,
					   kcv, 3);
				if (r)
					die("tr31 wrap: --kbpk", r);
				pt_hex_encode(kcv, 3, hex);
				snprintf(data, sizeof(data), "%s%s", aes_kbpk ? "01" : "00",
					 hex);
				pt_tr31_opt_add(&k, "KP", data);
			}
		}
		blk = malloc(PT_TR31_MAX_LEN + 1);
		if (!blk)
			die("tr31 wrap", PT_ERR_NOMEM);
		r = pt_tr31_wrap(kbpk, kbpklen, &k, blk, PT_TR31_MAX_LEN + 1);
		if (r)
			die("tr31 wrap", r);
		out_add("block", blk);
		if (k.algorithm == 'A' || k.algorithm == 'T') {
			uint8_t kcv[3];

			if (!pt_kcv(k.algorithm == 'A' ? PT_ALG_AES : PT_ALG_TDES,
				    k.key, k.keylen, kcv, 3))
				out_hex("kcv", kcv, 3);
		}
		free(blk);
		pt_tr31_clear(&k);
	} else {
		die_usage("tr31: wrap or unwrap");
	}
	pt_cleanse(kbpk, sizeof(kbpk));
	return out_flush();
}

/* ---- kcv ---- */

static int cmd_kcv(void)
{
	uint8_t key[33], kcv[3], k2[16];
	size_t keylen;
	const char *alg;
	int r;

	allow("key alg");
	keylen = hexopt("key", key, sizeof(key));
	alg = opt("alg");
	if (alg && strcmp(alg, "aes") && strcmp(alg, "tdes"))
		die("--alg (tdes or aes)", PT_ERR_ALGORITHM);
	if (keylen == 8 && (!alg || !strcmp(alg, "tdes"))) {	/* single DES */
		memcpy(k2, key, 8);
		memcpy(k2 + 8, key, 8);
		r = pt_kcv(PT_ALG_TDES, k2, 16, kcv, 3);
		if (r)
			die("kcv", r);
		out_hex("kcv", kcv, 3);
	} else if (alg && !strcmp(alg, "aes")) {
		r = pt_kcv(PT_ALG_AES, key, keylen, kcv, 3);
		if (r)
			die("kcv", r);
		out_hex("kcv", kcv, 3);
	} else if (alg || keylen == 32) {
		r = pt_kcv(keylen == 32 ? PT_ALG_AES : PT_ALG_TDES, key, keylen, kcv, 3);
		if (r)
			die("kcv", r);
		out_hex("kcv", kcv, 3);
	} else {
		/* 16/24 bytes: TDES (legacy, encrypt zeros) first, AES CMAC too */
		r = pt_kcv(PT_ALG_TDES, key, keylen, kcv, 3);
		if (r)
			die("kcv", r);
		out_hex("kcv", kcv, 3);
		out_hex("kcv_tdes", kcv, 3);
		r = pt_kcv(PT_ALG_AES, key, keylen, kcv, 3);
		if (r)
			die("kcv", r);
		out_hex("kcv_aes", kcv, 3);
	}
	pt_cleanse(key, sizeof(key));
	pt_cleanse(k2, sizeof(k2));
	return out_flush();
}

/* ---- store ---- */

static void emit_state(const struct pt_keystore *ks)
{
	const struct pt_dukpt_dev *d = pt_ks_dev(ks);
	uint8_t ksn[12];
	char num[32];
	int r;

	if (d->kind == PT_DUKPT_NONE) {
		out_add("type", "empty");
		return;
	}
	out_add("type", d->kind == PT_DUKPT_AES ? "aes-dukpt" : "tdes-dukpt");
	out_add("derivation_key_type", pt_key_type_name(d->dk_type));
	r = pt_dukpt_dev_ksn(d, ksn);
	if (r == PT_ERR_EXHAUSTED) {
		out_add("ksn", "exhausted");
	} else {
		out_hex("ksn", ksn, pt_dukpt_dev_ksn_len(d));
		snprintf(num, sizeof(num), "%u", d->counter);
		out_add("counter", num);
	}
	snprintf(num, sizeof(num), "%llu", (unsigned long long)pt_ks_generation(ks));
	out_add("generation", num);
}

static int cmd_store(const char *sub)
{
	uint8_t kek[PT_KEK_LEN];
	const char *path, *kekf;
	struct pt_keystore *ks = NULL;
	int r;

	path = need("store");
	kekf = opt("kek-file");
	if (!kekf)
		kekf = getenv("PAYTERM_KEK_FILE");
	if (!kekf)
		kekf = "/etc/payterm/kek";
	if (!strcmp(sub, "init"))
		allow("store kek-file force");
	else if (!strcmp(sub, "load"))
		allow("store kek-file kbpk block ikid ksn");
	else if (!strcmp(sub, "show"))
		allow("store kek-file");
	else if (!strcmp(sub, "next"))
		allow("store kek-file key-type");
	else
		die_usage("store: init, load, show or next");
	r = pt_kek_read_file(kekf, kek);
	if (r)
		die(kekf, r);
	if (!strcmp(sub, "init")) {
		r = pt_ks_create(path, kek, opt("force") != NULL, &ks);
		if (r)
			die(path, r);
		emit_state(ks);
	} else {
		r = pt_ks_open(path, kek, &ks);
		if (r)
			die(path, r);
	}
	pt_cleanse(kek, sizeof(kek));
	if (!strcmp(sub, "load")) {
		uint8_t kbpk[33], id[13];
		size_t kbpklen = hexopt("kbpk", kbpk, sizeof(kbpk)), idlen = 0;

		if (opt("ikid"))
			idlen = hexopt("ikid", id, sizeof(id));
		else if (opt("ksn"))
			idlen = hexopt("ksn", id, sizeof(id));
		r = pt_ks_load_tr31(ks, kbpk, kbpklen, need("block"), idlen ? id : NULL,
				    idlen);
		pt_cleanse(kbpk, sizeof(kbpk));
		if (r)
			die("store load", r);
		emit_state(ks);
	} else if (!strcmp(sub, "show")) {
		emit_state(ks);
	} else if (!strcmp(sub, "next")) {
		uint8_t ksn[12], txn[32];
		size_t ksnlen, txnlen;
		const struct pt_dukpt_dev *d = pt_ks_dev(ks);
		enum pt_key_type type = key_type_opt(d->kind == PT_DUKPT_TDES ?
						     PT_KT_TDES2 : PT_KT_AES128);

		if (d->kind == PT_DUKPT_TDES && type != PT_KT_TDES2)
			die("--key-type (TDES DUKPT keys are tdes2)", PT_ERR_ALGORITHM);
		if (d->kind == PT_DUKPT_AES && pt_key_type_is_aes(type) &&
		    pt_key_type_len(type) > pt_dukpt_dev_key_len(d))
			die("--key-type", PT_ERR_KEY_LENGTH);
		r = pt_ks_next(ks, ksn, &ksnlen, txn, &txnlen);
		if (r)
			die("store next", r);
		out_hex("ksn", ksn, ksnlen);
		out_hex("transaction_key", txn, txnlen);
		emit_working_keys(txn, txnlen, ksn, ksnlen, type);
		pt_cleanse(txn, sizeof(txn));
	}
	pt_ks_close(ks);
	return out_flush();
}

int main(int argc, char **argv)
{
	const char *cmd = NULL, *sub = NULL;
	int i;

	/* no core dumps / ptrace by other users of a process holding keys */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

	for (i = 1; i < argc; i++) {
		char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		/* before a command only: tr31 wrap has a --version of its own */
		if (!cmd && !strcmp(a, "--version")) {
			printf("%s %s\n", prog, PT_KEYTOOL_VERSION);
			return 0;
		}
		if (!strcmp(a, "--json")) {
			json_out = 1;
		} else if (!strncmp(a, "--", 2) && a[2]) {
			char *eq = strchr(a + 2, '=');

			if (nopts >= MAX_OPTS)
				die_usage("too many options");
			if (eq) {
				*eq = 0;
				opts[nopts].value = eq + 1;
			} else if (!strcmp(a + 2, "force") || !strcmp(a + 2, "kc") ||
				   !strcmp(a + 2, "kp")) {
				opts[nopts].value = "1";
			} else if (i + 1 < argc) {
				opts[nopts].value = argv[++i];
			} else {
				fprintf(stderr, "%s: option %s needs a value\n", prog, a);
				return 2;
			}
			opts[nopts++].name = a + 2;
		} else if (!cmd) {
			cmd = a;
		} else if (!sub) {
			sub = a;
		} else {
			die_usage("too many arguments");
		}
	}
	if (!cmd)
		die_usage("no command");
	if (!strcmp(cmd, "dukpt-ik") && !sub)
		return cmd_dukpt_ik();
	if (!strcmp(cmd, "dukpt-keys") && !sub)
		return cmd_dukpt_keys();
	if (!strcmp(cmd, "kcv") && !sub)
		return cmd_kcv();
	if (!strcmp(cmd, "pinblock") && sub)
		return cmd_pinblock(sub);
	if (!strcmp(cmd, "tr31") && sub)
		return cmd_tr31(sub);
	if (!strcmp(cmd, "store") && sub)
		return cmd_store(sub);
	die_usage("unknown command");
}
