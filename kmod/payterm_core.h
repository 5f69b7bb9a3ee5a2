/* SPDX-License-Identifier: GPL-2.0 */
/*
 * payterm core: the in-kernel API that transport modules (virtual, HID
 * magstripe, keyboard wedge, keypad, CCID) use to register readers and to
 * report what happens on them.
 */
#ifndef _PAYTERM_CORE_H
#define _PAYTERM_CORE_H

#include <linux/device.h>
#include <linux/types.h>
#include <linux/payterm.h>

struct payterm_reader;

/*
 * Operations a transport provides.  All are optional; a missing operation
 * makes the matching ioctl fail with -EOPNOTSUPP.  They are called in
 * process context, may sleep, and are never called after
 * payterm_unregister_reader() has returned.  A transport must make any
 * operation that waits for the device return promptly once the device is
 * gone (see payterm_unregister_reader()).
 */
struct payterm_reader_ops {
	/* Power the card in @slot; fill @atr (PAYTERM_ATR_MAX bytes). */
	int (*power_on)(struct payterm_reader *reader, u8 slot,
			u8 *atr, size_t *atr_len);
	int (*power_off)(struct payterm_reader *reader, u8 slot);
	/*
	 * Send one command APDU, receive the response APDU (data + SW1 SW2)
	 * into @rapdu of @rapdu_size bytes; set *@rapdu_len.
	 */
	int (*transmit)(struct payterm_reader *reader, u8 slot,
			const u8 *capdu, size_t capdu_len,
			u8 *rapdu, size_t rapdu_size, size_t *rapdu_len);
	/* A PIN session starts / ends: grab or release the keypad. */
	int (*pin_start)(struct payterm_reader *reader);
	void (*pin_end)(struct payterm_reader *reader);
};

/* What a transport tells the core about a new reader. */
struct payterm_reader_desc {
	const char *name;
	u32 caps;		/* PAYTERM_CAP_* */
	u16 bustype;
	u16 vendor;
	u16 product;
	u8 slots;
	struct device *parent;	/* may be NULL */
	const struct payterm_reader_ops *ops;
	void *driver_data;
};

struct payterm_reader *payterm_register_reader(const struct payterm_reader_desc *desc);

/*
 * Remove the reader: wakes every reader of the device with POLLHUP /
 * -ENODEV, ends PIN sessions, wipes sensitive payloads and waits for
 * operations in progress to return.  The memory lives on until the last
 * open file is closed.
 */
void payterm_unregister_reader(struct payterm_reader *reader);

void *payterm_reader_get_drvdata(struct payterm_reader *reader);
int payterm_reader_minor(struct payterm_reader *reader);

/* Report events.  Callable from any context (they do not sleep). */
void payterm_report_swipe(struct payterm_reader *reader,
			  const struct payterm_swipe *swipe);
void payterm_report_swipe_error(struct payterm_reader *reader);
/* type: PAYTERM_EV_CARD_INSERTED / _REMOVED / _TAPPED */
void payterm_report_card(struct payterm_reader *reader, u8 slot, u16 type,
			 bool contactless);
/* A key of the PIN keypad (enum payterm_key); ignored outside sessions. */
void payterm_report_key(struct payterm_reader *reader, unsigned int key);

/* True while a PIN session runs (for grab-on-demand keypads). */
bool payterm_pin_session_active(struct payterm_reader *reader);

#endif /* _PAYTERM_CORE_H */
