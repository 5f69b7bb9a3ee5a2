// SPDX-License-Identifier: GPL-2.0
/*
 * payterm PIN session state machine.
 *
 * The claimant starts a session (min/max length, timeout) on a reader with
 * the pinpad capability; the transport feeds keys through
 * payterm_report_key().  Events carry only digit counts.  ENTER with enough
 * digits makes the PIN fetchable once by PAYTERM_IOC_GET_PIN; every other
 * end (cancel key, timeout, abort, release, unplug) wipes the digits.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include "payterm_internal.h"

/* Caller holds ev_lock.  Ends an active session with @event. */
void payterm_pin_end_locked(struct payterm_reader *reader, u16 event)
{
	struct payterm_pin_session *pin = &reader->pin;

	lockdep_assert_held(&reader->ev_lock);
	WRITE_ONCE(pin->active, false);
	cancel_delayed_work(&reader->pin_timeout);
	if (event == PAYTERM_EV_PIN_ENTERED) {
		pin->ready = true;
		payterm_arm_expiry(&reader->pin_expiry);
	} else {
		payterm_wipe_pin_locked(reader);
	}
	/* The transport's pin_end may sleep: run it from a work item. */
	pin->end_pending = true;
	schedule_work(&reader->pin_end_work);
	payterm_emit_locked(reader, event, 0, 0,
			    event == PAYTERM_EV_PIN_ENTERED ? pin->count : 0);
}

/* Caller holds reader->mutex: call the transport's pin_end if owed. */
static void payterm_pin_end_transport(struct payterm_reader *reader)
{
	unsigned long flags;
	bool pending;

	lockdep_assert_held(&reader->mutex);
	spin_lock_irqsave(&reader->ev_lock, flags);
	pending = reader->pin.end_pending;
	reader->pin.end_pending = false;
	spin_unlock_irqrestore(&reader->ev_lock, flags);
	if (pending && !reader->dead && reader->ops->pin_end)
		reader->ops->pin_end(reader);
}

void payterm_pin_end_work_fn(struct work_struct *work)
{
	struct payterm_reader *reader = container_of(work,
						     struct payterm_reader,
						     pin_end_work);

	mutex_lock(&reader->mutex);
	payterm_pin_end_transport(reader);
	mutex_unlock(&reader->mutex);
}

void payterm_pin_timeout_fn(struct work_struct *work)
{
	struct payterm_reader *reader = container_of(to_delayed_work(work),
						     struct payterm_reader,
						     pin_timeout);
	unsigned long flags;

	spin_lock_irqsave(&reader->ev_lock, flags);
	/* A run left over from an earlier session finds a later deadline. */
	if (reader->pin.active && time_after_eq(jiffies, reader->pin.deadline))
		payterm_pin_end_locked(reader, PAYTERM_EV_PIN_TIMEOUT);
	spin_unlock_irqrestore(&reader->ev_lock, flags);
}

static int payterm_pin_params_check(const struct payterm_pin_params *p)
{
	if (p->reserved0 || !payterm_mem_is_zero(p->reserved,
						 sizeof(p->reserved)))
		return -EINVAL;
	if (p->min_length < PAYTERM_PIN_MIN || p->max_length > PAYTERM_PIN_MAX ||
	    p->min_length > p->max_length)
		return -EINVAL;
	if (!p->timeout_ms || p->timeout_ms > PAYTERM_PIN_TIMEOUT_MAX)
		return -EINVAL;
	return 0;
}

long payterm_ioctl_pin_start(struct payterm_client *client, void __user *arg)
{
	struct payterm_reader *reader = client->reader;
	struct payterm_pin_params params;
	unsigned long flags, timeout;
	long ret;

	if (!(reader->caps & PAYTERM_CAP_PINPAD))
		return -EOPNOTSUPP;
	if (copy_from_user(&params, arg, sizeof(params)))
		return -EFAULT;
	ret = payterm_pin_params_check(&params);
	if (ret)
		return ret;

	mutex_lock(&reader->mutex);
	if (reader->dead) {
		ret = -ENODEV;
		goto out;
	}
	if (reader->claimant != client) {
		ret = -EACCES;
		goto out;
	}
	if (READ_ONCE(reader->pin.active)) {
		ret = -EBUSY;
		goto out;
	}
	payterm_pin_end_transport(reader);
	if (reader->ops->pin_start) {
		ret = reader->ops->pin_start(reader);
		if (ret)
			goto out;
	}

	timeout = msecs_to_jiffies(params.timeout_ms);
	spin_lock_irqsave(&reader->ev_lock, flags);
	payterm_wipe_pin_locked(reader);
	reader->pin.min_length = params.min_length;
	reader->pin.max_length = params.max_length;
	reader->pin.deadline = jiffies + timeout;
	WRITE_ONCE(reader->pin.active, true);
	mod_delayed_work(system_wq, &reader->pin_timeout, timeout);
	payterm_emit_locked(reader, PAYTERM_EV_PIN_STARTED, 0, 0, 0);
	spin_unlock_irqrestore(&reader->ev_lock, flags);
out:
	mutex_unlock(&reader->mutex);
	return ret;
}

long payterm_ioctl_pin_abort(struct payterm_client *client)
{
	struct payterm_reader *reader = client->reader;
	unsigned long flags;
	long ret = 0;

	spin_lock_irqsave(&reader->ev_lock, flags);
	if (reader->claimant != client) {
		ret = -EACCES;
	} else if (reader->pin.active) {
		payterm_pin_end_locked(reader, PAYTERM_EV_PIN_ABORTED);
	} else if (reader->pin.ready) {
		payterm_wipe_pin_locked(reader);
		payterm_emit_locked(reader, PAYTERM_EV_PIN_ABORTED, 0, 0, 0);
	} else {
		ret = -ENOENT;
	}
	spin_unlock_irqrestore(&reader->ev_lock, flags);
	return ret;
}

long payterm_ioctl_get_pin(struct payterm_client *client, void __user *arg)
{
	struct payterm_reader *reader = client->reader;
	struct payterm_pin out;
	unsigned long flags;
	long ret = 0;
	u32 gen = 0;

	memset(&out, 0, sizeof(out));
	spin_lock_irqsave(&reader->ev_lock, flags);
	if (reader->claimant != client) {
		ret = -EACCES;
	} else if (reader->pin.active) {
		ret = -EINPROGRESS;
	} else if (!reader->pin.ready) {
		ret = -ENODATA;
	} else {
		out.length = reader->pin.count;
		memcpy(out.digits, reader->pin.digits, reader->pin.count);
		payterm_wipe_pin_locked(reader);
		gen = reader->payload_gen;
	}
	spin_unlock_irqrestore(&reader->ev_lock, flags);

	if (!ret && copy_to_user(arg, &out, sizeof(out))) {
		/* Bad buffer: keep the PIN for a retry if nothing happened. */
		spin_lock_irqsave(&reader->ev_lock, flags);
		if (reader->payload_gen == gen && !reader->dead &&
		    !reader->pin.active) {
			memcpy(reader->pin.digits, out.digits, out.length);
			reader->pin.count = out.length;
			reader->pin.ready = true;
			payterm_arm_expiry(&reader->pin_expiry);
		}
		spin_unlock_irqrestore(&reader->ev_lock, flags);
		ret = -EFAULT;
	}
	memzero_explicit(&out, sizeof(out));
	return ret;
}

/**
 * payterm_report_key - a key of the PIN keypad was pressed
 * @reader: the reader (pinpad capability)
 * @key: enum payterm_key
 *
 * Keys outside a PIN session are dropped; callable from atomic context.
 */
void payterm_report_key(struct payterm_reader *reader, unsigned int key)
{
	struct payterm_pin_session *pin = &reader->pin;
	unsigned long flags;

	spin_lock_irqsave(&reader->ev_lock, flags);
	if (reader->dead || !pin->active)
		goto out;

	switch (key) {
	case PAYTERM_KEY_0 ... PAYTERM_KEY_9:
		if (pin->count >= pin->max_length) {
			payterm_emit_claimant_locked(reader,
						     PAYTERM_EV_PIN_REJECTED,
						     PAYTERM_PIN_REJ_TOO_LONG);
			break;
		}
		pin->digits[pin->count++] = '0' + key;
		payterm_emit_claimant_locked(reader, PAYTERM_EV_PIN_DIGITS,
					     pin->count);
		break;
	case PAYTERM_KEY_CORRECTION:
		if (pin->count)
			pin->digits[--pin->count] = 0;
		payterm_emit_claimant_locked(reader, PAYTERM_EV_PIN_DIGITS,
					     pin->count);
		break;
	case PAYTERM_KEY_CLEAR:
		payterm_wipe_pin_locked(reader);
		payterm_emit_claimant_locked(reader, PAYTERM_EV_PIN_DIGITS, 0);
		break;
	case PAYTERM_KEY_CANCEL:
		payterm_pin_end_locked(reader, PAYTERM_EV_PIN_CANCELLED);
		break;
	case PAYTERM_KEY_ENTER:
		if (pin->count < pin->min_length)
			payterm_emit_claimant_locked(reader,
						     PAYTERM_EV_PIN_REJECTED,
						     PAYTERM_PIN_REJ_TOO_SHORT);
		else
			payterm_pin_end_locked(reader, PAYTERM_EV_PIN_ENTERED);
		break;
	default:
		break;
	}
out:
	spin_unlock_irqrestore(&reader->ev_lock, flags);
}
EXPORT_SYMBOL_GPL(payterm_report_key);

bool payterm_pin_session_active(struct payterm_reader *reader)
{
	return READ_ONCE(reader->pin.active);
}
EXPORT_SYMBOL_GPL(payterm_pin_session_active);
