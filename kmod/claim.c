// SPDX-License-Identifier: GPL-2.0
/*
 * payterm exclusive claim and sensitive payloads.
 *
 * One open file at a time may claim a reader (like EVIOCGRAB).  Only the
 * claimant receives card data: a swipe is stored only while a claim is
 * held, is fetched once, and is wiped after the fetch, when the claim
 * ends, on unplug, and when nobody fetches it within
 * payload_timeout_ms (the swipe and the PIN each have their own deadline).
 */
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include "payterm_internal.h"

static unsigned int payload_timeout_ms = 30000;
module_param(payload_timeout_ms, uint, 0644);
MODULE_PARM_DESC(payload_timeout_ms,
		 "Wipe unfetched card data and PINs after this many ms (default 30000)");

long payterm_ioctl_claim(struct payterm_client *client)
{
	struct payterm_reader *reader = client->reader;
	unsigned long flags;
	long ret = 0;

	mutex_lock(&reader->mutex);
	spin_lock_irqsave(&reader->ev_lock, flags);
	if (reader->dead) {
		ret = -ENODEV;
	} else if (reader->claimant && reader->claimant != client) {
		ret = -EBUSY;
	} else if (!reader->claimant) {
		reader->claimant = client;
		reader->payload_gen++;
		payterm_emit_locked(reader, PAYTERM_EV_CLAIMED, 0, 0, 0);
	}
	spin_unlock_irqrestore(&reader->ev_lock, flags);
	mutex_unlock(&reader->mutex);
	return ret;
}

static void payterm_wipe_swipe_locked(struct payterm_reader *reader)
{
	if (reader->swipe)
		memzero_explicit(reader->swipe, sizeof(*reader->swipe));
	reader->swipe_ready = false;
	reader->payload_gen++;
}

void payterm_wipe_pin_locked(struct payterm_reader *reader)
{
	memzero_explicit(reader->pin.digits, sizeof(reader->pin.digits));
	reader->pin.count = 0;
	reader->pin.ready = false;
	reader->payload_gen++;
}

/* Wipe all card data and PIN digits; no PIN session may be active. */
void payterm_wipe_payloads_locked(struct payterm_reader *reader)
{
	lockdep_assert_held(&reader->ev_lock);
	payterm_wipe_swipe_locked(reader);
	payterm_wipe_pin_locked(reader);
}

/*
 * End the claim of @client: abort its PIN session, power its cards down,
 * wipe everything it could have fetched.  Caller holds reader->mutex.
 */
static void payterm_end_claim(struct payterm_client *client)
{
	struct payterm_reader *reader = client->reader;
	unsigned long flags;

	lockdep_assert_held(&reader->mutex);
	if (!reader->dead)
		payterm_power_off_all(reader);

	spin_lock_irqsave(&reader->ev_lock, flags);
	if (reader->pin.active)
		payterm_pin_end_locked(reader, PAYTERM_EV_PIN_ABORTED);
	payterm_wipe_payloads_locked(reader);
	reader->claimant = NULL;
	payterm_emit_locked(reader, PAYTERM_EV_RELEASED, 0, 0, 0);
	spin_unlock_irqrestore(&reader->ev_lock, flags);
}

long payterm_ioctl_release(struct payterm_client *client)
{
	struct payterm_reader *reader = client->reader;
	long ret = 0;

	mutex_lock(&reader->mutex);
	if (reader->claimant != client)
		ret = -EINVAL;
	else
		payterm_end_claim(client);
	mutex_unlock(&reader->mutex);
	return ret;
}

/* Called from release(): drop the claim if this file holds it. */
void payterm_release_claim(struct payterm_client *client)
{
	struct payterm_reader *reader = client->reader;

	mutex_lock(&reader->mutex);
	if (reader->claimant == client)
		payterm_end_claim(client);
	mutex_unlock(&reader->mutex);
}

/* (Re)start the deadline of one payload; callable in atomic context. */
void payterm_arm_expiry(struct delayed_work *work)
{
	mod_delayed_work(system_wq, work,
			 msecs_to_jiffies(READ_ONCE(payload_timeout_ms)));
}

void payterm_swipe_expiry_fn(struct work_struct *work)
{
	struct payterm_reader *reader = container_of(to_delayed_work(work),
						     struct payterm_reader,
						     swipe_expiry);
	unsigned long flags;

	spin_lock_irqsave(&reader->ev_lock, flags);
	if (reader->swipe_ready) {
		payterm_wipe_swipe_locked(reader);
		payterm_emit_locked(reader, PAYTERM_EV_PAYLOAD_EXPIRED, 0, 0, 0);
	}
	spin_unlock_irqrestore(&reader->ev_lock, flags);
}

void payterm_pin_expiry_fn(struct work_struct *work)
{
	struct payterm_reader *reader = container_of(to_delayed_work(work),
						     struct payterm_reader,
						     pin_expiry);
	unsigned long flags;

	spin_lock_irqsave(&reader->ev_lock, flags);
	if (reader->pin.ready) {
		payterm_wipe_pin_locked(reader);
		payterm_emit_locked(reader, PAYTERM_EV_PAYLOAD_EXPIRED, 0, 0, 0);
	}
	spin_unlock_irqrestore(&reader->ev_lock, flags);
}

static u32 payterm_swipe_ok_mask(const struct payterm_swipe *swipe)
{
	u32 mask = 0;
	int i;

	for (i = 0; i < PAYTERM_TRACKS; i++)
		if (swipe->track[i].status == PAYTERM_TRACK_OK)
			mask |= 1U << i;
	return mask;
}

/**
 * payterm_report_swipe - a card was swiped
 * @reader: the reader
 * @swipe: tracks as read; copied, never kept by the caller's buffer
 *
 * The data is kept for the claimant only; without a claim it is dropped
 * and only the event (tracks present, no data) is reported.  A swipe with
 * no readable track is reported as PAYTERM_EV_SWIPE_ERROR.
 */
void payterm_report_swipe(struct payterm_reader *reader,
			  const struct payterm_swipe *swipe)
{
	bool encrypted = swipe->flags & PAYTERM_SWIPE_READER_ENCRYPTED;
	u32 mask = payterm_swipe_ok_mask(swipe);
	unsigned long flags;
	u8 evflags = 0;

	if (!mask) {
		payterm_report_swipe_error(reader);
		return;
	}
	if (encrypted)
		evflags |= PAYTERM_EVF_READER_ENCRYPTED;

	spin_lock_irqsave(&reader->ev_lock, flags);
	if (reader->dead) {
		spin_unlock_irqrestore(&reader->ev_lock, flags);
		return;
	}
	if (reader->claimant && reader->swipe) {
		/* A newer swipe replaces an unfetched one. */
		memcpy(reader->swipe, swipe, sizeof(*swipe));
		reader->swipe_ready = true;
		reader->payload_gen++;
		evflags |= PAYTERM_EVF_DATA_READY;
		payterm_arm_expiry(&reader->swipe_expiry);
	}
	payterm_emit_locked(reader, PAYTERM_EV_SWIPE, 0, evflags, mask);
	spin_unlock_irqrestore(&reader->ev_lock, flags);
}
EXPORT_SYMBOL_GPL(payterm_report_swipe);

void payterm_report_swipe_error(struct payterm_reader *reader)
{
	unsigned long flags;

	spin_lock_irqsave(&reader->ev_lock, flags);
	if (!reader->dead)
		payterm_emit_locked(reader, PAYTERM_EV_SWIPE_ERROR, 0, 0, 0);
	spin_unlock_irqrestore(&reader->ev_lock, flags);
}
EXPORT_SYMBOL_GPL(payterm_report_swipe_error);

long payterm_ioctl_get_swipe(struct payterm_client *client, void __user *arg)
{
	struct payterm_reader *reader = client->reader;
	struct payterm_swipe *copy;
	unsigned long flags;
	long ret = 0;
	u32 gen = 0;

	if (!(reader->caps & PAYTERM_CAP_MSR))
		return -EOPNOTSUPP;
	copy = kzalloc(sizeof(*copy), GFP_KERNEL);
	if (!copy)
		return -ENOMEM;

	spin_lock_irqsave(&reader->ev_lock, flags);
	if (reader->claimant != client) {
		ret = -EACCES;
	} else if (!reader->swipe_ready) {
		ret = -ENODATA;
	} else {
		memcpy(copy, reader->swipe, sizeof(*copy));
		payterm_wipe_swipe_locked(reader);
		gen = reader->payload_gen;
	}
	spin_unlock_irqrestore(&reader->ev_lock, flags);

	if (!ret && copy_to_user(arg, copy, sizeof(*copy))) {
		/*
		 * Bad buffer: keep the data for a retry, unless anything
		 * (a new swipe, a wipe, a claim change) happened meanwhile.
		 */
		spin_lock_irqsave(&reader->ev_lock, flags);
		if (reader->payload_gen == gen && !reader->dead) {
			memcpy(reader->swipe, copy, sizeof(*copy));
			reader->swipe_ready = true;
			payterm_arm_expiry(&reader->swipe_expiry);
		}
		spin_unlock_irqrestore(&reader->ev_lock, flags);
		ret = -EFAULT;
	}
	kfree_sensitive(copy);
	return ret;
}
