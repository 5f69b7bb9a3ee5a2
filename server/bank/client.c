// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * payterm-bank-client: test acquirer for payterm-bank.  Builds real ISO 8583
 * requests (DUKPT-encrypted card data and PIN block, request MAC, ARQC for
 * chip) from the shared test-card file and the bank's test keys, sends them,
 * checks the response MAC and prints the result as one JSON line.  Also a
 * load generator (bench).  TEST TOOL: it knows the BDK.
 *
 *   payterm-bank-client --config C --cards F --port N COMMAND [options]
 *   commands: txn, reversal, echo, raw, bench
 */
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bank.h"
#include "iso8583.h"
#include "payterm-common.h"
#include "payterm_crypto.h"

struct card {
	char pan[20], expiry[5], svc[4], track2[48];
	int psn;
	int chip;
	uint8_t mk[16], aip[2], iad[32], cdol1[64];
	size_t iadlen, cdol1len;
};

struct topts {
	const char *card;
	const char *pin;	/* NULL: no PIN */
	long long amount;
	const char *currency;
	const char *entry;	/* swipe chip tap */
	int scheme;		/* BANK_KM_AES / TDES */
	int tdes_format;	/* 0 or 3 */
	long stan;		/* -1: derived from the pid */
	const char *tdt;	/* NULL: now */
	const char *tid, *mid, *ref;
	long long counter;	/* -1: random */
	int bad_mac, bad_arqc, icc_leak;
	const char *dump;	/* write request / response frames */
	const char *req_hash;	/* field 48 as given; NULL: derived */
	int no_req_hash;	/* leave field 48 out */
};

static struct bank_cfg cfg;
static json_t *cards_root;
static const char *host = "127.0.0.1";
static int port = 8583;

static void die(const char *msg)
{
	fprintf(stderr, "payterm-bank-client: %s\n", msg);
	exit(2);
}

static uint32_t rnd32(void)
{
	uint32_t v;

	if (pt_random((uint8_t *)&v, sizeof(v)))
		die("random");
	return v;
}

static int load_card(const char *id, struct card *c)
{
	json_t *cards = json_object_get(cards_root, "cards");

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < json_array_size(cards); i++) {
		json_t *o = json_array_get(cards, i), *chip;
		const char *t2;
		size_t l;

		if (strcmp(json_string_value(json_object_get(o, "id")) ?: "", id))
			continue;
		snprintf(c->pan, sizeof(c->pan), "%s",
			 json_string_value(json_object_get(o, "pan")));
		snprintf(c->expiry, sizeof(c->expiry), "%s",
			 json_string_value(json_object_get(o, "expiry")));
		t2 = json_string_value(json_object_get(o, "track2"));
		snprintf(c->track2, sizeof(c->track2), "%s", t2 ? t2 : "");
		c->psn = atoi(json_string_value(json_object_get(o, "psn")) ?: "0");
		chip = json_object_get(o, "chip");
		if (chip) {
			c->chip = 1;
			if (pt_hex_decode(json_string_value(json_object_get(chip, "icc_mk_ac")) ?: "",
					  c->mk, 16, &l) || l != 16 ||
			    pt_hex_decode(json_string_value(json_object_get(chip, "aip")) ?: "",
					  c->aip, 2, &l) || l != 2 ||
			    pt_hex_decode(json_string_value(json_object_get(chip, "iad")) ?: "",
					  c->iad, sizeof(c->iad), &c->iadlen) ||
			    pt_hex_decode(json_string_value(json_object_get(chip, "cdol1")) ?: "",
					  c->cdol1, sizeof(c->cdol1), &c->cdol1len))
				die("card file: bad chip data");
		}
		return 0;
	}
	return -1;
}

/* Track 2 ";PAN=YYMMSSSDDD?" -> tag 57 value. */
static size_t track2_to_57(const char *t2, uint8_t *out)
{
	char nib[48];
	size_t n = 0;

	for (const char *p = t2; *p; p++) {
		if (*p == ';' || *p == '?')
			continue;
		nib[n++] = *p == '=' ? 'D' : *p;
		if (n >= sizeof(nib) - 1)
			break;
	}
	if (n % 2)
		nib[n++] = 'F';
	nib[n] = 0;
	size_t l = 0;

	pt_hex_decode(nib, out, 24, &l);
	pt_cleanse(nib, sizeof(nib));
	return l;
}

static uint8_t bcd2(int v)
{
	return (uint8_t)((v / 10 % 10) << 4 | v % 10);
}

static long long next_counter(int scheme)
{
	for (;;) {
		uint32_t c = rnd32();

		if (scheme == BANK_KM_TDES)
			c &= PT_DUKPT_TDES_COUNTER_MASK;
		if (scheme == BANK_KM_AES ? pt_dukpt_aes_counter_valid(c) :
		    pt_dukpt_tdes_counter_valid(c))
			return c;
	}
}

/* Build a 0200 and its key set. */
/*
 * Field 48 stands for the payment request a real acquirer issued: here the
 * SHA-256 (lower-case hex) of a text naming this message, so that every
 * 0200 has its own.
 */
static void set_req_hash(const struct topts *o, struct iso8583_msg *m)
{
	char text[96], h[65], stan[7] = "", tdt[11] = "";
	unsigned char d[32];
	unsigned int dl = 0;

	if (o->no_req_hash)
		return;
	if (o->req_hash) {
		if (iso8583_set_str(m, 48, o->req_hash))
			die("bad --request-hash");
		return;
	}
	iso8583_get_str(m, 11, stan, sizeof(stan));
	iso8583_get_str(m, 7, tdt, sizeof(tdt));
	snprintf(text, sizeof(text), "payterm-bank-client %s %s %s", o->tid,
		 stan, tdt);
	if (!EVP_Digest(text, strlen(text), d, &dl, EVP_sha256(), NULL) ||
	    dl != 32)
		die("SHA-256");
	ptc_hex_encode_lower(d, 32, h, sizeof(h));
	iso8583_set_str(m, 48, h);
}

static int build_0200(const struct topts *o, struct iso8583_msg *m,
		      struct bank_keys *k)
{
	struct card c;
	const struct bank_bdk *bdk = NULL;
	uint8_t f53[48] = { 0 }, pt[64], ct[80], blk[16], md[2048], mac[8];
	uint8_t icc[256];
	size_t ptl = 0, ctl, blkl, mdl, iccl = 0;
	char tdt[11], hhmmss[7], mmdd[5];
	time_t now = time(NULL);
	struct tm tm;
	long long counter = o->counter;
	int chip = strcmp(o->entry, "swipe") != 0, r;

	if (load_card(o->card, &c))
		die("unknown card id");
	for (size_t i = 0; i < cfg.nbdks; i++)
		if (cfg.bdks[i].scheme == o->scheme)
			bdk = &cfg.bdks[i];
	if (!bdk)
		die("no BDK of that scheme in the config");
	if (counter < 0)
		counter = next_counter(o->scheme);
	f53[0] = (uint8_t)o->scheme;
	if (o->scheme == BANK_KM_AES) {
		f53[1] = PT_KT_AES128;
		f53[2] = o->pin ? 4 : 0xFF;
		memcpy(f53 + 4, bdk->id, 4);
		memcpy(f53 + 8, "\x90\x12\x34\x56", 4);
		f53[12] = (uint8_t)(counter >> 24);
		f53[13] = (uint8_t)(counter >> 16);
		f53[14] = (uint8_t)(counter >> 8);
		f53[15] = (uint8_t)counter;
	} else {
		f53[2] = o->pin ? (uint8_t)o->tdes_format : 0xFF;
		memcpy(f53 + 4, bdk->id, 5);
		f53[9] = 0x32;
		f53[10] = 0x10;
		f53[11] = (uint8_t)(0xE0 | ((counter >> 16) & 0x1F));
		f53[12] = (uint8_t)(counter >> 8);
		f53[13] = (uint8_t)counter;
	}
	if (bank_keys_derive(f53, cfg.bdks, cfg.nbdks, k))
		die("key derivation failed");

	gmtime_r(&now, &tm);
	strftime(tdt, sizeof(tdt), "%m%d%H%M%S", &tm);
	strftime(hhmmss, sizeof(hhmmss), "%H%M%S", &tm);
	strftime(mmdd, sizeof(mmdd), "%m%d", &tm);
	iso8583_init(m, "0200");
	iso8583_set_str(m, 3, "000000");
	if (iso8583_set_num(m, 4, (unsigned long long)o->amount))
		die("bad amount");
	iso8583_set_str(m, 7, o->tdt ? o->tdt : tdt);
	/*
	 * Default STAN: the process id.  Test runs start many clients within
	 * one second; pids differ where random STANs could collide (94).
	 */
	iso8583_set_num(m, 11, o->stan >= 0 ? (unsigned long long)o->stan :
			(unsigned long long)getpid() % 999999 + 1);
	iso8583_set_str(m, 12, hhmmss);
	iso8583_set_str(m, 13, mmdd);
	iso8583_set_str(m, 22, !strcmp(o->entry, "swipe") ? "901" :
			!strcmp(o->entry, "chip") ? "051" : "071");
	iso8583_set_str(m, 41, o->tid);
	iso8583_set_str(m, 42, o->mid);
	set_req_hash(o, m);
	iso8583_set_str(m, 49, o->currency);
	iso8583_set(m, 53, f53, 48);
	if (o->ref)
		iso8583_set_str(m, 63, o->ref);

	/* card data */
	r = bank_tlv_put(pt, sizeof(pt), 0, 0x57, NULL, 0);
	{
		uint8_t t57[24];
		size_t l = track2_to_57(c.track2, t57);

		r = bank_tlv_put(pt, sizeof(pt), 0, 0x57, t57, l);
		pt_cleanse(t57, sizeof(t57));
	}
	if (r > 0 && chip) {
		uint8_t psn = bcd2(c.psn);

		r = bank_tlv_put(pt, sizeof(pt), (size_t)r, 0x5F34, &psn, 1);
	}
	if (r <= 0)
		die("card data");
	ptl = (size_t)r;
	if (pt_data_encrypt(o->scheme == BANK_KM_AES ? PT_ALG_AES : PT_ALG_TDES,
			    k->data, k->keylen, NULL, pt, ptl, ct, sizeof(ct),
			    &ctl))
		die("card data encryption");
	pt_cleanse(pt, sizeof(pt));
	iso8583_set_hex(m, 62, ct, ctl);

	if (o->pin) {
		int fmt = o->scheme == BANK_KM_AES ? 4 : o->tdes_format;

		if (pt_pinblock_encrypt(fmt, k->pin, k->keylen, o->pin, c.pan,
					NULL, blk, &blkl))
			die("PIN block encryption (PIN 4-12 digits?)");
		if (fmt == 4)
			iso8583_set_hex(m, 61, blk, blkl);
		else
			iso8583_set(m, 52, blk, blkl);
	}

	if (chip) {
		uint32_t tags[32];
		size_t lens[32], nt;
		uint8_t cdol[128], sk[16], arqc[8], atc[2], v[16];
		size_t cl = 0;
		uint16_t a = (uint16_t)(rnd32() % 65000 + 1);

		if (!c.chip)
			die("card has no chip");
		atc[0] = (uint8_t)(a >> 8);
		atc[1] = (uint8_t)a;
		if (bank_dol_parse(c.cdol1, c.cdol1len, tags, lens, 32, &nt))
			die("CDOL1");
		r = 0;
		for (size_t i = 0; i < nt; i++) {
			memset(v, 0, sizeof(v));
			switch (tags[i]) {
			case 0x9F02: {
				long long amt = o->amount;

				for (int j = 5; j >= 0; j--) {
					v[j] = bcd2((int)(amt % 100));
					amt /= 100;
				}
				break;
			}
			case 0x9F1A: v[0] = 0x02; v[1] = 0x50; break;
			case 0x5F2A:
				v[0] = (uint8_t)(o->currency[0] - '0');
				v[1] = (uint8_t)((o->currency[1] - '0') << 4 |
						 (o->currency[2] - '0'));
				break;
			case 0x9A:
				v[0] = bcd2(tm.tm_year % 100);
				v[1] = bcd2(tm.tm_mon + 1);
				v[2] = bcd2(tm.tm_mday);
				break;
			case 0x9F37: {
				uint32_t un = rnd32();

				memcpy(v, &un, 4);
				break;
			}
			default: break;
			}
			memcpy(cdol + cl, v, lens[i]);
			cl += lens[i];
			r = bank_tlv_put(icc, sizeof(icc), (size_t)r, tags[i],
					 v, lens[i]);
		}
		memcpy(cdol + cl, c.aip, 2);
		memcpy(cdol + cl + 2, atc, 2);
		cl += 4;
		if (bank_emv_csk(c.mk, a, sk) || bank_emv_arqc(sk, cdol, cl, arqc))
			die("ARQC");
		if (o->bad_arqc)
			arqc[7] ^= 1;
		r = bank_tlv_put(icc, sizeof(icc), (size_t)r, 0x9F26, arqc, 8);
		r = bank_tlv_put(icc, sizeof(icc), (size_t)r, 0x9F27,
				 (const uint8_t *)"\x80", 1);
		r = bank_tlv_put(icc, sizeof(icc), (size_t)r, 0x9F36, atc, 2);
		r = bank_tlv_put(icc, sizeof(icc), (size_t)r, 0x82, c.aip, 2);
		r = bank_tlv_put(icc, sizeof(icc), (size_t)r, 0x9F10, c.iad,
				 c.iadlen);
		if (o->icc_leak) {
			uint8_t psn = bcd2(c.psn);

			r = bank_tlv_put(icc, sizeof(icc), (size_t)r, 0x5F34,
					 &psn, 1);
		}
		if (r <= 0)
			die("ICC data");
		iccl = (size_t)r;
		iso8583_set_hex(m, 55, icc, iccl);
		pt_cleanse(sk, sizeof(sk));
	}
	if (iso8583_mac_data(m, iso8583_req_mac_fields, iso8583_req_mac_nfields,
			     md, sizeof(md), &mdl) || bank_mac(k, 0, md, mdl, mac))
		die("MAC");
	if (o->bad_mac)
		mac[0] ^= 0x01;
	iso8583_set(m, 64, mac, 8);
	pt_cleanse(&c, sizeof(c));
	return 0;
}

static int connect_bank(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0 || inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "payterm-bank-client: connect %s:%d: %s\n", host,
			port, strerror(errno));
		exit(3);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void dump(const char *prefix, const char *what, const uint8_t *b,
		 size_t len)
{
	char path[512];
	FILE *f;
	uint8_t hdr[2] = { (uint8_t)(len >> 8), (uint8_t)len };

	if (!prefix)
		return;
	snprintf(path, sizeof(path), "%s.%s.bin", prefix, what);
	f = fopen(path, "wb");
	if (!f || fwrite(hdr, 1, 2, f) != 2 || fwrite(b, 1, len, f) != len ||
	    fclose(f))
		die("cannot write dump");
}

/* Send m, read the answer into r; returns 0, or -1 if the bank closed. */
static int exchange(int fd, const struct iso8583_msg *m, struct iso8583_msg *r,
		    const char *dumpp, int timeout_ms)
{
	uint8_t buf[ISO8583_MAX_MSG];
	size_t len;
	int rc;

	if (iso8583_pack(m, buf, sizeof(buf), &len))
		die("pack");
	dump(dumpp, "req", buf, len);
	if (iso8583_write_frame(fd, buf, len))
		return -1;
	rc = iso8583_read_frame(fd, buf, sizeof(buf), &len, timeout_ms);
	if (rc == ISO_ERR_TIMEOUT)
		return -2;
	if (rc)
		return -1;
	dump(dumpp, "resp", buf, len);
	if (iso8583_unpack(r, buf, len, NULL))
		die("bank answer does not parse");
	return 0;
}

static void print_result(const struct iso8583_msg *req,
			 const struct iso8583_msg *r, int mac_state)
{
	char rc[3] = "", stan[7] = "", rstan[7] = "", auth[7] = "", rrn[13] = "";
	char tdt[11] = "";

	iso8583_get_str(r, 39, rc, sizeof(rc));
	iso8583_get_str(req, 11, stan, sizeof(stan));
	iso8583_get_str(r, 11, rstan, sizeof(rstan));
	iso8583_get_str(r, 38, auth, sizeof(auth));
	iso8583_get_str(r, 37, rrn, sizeof(rrn));
	iso8583_get_str(req, 7, tdt, sizeof(tdt));
	printf("{\"mti\":\"%s\",\"rc\":\"%s\",\"stan\":\"%s\",\"tdt\":\"%s\","
	       "\"stan_match\":%s,\"auth\":\"%s\",\"rrn\":\"%s\",\"arpc\":%s,"
	       "\"resp_mac\":\"%s\"}\n", r->mti, rc, stan, tdt,
	       strcmp(stan, rstan) ? "false" : "true", auth, rrn,
	       iso8583_has(r, 55) ? "true" : "false",
	       mac_state == 1 ? "ok" : mac_state == 0 ? "absent" : "BAD");
}

/* 1 ok, 0 absent, -1 wrong */
static int check_resp_mac(const struct iso8583_msg *r, const struct bank_keys *k)
{
	uint8_t md[256], mac[8];
	size_t ml;
	const uint8_t *f64 = iso8583_get(r, 64, NULL);

	if (!f64)
		return 0;
	if (iso8583_mac_data(r, iso8583_resp_mac_fields,
			     iso8583_resp_mac_nfields, md, sizeof(md), &ml) ||
	    bank_mac(k, 1, md, ml, mac))
		return -1;
	return memcmp(mac, f64, 8) ? -1 : 1;
}

/* ---- bench ---- */

struct bench_arg {
	struct topts o;
	int n;
	double *lat;
	int errors, approved;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static atomic_long bench_stan;

static void *bench_thread(void *p)
{
	struct bench_arg *a = p;
	static struct iso8583_msg m[64], r[64];
	static atomic_int slot;
	int s = atomic_fetch_add(&slot, 1) % 64;
	int fd = connect_bank();

	for (int i = 0; i < a->n; i++) {
		struct bank_keys k;
		char rc[3] = "";
		double t0 = now_s();

		/* sequential STANs: random ones would collide (94) */
		a->o.stan = atomic_fetch_add(&bench_stan, 1) % 999999 + 1;
		build_0200(&a->o, &m[s], &k);
		if (exchange(fd, &m[s], &r[s], NULL, 10000)) {
			a->errors++;
			close(fd);
			fd = connect_bank();
		} else {
			iso8583_get_str(&r[s], 39, rc, sizeof(rc));
			if (!strcmp(rc, "00"))
				a->approved++;
			else
				a->errors++;
		}
		bank_keys_wipe(&k);
		a->lat[i] = (now_s() - t0) * 1e3;
	}
	close(fd);
	return NULL;
}

static int cmp_d(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

static int bench(struct topts *o, int conns, int total)
{
	pthread_t th[64];
	struct bench_arg args[64];
	double *all, t0, el;
	int per, n = 0, errors = 0, approved = 0;

	if (conns < 1 || conns > 64 || total < conns)
		die("bench: 1..64 connections, total >= connections");
	per = total / conns;
	atomic_store(&bench_stan, (long)(rnd32() % 999999));
	{
		/* a terminal id of its own per run */
		static char tid[9];

		snprintf(tid, sizeof(tid), "B%07u", rnd32() % 10000000);
		o->tid = tid;
	}
	all = calloc((size_t)per * (size_t)conns, sizeof(double));
	if (!all)
		die("memory");
	t0 = now_s();
	for (int i = 0; i < conns; i++) {
		args[i] = (struct bench_arg){ .o = *o, .n = per,
					      .lat = all + (size_t)i * per };
		args[i].o.stan = -1;
		pthread_create(&th[i], NULL, bench_thread, &args[i]);
	}
	for (int i = 0; i < conns; i++) {
		pthread_join(th[i], NULL);
		errors += args[i].errors;
		approved += args[i].approved;
	}
	el = now_s() - t0;
	n = per * conns;
	qsort(all, (size_t)n, sizeof(double), cmp_d);
	printf("{\"connections\":%d,\"authorisations\":%d,\"approved\":%d,"
	       "\"errors\":%d,\"seconds\":%.3f,\"per_second\":%.1f,"
	       "\"median_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f}\n",
	       conns, n, approved, errors, el, n / el, all[n / 2],
	       all[(int)ceil(n * 0.99) - 1], all[n - 1]);
	free(all);
	return errors ? 1 : 0;
}

/* Print every field of a dumped frame as JSON (binary fields in hex). */
static int decode_file(const char *path)
{
	static struct iso8583_msg d;
	uint8_t buf[ISO8583_MAX_MSG + 2];
	size_t len;
	FILE *f = fopen(path, "rb");
	int rc;

	if (!f)
		die("cannot open the dump");
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (len < 2 || (size_t)(buf[0] << 8 | buf[1]) != len - 2)
		die("dump: bad length prefix");
	rc = iso8583_unpack(&d, buf + 2, len - 2, NULL);
	if (rc)
		die(iso8583_strerror(rc));
	printf("{\"0\":\"%s\"", d.mti);
	for (int i = 2; i <= ISO8583_MAX_FIELD; i++) {
		const struct iso8583_field_def *def = iso8583_field(i);
		const uint8_t *p;
		size_t l;

		if (!iso8583_has(&d, i))
			continue;
		p = iso8583_get(&d, i, &l);
		printf(",\"%d\":\"", i);
		for (size_t j = 0; j < l; j++) {
			if (def->type == ISO_T_B)
				printf("%02x", p[j]);
			else if (p[j] == '"' || p[j] == '\\')
				printf("\\%c", p[j]);
			else
				putchar(p[j]);
		}
		putchar('"');
	}
	printf("}\n");
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: payterm-bank-client --config BANKCFG --cards CARDS.json "
		"[--host H] --port N COMMAND [options]\n"
		"  txn      --card ID [--pin P] [--amount A] [--currency C]\n"
		"           [--entry swipe|chip|tap] [--scheme aes|tdes] [--tdes-format 0|3]\n"
		"           [--stan N] [--tdt MMDDhhmmss] [--counter N] [--ref R]\n"
		"           [--bad-mac] [--bad-arqc] [--icc-leak] [--dump PREFIX]\n"
		"           [--request-hash HEX | --no-request-hash]  (field 48)\n"
		"  reversal --stan ORIGSTAN --tdt ORIGTDT [--amount A] [--dump PREFIX]\n"
		"  echo     [--dump PREFIX]\n"
		"  raw      --hex HEX     send HEX as one frame (or --frame-len N)\n"
		"  bench    [--conns N] [--total M] (txn options)\n"
		"  decode   --file DUMP   print the fields of a dumped frame as JSON\n"
		"Prints one JSON line per answer; \"closed\" when the bank hung up.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "config", 1, NULL, 'c' }, { "cards", 1, NULL, 'C' },
		{ "host", 1, NULL, 'H' }, { "port", 1, NULL, 'p' },
		{ "card", 1, NULL, 'k' }, { "pin", 1, NULL, 'P' },
		{ "amount", 1, NULL, 'a' }, { "currency", 1, NULL, 'y' },
		{ "entry", 1, NULL, 'e' }, { "scheme", 1, NULL, 's' },
		{ "tdes-format", 1, NULL, 'f' }, { "stan", 1, NULL, 'S' },
		{ "tdt", 1, NULL, 'T' }, { "counter", 1, NULL, 'n' },
		{ "ref", 1, NULL, 'r' }, { "bad-mac", 0, NULL, 'M' },
		{ "bad-arqc", 0, NULL, 'A' }, { "icc-leak", 0, NULL, 'L' },
		{ "dump", 1, NULL, 'd' }, { "hex", 1, NULL, 'x' },
		{ "frame-len", 1, NULL, 'F' }, { "conns", 1, NULL, 'N' },
		{ "total", 1, NULL, 't' }, { "tid", 1, NULL, 'i' },
		{ "mid", 1, NULL, 'm' }, { "file", 1, NULL, 'D' },
		{ "request-hash", 1, NULL, 'h' },
		{ "no-request-hash", 0, NULL, 'o' }, { 0 },
	};
	struct topts o = { .amount = 1000, .currency = "978", .entry = "swipe",
			   .scheme = BANK_KM_AES, .stan = -1, .tid = "TERM0001",
			   .mid = "MERCHANT000001", .counter = -1 };
	const char *config = NULL, *cardsf = NULL, *hex = NULL, *cmd;
	const char *file = NULL;
	int opt, conns = 4, total = 1000, frame_len = -1;
	const char *err = "";
	json_error_t je;
	static struct iso8583_msg m, r;
	struct bank_keys k;
	int fd, rc;

	memset(&k, 0, sizeof(k));
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'C': cardsf = optarg; break;
		case 'H': host = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'k': o.card = optarg; break;
		case 'P': o.pin = optarg; break;
		case 'a': o.amount = atoll(optarg); break;
		case 'y': o.currency = optarg; break;
		case 'e': o.entry = optarg; break;
		case 's': o.scheme = !strcmp(optarg, "tdes") ? BANK_KM_TDES :
					     BANK_KM_AES; break;
		case 'f': o.tdes_format = atoi(optarg); break;
		case 'S': o.stan = atol(optarg); break;
		case 'T': o.tdt = optarg; break;
		case 'n': o.counter = atoll(optarg); break;
		case 'r': o.ref = optarg; break;
		case 'M': o.bad_mac = 1; break;
		case 'A': o.bad_arqc = 1; break;
		case 'L': o.icc_leak = 1; break;
		case 'd': o.dump = optarg; break;
		case 'x': hex = optarg; break;
		case 'F': frame_len = atoi(optarg); break;
		case 'N': conns = atoi(optarg); break;
		case 't': total = atoi(optarg); break;
		case 'i': o.tid = optarg; break;
		case 'm': o.mid = optarg; break;
		case 'D': file = optarg; break;
		case 'h': o.req_hash = optarg; break;
		case 'o': o.no_req_hash = 1; break;
		default: usage();
		}
	}
	if (optind != argc - 1)
		usage();
	cmd = argv[optind];
	if (!strcmp(cmd, "decode")) {
		if (!file)
			usage();
		return decode_file(file);
	}
	if (!config)
		usage();
	if (bank_cfg_load(&cfg, config, &err))
		die(err);
	if (cardsf) {
		cards_root = json_load_file(cardsf, 0, &je);
		if (!cards_root)
			die("cannot read the card file");
	}

	if (!strcmp(cmd, "bench")) {
		if (!o.card || !cards_root)
			die("bench needs --cards and --card");
		return bench(&o, conns, total);
	}
	fd = connect_bank();
	if (!strcmp(cmd, "txn")) {
		if (!o.card || !cards_root)
			die("txn needs --cards and --card");
		build_0200(&o, &m, &k);
	} else if (!strcmp(cmd, "reversal")) {
		char f90[64];
		time_t now = time(NULL);
		struct tm tm;
		char tdt[11];

		if (o.stan < 0 || !o.tdt)
			die("reversal needs --stan and --tdt of the original");
		if (strlen(o.tdt) != 10 || o.stan > 999999)
			die("--tdt MMDDhhmmss, --stan 0..999999");
		snprintf(f90, sizeof(f90), "0200%06ld%.10s0000000000000000000000",
			 o.stan, o.tdt);
		gmtime_r(&now, &tm);
		strftime(tdt, sizeof(tdt), "%m%d%H%M%S", &tm);
		iso8583_init(&m, "0400");
		iso8583_set_str(&m, 3, "000000");
		iso8583_set_num(&m, 4, (unsigned long long)o.amount);
		iso8583_set_str(&m, 7, tdt);
		iso8583_set_num(&m, 11, rnd32() % 999999 + 1);
		iso8583_set_str(&m, 12, tdt + 4);
		iso8583_set_str(&m, 13, "1125");
		iso8583_set_str(&m, 41, o.tid);
		iso8583_set_str(&m, 42, o.mid);
		iso8583_set_str(&m, 49, o.currency);
		if (iso8583_set_str(&m, 90, f90))
			die("field 90");
	} else if (!strcmp(cmd, "echo")) {
		char tdt[11];
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(tdt, sizeof(tdt), "%m%d%H%M%S", &tm);
		iso8583_init(&m, "0800");
		iso8583_set_str(&m, 7, tdt);
		iso8583_set_num(&m, 11, rnd32() % 999999 + 1);
		iso8583_set_str(&m, 70, "301");
	} else if (!strcmp(cmd, "raw")) {
		uint8_t buf[ISO8583_MAX_MSG + 16];
		size_t len = 0;

		if (frame_len >= 0) {
			/* announce frame_len bytes, send them (garbage) */
			uint8_t hdr[2] = { (uint8_t)(frame_len >> 8),
					   (uint8_t)frame_len };

			if (write(fd, hdr, 2) != 2)
				die("write");
			memset(buf, 'Z', sizeof(buf));
			if (frame_len > 0 && frame_len <= (int)sizeof(buf))
				(void)!write(fd, buf, (size_t)frame_len);
		} else {
			if (!hex || pt_hex_decode(hex, buf, sizeof(buf), &len))
				die("raw needs --hex");
			if (iso8583_write_frame(fd, buf, len))
				die("write");
		}
		rc = iso8583_read_frame(fd, buf, sizeof(buf), &len, 5000);
		if (rc == ISO_ERR_EOF || rc == ISO_ERR_TRUNCATED ||
		    rc == ISO_ERR_IO) {
			printf("{\"closed\":true}\n");
			return 0;
		}
		if (rc)
			die(iso8583_strerror(rc));
		if (iso8583_unpack(&r, buf, len, NULL))
			die("bank answer does not parse");
		print_result(&r, &r, 0);
		return 0;
	} else {
		usage();
	}
	rc = exchange(fd, &m, &r, o.dump, 15000);
	if (rc == -2) {
		printf("{\"timeout\":true}\n");
		return 4;
	}
	if (rc) {
		printf("{\"closed\":true}\n");
		return 0;
	}
	print_result(&m, &r, k.scheme ? check_resp_mac(&r, &k) : 0);
	bank_keys_wipe(&k);
	close(fd);
	json_decref(cards_root);
	bank_cfg_wipe(&cfg);
	return 0;
}
