// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermctl list [--json]: the readers of the "payterm" device class with
 * their sysfs attributes.  Enumerates with libudev; with the environment
 * variable PAYTERM_SYSFS_CLASS set (tests), reads that directory instead.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <libudev.h>

#include "paytermctl.h"

#define MAX(a, b) ((a) > (b) ? (a) : (b))

struct reader {
	char sysname[64];
	char devnode[96];
	char name[PAYTERM_NAME_MAX + 1];
	char capabilities[64];
	char bus[32];
	char vendor[16];
	char product[16];
	char slots[16];
};

typedef const char *(*attr_fn)(void *ctx, const char *attr);

static void copy_attr(char *dst, size_t size, const char *v)
{
	size_t n;

	snprintf(dst, size, "%s", v ? v : "");
	n = strlen(dst);
	while (n && (dst[n - 1] == '\n' || dst[n - 1] == ' '))
		dst[--n] = '\0';
}

/* false if this class member is not a reader (no capabilities) */
static bool fill(struct reader *rd, attr_fn get, void *ctx)
{
	const char *caps = get(ctx, "capabilities");

	if (!caps)
		return false;
	copy_attr(rd->capabilities, sizeof(rd->capabilities), caps);
	copy_attr(rd->name, sizeof(rd->name), get(ctx, "name"));
	copy_attr(rd->bus, sizeof(rd->bus), get(ctx, "bus"));
	copy_attr(rd->vendor, sizeof(rd->vendor), get(ctx, "vendor"));
	copy_attr(rd->product, sizeof(rd->product), get(ctx, "product"));
	copy_attr(rd->slots, sizeof(rd->slots), get(ctx, "slots"));
	return true;
}

static int cmp_reader(const void *a, const void *b)
{
	const struct reader *x = a, *y = b;
	size_t lx = strlen(x->sysname), ly = strlen(y->sysname);

	/* payterm2 before payterm10 */
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strcmp(x->sysname, y->sysname);
}

static int add(struct reader **v, size_t *n, const struct reader *r)
{
	struct reader *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = *r;
	*v = nv;
	return 0;
}

static const char *udev_attr(void *ctx, const char *attr)
{
	return udev_device_get_sysattr_value(ctx, attr);
}

static int enum_udev(struct reader **v, size_t *n)
{
	struct udev *udev = udev_new();
	struct udev_enumerate *e;
	struct udev_list_entry *le, *first = NULL;
	int r;

	if (!udev)
		return -ENOMEM;
	e = udev_enumerate_new(udev);
	if (!e) {
		udev_unref(udev);
		return -ENOMEM;
	}
	r = udev_enumerate_add_match_subsystem(e, "payterm");
	if (!r)
		r = udev_enumerate_scan_devices(e);
	if (!r)
		first = udev_enumerate_get_list_entry(e);
	udev_list_entry_foreach(le, first) {
		struct udev_device *d;
		struct reader rd = { 0 };
		const char *node;
		bool ok;

		d = udev_device_new_from_syspath(udev,
						 udev_list_entry_get_name(le));
		if (!d)
			continue;
		ok = fill(&rd, udev_attr, d);
		copy_attr(rd.sysname, sizeof(rd.sysname),
			  udev_device_get_sysname(d));
		node = udev_device_get_devnode(d);
		if (node)
			copy_attr(rd.devnode, sizeof(rd.devnode), node);
		else
			snprintf(rd.devnode, sizeof(rd.devnode), "/dev/%s",
				 rd.sysname);
		udev_device_unref(d);
		if (ok) {
			r = add(v, n, &rd);
			if (r)
				break;
		}
	}
	udev_enumerate_unref(e);
	udev_unref(udev);
	return r;
}

struct dir_ctx {
	const char *dir;
	const char *sysname;
	char buf[256];
};

static const char *dir_attr(void *p, const char *attr)
{
	struct dir_ctx *c = p;
	char path[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", c->dir, c->sysname, attr);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	n = fread(c->buf, 1, sizeof(c->buf) - 1, f);
	fclose(f);
	c->buf[n] = '\0';
	return c->buf;
}

static int enum_dir(const char *dir, struct reader **v, size_t *n)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int r = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		struct dir_ctx c = { .dir = dir, .sysname = de->d_name };
		struct reader rd = { 0 };

		if (de->d_name[0] == '.' || !fill(&rd, dir_attr, &c))
			continue;
		copy_attr(rd.sysname, sizeof(rd.sysname), de->d_name);
		snprintf(rd.devnode, sizeof(rd.devnode), "/dev/%s", rd.sysname);
		r = add(v, n, &rd);
		if (r)
			break;
	}
	closedir(d);
	return r;
}

static json_t *caps_array(const char *caps)
{
	json_t *a = json_array();
	char buf[64], *save = NULL, *w;

	snprintf(buf, sizeof(buf), "%s", caps);
	for (w = strtok_r(buf, " ,", &save); w; w = strtok_r(NULL, " ,", &save))
		json_array_append_new(a, json_string(w));
	return a;
}

static json_t *reader_json(const struct reader *r)
{
	json_t *j = json_object();
	unsigned long slots;

	json_object_set_new(j, "device", json_string(r->devnode));
	json_object_set_new(j, "sysname", json_string(r->sysname));
	json_object_set_new(j, "name", json_string(r->name));
	json_object_set_new(j, "capabilities", caps_array(r->capabilities));
	json_object_set_new(j, "bus", json_string(r->bus));
	json_object_set_new(j, "vendor", json_string(r->vendor));
	json_object_set_new(j, "product", json_string(r->product));
	if (!parse_uint(r->slots, 10, 0, 255, &slots))
		json_object_set_new(j, "slots", json_integer((json_int_t)slots));
	else
		json_object_set_new(j, "slots", json_null());
	return j;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " list [--json]\n"
		"List payterm readers (/sys/class/payterm) with their attributes.\n");
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *dir = getenv("PAYTERM_SYSFS_CLASS");
	struct reader *v = NULL;
	bool json = false;
	size_t n = 0, i;
	int c, r;

	while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	r = dir && *dir ? enum_dir(dir, &v, &n) : enum_udev(&v, &n);
	if (r < 0) {
		free(v);
		return report_errno("enumerating readers", "list", -r);
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_reader);

	if (json) {
		json_t *a = json_array();

		for (i = 0; i < n; i++)
			json_array_append_new(a, reader_json(&v[i]));
		json_print_line(a);
	} else if (!n) {
		msg("no payterm readers (is payterm.ko loaded?)");
	} else {
		int wd = 6, wn = 4, wc = 12, wb = 3;

		for (i = 0; i < n; i++) {
			wd = MAX(wd, (int)strlen(v[i].devnode));
			wn = MAX(wn, (int)strlen(v[i].name));
			wc = MAX(wc, (int)strlen(v[i].capabilities));
			wb = MAX(wb, (int)strlen(v[i].bus));
		}
		printf("%-*s  %-*s  %-*s  %-*s  %-9s  %s\n", wd, "DEVICE", wn,
		       "NAME", wc, "CAPABILITIES", wb, "BUS", "VID:PID", "SLOTS");
		for (i = 0; i < n; i++)
			printf("%-*s  %-*s  %-*s  %-*s  %4s:%-4s  %s\n", wd,
			       v[i].devnode, wn, v[i].name, wc, v[i].capabilities,
			       wb, v[i].bus, v[i].vendor, v[i].product, v[i].slots);
		fflush(stdout);
	}
	free(v);
	return EXIT_OK;
}
