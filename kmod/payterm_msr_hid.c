// SPDX-License-Identifier: GPL-2.0
/*
 * payterm_msr_hid: HID magnetic-stripe readers in vendor ("HID") mode.
 *
 * The driver binds with HID_CONNECT_DRIVER only, so the reader has neither
 * a hidraw nor an input node: card data reaches userspace only through
 * /dev/paytermN, by the claimant, once.
 *
 * Track fields are found by walking the parsed report descriptor:
 *
 *  - MagTek layout, vendor usage page 0xFF00: track 1-3 decode status
 *    (usages 0x20-0x22), data length (0x28-0x2A), data (0x30-0x32), card
 *    encode type (0x38).  The classic USB HID swipe reader sends one
 *    337-byte input report without report id: 3 status, 3 length,
 *    encode type, then 110 bytes per track.
 *  - MagneSafe-class (SRED) readers use the same usages for the encrypted
 *    track fields and add the device encryption status and the DUKPT key
 *    serial number (see MSR_USAGE_ENC_STATUS / MSR_USAGE_KSN).  When the
 *    status says encryption is on, the encrypted tracks and the KSN are
 *    passed through untouched and flagged reader-encrypted.
 *  - Readers following the HID Point of Sale usage page 0x8E: track 1-3
 *    length (0x11-0x13) and data (0x21-0x23); no decode status.
 *
 * Every report is checked against the layout: wrong size, lengths beyond
 * their field, bad sentinels or characters give a track error or an
 * error event; nothing is read outside the report.  The raw report is
 * wiped after parsing and not handed on to the HID core, so no copy of
 * the card data stays in the HID field buffers.
 */
#include <linux/hid.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include "payterm_core.h"
#include "payterm_ids.h"

#define USB_VENDOR_ID_MAGTEK		0x0801
#define USB_DEVICE_ID_MAGTEK_HID_SWIPE	0x0002	/* USB HID swipe reader */
#define USB_DEVICE_ID_MAGTEK_MAGNESAFE	0x0011	/* MagneSafe / Dynamag HID */

#define MSR_PAGE_MAGTEK		0xff000000
#define MSR_PAGE_POS		0x008e0000	/* HID POS: magnetic stripe reader */

/* MagTek vendor page usages (low 16 bits) */
#define MSR_USAGE_STATUS(t)	(0x20 + (t))
#define MSR_USAGE_LENGTH(t)	(0x28 + (t))
#define MSR_USAGE_DATA(t)	(0x30 + (t))
#define MSR_USAGE_ENCODE_TYPE	0x38
/*
 * MagneSafe V5 report: device encryption status (2 bytes, big endian)
 * and DUKPT key serial number (10 bytes).  These usage ids follow the
 * MagneSafe report layout (docs/drivers.md); a reader whose descriptor
 * lacks them is handled as a clear-text reader.
 */
#define MSR_USAGE_ENC_STATUS	0x41
#define MSR_USAGE_KSN		0x42
/* POS page usages */
#define MSR_POS_LENGTH(t)	(0x11 + (t))
#define MSR_POS_DATA(t)		(0x21 + (t))

#define MSR_ENCODE_BLANK	3
/* Device encryption status bits */
#define MSR_ENC_KEYS_EXHAUSTED	BIT(0)
#define MSR_ENC_KEY_INJECTED	BIT(1)
#define MSR_ENC_ENABLED		BIT(2)
#define MSR_KSN_LEN		10

static char *ids;
module_param(ids, charp, 0444);
MODULE_PARM_DESC(ids,
		 "Extra readers to bind, \"vvvv:pppp[,vvvv:pppp...]\" (hex); more at run time through new_id");

/* A run of bytes in the report payload (after the report id, if any). */
struct msr_loc {
	unsigned int offset;
	unsigned int size;	/* 0: the field is absent */
};

struct msr_layout {
	struct hid_report *report;
	unsigned int length;		/* whole report incl. id byte */
	unsigned int payload;		/* bytes after the id byte */
	struct msr_loc status[PAYTERM_TRACKS];
	struct msr_loc len[PAYTERM_TRACKS];
	struct msr_loc data[PAYTERM_TRACKS];
	struct msr_loc encode;
	struct msr_loc enc_status;
	struct msr_loc ksn;
};

struct msr_dev {
	struct hid_device *hdev;
	struct payterm_reader *reader;
	struct msr_layout layout;
	spinlock_t lock;		/* swipe */
	struct payterm_swipe swipe;	/* scratch, wiped after each report */
};

/* ------------------------------------------------------------------ */
/* report descriptor */

static struct msr_loc *msr_loc_for(struct msr_layout *l, u32 hid_usage)
{
	u32 page = hid_usage & HID_USAGE_PAGE;
	u32 u = hid_usage & HID_USAGE;
	int t;

	if (page == MSR_PAGE_MAGTEK) {
		for (t = 0; t < PAYTERM_TRACKS; t++) {
			if (u == MSR_USAGE_STATUS(t))
				return &l->status[t];
			if (u == MSR_USAGE_LENGTH(t))
				return &l->len[t];
			if (u == MSR_USAGE_DATA(t))
				return &l->data[t];
		}
		if (u == MSR_USAGE_ENCODE_TYPE)
			return &l->encode;
		if (u == MSR_USAGE_ENC_STATUS)
			return &l->enc_status;
		if (u == MSR_USAGE_KSN)
			return &l->ksn;
	} else if (page == MSR_PAGE_POS) {
		for (t = 0; t < PAYTERM_TRACKS; t++) {
			if (u == MSR_POS_LENGTH(t))
				return &l->len[t];
			if (u == MSR_POS_DATA(t))
				return &l->data[t];
		}
	}
	return NULL;
}

/*
 * Record where each usage of @report lives.  Only byte-aligned, 8-bit,
 * variable fields count; a usage must occupy one contiguous run of bytes.
 */
static int msr_scan_report(struct msr_layout *l, struct hid_report *report)
{
	unsigned int i, j, id_len = report->id ? 1 : 0;
	int tracks = 0, t;

	memset(l, 0, sizeof(*l));
	l->length = hid_report_len(report);
	if (l->length <= id_len)
		return -EINVAL;
	l->payload = l->length - id_len;

	for (i = 0; i < report->maxfield; i++) {
		struct hid_field *f = report->field[i];

		if (!(f->flags & HID_MAIN_ITEM_VARIABLE) ||
		    (f->flags & HID_MAIN_ITEM_CONSTANT))
			continue;
		if (f->report_size != 8 || f->report_offset % 8)
			continue;
		for (j = 0; j < f->report_count && j < f->maxusage; j++) {
			unsigned int off = f->report_offset / 8 + j;
			struct msr_loc *loc = msr_loc_for(l, f->usage[j].hid);

			if (!loc)
				continue;
			if (!loc->size) {
				loc->offset = off;
				loc->size = 1;
			} else if (loc->offset + loc->size == off) {
				loc->size++;
			} else {
				return -EINVAL;		/* scattered usage */
			}
			if (off >= l->payload)
				return -EINVAL;
		}
	}

	for (t = 0; t < PAYTERM_TRACKS; t++) {
		if (!l->data[t].size && !l->len[t].size)
			continue;
		/* A track needs its data and a one-byte length. */
		if (!l->data[t].size || l->len[t].size != 1 ||
		    l->status[t].size > 1)
			return -EINVAL;
		tracks++;
	}
	if (!tracks)
		return -ENODEV;
	if (l->encode.size > 1 || (l->enc_status.size && l->enc_status.size != 2) ||
	    (l->ksn.size && l->ksn.size != MSR_KSN_LEN))
		return -EINVAL;
	l->report = report;
	return 0;
}

static int msr_find_layout(struct hid_device *hdev, struct msr_layout *l)
{
	struct hid_report_enum *re = &hdev->report_enum[HID_INPUT_REPORT];
	struct hid_report *report;

	list_for_each_entry(report, &re->report_list, list) {
		if (!msr_scan_report(l, report))
			return 0;
	}
	return -ENODEV;
}

/* ------------------------------------------------------------------ */
/* reports */

/* Clear-text track: sentinels and the ISO 7811 character sets. */
static bool msr_track_valid(const u8 *d, unsigned int n)
{
	u8 lo, hi;
	unsigned int i;

	if (n < 3 || d[n - 1] != '?')
		return false;
	switch (d[0]) {
	case '%':		/* 6-bit alphanumeric (track 1, AAMVA 3) */
		lo = 0x20;
		hi = 0x5f;
		break;
	case ';':		/* 4-bit numeric (tracks 2 and 3) */
		lo = 0x30;
		hi = 0x3f;
		break;
	default:
		return false;
	}
	for (i = 1; i < n - 1; i++)
		if (d[i] < lo || d[i] > hi || d[i] == '?')
			return false;
	return true;
}

/*
 * Decode one report of the layout's size into md->swipe.  Returns false
 * for a malformed report (an error event, no data).
 */
static bool msr_decode(struct msr_dev *md, const u8 *p)
{
	const struct msr_layout *l = &md->layout;
	struct payterm_swipe *s = &md->swipe;
	bool encrypted = false;
	int t;

	if (l->encode.size && p[l->encode.offset] == MSR_ENCODE_BLANK)
		return true;			/* all tracks absent */

	if (l->enc_status.size && l->ksn.size) {
		u16 st = p[l->enc_status.offset] << 8 |
			 p[l->enc_status.offset + 1];

		if (st & MSR_ENC_KEYS_EXHAUSTED)
			return false;		/* the reader reads no cards */
		encrypted = (st & (MSR_ENC_KEY_INJECTED | MSR_ENC_ENABLED)) ==
			    (MSR_ENC_KEY_INJECTED | MSR_ENC_ENABLED);
	}
	if (encrypted) {
		if (!memchr_inv(p + l->ksn.offset, 0, MSR_KSN_LEN))
			return false;		/* encrypted without a key? */
		s->flags = PAYTERM_SWIPE_READER_ENCRYPTED;
		s->ksn_length = MSR_KSN_LEN;
		memcpy(s->ksn, p + l->ksn.offset, MSR_KSN_LEN);
	}

	for (t = 0; t < PAYTERM_TRACKS; t++) {
		struct payterm_track *tr = &s->track[t];
		unsigned int n;

		if (!l->data[t].size)
			continue;
		if (l->status[t].size && (p[l->status[t].offset] & 1)) {
			tr->status = PAYTERM_TRACK_ERROR;
			continue;
		}
		n = p[l->len[t].offset];
		if (!n)
			continue;		/* absent */
		if (n > l->data[t].size || n > PAYTERM_TRACK_MAX)
			return false;		/* length beyond its field */
		if (encrypted ? n % 8 : !msr_track_valid(p + l->data[t].offset, n)) {
			tr->status = PAYTERM_TRACK_ERROR;
			continue;
		}
		tr->status = PAYTERM_TRACK_OK;
		tr->length = n;
		memcpy(tr->data, p + l->data[t].offset, n);
	}
	return true;
}

static int msr_raw_event(struct hid_device *hdev, struct hid_report *report,
			 u8 *data, int size)
{
	struct msr_dev *md = hid_get_drvdata(hdev);
	unsigned long flags;
	bool ok;

	if (!md)
		return 0;
	if (report != md->layout.report)
		goto drop;	/* nothing else of a card reader is for others */

	spin_lock_irqsave(&md->lock, flags);
	memset(&md->swipe, 0, sizeof(md->swipe));
	/* Short, oversized: malformed.  Never read beyond @size. */
	ok = size == md->layout.length &&
	     msr_decode(md, data + (md->layout.length - md->layout.payload));
	if (md->reader) {
		if (ok)
			payterm_report_swipe(md->reader, &md->swipe);
		else
			payterm_report_swipe_error(md->reader);
	}
	memzero_explicit(&md->swipe, sizeof(md->swipe));
	spin_unlock_irqrestore(&md->lock, flags);

drop:
	/* Leave no copy behind: wipe the transport buffer, stop the core. */
	if (size > 0)
		memzero_explicit(data, size);
	return -EPERM;
}

/* No operations: a swipe reader only reports. */
static const struct payterm_reader_ops msr_ops = { };

static int msr_probe(struct hid_device *hdev, const struct hid_device_id *id)
{
	struct payterm_reader_desc desc = { 0 };
	struct msr_dev *md;
	int ret;

	md = devm_kzalloc(&hdev->dev, sizeof(*md), GFP_KERNEL);
	if (!md)
		return -ENOMEM;
	md->hdev = hdev;
	spin_lock_init(&md->lock);

	ret = hid_parse(hdev);
	if (ret)
		return ret;
	ret = msr_find_layout(hdev, &md->layout);
	if (ret) {
		hid_err(hdev, "no magnetic stripe report in the descriptor\n");
		return ret;
	}

	desc.name = hdev->name[0] ? hdev->name : "HID magstripe reader";
	desc.caps = PAYTERM_CAP_MSR;
	desc.bustype = hdev->bus;
	desc.vendor = hdev->vendor;
	desc.product = hdev->product;
	desc.parent = &hdev->dev;
	desc.ops = &msr_ops;
	desc.driver_data = md;

	/* No hidinput, no hiddev, no hidraw: nothing else sees a report. */
	ret = hid_hw_start(hdev, HID_CONNECT_DRIVER);
	if (ret)
		return ret;

	md->reader = payterm_register_reader(&desc);
	if (IS_ERR(md->reader)) {
		ret = PTR_ERR(md->reader);
		md->reader = NULL;
		goto err_stop;
	}
	hid_set_drvdata(hdev, md);

	ret = hid_hw_open(hdev);
	if (ret)
		goto err_unregister;
	hid_info(hdev, "payterm%d: %u-byte swipe report%s\n",
		 payterm_reader_minor(md->reader), md->layout.length,
		 md->layout.ksn.size ? ", reader encryption" : "");
	return 0;

err_unregister:
	hid_set_drvdata(hdev, NULL);
	payterm_unregister_reader(md->reader);
err_stop:
	hid_hw_stop(hdev);
	return ret;
}

static void msr_remove(struct hid_device *hdev)
{
	struct msr_dev *md = hid_get_drvdata(hdev);
	struct payterm_reader *reader = md->reader;
	unsigned long flags;

	hid_hw_close(hdev);
	spin_lock_irqsave(&md->lock, flags);
	md->reader = NULL;
	spin_unlock_irqrestore(&md->lock, flags);
	payterm_unregister_reader(reader);
	hid_hw_stop(hdev);
	memzero_explicit(&md->swipe, sizeof(md->swipe));
}

static const struct hid_device_id msr_static_ids[] = {
	{ HID_USB_DEVICE(USB_VENDOR_ID_MAGTEK, USB_DEVICE_ID_MAGTEK_HID_SWIPE) },
	{ HID_USB_DEVICE(USB_VENDOR_ID_MAGTEK, USB_DEVICE_ID_MAGTEK_MAGNESAFE) },
	{ }
};
MODULE_DEVICE_TABLE(hid, msr_static_ids);

static struct hid_driver msr_driver = {
	.name = "payterm_msr_hid",
	.id_table = msr_static_ids,
	.probe = msr_probe,
	.remove = msr_remove,
	.raw_event = msr_raw_event,
};

static struct hid_device_id *msr_ids;

static int __init msr_init(void)
{
	struct payterm_usb_id *extra;
	int n, i, ret;

	extra = kcalloc(PAYTERM_IDS_MAX, sizeof(*extra), GFP_KERNEL);
	if (!extra)
		return -ENOMEM;
	n = payterm_parse_ids(ids, extra);
	if (n < 0) {
		pr_err("payterm_msr_hid: bad ids= parameter\n");
		kfree(extra);
		return n;
	}
	if (n) {
		size_t nstatic = ARRAY_SIZE(msr_static_ids) - 1;

		msr_ids = kcalloc(nstatic + n + 1, sizeof(*msr_ids), GFP_KERNEL);
		if (!msr_ids) {
			kfree(extra);
			return -ENOMEM;
		}
		memcpy(msr_ids, msr_static_ids, nstatic * sizeof(*msr_ids));
		for (i = 0; i < n; i++) {
			msr_ids[nstatic + i].bus = BUS_USB;
			msr_ids[nstatic + i].group = HID_GROUP_ANY;
			msr_ids[nstatic + i].vendor = extra[i].vendor;
			msr_ids[nstatic + i].product = extra[i].product;
		}
		msr_driver.id_table = msr_ids;
	}
	kfree(extra);

	ret = hid_register_driver(&msr_driver);
	if (ret)
		kfree(msr_ids);
	return ret;
}

static void __exit msr_exit(void)
{
	hid_unregister_driver(&msr_driver);
	kfree(msr_ids);
}

module_init(msr_init);
module_exit(msr_exit);

MODULE_DESCRIPTION("payterm: HID magnetic stripe readers (MagTek, IDTech, HID POS)");
MODULE_AUTHOR("payterm developers");
MODULE_LICENSE("GPL");
