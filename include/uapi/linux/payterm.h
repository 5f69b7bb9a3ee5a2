/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * payterm - card-payment terminal readers (magnetic stripe, contact and
 * contactless IC, PIN keypads).
 *
 * This header is the only contract between the kernel modules and
 * userspace.  Every structure uses fixed-width types, explicit padding and
 * reserved fields that must be zero; pointers travel as __u64.  See
 * docs/uapi.md for the rules behind each call.
 */
#ifndef _UAPI_LINUX_PAYTERM_H
#define _UAPI_LINUX_PAYTERM_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define PAYTERM_API_VERSION	1

/* ------------------------------------------------------------------ */
/* Reader capabilities (sysfs "capabilities", struct payterm_info.caps) */

#define PAYTERM_CAP_MSR		(1U << 0)	/* magnetic stripe */
#define PAYTERM_CAP_ICC		(1U << 1)	/* contact IC card */
#define PAYTERM_CAP_PICC	(1U << 2)	/* contactless card */
#define PAYTERM_CAP_PINPAD	(1U << 3)	/* PIN keypad */
#define PAYTERM_CAP_ALL		0x0fU

/* Bus types, as in <linux/input.h> BUS_* */
#define PAYTERM_BUS_VIRTUAL	0x06
#define PAYTERM_BUS_USB		0x03

#define PAYTERM_NAME_MAX	64
#define PAYTERM_MAX_SLOTS	8

/* ------------------------------------------------------------------ */
/* Events: fixed-size records read() from /dev/paytermN.  They never carry
 * card data or PIN digits; only counts and states.
 */

struct payterm_event {
	__u64 timestamp_ns;	/* CLOCK_MONOTONIC */
	__u32 sequence;		/* per reader, +1 for each event generated */
	__u16 type;		/* PAYTERM_EV_* */
	__u8 slot;		/* card slot, 0 when not applicable */
	__u8 flags;		/* PAYTERM_EVF_* */
	__s32 value;		/* meaning depends on type */
	__u32 reserved;		/* zero */
};

enum payterm_event_type {
	PAYTERM_EV_OVERFLOW = 1,	/* value: events dropped for this file */
	PAYTERM_EV_CLAIMED,		/* a file claimed the reader */
	PAYTERM_EV_RELEASED,		/* the claim ended */
	PAYTERM_EV_SWIPE,		/* value: bitmask of tracks read ok */
	PAYTERM_EV_SWIPE_ERROR,		/* unreadable swipe or bad report */
	PAYTERM_EV_CARD_INSERTED,	/* contact card in slot */
	PAYTERM_EV_CARD_REMOVED,	/* card left slot / field */
	PAYTERM_EV_CARD_TAPPED,		/* contactless card entered field */
	PAYTERM_EV_CARD_POWERED,	/* value: 1 on, 0 off */
	PAYTERM_EV_PIN_STARTED,		/* PIN session began */
	PAYTERM_EV_PIN_DIGITS,		/* value: digits entered so far */
	PAYTERM_EV_PIN_ENTERED,		/* value: PIN length; fetchable */
	PAYTERM_EV_PIN_CANCELLED,	/* cancel key */
	PAYTERM_EV_PIN_TIMEOUT,		/* session timed out */
	PAYTERM_EV_PIN_ABORTED,		/* aborted by ioctl/release/unplug */
	PAYTERM_EV_PIN_REJECTED,	/* value: PAYTERM_PIN_REJ_* */
	PAYTERM_EV_PAYLOAD_EXPIRED,	/* unfetched data wiped on timeout */
	PAYTERM_EV_MAX
};

/* event flags */
#define PAYTERM_EVF_CONTACTLESS		(1U << 0) /* card events: PICC */
#define PAYTERM_EVF_DATA_READY		(1U << 1) /* SWIPE: claimant can fetch */
#define PAYTERM_EVF_READER_ENCRYPTED	(1U << 2) /* SWIPE: SRED data */

/* PAYTERM_EV_PIN_REJECTED values: a key the session did not accept */
#define PAYTERM_PIN_REJ_TOO_SHORT	1	/* enter below min length */
#define PAYTERM_PIN_REJ_TOO_LONG	2	/* digit beyond max length */

/* ------------------------------------------------------------------ */
/* ioctls on /dev/paytermN */

#define PAYTERM_IOC_MAGIC	'P'

struct payterm_info {
	__u32 api_version;		/* PAYTERM_API_VERSION */
	__u32 caps;			/* PAYTERM_CAP_* */
	__u16 bustype;
	__u16 vendor;
	__u16 product;
	__u8 slots;
	__u8 reserved0;
	char name[PAYTERM_NAME_MAX];	/* NUL-terminated */
	__u32 reserved[4];
};

/* Magnetic stripe data, fetched once by the claimant after a SWIPE. */
#define PAYTERM_TRACKS		3
#define PAYTERM_TRACK_MAX	256

enum payterm_track_status {
	PAYTERM_TRACK_ABSENT = 0,	/* no data on this track */
	PAYTERM_TRACK_OK = 1,
	PAYTERM_TRACK_ERROR = 2,	/* read error (parity, LRC...) */
};

struct payterm_track {
	__u8 status;			/* enum payterm_track_status */
	__u8 reserved;
	__u16 length;			/* bytes valid in data */
	__u8 data[PAYTERM_TRACK_MAX];	/* ASCII with sentinels, or SRED */
};

#define PAYTERM_SWIPE_READER_ENCRYPTED	(1U << 0) /* data is reader-encrypted */

struct payterm_swipe {
	__u32 flags;			/* PAYTERM_SWIPE_* */
	__u8 ksn_length;		/* SRED: bytes valid in ksn */
	__u8 reserved0[3];
	__u8 ksn[16];			/* SRED: the reader's DUKPT KSN */
	struct payterm_track track[PAYTERM_TRACKS];
	__u32 reserved[4];
};

/* PIN session parameters; lengths in digits. */
#define PAYTERM_PIN_MIN		4
#define PAYTERM_PIN_MAX		12
#define PAYTERM_PIN_TIMEOUT_MAX	300000	/* ms */

struct payterm_pin_params {
	__u8 min_length;	/* >= PAYTERM_PIN_MIN */
	__u8 max_length;	/* <= PAYTERM_PIN_MAX, >= min_length */
	__u16 reserved0;
	__u32 timeout_ms;	/* 1..PAYTERM_PIN_TIMEOUT_MAX */
	__u32 reserved[2];
};

struct payterm_pin {
	__u8 length;		/* digits valid */
	__u8 reserved[7];
	__u8 digits[16];	/* ASCII '0'..'9' */
};

#define PAYTERM_ATR_MAX		36	/* ISO 7816-3: 33 bytes suffice */

struct payterm_power {
	__u8 slot;
	__u8 reserved0[3];
	__u32 atr_length;	/* out */
	__u8 atr[PAYTERM_ATR_MAX];	/* out */
	__u32 reserved[2];
};

struct payterm_slot {
	__u8 slot;
	__u8 reserved[7];
};

#define PAYTERM_APDU_MAX	65544	/* extended command APDU */
#define PAYTERM_RAPDU_MAX	65538	/* extended response + SW1 SW2 */

struct payterm_apdu {
	__u64 command;		/* user pointer to the command APDU */
	__u64 response;		/* user pointer to the response buffer */
	__u32 command_length;	/* 4..PAYTERM_APDU_MAX */
	__u32 response_length;	/* in: buffer size; out: bytes written */
	__u8 slot;
	__u8 reserved0[3];
	__u32 reserved[3];
};

#define PAYTERM_IOC_GET_INFO	_IOR(PAYTERM_IOC_MAGIC, 0x01, struct payterm_info)
#define PAYTERM_IOC_CLAIM	_IO(PAYTERM_IOC_MAGIC, 0x02)
#define PAYTERM_IOC_RELEASE	_IO(PAYTERM_IOC_MAGIC, 0x03)
#define PAYTERM_IOC_GET_SWIPE	_IOR(PAYTERM_IOC_MAGIC, 0x10, struct payterm_swipe)
#define PAYTERM_IOC_PIN_START	_IOW(PAYTERM_IOC_MAGIC, 0x20, struct payterm_pin_params)
#define PAYTERM_IOC_PIN_ABORT	_IO(PAYTERM_IOC_MAGIC, 0x21)
#define PAYTERM_IOC_GET_PIN	_IOR(PAYTERM_IOC_MAGIC, 0x22, struct payterm_pin)
#define PAYTERM_IOC_POWER_ON	_IOWR(PAYTERM_IOC_MAGIC, 0x30, struct payterm_power)
#define PAYTERM_IOC_POWER_OFF	_IOW(PAYTERM_IOC_MAGIC, 0x31, struct payterm_slot)
#define PAYTERM_IOC_TRANSMIT	_IOWR(PAYTERM_IOC_MAGIC, 0x32, struct payterm_apdu)

/* ------------------------------------------------------------------ */
/* /dev/payterm-virt: virtual readers from userspace, uhid-style.
 *
 * Each open file owns at most one virtual reader.  write() sends exactly one
 * message (header + payload); read() returns one message at a time.
 */

/* PIN keypad keys fed to a PIN session */
enum payterm_key {
	PAYTERM_KEY_0 = 0,	/* ..PAYTERM_KEY_9 = 9 */
	PAYTERM_KEY_9 = 9,
	PAYTERM_KEY_CORRECTION = 16,	/* delete last digit */
	PAYTERM_KEY_CLEAR = 17,		/* delete all digits */
	PAYTERM_KEY_CANCEL = 18,	/* end the session, cancelled */
	PAYTERM_KEY_ENTER = 19,		/* finish the session */
};

struct payterm_virt_hdr {
	__u32 type;		/* PAYTERM_VIRT_* */
	__u32 length;		/* payload bytes that follow */
};

enum payterm_virt_type {
	/* userspace -> kernel */
	PAYTERM_VIRT_CREATE = 1,	/* struct payterm_virt_create */
	PAYTERM_VIRT_DESTROY,		/* no payload */
	PAYTERM_VIRT_SWIPE,		/* struct payterm_swipe */
	PAYTERM_VIRT_CARD,		/* struct payterm_virt_card */
	PAYTERM_VIRT_APDU_REPLY,	/* struct payterm_virt_apdu + data */
	PAYTERM_VIRT_KEY,		/* struct payterm_virt_key */
	/* kernel -> userspace */
	PAYTERM_VIRT_CREATED = 64,	/* struct payterm_virt_created */
	PAYTERM_VIRT_APDU,		/* struct payterm_virt_apdu + data */
	PAYTERM_VIRT_POWER,		/* struct payterm_virt_power */
	PAYTERM_VIRT_PIN_SESSION,	/* struct payterm_virt_pin_session */
};

struct payterm_virt_create {
	char name[PAYTERM_NAME_MAX];
	__u32 caps;		/* PAYTERM_CAP_*, at least one */
	__u16 bustype;		/* 0: PAYTERM_BUS_VIRTUAL */
	__u16 vendor;
	__u16 product;
	__u8 slots;		/* 1..PAYTERM_MAX_SLOTS if ICC/PICC, else 0 */
	__u8 reserved0;
	__u32 reserved[4];
};

struct payterm_virt_created {
	__u32 minor;		/* /dev/payterm<minor> */
	__u32 reserved;
};

enum payterm_virt_card_action {
	PAYTERM_VIRT_CARD_INSERT = 1,	/* contact card, ATR given */
	PAYTERM_VIRT_CARD_REMOVE = 2,
	PAYTERM_VIRT_CARD_TAP = 3,	/* contactless card, ATR given */
};

struct payterm_virt_card {
	__u8 action;		/* enum payterm_virt_card_action */
	__u8 slot;
	__u8 atr_length;	/* 2..PAYTERM_ATR_MAX for INSERT/TAP */
	__u8 reserved0;
	__u8 atr[PAYTERM_ATR_MAX];
	__u32 reserved;
};

/* APDU forwarded to userspace (kernel -> user) and its reply (user ->
 * kernel).  length bytes of APDU follow the struct.  On reply, status 0
 * means data is the response (with SW1 SW2); a negative errno fails the
 * transmit with that error (e.g. -EIO for a mute card).
 */
struct payterm_virt_apdu {
	__u32 id;		/* matches reply to request */
	__s32 status;		/* reply only */
	__u32 length;
	__u8 slot;
	__u8 reserved[3];
};

struct payterm_virt_key {
	__u32 key;		/* enum payterm_key */
	__u32 reserved;
};

struct payterm_virt_power {
	__u8 slot;
	__u8 on;		/* 1 powered on, 0 powered off */
	__u8 reserved[6];
};

struct payterm_virt_pin_session {
	__u8 active;		/* 1 started, 0 ended */
	__u8 reserved[7];
};

#define PAYTERM_VIRT_MSG_MAX	(sizeof(struct payterm_virt_hdr) + \
				 sizeof(struct payterm_virt_apdu) + \
				 PAYTERM_APDU_MAX)

#endif /* _UAPI_LINUX_PAYTERM_H */
