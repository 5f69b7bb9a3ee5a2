// SPDX-License-Identifier: GPL-2.0
/*
 * payterm_virt: virtual readers created from userspace through
 * /dev/payterm-virt, in the manner of uhid.  Each open file owns at most
 * one reader; write() sends one message (struct payterm_virt_hdr +
 * payload), read() returns one.  Userspace swipes, inserts, taps and
 * presses keys; the kernel forwards APDUs, power and PIN-session changes,
 * and userspace answers the APDUs.  Closing the file removes the reader.
 */
#include <linux/completion.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "payterm_core.h"

#define VIRT_QUEUE_MAX	256	/* notifications beyond this are dropped */

static unsigned int apdu_timeout_ms = 10000;
module_param(apdu_timeout_ms, uint, 0644);
MODULE_PARM_DESC(apdu_timeout_ms,
		 "How long a forwarded APDU waits for userspace (default 10000)");

struct virt_msg {
	struct list_head node;
	size_t size;
	u8 data[];		/* header + payload */
};

struct virt_slot {
	bool present;
	bool contactless;
	u8 atr_len;
	u8 atr[PAYTERM_ATR_MAX];
};

struct virt_dev {
	struct mutex lock;	/* reader, slots, pending APDU */
	struct payterm_reader *reader;
	u32 caps;
	u8 nslots;
	struct virt_slot slot[PAYTERM_MAX_SLOTS];

	spinlock_t qlock;	/* outq, qlen */
	struct list_head outq;
	unsigned int qlen;
	wait_queue_head_t waitq;

	/* The one APDU in flight (the core serialises transmits). */
	u32 next_id;
	bool apdu_pending;
	u32 apdu_id;
	u8 apdu_slot;
	u8 *apdu_resp;
	size_t apdu_resp_size;
	size_t apdu_resp_len;
	int apdu_status;
	struct completion apdu_done;
};

/* ------------------------------------------------------------------ */
/* kernel -> userspace queue */

static int virt_queue(struct virt_dev *vd, u32 type, const void *payload,
		      size_t len, const void *extra, size_t extra_len,
		      bool may_drop)
{
	struct payterm_virt_hdr hdr = {
		.type = type,
		.length = len + extra_len,
	};
	struct virt_msg *msg;
	unsigned long flags;

	msg = kvmalloc(struct_size(msg, data, sizeof(hdr) + len + extra_len),
		       GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	msg->size = sizeof(hdr) + len + extra_len;
	memcpy(msg->data, &hdr, sizeof(hdr));
	memcpy(msg->data + sizeof(hdr), payload, len);
	if (extra_len)
		memcpy(msg->data + sizeof(hdr) + len, extra, extra_len);

	spin_lock_irqsave(&vd->qlock, flags);
	if (may_drop && vd->qlen >= VIRT_QUEUE_MAX) {
		spin_unlock_irqrestore(&vd->qlock, flags);
		kvfree_sensitive(msg, struct_size(msg, data, msg->size));
		return -ENOSPC;
	}
	list_add_tail(&msg->node, &vd->outq);
	vd->qlen++;
	spin_unlock_irqrestore(&vd->qlock, flags);
	wake_up_interruptible(&vd->waitq);
	return 0;
}

static void virt_free_msg(struct virt_msg *msg)
{
	kvfree_sensitive(msg, struct_size(msg, data, msg->size));
}

/* ------------------------------------------------------------------ */
/* reader operations, called by the core with its reader mutex held */

static int virt_power_on(struct payterm_reader *reader, u8 slot, u8 *atr,
			 size_t *atr_len)
{
	struct virt_dev *vd = payterm_reader_get_drvdata(reader);
	struct payterm_virt_power p = { .slot = slot, .on = 1 };
	int ret = 0;

	mutex_lock(&vd->lock);
	if (!vd->reader) {
		ret = -ENODEV;
	} else if (!vd->slot[slot].present) {
		ret = -ENOMEDIUM;
	} else {
		memcpy(atr, vd->slot[slot].atr, vd->slot[slot].atr_len);
		*atr_len = vd->slot[slot].atr_len;
	}
	mutex_unlock(&vd->lock);
	if (!ret)
		virt_queue(vd, PAYTERM_VIRT_POWER, &p, sizeof(p), NULL, 0, true);
	return ret;
}

static int virt_power_off(struct payterm_reader *reader, u8 slot)
{
	struct virt_dev *vd = payterm_reader_get_drvdata(reader);
	struct payterm_virt_power p = { .slot = slot, .on = 0 };

	virt_queue(vd, PAYTERM_VIRT_POWER, &p, sizeof(p), NULL, 0, true);
	return 0;
}

static int virt_transmit(struct payterm_reader *reader, u8 slot,
			 const u8 *capdu, size_t capdu_len, u8 *rapdu,
			 size_t rapdu_size, size_t *rapdu_len)
{
	struct virt_dev *vd = payterm_reader_get_drvdata(reader);
	struct payterm_virt_apdu req = {
		.length = capdu_len,
		.slot = slot,
	};
	unsigned long timeout;
	long left;
	int ret;

	mutex_lock(&vd->lock);
	if (!vd->reader) {
		mutex_unlock(&vd->lock);
		return -ENODEV;
	}
	if (!vd->slot[slot].present) {
		mutex_unlock(&vd->lock);
		return -ENOMEDIUM;
	}
	req.id = vd->next_id++;
	vd->apdu_id = req.id;
	vd->apdu_slot = slot;
	vd->apdu_resp = rapdu;
	vd->apdu_resp_size = rapdu_size;
	vd->apdu_resp_len = 0;
	vd->apdu_status = -ETIMEDOUT;
	vd->apdu_pending = true;
	reinit_completion(&vd->apdu_done);
	mutex_unlock(&vd->lock);

	ret = virt_queue(vd, PAYTERM_VIRT_APDU, &req, sizeof(req), capdu,
			 capdu_len, false);
	if (ret) {
		mutex_lock(&vd->lock);
		vd->apdu_pending = false;
		mutex_unlock(&vd->lock);
		return ret;
	}

	timeout = msecs_to_jiffies(READ_ONCE(apdu_timeout_ms));
	left = wait_for_completion_interruptible_timeout(&vd->apdu_done,
							 timeout);

	mutex_lock(&vd->lock);
	if (left > 0 || !vd->apdu_pending) {
		/* Completed (a reply, removal or destruction set status). */
		ret = vd->apdu_status;
		*rapdu_len = vd->apdu_resp_len;
	} else {
		ret = left < 0 ? (int)left : -ETIMEDOUT;
	}
	vd->apdu_pending = false;
	vd->apdu_resp = NULL;
	mutex_unlock(&vd->lock);
	return ret;
}

static int virt_pin_session(struct virt_dev *vd, bool active)
{
	struct payterm_virt_pin_session s = { .active = active };

	return virt_queue(vd, PAYTERM_VIRT_PIN_SESSION, &s, sizeof(s), NULL, 0,
			  true);
}

static int virt_pin_start(struct payterm_reader *reader)
{
	virt_pin_session(payterm_reader_get_drvdata(reader), true);
	return 0;
}

static void virt_pin_end(struct payterm_reader *reader)
{
	virt_pin_session(payterm_reader_get_drvdata(reader), false);
}

static const struct payterm_reader_ops virt_ops = {
	.power_on = virt_power_on,
	.power_off = virt_power_off,
	.transmit = virt_transmit,
	.pin_start = virt_pin_start,
	.pin_end = virt_pin_end,
};

/* Caller holds vd->lock: fail the APDU in flight (if on @slot, or any). */
static void virt_fail_apdu(struct virt_dev *vd, int slot, int status)
{
	if (!vd->apdu_pending || (slot >= 0 && vd->apdu_slot != slot))
		return;
	vd->apdu_status = status;
	vd->apdu_resp_len = 0;
	vd->apdu_pending = false;
	complete(&vd->apdu_done);
}

/* ------------------------------------------------------------------ */
/* userspace -> kernel messages */

static int virt_create(struct virt_dev *vd, const void *payload, size_t len)
{
	const struct payterm_virt_create *c = payload;
	struct payterm_virt_created created = { 0 };
	struct payterm_reader_desc desc = { 0 };
	struct payterm_reader *reader;
	bool cards;

	if (len != sizeof(*c) || c->reserved0 ||
	    memchr_inv(c->reserved, 0, sizeof(c->reserved)))
		return -EINVAL;
	if (!c->name[0] || !memchr(c->name, 0, sizeof(c->name)))
		return -EINVAL;
	cards = c->caps & (PAYTERM_CAP_ICC | PAYTERM_CAP_PICC);
	if (!c->caps || (c->caps & ~PAYTERM_CAP_ALL) ||
	    (cards ? !c->slots || c->slots > PAYTERM_MAX_SLOTS : c->slots))
		return -EINVAL;

	mutex_lock(&vd->lock);
	if (vd->reader) {
		mutex_unlock(&vd->lock);
		return -EALREADY;
	}
	vd->caps = c->caps;
	vd->nslots = c->slots;
	memset(vd->slot, 0, sizeof(vd->slot));

	desc.name = c->name;
	desc.caps = c->caps;
	desc.bustype = c->bustype ? c->bustype : PAYTERM_BUS_VIRTUAL;
	desc.vendor = c->vendor;
	desc.product = c->product;
	desc.slots = c->slots;
	desc.ops = &virt_ops;
	desc.driver_data = vd;
	reader = payterm_register_reader(&desc);
	if (IS_ERR(reader)) {
		mutex_unlock(&vd->lock);
		return PTR_ERR(reader);
	}
	vd->reader = reader;
	created.minor = payterm_reader_minor(reader);
	mutex_unlock(&vd->lock);

	return virt_queue(vd, PAYTERM_VIRT_CREATED, &created, sizeof(created),
			  NULL, 0, false);
}

static int virt_destroy(struct virt_dev *vd)
{
	struct payterm_reader *reader;

	mutex_lock(&vd->lock);
	reader = vd->reader;
	vd->reader = NULL;
	virt_fail_apdu(vd, -1, -ENODEV);
	mutex_unlock(&vd->lock);
	if (!reader)
		return -ENODEV;
	payterm_unregister_reader(reader);
	return 0;
}

static int virt_swipe(struct virt_dev *vd, const void *payload, size_t len)
{
	const struct payterm_swipe *s = payload;
	int i, ret = 0;

	if (len != sizeof(*s) || !(vd->caps & PAYTERM_CAP_MSR))
		return -EINVAL;
	if (s->flags & ~PAYTERM_SWIPE_READER_ENCRYPTED ||
	    memchr_inv(s->reserved0, 0, sizeof(s->reserved0)) ||
	    memchr_inv(s->reserved, 0, sizeof(s->reserved)) ||
	    s->ksn_length > sizeof(s->ksn))
		return -EINVAL;
	for (i = 0; i < PAYTERM_TRACKS; i++) {
		const struct payterm_track *t = &s->track[i];

		if (t->status > PAYTERM_TRACK_ERROR || t->reserved ||
		    t->length > PAYTERM_TRACK_MAX ||
		    (t->status == PAYTERM_TRACK_ABSENT && t->length))
			return -EINVAL;
	}

	mutex_lock(&vd->lock);
	if (vd->reader)
		payterm_report_swipe(vd->reader, s);
	else
		ret = -ENODEV;
	mutex_unlock(&vd->lock);
	return ret;
}

static int virt_card(struct virt_dev *vd, const void *payload, size_t len)
{
	const struct payterm_virt_card *c = payload;
	struct virt_slot *slot;
	int ret = 0;

	if (len != sizeof(*c) || c->reserved0 || c->reserved)
		return -EINVAL;

	mutex_lock(&vd->lock);
	if (!vd->reader) {
		ret = -ENODEV;
		goto out;
	}
	if (c->slot >= vd->nslots) {
		ret = -EINVAL;
		goto out;
	}
	slot = &vd->slot[c->slot];
	switch (c->action) {
	case PAYTERM_VIRT_CARD_INSERT:
	case PAYTERM_VIRT_CARD_TAP: {
		bool tap = c->action == PAYTERM_VIRT_CARD_TAP;

		if (!(vd->caps & (tap ? PAYTERM_CAP_PICC : PAYTERM_CAP_ICC)) ||
		    c->atr_length < 2 || c->atr_length > PAYTERM_ATR_MAX ||
		    slot->present) {
			ret = slot->present ? -EBUSY : -EINVAL;
			break;
		}
		slot->present = true;
		slot->contactless = tap;
		slot->atr_len = c->atr_length;
		memcpy(slot->atr, c->atr, c->atr_length);
		payterm_report_card(vd->reader, c->slot,
				    tap ? PAYTERM_EV_CARD_TAPPED :
					  PAYTERM_EV_CARD_INSERTED, tap);
		break;
	}
	case PAYTERM_VIRT_CARD_REMOVE:
		if (!slot->present) {
			ret = -ENOMEDIUM;
			break;
		}
		virt_fail_apdu(vd, c->slot, -ENOMEDIUM);
		payterm_report_card(vd->reader, c->slot,
				    PAYTERM_EV_CARD_REMOVED, slot->contactless);
		memset(slot, 0, sizeof(*slot));
		break;
	default:
		ret = -EINVAL;
	}
out:
	mutex_unlock(&vd->lock);
	return ret;
}

static int virt_apdu_reply(struct virt_dev *vd, const u8 *payload, size_t len)
{
	const struct payterm_virt_apdu *r = (const void *)payload;
	const u8 *data = payload + sizeof(*r);
	int ret = 0;

	if (len < sizeof(*r) || r->length != len - sizeof(*r) ||
	    memchr_inv(r->reserved, 0, sizeof(r->reserved)))
		return -EINVAL;
	/*
	 * Only ordinary errnos: not kernel-internal ones (ERESTARTSYS...), and
	 * not EMSGSIZE, which the core reserves for "buffer too small".
	 */
	if (r->status > 0 || r->status < -EHWPOISON || r->status == -EMSGSIZE)
		return -EINVAL;
	if (!r->status && (r->length < 2 || r->length > PAYTERM_RAPDU_MAX))
		return -EINVAL;

	mutex_lock(&vd->lock);
	if (!vd->apdu_pending || vd->apdu_id != r->id) {
		ret = -ENOENT;		/* late or unknown reply */
	} else if (!r->status && r->length > vd->apdu_resp_size) {
		ret = -EMSGSIZE;
	} else {
		if (!r->status)
			memcpy(vd->apdu_resp, data, r->length);
		vd->apdu_resp_len = r->status ? 0 : r->length;
		vd->apdu_status = r->status;
		vd->apdu_pending = false;
		complete(&vd->apdu_done);
	}
	mutex_unlock(&vd->lock);
	return ret;
}

static int virt_key(struct virt_dev *vd, const void *payload, size_t len)
{
	const struct payterm_virt_key *k = payload;
	int ret = 0;

	if (len != sizeof(*k) || k->reserved || !(vd->caps & PAYTERM_CAP_PINPAD))
		return -EINVAL;
	if (k->key > PAYTERM_KEY_ENTER ||
	    (k->key > PAYTERM_KEY_9 && k->key < PAYTERM_KEY_CORRECTION))
		return -EINVAL;

	mutex_lock(&vd->lock);
	if (vd->reader)
		payterm_report_key(vd->reader, k->key);
	else
		ret = -ENODEV;
	mutex_unlock(&vd->lock);
	return ret;
}

static ssize_t virt_write(struct file *file, const char __user *buf,
			  size_t count, loff_t *ppos)
{
	struct virt_dev *vd = file->private_data;
	struct payterm_virt_hdr hdr;
	size_t len;
	u8 *payload;
	int ret;

	if (count < sizeof(hdr) || count > PAYTERM_VIRT_MSG_MAX)
		return -EINVAL;
	if (copy_from_user(&hdr, buf, sizeof(hdr)))
		return -EFAULT;
	len = count - sizeof(hdr);
	if (hdr.length != len)
		return -EINVAL;

	payload = vmemdup_user(buf + sizeof(hdr), len);
	if (IS_ERR(payload))
		return PTR_ERR(payload);

	switch (hdr.type) {
	case PAYTERM_VIRT_CREATE:
		ret = virt_create(vd, payload, len);
		break;
	case PAYTERM_VIRT_DESTROY:
		ret = len ? -EINVAL : virt_destroy(vd);
		break;
	case PAYTERM_VIRT_SWIPE:
		ret = virt_swipe(vd, payload, len);
		break;
	case PAYTERM_VIRT_CARD:
		ret = virt_card(vd, payload, len);
		break;
	case PAYTERM_VIRT_APDU_REPLY:
		ret = virt_apdu_reply(vd, payload, len);
		break;
	case PAYTERM_VIRT_KEY:
		ret = virt_key(vd, payload, len);
		break;
	default:
		ret = -EINVAL;
	}
	kvfree_sensitive(payload, len);
	return ret ? ret : count;
}

static ssize_t virt_read(struct file *file, char __user *buf, size_t count,
			 loff_t *ppos)
{
	struct virt_dev *vd = file->private_data;
	struct virt_msg *msg;
	unsigned long flags;
	int ret;

	for (;;) {
		spin_lock_irqsave(&vd->qlock, flags);
		msg = list_first_entry_or_null(&vd->outq, struct virt_msg, node);
		if (msg && msg->size > count) {
			spin_unlock_irqrestore(&vd->qlock, flags);
			return -EINVAL;		/* buffer too small */
		}
		if (msg) {
			list_del(&msg->node);
			vd->qlen--;
		}
		spin_unlock_irqrestore(&vd->qlock, flags);
		if (msg)
			break;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(vd->waitq,
					       !list_empty_careful(&vd->outq));
		if (ret)
			return ret;
	}

	ret = copy_to_user(buf, msg->data, msg->size) ? -EFAULT : msg->size;
	virt_free_msg(msg);
	return ret;
}

static __poll_t virt_poll(struct file *file, poll_table *wait)
{
	struct virt_dev *vd = file->private_data;

	poll_wait(file, &vd->waitq, wait);
	return EPOLLOUT | EPOLLWRNORM |
	       (list_empty_careful(&vd->outq) ? 0 : EPOLLIN | EPOLLRDNORM);
}

static int virt_open(struct inode *inode, struct file *file)
{
	struct virt_dev *vd;

	vd = kzalloc(sizeof(*vd), GFP_KERNEL);
	if (!vd)
		return -ENOMEM;
	mutex_init(&vd->lock);
	spin_lock_init(&vd->qlock);
	INIT_LIST_HEAD(&vd->outq);
	init_waitqueue_head(&vd->waitq);
	init_completion(&vd->apdu_done);
	file->private_data = vd;
	return stream_open(inode, file);
}

static int virt_release(struct inode *inode, struct file *file)
{
	struct virt_dev *vd = file->private_data;
	struct virt_msg *msg, *tmp;

	virt_destroy(vd);
	list_for_each_entry_safe(msg, tmp, &vd->outq, node)
		virt_free_msg(msg);
	kfree_sensitive(vd);
	return 0;
}

static const struct file_operations virt_fops = {
	.owner = THIS_MODULE,
	.open = virt_open,
	.release = virt_release,
	.read = virt_read,
	.write = virt_write,
	.poll = virt_poll,
};

static struct miscdevice virt_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "payterm-virt",
	.fops = &virt_fops,
};

module_misc_device(virt_misc);

MODULE_DESCRIPTION("payterm: virtual readers from userspace");
MODULE_AUTHOR("payterm developers");
MODULE_LICENSE("GPL");
