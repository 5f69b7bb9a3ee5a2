// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: ISO 8583 unpack (server/iso8583), the parser every frame meets
 * on both ends of the bank link: payterm-bank unpacking a 0200 / 0400 / 0800
 * from the server, payterm-server unpacking a 0210 / 0410 / 0810 from the
 * bank.  Input: one message without its 2-byte length prefix.  After the
 * unpack the fields are read the way both sides read them (the bank reads
 * the STAN and friends even from a message that failed to parse, to answer
 * 96); a message that parses must pack back to the same bytes, and its MAC
 * data and echo into a response must work.
 */
#include "iso8583.h"

#include <stdlib.h>
#include <string.h>

static struct iso8583_msg m, r, again;
static uint8_t out[ISO8583_MAX_MSG + 64];

static void read_like_the_peers(const struct iso8583_msg *msg)
{
	char tid[9], stan[7], tdt[11], entry[4], cur[4], rc[3], auth[7];
	char rrn[13], icc[600], small[2];
	unsigned long long v;
	uint8_t bin[300];
	size_t n;

	/* bank_handle(): the request's identity and amount */
	iso8583_get_str(msg, 41, tid, sizeof(tid));
	iso8583_get_str(msg, 11, stan, sizeof(stan));
	iso8583_get_str(msg, 7, tdt, sizeof(tdt));
	iso8583_get_str(msg, 22, entry, sizeof(entry));
	iso8583_get_str(msg, 49, cur, sizeof(cur));
	(void)iso8583_get_num(msg, 4, &v);
	/* handle_0200(): the hex fields into the bank's buffers */
	(void)iso8583_get_hex(msg, 62, bin, sizeof(bin), &n);
	(void)iso8583_get_hex(msg, 55, bin, 260, &n);
	if (!iso8583_get_hex(msg, 61, bin, 16, &n) && n > 16)
		abort();
	(void)iso8583_get(msg, 53, &n);
	/* the server's on_bank(): the answer */
	iso8583_get_str(msg, 39, rc, sizeof(rc));
	iso8583_get_str(msg, 38, auth, sizeof(auth));
	iso8583_get_str(msg, 37, rrn, sizeof(rrn));
	iso8583_get_str(msg, 55, icc, sizeof(icc));
	(void)iso8583_get(msg, 64, &n);
	/* every field through every getter, including a too small buffer */
	for (int f = 2; f <= ISO8583_MAX_FIELD; f++) {
		const struct iso8583_field_def *d = iso8583_field(f);
		const uint8_t *p = iso8583_get(msg, f, &n);

		if (!p)
			continue;
		if (!d || n > ISO8583_MAX_MSG)
			abort();
		if (d->lentype == ISO_L_FIXED ? n != d->len : n > d->len)
			abort();
		(void)iso8583_get_str(msg, f, small, sizeof(small));
		if (d->type == ISO_T_N)
			(void)iso8583_get_num(msg, f, &v);
		if (d->lentype != ISO_L_FIXED)
			(void)iso8583_get_hex(msg, f, bin, sizeof(bin), &n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int echo[] = { 3, 4, 7, 11, 12, 13, 22, 41, 42, 49, 53, 63,
				    70, 90 };
	size_t n;
	int bad, rc;
	char rmti[5];

	rc = iso8583_unpack(&m, data, size, &bad);
	if (m.mti[0])
		read_like_the_peers(&m);
	if (rc) {
		/* an empty secondary bitmap is the only bitmap error */
		if (rc == ISO_ERR_BITMAP &&
		    (bad != 1 || size < 20 || !(data[4] & 0x80)))
			abort();
		iso8583_wipe(&m);
		return 0;
	}
	if (bad != 0)
		abort();
	/* strict codec: a message that parses packs to the same bytes (so
	 * field 1 is set if and only if a field 65..128 is present) ... */
	if (iso8583_pack(&m, out, sizeof(out), &n) || n != size ||
	    memcmp(out, data, size))
		abort();
	/* ... and unpacks again */
	if (iso8583_unpack(&again, out, n, &bad))
		abort();
	/* both MAC data lists; the echo of a response */
	(void)iso8583_mac_data(&m, iso8583_req_mac_fields,
			       iso8583_req_mac_nfields, out, sizeof(out), &n);
	(void)iso8583_mac_data(&m, iso8583_resp_mac_fields,
			       iso8583_resp_mac_nfields, out, 64, &n);
	memcpy(rmti, m.mti, 5);
	rmti[2] = '1';
	if (!iso8583_init(&r, rmti)) {
		for (size_t i = 0; i < sizeof(echo) / sizeof(echo[0]); i++)
			if (iso8583_has(&m, echo[i]) &&
			    iso8583_copy(&r, &m, echo[i]))
				abort();
		if (iso8583_set_str(&r, 39, "96") ||
		    iso8583_pack(&r, out, sizeof(out), &n) ||
		    iso8583_unpack(&again, out, n, &bad))
			abort();
	}
	iso8583_wipe(&m);
	iso8583_wipe(&r);
	iso8583_wipe(&again);
	return 0;
}
