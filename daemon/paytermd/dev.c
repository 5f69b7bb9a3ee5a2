// SPDX-License-Identifier: GPL-2.0-or-later
/* paytermd: struct pd_io on a /dev/paytermN file. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "io.h"

static int xioctl(struct pd_io *io, unsigned long req, void *arg)
{
	return ioctl(io->fd, req, arg) < 0 ? -errno : 0;
}

static int d_claim(struct pd_io *io)
{
	return xioctl(io, PAYTERM_IOC_CLAIM, NULL);
}

static int d_release(struct pd_io *io)
{
	return xioctl(io, PAYTERM_IOC_RELEASE, NULL);
}

static int d_get_swipe(struct pd_io *io, struct payterm_swipe *sw)
{
	return xioctl(io, PAYTERM_IOC_GET_SWIPE, sw);
}

static int d_pin_start(struct pd_io *io, const struct payterm_pin_params *p)
{
	return xioctl(io, PAYTERM_IOC_PIN_START, (void *)p);
}

static int d_pin_abort(struct pd_io *io)
{
	return xioctl(io, PAYTERM_IOC_PIN_ABORT, NULL);
}

static int d_get_pin(struct pd_io *io, struct payterm_pin *pin)
{
	return xioctl(io, PAYTERM_IOC_GET_PIN, pin);
}

static int d_power_on(struct pd_io *io, unsigned slot, uint8_t *atr,
		      size_t *atrlen)
{
	struct payterm_power p = { .slot = (uint8_t)slot };
	int r = xioctl(io, PAYTERM_IOC_POWER_ON, &p);

	if (r)
		return r;
	if (p.atr_length > PAYTERM_ATR_MAX || p.atr_length > *atrlen)
		return -EPROTO;
	memcpy(atr, p.atr, p.atr_length);
	*atrlen = p.atr_length;
	return 0;
}

static int d_power_off(struct pd_io *io, unsigned slot)
{
	struct payterm_slot s = { .slot = (uint8_t)slot };

	return xioctl(io, PAYTERM_IOC_POWER_OFF, &s);
}

static int d_transmit(struct pd_io *io, unsigned slot, const uint8_t *capdu,
		      size_t clen, uint8_t *rapdu, size_t *rlen)
{
	struct payterm_apdu a = {
		.command = (uintptr_t)capdu,
		.response = (uintptr_t)rapdu,
		.command_length = (uint32_t)clen,
		.response_length = (uint32_t)*rlen,
		.slot = (uint8_t)slot,
	};
	int r = xioctl(io, PAYTERM_IOC_TRANSMIT, &a);

	if (!r)
		*rlen = a.response_length;
	return r;
}

static void d_close(struct pd_io *io)
{
	if (io->fd >= 0)
		close(io->fd);
	free(io);
}

static const struct pd_io_ops dev_ops = {
	.claim = d_claim,
	.release = d_release,
	.get_swipe = d_get_swipe,
	.pin_start = d_pin_start,
	.pin_abort = d_pin_abort,
	.get_pin = d_get_pin,
	.power_on = d_power_on,
	.power_off = d_power_off,
	.transmit = d_transmit,
	.close = d_close,
};

int pd_dev_open(const char *path, struct pd_io **out)
{
	struct payterm_info info;
	struct pd_io *io;
	int fd, r;

	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	if (ioctl(fd, PAYTERM_IOC_GET_INFO, &info) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	io = calloc(1, sizeof(*io));
	if (!io) {
		close(fd);
		return -ENOMEM;
	}
	io->ops = &dev_ops;
	io->fd = fd;
	io->caps = info.caps;
	memcpy(io->name, info.name, sizeof(io->name));
	io->name[sizeof(io->name) - 1] = '\0';
	snprintf(io->path, sizeof(io->path), "%s", path);
	*out = io;
	return 0;
}
