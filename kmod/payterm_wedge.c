// SPDX-License-Identifier: GPL-2.0
/*
 * payterm_wedge: keyboard-wedge magnetic stripe readers.
 *
 * A wedge reader is a USB keyboard that types the tracks of a swiped card:
 * "%B4111...?;4111...=2812...?+...?" and a carriage return.  This input
 * handler takes the keyboards marked as wedge readers, grabs them so that
 * not one keystroke reaches another handler (evdev, the console), decodes
 * the US-layout keystrokes into tracks and reports a swipe on a payterm
 * device of its own (capability msr).
 *
 * Marking: the "ids" parameter (VID:PID list, also writable at run time),
 * or the input device's name written to the "attach" parameter (what the
 * udev rules do); "detach" undoes an attach.
 *
 * Decoding: '%' starts track 1, ';' track 2 (a second ';' track 3), '+'
 * track 3 (stored with the ISO ';' start sentinel); '?' ends a track;
 * "%E?", ";E?", "+E?" are read errors; CR (Enter, keypad Enter) or
 * timeout_ms without a keystroke ends the swipe.  Characters outside a
 * track (an LRC, say) are ignored; a bad character or a missing end
 * sentinel makes that track an error.
 */
#include <linux/input.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timer.h>
#include "payterm_compat.h"
#include "payterm_core.h"
#include "payterm_ids.h"

#define WEDGE_BUF	512	/* three full tracks fit in 260 */

static unsigned int timeout_ms = 500;
module_param(timeout_ms, uint, 0644);
MODULE_PARM_DESC(timeout_ms,
		 "Inter-character timeout that ends a swipe without CR (default 500)");

struct wedge_dev {
	struct list_head node;		/* wedge_list, under wedge_mutex */
	struct input_handle handle;
	bool active;			/* grabbed, open, reader registered */
	bool attached;			/* marked through "attach" */

	spinlock_t lock;		/* all below */
	struct payterm_reader *reader;
	struct timer_list timer;
	bool lshift, rshift;
	bool overflow;
	unsigned int len;
	u8 buf[WEDGE_BUF];
	struct payterm_swipe swipe;	/* scratch, wiped after each report */
};

static DEFINE_MUTEX(wedge_mutex);	/* wedge_list, wedge_ids, activation */
static LIST_HEAD(wedge_list);
static struct payterm_usb_id wedge_ids[PAYTERM_IDS_MAX];
static int wedge_nids;

/* ------------------------------------------------------------------ */
/* US keyboard layout */

static const char wedge_plain[KEY_SPACE + 1] = {
	[KEY_1] = '1', [KEY_2] = '2', [KEY_3] = '3', [KEY_4] = '4',
	[KEY_5] = '5', [KEY_6] = '6', [KEY_7] = '7', [KEY_8] = '8',
	[KEY_9] = '9', [KEY_0] = '0', [KEY_MINUS] = '-', [KEY_EQUAL] = '=',
	[KEY_Q] = 'q', [KEY_W] = 'w', [KEY_E] = 'e', [KEY_R] = 'r',
	[KEY_T] = 't', [KEY_Y] = 'y', [KEY_U] = 'u', [KEY_I] = 'i',
	[KEY_O] = 'o', [KEY_P] = 'p', [KEY_LEFTBRACE] = '[',
	[KEY_RIGHTBRACE] = ']', [KEY_A] = 'a', [KEY_S] = 's', [KEY_D] = 'd',
	[KEY_F] = 'f', [KEY_G] = 'g', [KEY_H] = 'h', [KEY_J] = 'j',
	[KEY_K] = 'k', [KEY_L] = 'l', [KEY_SEMICOLON] = ';',
	[KEY_APOSTROPHE] = '\'', [KEY_GRAVE] = '`', [KEY_BACKSLASH] = '\\',
	[KEY_Z] = 'z', [KEY_X] = 'x', [KEY_C] = 'c', [KEY_V] = 'v',
	[KEY_B] = 'b', [KEY_N] = 'n', [KEY_M] = 'm', [KEY_COMMA] = ',',
	[KEY_DOT] = '.', [KEY_SLASH] = '/', [KEY_SPACE] = ' ',
};

static const char wedge_shifted[KEY_SPACE + 1] = {
	[KEY_1] = '!', [KEY_2] = '@', [KEY_3] = '#', [KEY_4] = '$',
	[KEY_5] = '%', [KEY_6] = '^', [KEY_7] = '&', [KEY_8] = '*',
	[KEY_9] = '(', [KEY_0] = ')', [KEY_MINUS] = '_', [KEY_EQUAL] = '+',
	[KEY_Q] = 'Q', [KEY_W] = 'W', [KEY_E] = 'E', [KEY_R] = 'R',
	[KEY_T] = 'T', [KEY_Y] = 'Y', [KEY_U] = 'U', [KEY_I] = 'I',
	[KEY_O] = 'O', [KEY_P] = 'P', [KEY_LEFTBRACE] = '{',
	[KEY_RIGHTBRACE] = '}', [KEY_A] = 'A', [KEY_S] = 'S', [KEY_D] = 'D',
	[KEY_F] = 'F', [KEY_G] = 'G', [KEY_H] = 'H', [KEY_J] = 'J',
	[KEY_K] = 'K', [KEY_L] = 'L', [KEY_SEMICOLON] = ':',
	[KEY_APOSTROPHE] = '"', [KEY_GRAVE] = '~', [KEY_BACKSLASH] = '|',
	[KEY_Z] = 'Z', [KEY_X] = 'X', [KEY_C] = 'C', [KEY_V] = 'V',
	[KEY_B] = 'B', [KEY_N] = 'N', [KEY_M] = 'M', [KEY_COMMA] = '<',
	[KEY_DOT] = '>', [KEY_SLASH] = '?', [KEY_SPACE] = ' ',
};

static char wedge_keypad_char(unsigned int code)
{
	switch (code) {
	case KEY_KP0: return '0';
	case KEY_KP1: return '1';
	case KEY_KP2: return '2';
	case KEY_KP3: return '3';
	case KEY_KP4: return '4';
	case KEY_KP5: return '5';
	case KEY_KP6: return '6';
	case KEY_KP7: return '7';
	case KEY_KP8: return '8';
	case KEY_KP9: return '9';
	case KEY_KPMINUS: return '-';
	case KEY_KPPLUS: return '+';
	case KEY_KPASTERISK: return '*';
	case KEY_KPSLASH: return '/';
	case KEY_KPDOT: return '.';
	default: return 0;
	}
}

/* ------------------------------------------------------------------ */
/* track decoding */

static bool wedge_track_chars_ok(const u8 *d, unsigned int n, bool alpha)
{
	u8 lo = alpha ? 0x20 : 0x30, hi = alpha ? 0x5f : 0x3f;
	unsigned int i;

	for (i = 1; i < n - 1; i++)
		if (d[i] < lo || d[i] > hi || d[i] == '?')
			return false;
	return true;
}

/* Split the typed characters into tracks (see the comment at the top). */
static void wedge_parse(const u8 *buf, unsigned int len,
			struct payterm_swipe *s)
{
	bool seen[PAYTERM_TRACKS] = { false };
	unsigned int i = 0, j, n;
	int t;

	while (i < len) {
		struct payterm_track *tr;
		u8 c = buf[i];

		if (c == '%') {
			t = seen[0] ? 2 : 0;
		} else if (c == ';') {
			t = seen[1] ? 2 : 1;
		} else if (c == '+') {
			t = 2;
		} else {
			i++;		/* between tracks: LRC, noise */
			continue;
		}
		for (j = i + 1; j < len && buf[j] != '?'; j++)
			;
		tr = &s->track[t];
		if (seen[t]) {
			i = j + 1;	/* a repeated track: keep the first */
			continue;
		}
		seen[t] = true;
		if (j == len) {		/* no end sentinel */
			tr->status = PAYTERM_TRACK_ERROR;
			break;
		}
		n = j - i + 1;
		i = j + 1;
		if (n == 3 && buf[j - 1] == 'E') {
			tr->status = PAYTERM_TRACK_ERROR;	/* "%E?" */
			continue;
		}
		if (n < 3 || n > PAYTERM_TRACK_MAX ||
		    !wedge_track_chars_ok(buf + j + 1 - n, n, c == '%')) {
			tr->status = PAYTERM_TRACK_ERROR;
			continue;
		}
		tr->status = PAYTERM_TRACK_OK;
		tr->length = n;
		memcpy(tr->data, buf + j + 1 - n, n);
		if (c == '+')
			tr->data[0] = ';';	/* ISO start sentinel */
	}
}

/* Caller holds wd->lock: report what was typed and forget it. */
static void wedge_finish(struct wedge_dev *wd)
{
	if (!wd->len && !wd->overflow)
		return;
	memset(&wd->swipe, 0, sizeof(wd->swipe));
	if (!wd->overflow)
		wedge_parse(wd->buf, wd->len, &wd->swipe);
	if (wd->reader) {
		if (wd->overflow)
			payterm_report_swipe_error(wd->reader);
		else
			payterm_report_swipe(wd->reader, &wd->swipe);
	}
	memzero_explicit(&wd->swipe, sizeof(wd->swipe));
	memzero_explicit(wd->buf, sizeof(wd->buf));
	wd->len = 0;
	wd->overflow = false;
}

static void wedge_timeout(struct timer_list *t)
{
	struct wedge_dev *wd = timer_container_of(wd, t, timer);
	unsigned long flags;

	spin_lock_irqsave(&wd->lock, flags);
	wedge_finish(wd);
	spin_unlock_irqrestore(&wd->lock, flags);
}

static void wedge_key(struct wedge_dev *wd, unsigned int code, int value)
{
	bool shift;
	char c;

	if (code == KEY_LEFTSHIFT || code == KEY_RIGHTSHIFT) {
		if (code == KEY_LEFTSHIFT)
			wd->lshift = value;
		else
			wd->rshift = value;
		return;
	}
	if (value != 1)			/* releases, autorepeat */
		return;
	if (code == KEY_ENTER || code == KEY_KPENTER) {
		timer_delete(&wd->timer);
		wedge_finish(wd);
		return;
	}
	shift = wd->lshift || wd->rshift;
	if (code < ARRAY_SIZE(wedge_plain))
		c = shift ? wedge_shifted[code] : wedge_plain[code];
	else
		c = wedge_keypad_char(code);
	if (!c)
		c = 0x01;		/* unknown key: invalid in any track */
	if (wd->len < sizeof(wd->buf))
		wd->buf[wd->len++] = c;
	else
		wd->overflow = true;
	mod_timer(&wd->timer, jiffies + msecs_to_jiffies(READ_ONCE(timeout_ms)));
}

/* Called with dev->event_lock held, interrupts off. */
static void wedge_event(struct input_handle *handle, unsigned int type,
			unsigned int code, int value)
{
	struct wedge_dev *wd = handle->private;

	if (type != EV_KEY)
		return;
	/*
	 * The grab stops delivery but not EVIOCGKEY on the event node: keep
	 * track characters out of the device's key bitmap too.  (Their
	 * release then goes nowhere.)  Shift keep their bits: the decoder
	 * needs their release, and shift state says nothing of a PAN.
	 */
	if (value && code != KEY_LEFTSHIFT && code != KEY_RIGHTSHIFT)
		__clear_bit(code, handle->dev->key);
	spin_lock(&wd->lock);
	wedge_key(wd, code, value);
	spin_unlock(&wd->lock);
}

/* ------------------------------------------------------------------ */
/* marking, activation */

static const struct payterm_reader_ops wedge_ops = { };

/* Caller holds wedge_mutex. */
static int wedge_activate(struct wedge_dev *wd)
{
	struct input_dev *dev = wd->handle.dev;
	struct payterm_reader_desc desc = {
		.name = dev->name ? dev->name : "keyboard wedge reader",
		.caps = PAYTERM_CAP_MSR,
		.bustype = dev->id.bustype,
		.vendor = dev->id.vendor,
		.product = dev->id.product,
		.parent = &dev->dev,
		.ops = &wedge_ops,
		.driver_data = wd,
	};
	struct payterm_reader *reader;
	int ret;

	if (wd->active)
		return 0;
	reader = payterm_register_reader(&desc);
	if (IS_ERR(reader))
		return PTR_ERR(reader);
	spin_lock_irq(&wd->lock);
	wd->reader = reader;
	spin_unlock_irq(&wd->lock);

	/* Grab before opening: no keystroke ever goes elsewhere. */
	ret = input_grab_device(&wd->handle);
	if (ret) {
		dev_warn(&dev->dev, "payterm_wedge: cannot grab (%d)\n", ret);
		goto err_unregister;
	}
	ret = input_open_device(&wd->handle);
	if (ret)
		goto err_release;
	wd->active = true;
	dev_info(&dev->dev, "payterm_wedge: wedge reader payterm%d\n",
		 payterm_reader_minor(reader));
	return 0;

err_release:
	input_release_device(&wd->handle);
	/* Keys may have arrived while grabbed: no timer, no leftovers. */
	timer_delete_sync(&wd->timer);
err_unregister:
	spin_lock_irq(&wd->lock);
	wd->reader = NULL;
	memzero_explicit(wd->buf, sizeof(wd->buf));
	wd->len = 0;
	wd->overflow = false;
	spin_unlock_irq(&wd->lock);
	payterm_unregister_reader(reader);
	return ret;
}

/* Caller holds wedge_mutex. */
static void wedge_deactivate(struct wedge_dev *wd)
{
	struct payterm_reader *reader;

	if (!wd->active)
		return;
	/* After close no event arrives; after timer_delete_sync no timeout. */
	input_close_device(&wd->handle);	/* also releases the grab */
	timer_delete_sync(&wd->timer);
	spin_lock_irq(&wd->lock);
	reader = wd->reader;
	wd->reader = NULL;
	memzero_explicit(wd->buf, sizeof(wd->buf));
	wd->len = 0;
	wd->overflow = false;
	wd->lshift = false;
	wd->rshift = false;
	spin_unlock_irq(&wd->lock);
	payterm_unregister_reader(reader);
	wd->active = false;
}

/* Caller holds wedge_mutex. */
static void wedge_update(struct wedge_dev *wd)
{
	const struct input_id *id = &wd->handle.dev->id;
	bool marked = wd->attached ||
		      payterm_ids_match(wedge_ids, wedge_nids, id->vendor,
					id->product);

	if (marked)
		wedge_activate(wd);
	else
		wedge_deactivate(wd);
}

static int wedge_ids_set(const char *val, const struct kernel_param *kp)
{
	struct payterm_usb_id *ids;
	struct wedge_dev *wd;
	int n;

	ids = kcalloc(PAYTERM_IDS_MAX, sizeof(*ids), GFP_KERNEL);
	if (!ids)
		return -ENOMEM;
	n = payterm_parse_ids(val, ids);
	if (n < 0) {
		kfree(ids);
		return n;
	}
	mutex_lock(&wedge_mutex);
	memcpy(wedge_ids, ids, sizeof(wedge_ids));
	wedge_nids = n;
	list_for_each_entry(wd, &wedge_list, node)
		wedge_update(wd);
	mutex_unlock(&wedge_mutex);
	kfree(ids);
	return 0;
}

static int wedge_ids_get(char *buf, const struct kernel_param *kp)
{
	int i, len = 0;

	mutex_lock(&wedge_mutex);
	for (i = 0; i < wedge_nids; i++)
		len += scnprintf(buf + len, PAGE_SIZE - len, "%s%04x:%04x",
				 i ? "," : "", wedge_ids[i].vendor,
				 wedge_ids[i].product);
	mutex_unlock(&wedge_mutex);
	len += scnprintf(buf + len, PAGE_SIZE - len, "\n");
	return len;
}

static const struct kernel_param_ops wedge_ids_ops = {
	.set = wedge_ids_set,
	.get = wedge_ids_get,
};
module_param_cb(ids, &wedge_ids_ops, NULL, 0644);
MODULE_PARM_DESC(ids, "Wedge readers, \"vvvv:pppp[,vvvv:pppp...]\" (hex)");

/* "attach"/"detach": an input device name such as input7. */
static int wedge_attach_set(const char *val, bool attach)
{
	char buf[32], *name;
	struct wedge_dev *wd;
	int ret = -ENODEV;

	strscpy(buf, val, sizeof(buf));
	name = strim(buf);
	mutex_lock(&wedge_mutex);
	list_for_each_entry(wd, &wedge_list, node) {
		if (strcmp(dev_name(&wd->handle.dev->dev), name))
			continue;
		wd->attached = attach;
		wedge_update(wd);
		ret = 0;
		if (attach && !wd->active)
			ret = -EBUSY;
		break;
	}
	mutex_unlock(&wedge_mutex);
	return ret;
}

static int wedge_attach(const char *val, const struct kernel_param *kp)
{
	return wedge_attach_set(val, true);
}

static int wedge_detach(const char *val, const struct kernel_param *kp)
{
	return wedge_attach_set(val, false);
}

static const struct kernel_param_ops wedge_attach_ops = { .set = wedge_attach };
static const struct kernel_param_ops wedge_detach_ops = { .set = wedge_detach };
module_param_cb(attach, &wedge_attach_ops, NULL, 0200);
MODULE_PARM_DESC(attach, "Take the named input device (e.g. input7) as a wedge reader");
module_param_cb(detach, &wedge_detach_ops, NULL, 0200);
MODULE_PARM_DESC(detach, "Give back an input device taken through attach");

/* ------------------------------------------------------------------ */
/* input handler */

static int wedge_connect(struct input_handler *handler, struct input_dev *dev,
			 const struct input_device_id *id)
{
	struct wedge_dev *wd;
	int ret;

	wd = kzalloc(sizeof(*wd), GFP_KERNEL);
	if (!wd)
		return -ENOMEM;
	spin_lock_init(&wd->lock);
	timer_setup(&wd->timer, wedge_timeout, 0);
	wd->handle.dev = dev;
	wd->handle.handler = handler;
	wd->handle.name = "payterm_wedge";
	wd->handle.private = wd;

	/* Every keyboard gets a (closed) handle, so marking can come later. */
	ret = input_register_handle(&wd->handle);
	if (ret) {
		kfree(wd);
		return ret;
	}
	mutex_lock(&wedge_mutex);
	list_add_tail(&wd->node, &wedge_list);
	wedge_update(wd);
	mutex_unlock(&wedge_mutex);
	return 0;
}

static void wedge_disconnect(struct input_handle *handle)
{
	struct wedge_dev *wd = handle->private;

	mutex_lock(&wedge_mutex);
	list_del(&wd->node);
	wedge_deactivate(wd);
	mutex_unlock(&wedge_mutex);
	input_unregister_handle(handle);
	kfree_sensitive(wd);
}

static const struct input_device_id wedge_match[] = {
	{
		.flags = INPUT_DEVICE_ID_MATCH_EVBIT | INPUT_DEVICE_ID_MATCH_KEYBIT,
		.evbit = { BIT_MASK(EV_KEY) },
		.keybit = { [BIT_WORD(KEY_SEMICOLON)] = BIT_MASK(KEY_SEMICOLON) },
	},
	{ }
};

static struct input_handler wedge_handler = {
	.name = "payterm_wedge",
	.event = wedge_event,
	.connect = wedge_connect,
	.disconnect = wedge_disconnect,
	.id_table = wedge_match,
};

static int __init wedge_init(void)
{
	return input_register_handler(&wedge_handler);
}

static void __exit wedge_exit(void)
{
	input_unregister_handler(&wedge_handler);
}

module_init(wedge_init);
module_exit(wedge_exit);

MODULE_DESCRIPTION("payterm: keyboard-wedge magnetic stripe readers");
MODULE_AUTHOR("payterm developers");
MODULE_LICENSE("GPL");
