/* SPDX-License-Identifier: GPL-2.0 */
/*
 * payterm CCID: ISO/IEC 7816-3 protocol logic with no kernel dependencies.
 *
 * ATR parsing, T=0 TPDU exchange (cases 1-4, 61xx GET RESPONSE, 6Cxx
 * re-issue, ENVELOPE for long commands), T=1 block protocol (chaining both
 * ways, R- and S-blocks, IFSD, WTX, resynchronisation) and the CCID
 * APDU-level chaining.  The USB side provides one callback that sends one
 * PC_to_RDR_XfrBlock and returns the RDR_to_PC_DataBlock payload.  The same
 * source builds in the kernel (payterm_ccid.ko) and in userspace
 * (tests/unit/ccid).
 */
#ifndef _CCID_TPDU_H
#define _CCID_TPDU_H

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/types.h>
#else
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
#endif

#define CCID_ATR_MAX		33
#define CCID_T0_CMD_MAX		(5 + 255)
#define CCID_T1_INF_MAX		254
#define CCID_T1_BLOCK_MAX	(3 + CCID_T1_INF_MAX + 2)
#define CCID_SHORT_NE_MAX	256
#define CCID_EXT_NE_MAX		65536

/* ------------------------------------------------------------------ */
/* ATR (ISO/IEC 7816-3 section 8) */

struct ccid_atr {
	u8 protocols;		/* bit n set: T=n offered (T=0..T=15) */
	u8 proto;		/* first protocol offered (the default) */
	bool specific;		/* TA2 present: specific mode */
	u8 specific_proto;	/* TA2 low nibble */
	bool has_ta1;
	u8 ta1;			/* Fi/Di, 0x11 when absent */
	u8 tc1;			/* extra guard time N */
	u8 wi;			/* TC2, T=0 waiting time integer (10) */
	u8 ifsc;		/* first TA for T=1 (32) */
	u8 bwi;			/* first TB for T=1, high nibble (4) */
	u8 cwi;			/* first TB for T=1, low nibble (13) */
	bool crc;		/* first TC for T=1, bit 1: CRC instead of LRC */
	u8 hist_off;		/* offset of the historical bytes */
	u8 hist_len;
	bool tck_present;
	bool tck_ok;		/* XOR of T0..TCK is zero (or no TCK) */
	bool contactless;	/* PC/SC part 3 ATR of a contactless card */
};

/* 0 or -EINVAL (malformed / truncated ATR). */
int ccid_atr_parse(const u8 *atr, size_t len, struct ccid_atr *out);
/* Clock rate conversion factor Fi and baud rate adjustment Di from TA1
 * (0 for RFU values).
 */
unsigned int ccid_atr_fi(u8 ta1);
unsigned int ccid_atr_di(u8 ta1);
/* T=0 work waiting time / T=1 block waiting time in microseconds for a
 * card clock of @clock_khz, rounded up.
 */
u32 ccid_atr_wwt_us(const struct ccid_atr *atr, u32 clock_khz);
u32 ccid_atr_bwt_us(const struct ccid_atr *atr, u32 clock_khz);

/* ------------------------------------------------------------------ */
/* Command APDUs (ISO/IEC 7816-3 section 12.1) */

struct ccid_apdu {
	u8 apdu_case;		/* 1..4 */
	bool extended;
	u32 lc;			/* Nc */
	u32 ne;			/* Ne: 0 none, else 1..65536 */
	size_t data_off;	/* command data offset */
};

/* 0 or -EINVAL. */
int ccid_apdu_parse(const u8 *capdu, size_t len, struct ccid_apdu *out);

/* ------------------------------------------------------------------ */
/* Transport callback: one XfrBlock / DataBlock exchange. */

struct ccid_xfer {
	const u8 *tx;
	size_t tx_len;
	u8 *rx;
	size_t rx_size;
	size_t rx_len;		/* out */
	u8 bwi;			/* in: bBWI (T=1 WTX multiplier), 0 default */
	u16 level;		/* in: wLevelParameter (APDU chaining) */
	u8 chain;		/* out: bChainParameter */
};

typedef int (*ccid_xfer_fn)(void *ctx, struct ccid_xfer *x);

#define CCID_T1_RETRIES		3	/* per block, then resynchronise */
#define CCID_T1_RESYNCS		3

enum ccid_level {
	CCID_LEVEL_TPDU = 0,
	CCID_LEVEL_SHORT_APDU,
	CCID_LEVEL_EXT_APDU,
};

struct ccid_proto {
	ccid_xfer_fn xfer;
	void *ctx;
	enum ccid_level level;
	u8 proto;		/* CCID_T0 / CCID_T1 (TPDU level) */

	/* T=1 state */
	u8 ns;			/* N(S) of our next I-block */
	u8 nr;			/* N(S) we expect from the card */
	u8 ifsc;		/* card's maximum information field */
	u8 ifsd;		/* ours */
	u8 nad;
	bool crc;
	bool ifsd_pending;	/* send S(IFS request) before the next APDU */
	unsigned int wtx_count;	/* statistics: S(WTX) requests seen */
	unsigned int resyncs;	/* statistics: resynchronisations */

	/* APDU level: the largest abData one XfrBlock may carry. */
	size_t max_chunk;

	/* scratch */
	u8 tx[CCID_T0_CMD_MAX + 4];
	u8 rx[CCID_T1_BLOCK_MAX + 8];
};

#define CCID_T0	0
#define CCID_T1	1

/*
 * Prepare @p for a freshly powered card.  @ifsd is what we announce for
 * T=1 (1..254); @auto_ifsd when the reader does the IFSD exchange itself.
 */
void ccid_proto_init(struct ccid_proto *p, ccid_xfer_fn xfer, void *ctx,
		     enum ccid_level level, const struct ccid_atr *atr,
		     u8 proto, u8 ifsd, bool auto_ifsd, size_t max_chunk);

/*
 * Send one command APDU, return the response APDU (data + SW1 SW2) in
 * @rapdu.  Errors: -EINVAL bad APDU, -EMSGSIZE response larger than
 * @rsize, -EIO protocol failure, -EOPNOTSUPP an APDU the exchange level
 * cannot carry, or whatever the transport returned.
 */
int ccid_transceive(struct ccid_proto *p, const u8 *capdu, size_t clen,
		    u8 *rapdu, size_t rsize, size_t *rlen);

int ccid_t0_transceive(struct ccid_proto *p, const u8 *capdu, size_t clen,
		       u8 *rapdu, size_t rsize, size_t *rlen);
int ccid_t1_transceive(struct ccid_proto *p, const u8 *capdu, size_t clen,
		       u8 *rapdu, size_t rsize, size_t *rlen);
int ccid_apdu_transceive(struct ccid_proto *p, const u8 *capdu, size_t clen,
			 u8 *rapdu, size_t rsize, size_t *rlen);

/* T=1 helpers (exposed for tests) */
u8 ccid_t1_lrc(const u8 *buf, size_t len);
u16 ccid_t1_crc(const u8 *buf, size_t len);
/* Build a block into @out (CCID_T1_BLOCK_MAX); returns its length. */
size_t ccid_t1_block(u8 *out, u8 nad, u8 pcb, const u8 *inf, size_t len,
		     bool crc);

#define T1_PCB_I(ns, more)	((u8)(((ns) ? 0x40 : 0) | ((more) ? 0x20 : 0)))
#define T1_PCB_R(nr, err)	((u8)(0x80 | ((nr) ? 0x10 : 0) | ((err) & 3)))
#define T1_S_RESYNCH_REQ	0xc0
#define T1_S_IFS_REQ		0xc1
#define T1_S_ABORT_REQ		0xc2
#define T1_S_WTX_REQ		0xc3
#define T1_S_RESP		0x20	/* response = request | 0x20 */

/* ------------------------------------------------------------------ */
/*
 * Interrupt endpoint error policy (the USB side acts, this decides; plain C
 * so that it is unit-tested).  Errors count "in a row": a good completion
 * or CCID_INT_QUIET_MS without an error starts the count again.
 */
#define CCID_INT_MAX_ERRORS	8	/* in a row, then give up: poll */
#define CCID_INT_QUIET_MS	10000
#define CCID_INT_BACKOFF_MS	10	/* first delay, doubled each time */
#define CCID_INT_BACKOFF_MAX_MS	2000

enum ccid_int_action {
	CCID_INT_PROCESS,	/* status 0: handle the message, resubmit */
	CCID_INT_STOP,		/* killed, unlinked, poisoned, unplugged */
	CCID_INT_CLEAR_HALT,	/* stall: clear the halt, then resubmit */
	CCID_INT_RETRY,		/* transient: resubmit after *delay_ms */
	CCID_INT_GIVE_UP,	/* too many errors in a row */
};

struct ccid_int_errors {
	unsigned int count;	/* errors in a row */
	u32 last_ms;		/* when the last one happened */
};

/*
 * Classify URB status (or usb_submit_urb() result) @status seen at
 * @now_ms (a wrapping millisecond clock); for CLEAR_HALT and RETRY,
 * *@delay_ms is the back-off before the resubmission.
 */
enum ccid_int_action ccid_int_classify(struct ccid_int_errors *e, int status,
				       u32 now_ms, unsigned int *delay_ms);

#endif /* _CCID_TPDU_H */
