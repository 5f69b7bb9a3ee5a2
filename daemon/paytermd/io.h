/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paytermd: one opened reader as the transaction sees it.  dev.c
 * implements it on /dev/paytermN; the unit tests use a fake.  Every call
 * returns 0 or a negative errno (as the ioctls of docs/uapi.md).
 */
#ifndef PD_IO_H
#define PD_IO_H

#include <stddef.h>
#include <stdint.h>

#include <linux/payterm.h>

struct pd_io;

struct pd_io_ops {
	int (*claim)(struct pd_io *io);
	int (*release)(struct pd_io *io);
	int (*get_swipe)(struct pd_io *io, struct payterm_swipe *sw);
	int (*pin_start)(struct pd_io *io, const struct payterm_pin_params *p);
	int (*pin_abort)(struct pd_io *io);
	int (*get_pin)(struct pd_io *io, struct payterm_pin *pin);
	int (*power_on)(struct pd_io *io, unsigned slot, uint8_t *atr,
			size_t *atrlen);
	int (*power_off)(struct pd_io *io, unsigned slot);
	int (*transmit)(struct pd_io *io, unsigned slot, const uint8_t *capdu,
			size_t clen, uint8_t *rapdu, size_t *rlen);
	void (*close)(struct pd_io *io);
};

struct pd_io {
	const struct pd_io_ops *ops;
	uint32_t caps;			/* PAYTERM_CAP_* */
	char name[PAYTERM_NAME_MAX];
	char path[64];			/* /dev/paytermN */
	int fd;				/* -1 for fakes */
	void *event_source;		/* sd_event_source *, owned by the txn */
	void *priv;
};

/* Open /dev/paytermN (O_RDWR | O_NONBLOCK | O_CLOEXEC) and read its info. */
int pd_dev_open(const char *path, struct pd_io **out);

#endif
