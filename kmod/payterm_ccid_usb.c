// SPDX-License-Identifier: GPL-2.0
/*
 * payterm_ccid: USB CCID smart card readers (contact and contactless) as
 * payterm readers.
 *
 * One bulk exchange at a time per reader: a PC_to_RDR message (10-byte
 * header + data) on bulk-out, then RDR_to_PC messages on bulk-in until one
 * carries our bSeq (stale replies of earlier, abandoned exchanges are
 * dropped; time extension requests restart the wait).  The interrupt
 * endpoint's NotifySlotChange reports insertion and removal.  The ISO/IEC
 * 7816-3 protocol logic (T=0, T=1, APDU-level chaining, ATR) lives in
 * ccid_tpdu.c, which has no kernel dependencies.  See docs/ccid.md.
 */
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/usb.h>
#include <linux/workqueue.h>
#include "ccid_tpdu.h"
#include "payterm_compat.h"
#include "payterm_core.h"

#define CCID_CLASS			0x0b
#define CCID_DESC_TYPE			0x21
#define CCID_DESC_LEN			54
#define CCID_HDR			10

/* PC_to_RDR */
#define PC_TO_RDR_SET_PARAMETERS	0x61
#define PC_TO_RDR_ICC_POWER_ON		0x62
#define PC_TO_RDR_ICC_POWER_OFF		0x63
#define PC_TO_RDR_GET_SLOT_STATUS	0x65
#define PC_TO_RDR_XFR_BLOCK		0x6f
#define PC_TO_RDR_ABORT			0x72
/* RDR_to_PC */
#define RDR_TO_PC_DATA_BLOCK		0x80
#define RDR_TO_PC_SLOT_STATUS		0x81
#define RDR_TO_PC_PARAMETERS		0x82
#define RDR_TO_PC_NOTIFY_SLOT_CHANGE	0x50
#define RDR_TO_PC_HARDWARE_ERROR	0x51
/* class request */
#define CCID_REQ_ABORT			0x01

/* bStatus */
#define CCID_ICC_MASK			0x03
#define CCID_ICC_ACTIVE			0x00
#define CCID_ICC_ABSENT			0x02
#define CCID_CMD_MASK			0xc0
#define CCID_CMD_FAILED			0x40
#define CCID_CMD_TIME_EXT		0x80
/* bError */
#define CCID_ERR_ABORTED		0xff
#define CCID_ERR_ICC_MUTE		0xfe
#define CCID_ERR_XFR_PARITY		0xfd
#define CCID_ERR_XFR_OVERRUN		0xfc
#define CCID_ERR_HW			0xfb
#define CCID_ERR_BUSY			0xe0

/* dwFeatures */
#define CCID_F_AUTO_PARAM_ATR		0x00000002
#define CCID_F_AUTO_VOLTAGE		0x00000008
#define CCID_F_AUTO_NEGOTIATE		0x00000040
#define CCID_F_AUTO_PPS			0x00000080
#define CCID_F_AUTO_IFSD		0x00000400
#define CCID_F_LEVEL_TPDU		0x00010000
#define CCID_F_LEVEL_SHORT_APDU		0x00020000
#define CCID_F_LEVEL_EXT_APDU		0x00040000
#define CCID_F_LEVEL_MASK		0x00070000

#define CCID_MSG_MIN			(CCID_HDR + 261)
#define CCID_MSG_MAX			(CCID_HDR + PAYTERM_APDU_MAX)
#define CCID_ABORT_MS			1000
#define CCID_POWER_ON_MS		5000
#define CCID_MAX_STALE			64

static unsigned int min_timeout_ms = 2000;
module_param(min_timeout_ms, uint, 0644);
MODULE_PARM_DESC(min_timeout_ms,
		 "Lower bound of a card command timeout in ms (default 2000)");

static unsigned int poll_ms = 1000;
module_param(poll_ms, uint, 0644);
MODULE_PARM_DESC(poll_ms,
		 "Slot status polling period in ms for readers without a working interrupt endpoint, 0: no polling (default 1000)");

static int test_int_status;
module_param(test_int_status, int, 0600);
MODULE_PARM_DESC(test_int_status,
		 "Tests only: interrupt endpoint completions / resubmissions fail with this status (e.g. -32)");

static uint test_int_count = 1;
module_param(test_int_count, uint, 0600);
MODULE_PARM_DESC(test_int_count,
		 "Tests only: how many times test_int_status applies (default 1)");

static DEFINE_SPINLOCK(ccid_test_lock);

/* Fault injection for tests: the status to fail with, or 0. */
static int ccid_test_fault(void)
{
	unsigned long flags;
	int status;

	if (likely(!READ_ONCE(test_int_status)))
		return 0;
	spin_lock_irqsave(&ccid_test_lock, flags);
	status = test_int_status;
	if (test_int_count > 1) {
		test_int_count--;
	} else {
		test_int_status = 0;
		test_int_count = 1;
	}
	spin_unlock_irqrestore(&ccid_test_lock, flags);
	return status;
}

static char *picc_ids[16];
static int n_picc_ids;
module_param_array(picc_ids, charp, &n_picc_ids, 0444);
MODULE_PARM_DESC(picc_ids,
		 "More contactless readers: VVVV:PPPP[:SLOTMASK] (hex), comma separated");

/*
 * Only readers marked for payterm are bound: any other CCID interface (a
 * token, a second reader) stays with pcscd.  payterm-claim, run by udev for
 * a PAYTERM_ROLE=ccid reader, writes the interface name ("1-2:1.0") to
 * "mark" and then binds it through the driver's sysfs "bind" file.  A mark
 * lasts until "unmark" or until its USB device goes away, so that another
 * reader plugged into the same port later is not taken.
 */
#define CCID_MARKS_MAX		16
#define CCID_MARK_LEN		48	/* "bus-port.port...:config.interface" */

static char ccid_marks[CCID_MARKS_MAX][CCID_MARK_LEN];
static DEFINE_MUTEX(ccid_marks_lock);

/* Apply @fn (add or remove) to each name of a comma/space separated list. */
static int ccid_marks_each(const char *val, int (*fn)(const char *name))
{
	char *copy, *cur, *tok;
	int ret = 0;

	copy = kstrdup(val, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	cur = copy;
	while (!ret && (tok = strsep(&cur, "\n, ")) != NULL) {
		size_t len = strlen(tok);

		if (!len)
			continue;
		/* an interface name: digits, '-', '.' and a ':' */
		if (len >= CCID_MARK_LEN || !strchr(tok, ':') ||
		    strspn(tok, "0123456789-.:") != len) {
			ret = -EINVAL;
			break;
		}
		mutex_lock(&ccid_marks_lock);
		ret = fn(tok);
		mutex_unlock(&ccid_marks_lock);
	}
	kfree(copy);
	return ret;
}

static int ccid_mark_add(const char *name)
{
	int i, unused = -1;

	for (i = 0; i < CCID_MARKS_MAX; i++) {
		if (!strcmp(ccid_marks[i], name))
			return 0;
		if (unused < 0 && !ccid_marks[i][0])
			unused = i;
	}
	if (unused < 0)
		return -ENOSPC;
	strscpy(ccid_marks[unused], name, CCID_MARK_LEN);
	return 0;
}

static int ccid_mark_del(const char *name)
{
	int i;

	for (i = 0; i < CCID_MARKS_MAX; i++)
		if (!strcmp(ccid_marks[i], name))
			ccid_marks[i][0] = '\0';
	return 0;
}

static int ccid_mark_set(const char *val, const struct kernel_param *kp)
{
	return ccid_marks_each(val, ccid_mark_add);
}

static int ccid_unmark_set(const char *val, const struct kernel_param *kp)
{
	return ccid_marks_each(val, ccid_mark_del);
}

static int ccid_mark_get(char *buf, const struct kernel_param *kp)
{
	int i, n = 0;

	mutex_lock(&ccid_marks_lock);
	for (i = 0; i < CCID_MARKS_MAX; i++)
		if (ccid_marks[i][0])
			n += scnprintf(buf + n, PAGE_SIZE - n, "%s\n",
				       ccid_marks[i]);
	mutex_unlock(&ccid_marks_lock);
	return n;
}

static const struct kernel_param_ops ccid_mark_ops = {
	.set = ccid_mark_set,
	.get = ccid_mark_get,
};

static const struct kernel_param_ops ccid_unmark_ops = {
	.set = ccid_unmark_set,
};

module_param_cb(mark, &ccid_mark_ops, NULL, 0644);
MODULE_PARM_DESC(mark,
		 "USB interfaces (e.g. 1-2:1.0) this driver may bind; reading lists them");
module_param_cb(unmark, &ccid_unmark_ops, NULL, 0200);
MODULE_PARM_DESC(unmark, "Forget a marked interface (a bound reader stays bound)");

static bool ccid_marked(struct usb_interface *intf)
{
	const char *name = dev_name(&intf->dev);
	bool found = false;
	int i;

	mutex_lock(&ccid_marks_lock);
	for (i = 0; i < CCID_MARKS_MAX && !found; i++)
		found = !strcmp(ccid_marks[i], name);
	mutex_unlock(&ccid_marks_lock);
	return found;
}

/* A USB device went away: forget the marks of its interfaces ("1-2:..."). */
static int ccid_usb_notify(struct notifier_block *nb, unsigned long action,
			   void *data)
{
	struct usb_device *udev = data;
	const char *dev;
	size_t len;
	int i;

	if (action != USB_DEVICE_REMOVE)
		return NOTIFY_DONE;
	dev = dev_name(&udev->dev);
	len = strlen(dev);
	mutex_lock(&ccid_marks_lock);
	for (i = 0; i < CCID_MARKS_MAX; i++)
		if (!strncmp(ccid_marks[i], dev, len) &&
		    ccid_marks[i][len] == ':')
			ccid_marks[i][0] = '\0';
	mutex_unlock(&ccid_marks_lock);
	return NOTIFY_OK;
}

static struct notifier_block ccid_usb_nb = {
	.notifier_call = ccid_usb_notify,
};

/*
 * Readers whose slots are contactless (bit n of picc_mask: slot n).  ACS
 * readers put the PICC interface at slot 0 and a SAM at slot 1.
 */
static const struct ccid_quirk {
	u16 vendor, product;
	u8 picc_mask;
} ccid_quirks[] = {
	{ 0x072f, 0x2200, 0x01 },	/* ACS ACR122U */
	{ 0x072f, 0x221a, 0x01 },	/* ACS ACR1251 dual reader */
	{ 0x072f, 0x223b, 0x01 },	/* ACS ACR1252U dual reader */
	{ 0x072f, 0x223e, 0x01 },	/* ACS ACR1252 */
	{ 0x072f, 0x223f, 0x01 },	/* ACS ACR1255U-J1 */
	{ 0x076b, 0x5022, 0xff },	/* HID OMNIKEY 5022 CL */
	{ 0x076b, 0x5023, 0xff },	/* HID OMNIKEY 5023 CL */
	{ 0x04e6, 0x5291, 0xff },	/* SCM SCL010 */
	{ 0x04e6, 0x5293, 0xff },	/* SCM SCL01x */
	{ 0x04e6, 0x5790, 0xff },	/* Identiv uTrust 3700 F */
	{ 0x04e6, 0x5791, 0xff },	/* Identiv uTrust 3701 F */
};

struct ccid_dev;

struct ccid_slot {
	struct ccid_dev *cd;
	u8 index;
	bool present;		/* protected by cd->lock */
	bool powered;
	bool picc;		/* a contactless slot (quirk / parameter) */
	bool card_picc;		/* the card in it is contactless */
	unsigned int gen;	/* bumped on every removal */
	unsigned int timeout_ms;
	struct ccid_atr atr;
	struct ccid_proto *proto;
};

struct ccid_dev {
	struct usb_device *udev;
	struct usb_interface *intf;
	struct payterm_reader *reader;

	struct mutex io_mutex;	/* one bulk exchange at a time */
	spinlock_t lock;	/* slot presence, gone */
	wait_queue_head_t wait;
	bool gone;

	unsigned int out_pipe, in_pipe, int_pipe;
	struct urb *out_urb, *in_urb, *int_urb;
	u8 *out_buf, *in_buf, *int_buf;
	size_t msg_max, in_size, int_size;
	bool out_done, in_done;
	/* interrupt endpoint recovery and slot status polling */
	struct ccid_int_errors int_err;	/* under lock */
	bool int_halted;		/* clear the halt before resubmitting */
	struct delayed_work int_work;
	struct delayed_work poll_work;
	int out_status, in_status;
	unsigned int in_actual;
	u8 seq;

	/* class descriptor */
	u8 nslots;
	u8 voltages;
	u32 protocols;
	u32 clock_khz;
	u32 max_ifsd;
	u32 features;
	enum ccid_level level;

	struct ccid_slot slot[PAYTERM_MAX_SLOTS];
	char name[PAYTERM_NAME_MAX];
};

/* ------------------------------------------------------------------ */
/* URBs */

static void ccid_out_complete(struct urb *urb)
{
	struct ccid_dev *cd = urb->context;

	cd->out_status = urb->status;
	/* status before done: pairs with smp_load_acquire() in ccid_wait() */
	smp_store_release(&cd->out_done, true);
	wake_up(&cd->wait);
}

static void ccid_in_complete(struct urb *urb)
{
	struct ccid_dev *cd = urb->context;

	cd->in_status = urb->status;
	cd->in_actual = urb->actual_length;
	/* status and length before done: pairs with ccid_wait() */
	smp_store_release(&cd->in_done, true);
	wake_up(&cd->wait);
}

static void ccid_card_change(struct ccid_dev *cd, unsigned int i,
			     bool present, bool changed)
{
	struct ccid_slot *s = &cd->slot[i];
	unsigned long flags;
	bool was;

	/* from the interrupt URB's completion and from process context */
	spin_lock_irqsave(&cd->lock, flags);
	was = s->present;
	if (was && (!present || changed)) {
		bool picc = s->picc || s->card_picc;

		s->present = false;
		s->powered = false;
		s->card_picc = false;
		WRITE_ONCE(s->gen, s->gen + 1);
		payterm_report_card(cd->reader, i, PAYTERM_EV_CARD_REMOVED,
				    picc);
	}
	if (present && !s->present) {
		s->present = true;
		payterm_report_card(cd->reader, i,
				    s->picc ? PAYTERM_EV_CARD_TAPPED :
					      PAYTERM_EV_CARD_INSERTED,
				    s->picc);
	}
	spin_unlock_irqrestore(&cd->lock, flags);
	if (was != present || changed)
		wake_up(&cd->wait);
}

/*
 * Queue interrupt endpoint recovery or polling, unless unplugged.  The
 * long workqueue: the works wait for io_mutex, i.e. for a card command.
 */
static void ccid_queue(struct ccid_dev *cd, struct delayed_work *work,
		       unsigned int delay_ms)
{
	unsigned long flags;

	spin_lock_irqsave(&cd->lock, flags);
	if (!cd->gone)
		mod_delayed_work(system_long_wq, work, msecs_to_jiffies(delay_ms));
	spin_unlock_irqrestore(&cd->lock, flags);
}

/*
 * An interrupt endpoint error (URB status or resubmission failure): stop,
 * retry later from int_work (clearing a halt first), or give up and poll.
 */
static void ccid_int_error(struct ccid_dev *cd, int status)
{
	enum ccid_int_action act;
	unsigned int delay;
	unsigned long flags;

	spin_lock_irqsave(&cd->lock, flags);
	act = ccid_int_classify(&cd->int_err, status,
				jiffies_to_msecs(jiffies), &delay);
	if (act == CCID_INT_CLEAR_HALT)
		cd->int_halted = true;
	spin_unlock_irqrestore(&cd->lock, flags);

	switch (act) {
	case CCID_INT_PROCESS:
	case CCID_INT_STOP:
		break;
	case CCID_INT_CLEAR_HALT:
	case CCID_INT_RETRY:
		dev_warn_ratelimited(&cd->intf->dev,
				     "interrupt endpoint error %d, resubmitting in %u ms\n",
				     status, delay);
		ccid_queue(cd, &cd->int_work, delay);
		break;
	case CCID_INT_GIVE_UP:
		dev_warn(&cd->intf->dev,
			 "interrupt endpoint error %d, too many in a row: polling slot status%s\n",
			 status, poll_ms ? "" : " (disabled by poll_ms=0)");
		ccid_queue(cd, &cd->poll_work, 0);
		break;
	}
}

static void ccid_int_complete(struct urb *urb)
{
	struct ccid_dev *cd = urb->context;
	const u8 *b = cd->int_buf;
	int status = urb->status;
	unsigned int i;
	int ret;

	if (!status)
		status = ccid_test_fault();
	if (status) {
		ccid_int_error(cd, status);
		return;
	}
	ccid_int_error(cd, 0);		/* a good one: the count starts again */

	if (urb->actual_length >= 1 && b[0] == RDR_TO_PC_NOTIFY_SLOT_CHANGE) {
		for (i = 0; i < cd->nslots; i++) {
			unsigned int byte = 1 + i / 4, shift = (i % 4) * 2;
			u8 bits;

			if (byte >= urb->actual_length)
				break;
			bits = b[byte] >> shift;
			ccid_card_change(cd, i, bits & 1, bits & 2);
		}
	} else if (urb->actual_length >= 4 &&
		   b[0] == RDR_TO_PC_HARDWARE_ERROR) {
		dev_warn_ratelimited(&cd->intf->dev,
				     "hardware error on slot %u: 0x%02x\n",
				     b[1], b[3]);
	}
	ret = usb_submit_urb(urb, GFP_ATOMIC);
	if (ret)
		ccid_int_error(cd, ret);
}

/* ------------------------------------------------------------------ */
/* Bulk exchanges; caller holds io_mutex */

/* What the caller waits for besides the URB. */
struct ccid_watch {
	struct ccid_slot *slot;	/* NULL: not bound to a card */
	unsigned int gen;
};

static bool ccid_card_lost(const struct ccid_watch *w)
{
	return w->slot && READ_ONCE(w->slot->gen) != w->gen;
}

/*
 * Wait for @done until @deadline; 0, or -ETIMEDOUT, -ERESTARTSYS (signal),
 * -ENOMEDIUM (the watched card left), -ENODEV (unplugged).
 */
static int ccid_wait(struct ccid_dev *cd, bool *done, unsigned long deadline,
		     const struct ccid_watch *w, bool interruptible)
{
	long left = (long)(deadline - jiffies), ret;

	if (left <= 0)
		left = 1;
	/* done is set with smp_store_release() by the URB completions */
#define CCID_COND (smp_load_acquire(done) || READ_ONCE(cd->gone) || \
		   ccid_card_lost(w))
	if (interruptible)
		ret = wait_event_interruptible_timeout(cd->wait, CCID_COND,
						       left);
	else
		ret = wait_event_timeout(cd->wait, CCID_COND, left);
#undef CCID_COND
	if (smp_load_acquire(done))	/* see the completions */
		return 0;
	if (READ_ONCE(cd->gone))
		return -ENODEV;
	if (ccid_card_lost(w))
		return -ENOMEDIUM;
	if (ret < 0)
		return -ERESTARTSYS;
	return -ETIMEDOUT;
}

static int ccid_urb_error(struct ccid_dev *cd, int status, unsigned int pipe)
{
	if (READ_ONCE(cd->gone))
		return -ENODEV;
	if (status == -EPIPE) {
		/* stalled: clear the halt so the next exchange can work */
		usb_clear_halt(cd->udev, pipe);
		return -EIO;
	}
	if (status == -ENODEV || status == -ESHUTDOWN || status == -EPROTO)
		return -ENODEV;
	return -EIO;
}

static int ccid_send(struct ccid_dev *cd, size_t len, unsigned long deadline)
{
	static const struct ccid_watch none;
	int ret;

	cd->out_done = false;
	usb_fill_bulk_urb(cd->out_urb, cd->udev, cd->out_pipe, cd->out_buf,
			  len, ccid_out_complete, cd);
	ret = usb_submit_urb(cd->out_urb, GFP_KERNEL);
	if (ret)
		return READ_ONCE(cd->gone) || ret == -EPERM ? -ENODEV : ret;
	ret = ccid_wait(cd, &cd->out_done, deadline, &none, false);
	if (ret) {
		usb_kill_urb(cd->out_urb);
		return ret;
	}
	if (cd->out_status)
		return ccid_urb_error(cd, cd->out_status, cd->out_pipe);
	return 0;
}

/*
 * Receive the reply with @seq.  *@ext is set when a time extension moved
 * the deadline.
 */
static int ccid_recv(struct ccid_dev *cd, u8 slot, u8 seq,
		     unsigned int timeout_ms, const struct ccid_watch *w,
		     bool interruptible)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(timeout_ms);
	unsigned int stale = 0;
	int ret;

	for (;;) {
		const u8 *h = cd->in_buf;
		u32 len;

		cd->in_done = false;
		usb_fill_bulk_urb(cd->in_urb, cd->udev, cd->in_pipe, cd->in_buf,
				  cd->in_size, ccid_in_complete, cd);
		ret = usb_submit_urb(cd->in_urb, GFP_KERNEL);
		if (ret)
			return READ_ONCE(cd->gone) || ret == -EPERM ?
			       -ENODEV : ret;
		ret = ccid_wait(cd, &cd->in_done, deadline, w, interruptible);
		if (ret) {
			usb_kill_urb(cd->in_urb);
			/* the reply may have raced with the timeout */
			if (!smp_load_acquire(&cd->in_done) || cd->in_status)
				return ret;
		}
		if (cd->in_status)
			return ccid_urb_error(cd, cd->in_status, cd->in_pipe);
		if (cd->in_actual < CCID_HDR)
			goto again;	/* zero-length packet */
		if (h[5] != slot || h[6] != seq || h[0] < 0x80)
			goto again;	/* stale reply of an abandoned command */
		if ((h[7] & CCID_CMD_MASK) == CCID_CMD_TIME_EXT) {
			unsigned int mult = h[8] ? h[8] : 1;

			deadline = jiffies +
				   msecs_to_jiffies(timeout_ms * mult);
			continue;
		}
		len = get_unaligned_le32(h + 1);
		if (len > cd->in_actual - CCID_HDR) {
			dev_dbg(&cd->intf->dev, "truncated reply %u > %u\n",
				len, cd->in_actual - CCID_HDR);
			return -EIO;
		}
		return 0;
again:
		if (++stale > CCID_MAX_STALE)
			return -EIO;
	}
}

static void ccid_put_header(struct ccid_dev *cd, u8 type, u8 slot, u8 seq,
			    u32 len, const u8 *params)
{
	u8 *h = cd->out_buf;

	h[0] = type;
	put_unaligned_le32(len, h + 1);
	h[5] = slot;
	h[6] = seq;
	h[7] = params ? params[0] : 0;
	h[8] = params ? params[1] : 0;
	h[9] = params ? params[2] : 0;
}

/* CCID 5.3.1: ABORT class request, then PC_to_RDR_Abort on bulk-out. */
static void ccid_abort(struct ccid_dev *cd, u8 slot)
{
	static const struct ccid_watch none;
	u8 seq = cd->seq++;
	int ret;

	if (READ_ONCE(cd->gone))
		return;
	ret = usb_control_msg(cd->udev, usb_sndctrlpipe(cd->udev, 0),
			      CCID_REQ_ABORT,
			      USB_DIR_OUT | USB_TYPE_CLASS |
			      USB_RECIP_INTERFACE,
			      (seq << 8) | slot,
			      cd->intf->cur_altsetting->desc.bInterfaceNumber,
			      NULL, 0, CCID_ABORT_MS);
	if (ret < 0)
		dev_dbg(&cd->intf->dev, "ABORT request: %d\n", ret);
	ccid_put_header(cd, PC_TO_RDR_ABORT, slot, seq, 0, NULL);
	if (ccid_send(cd, CCID_HDR,
		      jiffies + msecs_to_jiffies(CCID_ABORT_MS)))
		return;
	ccid_recv(cd, slot, seq, CCID_ABORT_MS, &none, false);
}

static int ccid_status_error(struct ccid_dev *cd, const u8 *h)
{
	if ((h[7] & CCID_ICC_MASK) == CCID_ICC_ABSENT)
		return -ENOMEDIUM;
	switch (h[8]) {
	case CCID_ERR_ICC_MUTE:
		return -ETIMEDOUT;
	case CCID_ERR_ABORTED:
		return -EINTR;
	case CCID_ERR_BUSY:
		return -EBUSY;
	case 0x00:
		return -EOPNOTSUPP;	/* command not supported */
	default:
		dev_dbg(&cd->intf->dev, "command failed: bError 0x%02x\n",
			h[8]);
		return -EIO;
	}
}

/*
 * One command: send @type with @data, wait for its reply.  On success the
 * reply header is at cd->in_buf and its data follows.  A timeout, a signal
 * or a card removal aborts the command.
 */
static int ccid_command(struct ccid_dev *cd, u8 slot, u8 type,
			const u8 *params, const u8 *data, size_t len,
			unsigned int timeout_ms, const struct ccid_watch *w)
{
	unsigned long send_deadline;
	u8 seq;
	int ret;

	lockdep_assert_held(&cd->io_mutex);
	if (READ_ONCE(cd->gone))
		return -ENODEV;
	if (len + CCID_HDR > cd->msg_max)
		return -EMSGSIZE;
	if (ccid_card_lost(w))
		return -ENOMEDIUM;

	seq = cd->seq++;
	ccid_put_header(cd, type, slot, seq, len, params);
	if (len)
		memcpy(cd->out_buf + CCID_HDR, data, len);
	send_deadline = jiffies + msecs_to_jiffies(max(timeout_ms, 1000u));
	ret = ccid_send(cd, CCID_HDR + len, send_deadline);
	if (!ret)
		ret = ccid_recv(cd, slot, seq, timeout_ms, w, true);
	if (ret == -ETIMEDOUT || ret == -ERESTARTSYS || ret == -ENOMEDIUM) {
		ccid_abort(cd, slot);
		if (ret == -ERESTARTSYS)
			ret = -EINTR;	/* the card state changed: no restart */
		return ret;
	}
	if (ret)
		return ret;
	/* the reader says the slot is empty: a removal we missed? */
	if ((cd->in_buf[7] & CCID_ICC_MASK) == CCID_ICC_ABSENT &&
	    READ_ONCE(cd->slot[slot].present))
		ccid_card_change(cd, slot, false, false);
	if ((cd->in_buf[7] & CCID_CMD_MASK) == CCID_CMD_FAILED)
		return ccid_status_error(cd, cd->in_buf);
	/* a card command answered for a card that is gone (QEMU flushes) */
	if ((type == PC_TO_RDR_XFR_BLOCK || type == PC_TO_RDR_ICC_POWER_ON) &&
	    (cd->in_buf[7] & CCID_ICC_MASK) == CCID_ICC_ABSENT)
		return -ENOMEDIUM;
	return 0;
}

static u32 ccid_reply_len(struct ccid_dev *cd)
{
	return get_unaligned_le32(cd->in_buf + 1);
}

/* ------------------------------------------------------------------ */
/* The protocol engine's transport: one XfrBlock */

static int ccid_xfer(void *ctx, struct ccid_xfer *x)
{
	struct ccid_slot *s = ctx;
	struct ccid_dev *cd = s->cd;
	struct ccid_watch w = { .slot = s };
	u8 params[3] = { x->bwi, x->level & 0xff, x->level >> 8 };
	unsigned int timeout = s->timeout_ms * (x->bwi ? x->bwi : 1);
	u32 len;
	int ret;

	w.gen = READ_ONCE(s->gen);
	if (!READ_ONCE(s->present))
		return -ENOMEDIUM;
	ret = ccid_command(cd, s->index, PC_TO_RDR_XFR_BLOCK, params, x->tx,
			   x->tx_len, timeout, &w);
	if (ret)
		return ret;
	if (cd->in_buf[0] != RDR_TO_PC_DATA_BLOCK)
		return -EIO;
	len = ccid_reply_len(cd);
	if (len > x->rx_size)
		return -EMSGSIZE;
	memcpy(x->rx, cd->in_buf + CCID_HDR, len);
	x->rx_len = len;
	x->chain = cd->in_buf[9];
	return 0;
}

/* ------------------------------------------------------------------ */
/* Slot status: at probe, after interrupt endpoint trouble, polling */

/* bmICCStatus of @slot (CCID_ICC_*) into *@icc; caller holds io_mutex. */
static int ccid_slot_status_locked(struct ccid_dev *cd, u8 slot, u8 *icc)
{
	static const struct ccid_watch none;
	int ret;

	lockdep_assert_held(&cd->io_mutex);
	ret = ccid_command(cd, slot, PC_TO_RDR_GET_SLOT_STATUS, NULL, NULL, 0,
			   min_timeout_ms, &none);
	if (!ret || ret == -ENOMEDIUM) {
		*icc = cd->in_buf[7] & CCID_ICC_MASK;
		ret = 0;
	}
	return ret;
}

/*
 * Ask the reader what is in @slot and report what changed since we last
 * knew (slot change notifications may have been lost).  A card we powered
 * that the reader now calls inactive was removed and put back (or reset).
 * Caller holds io_mutex.
 */
static int ccid_resync_slot_locked(struct ccid_dev *cd, u8 slot)
{
	struct ccid_slot *s = &cd->slot[slot];
	u8 icc;
	int ret;

	ret = ccid_slot_status_locked(cd, slot, &icc);
	if (ret)
		return ret;
	ccid_card_change(cd, slot, icc != CCID_ICC_ABSENT,
			 icc != CCID_ICC_ABSENT && icc != CCID_ICC_ACTIVE &&
			 s->powered && READ_ONCE(s->present));
	if (icc != CCID_ICC_ACTIVE)
		s->powered = false;
	return 0;
}

static void ccid_resync(struct ccid_dev *cd)
{
	unsigned int i;

	for (i = 0; i < cd->nslots && !READ_ONCE(cd->gone); i++) {
		mutex_lock(&cd->io_mutex);
		ccid_resync_slot_locked(cd, i);
		mutex_unlock(&cd->io_mutex);
	}
}

/* Interrupt endpoint recovery: clear a halt, resubmit, catch up. */
static void ccid_int_work(struct work_struct *work)
{
	struct ccid_dev *cd = container_of(to_delayed_work(work),
					   struct ccid_dev, int_work);
	unsigned long flags;
	bool halted;
	int ret;

	if (READ_ONCE(cd->gone))
		return;
	spin_lock_irqsave(&cd->lock, flags);
	halted = cd->int_halted;
	cd->int_halted = false;
	spin_unlock_irqrestore(&cd->lock, flags);
	if (halted) {
		ret = usb_clear_halt(cd->udev, cd->int_pipe);
		if (ret)
			dev_dbg(&cd->intf->dev,
				"interrupt endpoint clear halt: %d\n", ret);
	}
	ret = ccid_test_fault();
	if (!ret)
		ret = usb_submit_urb(cd->int_urb, GFP_KERNEL);
	if (ret) {
		ccid_int_error(cd, ret);
		return;
	}
	dev_dbg(&cd->intf->dev, "interrupt endpoint resubmitted\n");
	ccid_resync(cd);
}

/* Without a working interrupt endpoint: GetSlotStatus every poll_ms. */
static void ccid_poll_work(struct work_struct *work)
{
	struct ccid_dev *cd = container_of(to_delayed_work(work),
					   struct ccid_dev, poll_work);
	unsigned int period = READ_ONCE(poll_ms);

	if (READ_ONCE(cd->gone) || !period)
		return;
	ccid_resync(cd);
	ccid_queue(cd, &cd->poll_work, max(period, 100u));
}

/* ------------------------------------------------------------------ */
/* Reader operations (process context, core's reader mutex held) */

static int ccid_set_parameters(struct ccid_dev *cd, struct ccid_slot *s,
			       u8 proto, const u8 *atr)
{
	const struct ccid_atr *a = &s->atr;
	struct ccid_watch w = { .slot = s, .gen = READ_ONCE(s->gen) };
	u8 params[3] = { proto, 0, 0 };
	u8 fd = 0x11, data[7];
	size_t len;

	/* without PPS done by the reader, stay at the default speed */
	if (a->specific || (cd->features & CCID_F_AUTO_PPS))
		fd = a->ta1;
	data[0] = fd;
	if (proto == CCID_T1) {
		data[1] = 0x10 | (a->crc ? 1 : 0) | (atr[0] == 0x3f ? 2 : 0);
		data[2] = a->tc1;
		data[3] = (a->bwi << 4) | a->cwi;
		data[4] = 0;
		data[5] = a->ifsc;
		data[6] = 0;
		len = 7;
	} else {
		data[1] = atr[0] == 0x3f ? 2 : 0;
		data[2] = a->tc1;
		data[3] = a->wi;
		data[4] = 0;
		len = 5;
	}
	return ccid_command(cd, s->index, PC_TO_RDR_SET_PARAMETERS, params,
			    data, len, min_timeout_ms, &w);
}

/* Voltage classes to try, lowest first (ISO/IEC 7816-3 6.2.4). */
static int ccid_icc_power_on(struct ccid_dev *cd, struct ccid_slot *s)
{
	static const u8 sel_for_bit[3] = { 1, 2, 3 };	/* 5V, 3V, 1.8V */
	struct ccid_watch w = { .slot = s, .gen = READ_ONCE(s->gen) };
	int i, ret = -EIO;

	if (cd->features & CCID_F_AUTO_VOLTAGE || !(cd->voltages & 7)) {
		u8 params[3] = { 0, 0, 0 };

		return ccid_command(cd, s->index, PC_TO_RDR_ICC_POWER_ON,
				    params, NULL, 0,
				    max(min_timeout_ms, CCID_POWER_ON_MS), &w);
	}
	for (i = 2; i >= 0; i--) {
		u8 params[3] = { sel_for_bit[i], 0, 0 };

		if (!(cd->voltages & (1 << i)))
			continue;
		ret = ccid_command(cd, s->index, PC_TO_RDR_ICC_POWER_ON,
				   params, NULL, 0,
				   max(min_timeout_ms, CCID_POWER_ON_MS), &w);
		if (ret != -EIO && ret != -ETIMEDOUT)
			return ret;
	}
	return ret;
}

static int ccid_power_on(struct payterm_reader *reader, u8 slot, u8 *atr,
			 size_t *atr_len)
{
	struct ccid_dev *cd = payterm_reader_get_drvdata(reader);
	struct ccid_slot *s = &cd->slot[slot];
	u32 len, wait_us;
	u8 proto;
	int ret;

	mutex_lock(&cd->io_mutex);
	if (!READ_ONCE(s->present)) {
		/*
		 * Ask the reader in case an insertion went unnoticed: if so,
		 * it is reported now, and the core fails this call with
		 * -ENOMEDIUM since the slot changed; the next one works.
		 */
		ret = ccid_resync_slot_locked(cd, slot);
		if (!ret || ret == -ETIMEDOUT || ret == -EIO)
			ret = -ENOMEDIUM;
		goto out;
	}
	s->powered = false;
	ret = ccid_icc_power_on(cd, s);
	if (ret)
		goto out;
	len = ccid_reply_len(cd);
	if (len < 2 || len > PAYTERM_ATR_MAX) {
		ret = -EIO;
		goto out;
	}
	memcpy(atr, cd->in_buf + CCID_HDR, len);
	*atr_len = len;

	if (ccid_atr_parse(atr, len, &s->atr)) {
		dev_dbg(&cd->intf->dev, "slot %u: unparsable ATR\n", slot);
		ccid_atr_parse((const u8 *)"\x3b\x00", 2, &s->atr);
	}
	/* the card's first protocol if the reader has it, else the other */
	proto = s->atr.proto;
	if (proto > 1 || !(cd->protocols & BIT(proto))) {
		if ((s->atr.protocols & 1) && (cd->protocols & 1))
			proto = CCID_T0;
		else if ((s->atr.protocols & 2) && (cd->protocols & 2))
			proto = CCID_T1;
		else
			proto = cd->protocols & 1 ? CCID_T0 : CCID_T1;
	}
	if (cd->level == CCID_LEVEL_TPDU &&
	    !(cd->features & (CCID_F_AUTO_NEGOTIATE | CCID_F_AUTO_PPS))) {
		ret = ccid_set_parameters(cd, s, proto, atr);
		if (ret && ret != -EOPNOTSUPP)
			goto out;
	}
	ccid_proto_init(s->proto, ccid_xfer, s, cd->level, &s->atr, proto,
			min_t(u32, cd->max_ifsd, CCID_T1_INF_MAX),
			cd->features & CCID_F_AUTO_IFSD,
			cd->msg_max - CCID_HDR);
	wait_us = proto == CCID_T1 ? ccid_atr_bwt_us(&s->atr, cd->clock_khz) :
				     ccid_atr_wwt_us(&s->atr, cd->clock_khz);
	s->timeout_ms = max(min_timeout_ms, 2 * (wait_us / 1000) + 500);
	if (s->atr.contactless && !s->picc) {
		s->card_picc = true;
		dev_dbg(&cd->intf->dev, "slot %u: contactless card (PC/SC ATR)\n",
			slot);
	}
	s->powered = true;
	ret = 0;
out:
	mutex_unlock(&cd->io_mutex);
	return ret;
}

static int ccid_power_off(struct payterm_reader *reader, u8 slot)
{
	struct ccid_dev *cd = payterm_reader_get_drvdata(reader);
	static const struct ccid_watch none;
	struct ccid_slot *s = &cd->slot[slot];
	int ret;

	mutex_lock(&cd->io_mutex);
	s->powered = false;
	ret = ccid_command(cd, slot, PC_TO_RDR_ICC_POWER_OFF, NULL, NULL, 0,
			   min_timeout_ms, &none);
	mutex_unlock(&cd->io_mutex);
	/* A card that left or a failing reader is off as well. */
	return ret == -ENODEV ? ret : 0;
}

/* Leave no APDU (PIN blocks, card data) in our buffers after an exchange. */
static void ccid_wipe(struct ccid_dev *cd, struct ccid_slot *s)
{
	memzero_explicit(cd->out_buf, cd->msg_max);
	memzero_explicit(cd->in_buf, cd->in_size);
	memzero_explicit(s->proto->tx, sizeof(s->proto->tx));
	memzero_explicit(s->proto->rx, sizeof(s->proto->rx));
}

static int ccid_transmit(struct payterm_reader *reader, u8 slot,
			 const u8 *capdu, size_t capdu_len, u8 *rapdu,
			 size_t rapdu_size, size_t *rapdu_len)
{
	struct ccid_dev *cd = payterm_reader_get_drvdata(reader);
	struct ccid_slot *s = &cd->slot[slot];
	int ret;

	mutex_lock(&cd->io_mutex);
	if (READ_ONCE(cd->gone)) {
		ret = -ENODEV;
	} else if (!READ_ONCE(s->present)) {
		ret = -ENOMEDIUM;
	} else if (!s->powered) {
		ret = -EPROTO;
	} else if ((s->picc || s->card_picc) && capdu[0] == 0xff &&
		   cd->level == CCID_LEVEL_TPDU) {
		/* reader pseudo-APDU (PC/SC part 3, e.g. FF CA get UID) */
		struct ccid_xfer x = {
			.tx = capdu, .tx_len = capdu_len,
			.rx = rapdu, .rx_size = rapdu_size,
		};

		ret = ccid_xfer(s, &x);
		if (!ret && x.rx_len < 2)
			ret = -EIO;
		*rapdu_len = x.rx_len;
	} else {
		ret = ccid_transceive(s->proto, capdu, capdu_len, rapdu,
				      rapdu_size, rapdu_len);
	}
	if (ret == -ENOMEDIUM || ret == -ENODEV)
		s->powered = false;
	ccid_wipe(cd, s);
	mutex_unlock(&cd->io_mutex);
	return ret;
}

static const struct payterm_reader_ops ccid_ops = {
	.power_on = ccid_power_on,
	.power_off = ccid_power_off,
	.transmit = ccid_transmit,
};

/* ------------------------------------------------------------------ */
/* probe / disconnect */

static const u8 *ccid_find_desc(struct usb_interface *intf)
{
	struct usb_host_interface *alt = intf->cur_altsetting;
	const u8 *p;
	int len, i;

	/* in the interface, else (some readers) after an endpoint */
	p = alt->extra;
	len = alt->extralen;
	for (i = -1; i < alt->desc.bNumEndpoints; i++) {
		if (i >= 0) {
			p = alt->endpoint[i].extra;
			len = alt->endpoint[i].extralen;
		}
		while (len >= 2 && p[0] >= 2 && p[0] <= len) {
			if (p[1] == CCID_DESC_TYPE && p[0] >= CCID_DESC_LEN)
				return p;
			len -= p[0];
			p += p[0];
		}
	}
	return NULL;
}

static u8 ccid_picc_mask(struct usb_device *udev)
{
	u16 vid = le16_to_cpu(udev->descriptor.idVendor);
	u16 pid = le16_to_cpu(udev->descriptor.idProduct);
	unsigned int i, v, p, mask;
	int n;

	for (i = 0; i < n_picc_ids && i < ARRAY_SIZE(picc_ids); i++) {
		if (!picc_ids[i])
			continue;
		mask = 0xff;
		n = sscanf(picc_ids[i], "%x:%x:%x", &v, &p, &mask);
		if (n >= 2 && v == vid && p == pid)
			return mask;
	}
	for (i = 0; i < ARRAY_SIZE(ccid_quirks); i++)
		if (ccid_quirks[i].vendor == vid &&
		    ccid_quirks[i].product == pid)
			return ccid_quirks[i].picc_mask;
	return 0;
}

static int ccid_parse_desc(struct ccid_dev *cd)
{
	const u8 *d = ccid_find_desc(cd->intf);
	u32 msg;

	if (!d) {
		dev_err(&cd->intf->dev, "no CCID class descriptor\n");
		return -ENODEV;
	}
	cd->nslots = min(d[4] + 1, PAYTERM_MAX_SLOTS);
	cd->voltages = d[5];
	cd->protocols = get_unaligned_le32(d + 6) & 3;
	cd->clock_khz = get_unaligned_le32(d + 10);
	cd->max_ifsd = get_unaligned_le32(d + 28);
	cd->features = get_unaligned_le32(d + 40);
	msg = get_unaligned_le32(d + 44);

	if (!cd->protocols)
		cd->protocols = 1;
	if (!cd->clock_khz)
		cd->clock_khz = 4000;
	if (!cd->max_ifsd)
		cd->max_ifsd = CCID_T1_INF_MAX;
	switch (cd->features & CCID_F_LEVEL_MASK) {
	case CCID_F_LEVEL_TPDU:
		cd->level = CCID_LEVEL_TPDU;
		break;
	case CCID_F_LEVEL_SHORT_APDU:
		cd->level = CCID_LEVEL_SHORT_APDU;
		break;
	case CCID_F_LEVEL_EXT_APDU:
		cd->level = CCID_LEVEL_EXT_APDU;
		break;
	default:
		dev_err(&cd->intf->dev,
			"character level exchange is not supported (dwFeatures %08x)\n",
			cd->features);
		return -ENODEV;
	}
	cd->msg_max = clamp_t(u32, msg, CCID_MSG_MIN, CCID_MSG_MAX);
	return 0;
}

static void ccid_free(struct ccid_dev *cd)
{
	unsigned int i;

	usb_free_urb(cd->out_urb);
	usb_free_urb(cd->in_urb);
	usb_free_urb(cd->int_urb);
	kfree_sensitive(cd->out_buf);	/* command APDUs: VERIFY has the PIN */
	kfree_sensitive(cd->in_buf);
	kfree(cd->int_buf);
	for (i = 0; i < PAYTERM_MAX_SLOTS; i++)
		kfree_sensitive(cd->slot[i].proto);
	kfree(cd);
}

static int ccid_probe(struct usb_interface *intf,
		      const struct usb_device_id *id)
{
	struct usb_device *udev = interface_to_usbdev(intf);
	struct usb_endpoint_descriptor *ep_in, *ep_out, *ep_int = NULL;
	struct payterm_reader_desc desc = { 0 };
	struct payterm_reader *reader;
	struct ccid_dev *cd;
	unsigned int i, maxp;
	bool any_icc = false, any_picc = false;
	u8 icc[PAYTERM_MAX_SLOTS];
	u8 picc_mask;
	int ret;

	if (!ccid_marked(intf))
		return -ENODEV;		/* not for payterm: pcscd's */

	ret = usb_find_common_endpoints(intf->cur_altsetting, &ep_in, &ep_out,
					&ep_int, NULL);
	if (ret) {
		ret = usb_find_common_endpoints(intf->cur_altsetting, &ep_in,
						&ep_out, NULL, NULL);
		if (ret)
			return -ENODEV;
		ep_int = NULL;
	}

	cd = kzalloc(sizeof(*cd), GFP_KERNEL);
	if (!cd)
		return -ENOMEM;
	cd->udev = udev;
	cd->intf = intf;
	mutex_init(&cd->io_mutex);
	spin_lock_init(&cd->lock);
	init_waitqueue_head(&cd->wait);
	INIT_DELAYED_WORK(&cd->int_work, ccid_int_work);
	INIT_DELAYED_WORK(&cd->poll_work, ccid_poll_work);

	ret = ccid_parse_desc(cd);
	if (ret)
		goto err_free;

	cd->out_pipe = usb_sndbulkpipe(udev, usb_endpoint_num(ep_out));
	cd->in_pipe = usb_rcvbulkpipe(udev, usb_endpoint_num(ep_in));
	maxp = usb_endpoint_maxp(ep_in) ? usb_endpoint_maxp(ep_in) : 64;
	cd->in_size = roundup(cd->msg_max, maxp);
	ret = -ENOMEM;
	cd->out_buf = kmalloc(cd->msg_max, GFP_KERNEL);
	cd->in_buf = kmalloc(cd->in_size, GFP_KERNEL);
	cd->out_urb = usb_alloc_urb(0, GFP_KERNEL);
	cd->in_urb = usb_alloc_urb(0, GFP_KERNEL);
	if (!cd->out_buf || !cd->in_buf || !cd->out_urb || !cd->in_urb)
		goto err_free;
	if (ep_int) {
		cd->int_pipe = usb_rcvintpipe(udev, usb_endpoint_num(ep_int));
		cd->int_size = max_t(unsigned int, usb_endpoint_maxp(ep_int),
				     1 + DIV_ROUND_UP(PAYTERM_MAX_SLOTS, 4));
		cd->int_buf = kzalloc(cd->int_size, GFP_KERNEL);
		cd->int_urb = usb_alloc_urb(0, GFP_KERNEL);
		if (!cd->int_buf || !cd->int_urb)
			goto err_free;
		usb_fill_int_urb(cd->int_urb, udev, cd->int_pipe, cd->int_buf,
				 cd->int_size, ccid_int_complete, cd,
				 ep_int->bInterval);
	}

	picc_mask = ccid_picc_mask(udev);
	for (i = 0; i < cd->nslots; i++) {
		struct ccid_slot *s = &cd->slot[i];

		s->cd = cd;
		s->index = i;
		s->picc = picc_mask & BIT(i);
		s->timeout_ms = min_timeout_ms;
		s->proto = kzalloc(sizeof(*s->proto), GFP_KERNEL);
		if (!s->proto)
			goto err_free;
		if (s->picc)
			any_picc = true;
		else
			any_icc = true;
	}

	/* what is in the slots now: reported once the reader exists */
	for (i = 0; i < cd->nslots; i++) {
		mutex_lock(&cd->io_mutex);
		ret = ccid_slot_status_locked(cd, i, &icc[i]);
		mutex_unlock(&cd->io_mutex);
		if (ret) {
			dev_err(&intf->dev, "GetSlotStatus(%u): %d\n", i, ret);
			goto err_free;
		}
	}

	if (udev->product)
		strscpy(cd->name, udev->product, sizeof(cd->name));
	else
		snprintf(cd->name, sizeof(cd->name), "CCID reader %04x:%04x",
			 le16_to_cpu(udev->descriptor.idVendor),
			 le16_to_cpu(udev->descriptor.idProduct));
	desc.name = cd->name;
	desc.caps = (any_icc ? PAYTERM_CAP_ICC : 0) |
		    (any_picc ? PAYTERM_CAP_PICC : 0);
	desc.bustype = PAYTERM_BUS_USB;
	desc.vendor = le16_to_cpu(udev->descriptor.idVendor);
	desc.product = le16_to_cpu(udev->descriptor.idProduct);
	desc.slots = cd->nslots;
	desc.parent = &intf->dev;
	desc.ops = &ccid_ops;
	desc.driver_data = cd;
	reader = payterm_register_reader(&desc);
	if (IS_ERR(reader)) {
		ret = PTR_ERR(reader);
		goto err_free;
	}
	cd->reader = reader;
	usb_set_intfdata(intf, cd);

	if (cd->int_urb) {
		ret = usb_submit_urb(cd->int_urb, GFP_KERNEL);
		if (ret) {
			dev_err(&intf->dev, "interrupt urb: %d\n", ret);
			usb_set_intfdata(intf, NULL);
			payterm_unregister_reader(reader);
			goto err_free;
		}
	} else {
		ccid_queue(cd, &cd->poll_work, poll_ms);
	}
	/*
	 * Cards already there: CARD_INSERTED (TAPPED on a contactless slot)
	 * for the files open by now.  A NotifySlotChange that came first
	 * made this a no-op.
	 */
	for (i = 0; i < cd->nslots; i++)
		if (icc[i] != CCID_ICC_ABSENT)
			ccid_card_change(cd, i, true, false);
	dev_info(&intf->dev,
		 "payterm%d: %s, %u slot(s), %s level, T=%s%s, max message %zu%s\n",
		 payterm_reader_minor(reader), cd->name, cd->nslots,
		 cd->level == CCID_LEVEL_TPDU ? "TPDU" :
		 cd->level == CCID_LEVEL_SHORT_APDU ? "short APDU" :
						      "extended APDU",
		 cd->protocols & 1 ? "0" : "",
		 cd->protocols == 3 ? ",1" : cd->protocols == 2 ? "1" : "",
		 cd->msg_max, any_picc ? ", contactless" : "");
	return 0;

err_free:
	ccid_free(cd);
	return ret;
}

static void ccid_disconnect(struct usb_interface *intf)
{
	struct ccid_dev *cd = usb_get_intfdata(intf);
	unsigned long flags;

	usb_set_intfdata(intf, NULL);
	spin_lock_irqsave(&cd->lock, flags);
	WRITE_ONCE(cd->gone, true);
	spin_unlock_irqrestore(&cd->lock, flags);
	wake_up_all(&cd->wait);

	/* in-flight exchanges return -ENODEV; no more events */
	usb_poison_urb(cd->int_urb);
	usb_poison_urb(cd->in_urb);
	usb_poison_urb(cd->out_urb);
	/* gone is set: neither completions nor the works queue them again */
	cancel_delayed_work_sync(&cd->int_work);
	cancel_delayed_work_sync(&cd->poll_work);
	payterm_unregister_reader(cd->reader);
	ccid_free(cd);
}

/*
 * Any CCID interface may be bound (through "bind", once marked), but the
 * table is not exported as module aliases: the driver takes no reader by
 * itself, so udev has no reason to load it for every token plugged in;
 * payterm-claim loads it.
 */
static const struct usb_device_id ccid_ids[] = {
	{ USB_INTERFACE_INFO(CCID_CLASS, 0, 0) },
	{ }
};

static struct usb_driver ccid_driver = {
	.name = "payterm_ccid",
	.probe = ccid_probe,
	.disconnect = ccid_disconnect,
	.id_table = ccid_ids,
	.soft_unbind = 1,
	.no_dynamic_id = 1,	/* an id would not make a reader marked */
};

static int __init ccid_init(void)
{
	int ret;

	usb_register_notify(&ccid_usb_nb);
	ret = usb_register(&ccid_driver);
	if (ret)
		usb_unregister_notify(&ccid_usb_nb);
	return ret;
}

static void __exit ccid_exit(void)
{
	usb_deregister(&ccid_driver);
	usb_unregister_notify(&ccid_usb_nb);
}

module_init(ccid_init);
module_exit(ccid_exit);

MODULE_DESCRIPTION("payterm: USB CCID contact and contactless card readers");
MODULE_AUTHOR("payterm developers");
MODULE_LICENSE("GPL");
