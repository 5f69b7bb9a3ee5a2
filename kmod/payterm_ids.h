/* SPDX-License-Identifier: GPL-2.0 */
/*
 * payterm transports: "vvvv:pppp[,vvvv:pppp...]" device lists given as
 * module parameters (hexadecimal USB vendor and product ids).
 *
 * Header-only: each transport module gets its own static copy.
 */
#ifndef _PAYTERM_IDS_H
#define _PAYTERM_IDS_H

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>

#define PAYTERM_IDS_MAX	32

struct payterm_usb_id {
	u16 vendor;
	u16 product;
};

/*
 * Parse @list into @ids (at most PAYTERM_IDS_MAX entries).  Separators are
 * commas, spaces or newlines.  Returns the number of ids or -EINVAL.
 */
static inline int payterm_parse_ids(const char *list, struct payterm_usb_id *ids)
{
	char *copy, *cur, *tok;
	int n = 0, ret = 0;

	if (!list || !*list)
		return 0;
	copy = kstrdup(list, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	cur = copy;
	while ((tok = strsep(&cur, ",\n ")) != NULL) {
		char *colon;
		u16 v, p;

		if (!*tok)
			continue;
		colon = strchr(tok, ':');
		if (!colon || n >= PAYTERM_IDS_MAX) {
			ret = -EINVAL;
			break;
		}
		*colon = '\0';
		if (kstrtou16(tok, 16, &v) || kstrtou16(colon + 1, 16, &p)) {
			ret = -EINVAL;
			break;
		}
		ids[n].vendor = v;
		ids[n].product = p;
		n++;
	}
	kfree(copy);
	return ret ? ret : n;
}

static inline bool payterm_ids_match(const struct payterm_usb_id *ids, int n,
				     u16 vendor, u16 product)
{
	int i;

	for (i = 0; i < n; i++)
		if (ids[i].vendor == vendor && ids[i].product == product)
			return true;
	return false;
}

#endif /* _PAYTERM_IDS_H */
