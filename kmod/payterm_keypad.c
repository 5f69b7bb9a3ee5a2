// SPDX-License-Identifier: GPL-2.0
/*
 * payterm_keypad: PIN keypads as payterm devices with the pinpad
 * capability.  The core's PIN session consumes their keys; outside a
 * session the core drops them.
 *
 * HID claim mode (preferred): a hid_driver for the keypads listed in
 * "ids", added through new_id or by the udev rules.  It binds with
 * HID_CONNECT_DRIVER only: no input device, no hidraw node exists, so no
 * other program can observe a key at any time.
 *
 * Input grab mode: for keypads that exist only as input devices, an input
 * handler takes the keypads listed in "grab_ids" or named through
 * "attach".  The keypad works normally outside PIN sessions; during a
 * session the handler grabs it (nobody else receives its events) and
 * clears the keys it consumes from the device's key-state bitmap, so that
 * EVIOCGKEY shows next to nothing (docs/security.md).
 *
 * Key mapping (HID keyboard page / input key code):
 *   digits, keypad digits        -> digits
 *   Backspace, keypad Backspace  -> correction (delete the last digit)
 *   Delete, Clear, keypad Clear  -> clear (delete all digits)
 *   Escape, Cancel               -> cancel
 *   Enter, Return, keypad Enter  -> enter
 */
#include <linux/bitmap.h>
#include <linux/hid.h>
#include <linux/input.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include "payterm_core.h"
#include "payterm_ids.h"

#define KEYPAD_NO_KEY	(~0U)

static char *ids;
module_param(ids, charp, 0444);
MODULE_PARM_DESC(ids,
		 "HID keypads to claim, \"vvvv:pppp[,vvvv:pppp...]\" (hex); more at run time through new_id");

/* ------------------------------------------------------------------ */
/* HID claim mode */

#define HID_UP_KEYBOARD_PAGE	0x00070000

struct keypad_hid {
	struct hid_device *hdev;
	spinlock_t lock;		/* reader, down */
	struct payterm_reader *reader;
	DECLARE_BITMAP(down, 256);	/* keyboard-page usages held */
};

static unsigned int keypad_hid_key(unsigned int usage)
{
	switch (usage) {
	case 0x1e ... 0x26:		/* 1..9 */
		return PAYTERM_KEY_0 + usage - 0x1e + 1;
	case 0x27:			/* 0 */
		return PAYTERM_KEY_0;
	case 0x59 ... 0x61:		/* keypad 1..9 */
		return PAYTERM_KEY_0 + usage - 0x59 + 1;
	case 0x62:			/* keypad 0 */
		return PAYTERM_KEY_0;
	case 0x2a:			/* Backspace */
	case 0xbb:			/* keypad Backspace */
		return PAYTERM_KEY_CORRECTION;
	case 0x4c:			/* Delete Forward */
	case 0x9c:			/* Clear */
	case 0xd8:			/* keypad Clear */
	case 0xd9:			/* keypad Clear Entry */
		return PAYTERM_KEY_CLEAR;
	case 0x29:			/* Escape */
	case 0x9b:			/* Cancel */
		return PAYTERM_KEY_CANCEL;
	case 0x28:			/* Enter */
	case 0x58:			/* keypad Enter */
	case 0x9e:			/* Return */
		return PAYTERM_KEY_ENTER;
	default:
		return KEYPAD_NO_KEY;
	}
}

static int keypad_hid_event(struct hid_device *hdev, struct hid_field *field,
			    struct hid_usage *usage, __s32 value)
{
	struct keypad_hid *kh = hid_get_drvdata(hdev);
	unsigned int u = usage->hid & HID_USAGE, key;
	unsigned long flags;
	bool pressed;

	if (!kh || (usage->hid & HID_USAGE_PAGE) != HID_UP_KEYBOARD_PAGE ||
	    u >= 256)
		return 0;
	spin_lock_irqsave(&kh->lock, flags);
	/* Arrays report changes, bitmaps report state: act on presses. */
	pressed = value && !__test_and_set_bit(u, kh->down);
	if (!value)
		__clear_bit(u, kh->down);
	key = keypad_hid_key(u);
	if (pressed && key != KEYPAD_NO_KEY && kh->reader)
		payterm_report_key(kh->reader, key);
	spin_unlock_irqrestore(&kh->lock, flags);
	return 0;
}

static bool keypad_hid_has_keys(struct hid_device *hdev)
{
	struct hid_report_enum *re = &hdev->report_enum[HID_INPUT_REPORT];
	struct hid_report *report;
	unsigned int i, j;

	list_for_each_entry(report, &re->report_list, list)
		for (i = 0; i < report->maxfield; i++)
			for (j = 0; j < report->field[i]->maxusage; j++)
				if ((report->field[i]->usage[j].hid &
				     HID_USAGE_PAGE) == HID_UP_KEYBOARD_PAGE)
					return true;
	return false;
}

static const struct payterm_reader_ops keypad_hid_ops = { };

static int keypad_hid_probe(struct hid_device *hdev,
			    const struct hid_device_id *id)
{
	struct payterm_reader_desc desc = { 0 };
	struct keypad_hid *kh;
	int ret;

	kh = devm_kzalloc(&hdev->dev, sizeof(*kh), GFP_KERNEL);
	if (!kh)
		return -ENOMEM;
	kh->hdev = hdev;
	spin_lock_init(&kh->lock);

	ret = hid_parse(hdev);
	if (ret)
		return ret;
	if (!keypad_hid_has_keys(hdev)) {
		hid_err(hdev, "no keyboard-page input in the descriptor\n");
		return -ENODEV;
	}

	desc.name = hdev->name[0] ? hdev->name : "HID PIN keypad";
	desc.caps = PAYTERM_CAP_PINPAD;
	desc.bustype = hdev->bus;
	desc.vendor = hdev->vendor;
	desc.product = hdev->product;
	desc.parent = &hdev->dev;
	desc.ops = &keypad_hid_ops;
	desc.driver_data = kh;

	/* No hidinput, no hiddev, no hidraw: the keys reach only us. */
	ret = hid_hw_start(hdev, HID_CONNECT_DRIVER);
	if (ret)
		return ret;
	kh->reader = payterm_register_reader(&desc);
	if (IS_ERR(kh->reader)) {
		ret = PTR_ERR(kh->reader);
		kh->reader = NULL;
		goto err_stop;
	}
	hid_set_drvdata(hdev, kh);
	ret = hid_hw_open(hdev);
	if (ret)
		goto err_unregister;
	hid_info(hdev, "payterm%d: PIN keypad (HID claim)\n",
		 payterm_reader_minor(kh->reader));
	return 0;

err_unregister:
	hid_set_drvdata(hdev, NULL);
	payterm_unregister_reader(kh->reader);
err_stop:
	hid_hw_stop(hdev);
	return ret;
}

static void keypad_hid_remove(struct hid_device *hdev)
{
	struct keypad_hid *kh = hid_get_drvdata(hdev);
	struct payterm_reader *reader;
	unsigned long flags;

	hid_hw_close(hdev);
	spin_lock_irqsave(&kh->lock, flags);
	reader = kh->reader;
	kh->reader = NULL;
	spin_unlock_irqrestore(&kh->lock, flags);
	/* Ends a running session (PIN_ABORTED) and wipes its digits. */
	payterm_unregister_reader(reader);
	hid_hw_stop(hdev);
}

static struct hid_device_id *keypad_hid_ids;
static const struct hid_device_id keypad_hid_none[] = { { } };

static struct hid_driver keypad_hid_driver = {
	.name = "payterm_keypad",
	.id_table = keypad_hid_none,
	.probe = keypad_hid_probe,
	.remove = keypad_hid_remove,
	.event = keypad_hid_event,
};

static int keypad_hid_init(void)
{
	struct payterm_usb_id *list;
	int n, i, ret = 0;

	list = kcalloc(PAYTERM_IDS_MAX, sizeof(*list), GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	n = payterm_parse_ids(ids, list);
	if (n < 0) {
		pr_err("payterm_keypad: bad ids= parameter\n");
		ret = n;
		goto out;
	}
	if (n) {
		keypad_hid_ids = kcalloc(n + 1, sizeof(*keypad_hid_ids),
					 GFP_KERNEL);
		if (!keypad_hid_ids) {
			ret = -ENOMEM;
			goto out;
		}
		for (i = 0; i < n; i++) {
			keypad_hid_ids[i].bus = BUS_USB;
			keypad_hid_ids[i].group = HID_GROUP_ANY;
			keypad_hid_ids[i].vendor = list[i].vendor;
			keypad_hid_ids[i].product = list[i].product;
		}
		keypad_hid_driver.id_table = keypad_hid_ids;
	}
	ret = hid_register_driver(&keypad_hid_driver);
	if (ret) {
		kfree(keypad_hid_ids);
		keypad_hid_ids = NULL;
	}
out:
	kfree(list);
	return ret;
}

static void keypad_hid_exit(void)
{
	hid_unregister_driver(&keypad_hid_driver);
	kfree(keypad_hid_ids);
}

/* ------------------------------------------------------------------ */
/* input grab mode */

struct keypad_input {
	struct list_head node;		/* keypad_list, under keypad_mutex */
	struct input_handle handle;
	bool active;			/* open, reader registered */
	bool attached;			/* marked through "attach" */

	spinlock_t lock;		/* reader, grabbed */
	struct payterm_reader *reader;
	bool grabbed;			/* a PIN session holds the grab */
};

static DEFINE_MUTEX(keypad_mutex);	/* keypad_list, grab ids, activation */
static LIST_HEAD(keypad_list);
static struct payterm_usb_id keypad_grab_ids[PAYTERM_IDS_MAX];
static int keypad_grab_nids;

static unsigned int keypad_input_key(unsigned int code)
{
	switch (code) {
	case KEY_1 ... KEY_9:
		return PAYTERM_KEY_0 + code - KEY_1 + 1;
	case KEY_0:
	case KEY_KP0:
		return PAYTERM_KEY_0;
	case KEY_KP1: return 1;
	case KEY_KP2: return 2;
	case KEY_KP3: return 3;
	case KEY_KP4: return 4;
	case KEY_KP5: return 5;
	case KEY_KP6: return 6;
	case KEY_KP7: return 7;
	case KEY_KP8: return 8;
	case KEY_KP9: return 9;
	case KEY_BACKSPACE:
		return PAYTERM_KEY_CORRECTION;
	case KEY_DELETE:
	case KEY_CLEAR:
		return PAYTERM_KEY_CLEAR;
	case KEY_ESC:
	case KEY_CANCEL:
		return PAYTERM_KEY_CANCEL;
	case KEY_ENTER:
	case KEY_KPENTER:
	case KEY_OK:
		return PAYTERM_KEY_ENTER;
	default:
		return KEYPAD_NO_KEY;
	}
}

/* Called with dev->event_lock held, interrupts off. */
static void keypad_input_event(struct input_handle *handle, unsigned int type,
			       unsigned int code, int value)
{
	struct keypad_input *ki = handle->private;
	unsigned int key;

	if (type != EV_KEY)
		return;
	spin_lock(&ki->lock);
	if (ki->grabbed && value) {
		/*
		 * Hide the key from EVIOCGKEY: the core set its bit just
		 * before handing us the event, under this same event_lock.
		 * The release then finds the bit clear and goes nowhere.
		 */
		__clear_bit(code, handle->dev->key);
		key = keypad_input_key(code);
		if (value == 1 && key != KEYPAD_NO_KEY && ki->reader)
			payterm_report_key(ki->reader, key);
	}
	spin_unlock(&ki->lock);
}

/* Core ops, process context, the core's reader mutex held. */
static int keypad_pin_start(struct payterm_reader *reader)
{
	struct keypad_input *ki = payterm_reader_get_drvdata(reader);
	int ret;

	ret = input_grab_device(&ki->handle);
	if (ret)
		return ret;		/* someone else (EVIOCGRAB) holds it */
	spin_lock_irq(&ki->lock);
	ki->grabbed = true;
	spin_unlock_irq(&ki->lock);
	return 0;
}

static void keypad_pin_end(struct payterm_reader *reader)
{
	struct keypad_input *ki = payterm_reader_get_drvdata(reader);

	spin_lock_irq(&ki->lock);
	ki->grabbed = false;
	spin_unlock_irq(&ki->lock);
	input_release_device(&ki->handle);
}

static const struct payterm_reader_ops keypad_input_ops = {
	.pin_start = keypad_pin_start,
	.pin_end = keypad_pin_end,
};

/* Caller holds keypad_mutex. */
static int keypad_activate(struct keypad_input *ki)
{
	struct input_dev *dev = ki->handle.dev;
	struct payterm_reader_desc desc = {
		.name = dev->name ? dev->name : "PIN keypad",
		.caps = PAYTERM_CAP_PINPAD,
		.bustype = dev->id.bustype,
		.vendor = dev->id.vendor,
		.product = dev->id.product,
		.parent = &dev->dev,
		.ops = &keypad_input_ops,
		.driver_data = ki,
	};
	struct payterm_reader *reader;
	int ret;

	if (ki->active)
		return 0;
	ret = input_open_device(&ki->handle);
	if (ret)
		return ret;
	reader = payterm_register_reader(&desc);
	if (IS_ERR(reader)) {
		input_close_device(&ki->handle);
		return PTR_ERR(reader);
	}
	spin_lock_irq(&ki->lock);
	ki->reader = reader;
	spin_unlock_irq(&ki->lock);
	ki->active = true;
	dev_info(&dev->dev, "payterm_keypad: PIN keypad payterm%d (input grab)\n",
		 payterm_reader_minor(reader));
	return 0;
}

/* Caller holds keypad_mutex. */
static void keypad_deactivate(struct keypad_input *ki)
{
	struct payterm_reader *reader;

	if (!ki->active)
		return;
	spin_lock_irq(&ki->lock);
	reader = ki->reader;
	ki->reader = NULL;
	spin_unlock_irq(&ki->lock);
	/* Aborts a session and wipes its digits; no op is called after. */
	payterm_unregister_reader(reader);
	spin_lock_irq(&ki->lock);
	ki->grabbed = false;
	spin_unlock_irq(&ki->lock);
	input_close_device(&ki->handle);	/* releases a session's grab */
	ki->active = false;
}

/* Caller holds keypad_mutex. */
static void keypad_update(struct keypad_input *ki)
{
	const struct input_id *id = &ki->handle.dev->id;

	if (ki->attached || payterm_ids_match(keypad_grab_ids, keypad_grab_nids,
					      id->vendor, id->product))
		keypad_activate(ki);
	else
		keypad_deactivate(ki);
}

static int keypad_grab_ids_set(const char *val, const struct kernel_param *kp)
{
	struct payterm_usb_id *list;
	struct keypad_input *ki;
	int n;

	list = kcalloc(PAYTERM_IDS_MAX, sizeof(*list), GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	n = payterm_parse_ids(val, list);
	if (n < 0) {
		kfree(list);
		return n;
	}
	mutex_lock(&keypad_mutex);
	memcpy(keypad_grab_ids, list, sizeof(keypad_grab_ids));
	keypad_grab_nids = n;
	list_for_each_entry(ki, &keypad_list, node)
		keypad_update(ki);
	mutex_unlock(&keypad_mutex);
	kfree(list);
	return 0;
}

static int keypad_grab_ids_get(char *buf, const struct kernel_param *kp)
{
	int i, len = 0;

	mutex_lock(&keypad_mutex);
	for (i = 0; i < keypad_grab_nids; i++)
		len += scnprintf(buf + len, PAGE_SIZE - len, "%s%04x:%04x",
				 i ? "," : "", keypad_grab_ids[i].vendor,
				 keypad_grab_ids[i].product);
	mutex_unlock(&keypad_mutex);
	len += scnprintf(buf + len, PAGE_SIZE - len, "\n");
	return len;
}

static const struct kernel_param_ops keypad_grab_ids_ops = {
	.set = keypad_grab_ids_set,
	.get = keypad_grab_ids_get,
};
module_param_cb(grab_ids, &keypad_grab_ids_ops, NULL, 0644);
MODULE_PARM_DESC(grab_ids,
		 "Input-only keypads (grab mode), \"vvvv:pppp[,vvvv:pppp...]\" (hex)");

static int keypad_attach_set(const char *val, bool attach)
{
	char buf[32], *name;
	struct keypad_input *ki;
	int ret = -ENODEV;

	strscpy(buf, val, sizeof(buf));
	name = strim(buf);
	mutex_lock(&keypad_mutex);
	list_for_each_entry(ki, &keypad_list, node) {
		if (strcmp(dev_name(&ki->handle.dev->dev), name))
			continue;
		ki->attached = attach;
		keypad_update(ki);
		ret = attach && !ki->active ? -EBUSY : 0;
		break;
	}
	mutex_unlock(&keypad_mutex);
	return ret;
}

static int keypad_attach(const char *val, const struct kernel_param *kp)
{
	return keypad_attach_set(val, true);
}

static int keypad_detach(const char *val, const struct kernel_param *kp)
{
	return keypad_attach_set(val, false);
}

static const struct kernel_param_ops keypad_attach_ops = { .set = keypad_attach };
static const struct kernel_param_ops keypad_detach_ops = { .set = keypad_detach };
module_param_cb(attach, &keypad_attach_ops, NULL, 0200);
MODULE_PARM_DESC(attach, "Take the named input device (e.g. input7) as a PIN keypad (grab mode)");
module_param_cb(detach, &keypad_detach_ops, NULL, 0200);
MODULE_PARM_DESC(detach, "Give back an input device taken through attach");

static int keypad_connect(struct input_handler *handler, struct input_dev *dev,
			  const struct input_device_id *id)
{
	struct keypad_input *ki;
	int ret;

	ki = kzalloc(sizeof(*ki), GFP_KERNEL);
	if (!ki)
		return -ENOMEM;
	spin_lock_init(&ki->lock);
	ki->handle.dev = dev;
	ki->handle.handler = handler;
	ki->handle.name = "payterm_keypad";
	ki->handle.private = ki;
	/* Every key device gets a (closed) handle, so marking can come later. */
	ret = input_register_handle(&ki->handle);
	if (ret) {
		kfree(ki);
		return ret;
	}
	mutex_lock(&keypad_mutex);
	list_add_tail(&ki->node, &keypad_list);
	keypad_update(ki);
	mutex_unlock(&keypad_mutex);
	return 0;
}

static void keypad_disconnect(struct input_handle *handle)
{
	struct keypad_input *ki = handle->private;

	mutex_lock(&keypad_mutex);
	list_del(&ki->node);
	keypad_deactivate(ki);
	mutex_unlock(&keypad_mutex);
	input_unregister_handle(handle);
	kfree(ki);
}

static const struct input_device_id keypad_match[] = {
	{
		.flags = INPUT_DEVICE_ID_MATCH_EVBIT,
		.evbit = { BIT_MASK(EV_KEY) },
	},
	{ }
};

static struct input_handler keypad_handler = {
	.name = "payterm_keypad",
	.event = keypad_input_event,
	.connect = keypad_connect,
	.disconnect = keypad_disconnect,
	.id_table = keypad_match,
};

static int __init keypad_init(void)
{
	int ret;

	ret = input_register_handler(&keypad_handler);
	if (ret)
		return ret;
	ret = keypad_hid_init();
	if (ret)
		input_unregister_handler(&keypad_handler);
	return ret;
}

static void __exit keypad_exit(void)
{
	keypad_hid_exit();
	input_unregister_handler(&keypad_handler);
}

module_init(keypad_init);
module_exit(keypad_exit);

MODULE_DESCRIPTION("payterm: PIN keypads (HID claim and input grab modes)");
MODULE_AUTHOR("payterm developers");
MODULE_LICENSE("GPL");
