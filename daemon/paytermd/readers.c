// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd: reader discovery.
 *
 * The monitor is set up and enabled before the enumeration, so a reader
 * plugged in between cannot be missed (it may be seen twice; adding is
 * idempotent).  With udevd running we listen to udev's "udev" netlink
 * source (events after rules ran, node permissions set).  Without udevd
 * (no /run/udev/control: containers, initramfs, the test VM) we listen
 * to the kernel's own uevents ("kernel" source); /dev nodes then come from
 * devtmpfs.  The enumeration scans /sys/class/payterm either way.
 */
#include <errno.h>
#include <libudev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

static const char *attr(struct udev_device *dev, const char *name)
{
	const char *v = udev_device_get_sysattr_value(dev, name);

	return v ? v : "";
}

static uint32_t parse_caps(const char *s)
{
	uint32_t caps = 0;
	char buf[64], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		if (!strcmp(tok, "msr"))
			caps |= PAYTERM_CAP_MSR;
		else if (!strcmp(tok, "icc"))
			caps |= PAYTERM_CAP_ICC;
		else if (!strcmp(tok, "picc"))
			caps |= PAYTERM_CAP_PICC;
		else if (!strcmp(tok, "pinpad"))
			caps |= PAYTERM_CAP_PINPAD;
	}
	return caps;
}

struct pd_reader *pd_reader_find_devnode(struct pd_daemon *d, const char *node)
{
	for (struct pd_reader *r = d->readers; r; r = r->next)
		if (!strcmp(r->devnode, node))
			return r;
	return NULL;
}

static struct pd_reader *find_sysname(struct pd_daemon *d, const char *sys)
{
	for (struct pd_reader *r = d->readers; r; r = r->next)
		if (!strcmp(r->sysname, sys))
			return r;
	return NULL;
}

static void add_device(struct pd_daemon *d, struct udev_device *dev)
{
	const char *sys = udev_device_get_sysname(dev);
	struct pd_reader *r;
	char *end;

	if (!sys || strncmp(sys, "payterm", 7) || !sys[7] ||
	    !strcmp(sys, "payterm-virt") || strlen(sys) >= sizeof(r->sysname))
		return;
	strtoul(sys + 7, &end, 10);
	if (*end)
		return;
	if (find_sysname(d, sys))
		return;
	r = calloc(1, sizeof(*r));
	if (!r)
		return;
	snprintf(r->sysname, sizeof(r->sysname), "%s", sys);
	snprintf(r->devnode, sizeof(r->devnode), "/dev/%s", sys);
	snprintf(r->path, sizeof(r->path), PD_READER_PREFIX "/%s", sys);
	snprintf(r->name, sizeof(r->name), "%s", attr(dev, "name"));
	r->name[strcspn(r->name, "\n")] = '\0';
	r->caps = parse_caps(attr(dev, "capabilities"));
	snprintf(r->bus, sizeof(r->bus), "%s", attr(dev, "bus"));
	r->bus[strcspn(r->bus, "\n")] = '\0';
	r->vendor = (uint16_t)strtoul(attr(dev, "vendor"), NULL, 16);
	r->product = (uint16_t)strtoul(attr(dev, "product"), NULL, 16);
	r->slots = (uint8_t)strtoul(attr(dev, "slots"), NULL, 10);
	r->next = d->readers;
	d->readers = r;
	log_info("reader %s added: '%s' caps 0x%x", sys, r->name, r->caps);
	pd_bus_reader_added(d, r);
}

static void remove_device(struct pd_daemon *d, const char *sys)
{
	struct pd_reader **pp, *r;

	for (pp = &d->readers; (r = *pp); pp = &r->next)
		if (!strcmp(r->sysname, sys)) {
			*pp = r->next;
			log_info("reader %s removed", sys);
			pd_bus_reader_removed(d, r);
			free(r);
			return;
		}
}

static int on_monitor(sd_event_source *s, int fd, uint32_t revents, void *user)
{
	struct pd_daemon *d = user;
	struct udev_device *dev;

	while ((dev = udev_monitor_receive_device(d->monitor))) {
		const char *action = udev_device_get_action(dev);
		const char *sys = udev_device_get_sysname(dev);

		if (action && sys) {
			if (!strcmp(action, "add") || !strcmp(action, "change") ||
			    !strcmp(action, "bind"))
				add_device(d, dev);
			else if (!strcmp(action, "remove"))
				remove_device(d, sys);
		}
		udev_device_unref(dev);
	}
	return 0;
}

int pd_readers_start(struct pd_daemon *d)
{
	struct udev_enumerate *en;
	struct udev_list_entry *e;
	const char *source;
	int r;

	d->udev = udev_new();
	if (!d->udev)
		return -ENOMEM;
	/* udevd present? else the kernel's uevents (documented fallback) */
	source = access("/run/udev/control", F_OK) == 0 ? "udev" : "kernel";
	d->monitor = udev_monitor_new_from_netlink(d->udev, source);
	if (d->monitor) {
		udev_monitor_filter_add_match_subsystem_devtype(d->monitor,
								"payterm", NULL);
		if (udev_monitor_enable_receiving(d->monitor) < 0) {
			log_warn("udev monitor (%s): cannot receive; hotplug off",
				 source);
			udev_monitor_unref(d->monitor);
			d->monitor = NULL;
		}
	}
	if (d->monitor) {
		r = sd_event_add_io(d->event, &d->monitor_src,
				    udev_monitor_get_fd(d->monitor), EPOLLIN,
				    on_monitor, d);
		if (r < 0)
			return r;
		log_info("hotplug: %s events", source);
	}
	/* enumerate after subscribing */
	en = udev_enumerate_new(d->udev);
	if (!en)
		return -ENOMEM;
	udev_enumerate_add_match_subsystem(en, "payterm");
	udev_enumerate_scan_devices(en);
	udev_list_entry_foreach(e, udev_enumerate_get_list_entry(en)) {
		struct udev_device *dev = udev_device_new_from_syspath(d->udev,
				udev_list_entry_get_name(e));

		if (dev) {
			add_device(d, dev);
			udev_device_unref(dev);
		}
	}
	udev_enumerate_unref(en);
	return 0;
}

void pd_readers_stop(struct pd_daemon *d)
{
	struct pd_reader *r;

	d->monitor_src = sd_event_source_disable_unref(d->monitor_src);
	if (d->monitor)
		udev_monitor_unref(d->monitor);
	d->monitor = NULL;
	while ((r = d->readers)) {
		d->readers = r->next;
		sd_bus_slot_unref(r->slot);
		free(r);
	}
	if (d->udev)
		udev_unref(d->udev);
	d->udev = NULL;
}
