// SPDX-License-Identifier: GPL-2.0
/*
 * payterm IC card access: power on (ATR), transmit APDUs, power off.  Only
 * the claimant may talk to a card; APDU buffers are wiped after use since
 * responses carry card data.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include "payterm_internal.h"

static bool payterm_has_card_caps(struct payterm_reader *reader)
{
	return reader->caps & (PAYTERM_CAP_ICC | PAYTERM_CAP_PICC);
}

/* Common checks for card ioctls; caller holds reader->mutex. */
static int payterm_card_access(struct payterm_client *client, u8 slot)
{
	struct payterm_reader *reader = client->reader;

	if (reader->dead)
		return -ENODEV;
	if (reader->claimant != client)
		return -EACCES;
	if (slot >= reader->slots)
		return -EINVAL;
	return 0;
}

long payterm_ioctl_power_on(struct payterm_client *client, void __user *arg)
{
	struct payterm_reader *reader = client->reader;
	struct payterm_power power;
	unsigned long flags;
	size_t atr_len = 0;
	u32 gen = 0;
	long ret;

	if (!payterm_has_card_caps(reader))
		return -EOPNOTSUPP;
	if (copy_from_user(&power, arg, sizeof(power)))
		return -EFAULT;
	if (!payterm_mem_is_zero(power.reserved0, sizeof(power.reserved0)) ||
	    !payterm_mem_is_zero(power.reserved, sizeof(power.reserved)))
		return -EINVAL;
	if (!reader->ops->power_on)
		return -EOPNOTSUPP;

	mutex_lock(&reader->mutex);
	ret = payterm_card_access(client, power.slot);
	if (!ret) {
		gen = READ_ONCE(reader->card_gen[power.slot]);
		memset(power.atr, 0, sizeof(power.atr));
		ret = reader->ops->power_on(reader, power.slot, power.atr,
					    &atr_len);
	}
	if (!ret) {
		/* The card may have left while the transport powered it. */
		spin_lock_irqsave(&reader->ev_lock, flags);
		if (reader->card_gen[power.slot] == gen)
			set_bit(power.slot, &reader->powered);
		else
			ret = -ENOMEDIUM;
		spin_unlock_irqrestore(&reader->ev_lock, flags);
		power.atr_length = min_t(size_t, atr_len, PAYTERM_ATR_MAX);
	}
	mutex_unlock(&reader->mutex);
	if (ret)
		return ret;

	payterm_emit(reader, PAYTERM_EV_CARD_POWERED, power.slot, 0, 1);
	if (copy_to_user(arg, &power, sizeof(power)))
		return -EFAULT;
	return 0;
}

/* Caller holds reader->mutex; the reader is alive. */
static int payterm_power_off_slot(struct payterm_reader *reader, u8 slot)
{
	int ret = 0;

	if (reader->ops->power_off)
		ret = reader->ops->power_off(reader, slot);
	clear_bit(slot, &reader->powered);
	payterm_emit(reader, PAYTERM_EV_CARD_POWERED, slot, 0, 0);
	return ret;
}

long payterm_ioctl_power_off(struct payterm_client *client, void __user *arg)
{
	struct payterm_reader *reader = client->reader;
	struct payterm_slot s;
	long ret;

	if (!payterm_has_card_caps(reader))
		return -EOPNOTSUPP;
	if (copy_from_user(&s, arg, sizeof(s)))
		return -EFAULT;
	if (!payterm_mem_is_zero(s.reserved, sizeof(s.reserved)))
		return -EINVAL;

	mutex_lock(&reader->mutex);
	ret = payterm_card_access(client, s.slot);
	if (!ret && test_bit(s.slot, &reader->powered))
		ret = payterm_power_off_slot(reader, s.slot);
	mutex_unlock(&reader->mutex);
	return ret;
}

/* The claim ends: leave no card powered.  Caller holds reader->mutex. */
void payterm_power_off_all(struct payterm_reader *reader)
{
	u8 slot;

	lockdep_assert_held(&reader->mutex);
	for (slot = 0; slot < reader->slots; slot++)
		if (test_bit(slot, &reader->powered))
			payterm_power_off_slot(reader, slot);
}

long payterm_ioctl_transmit(struct payterm_client *client, void __user *arg)
{
	struct payterm_reader *reader = client->reader;
	struct payterm_apdu apdu;
	u8 *capdu = NULL, *rapdu = NULL;
	size_t rlen = 0;
	long ret;

	if (!payterm_has_card_caps(reader))
		return -EOPNOTSUPP;
	if (copy_from_user(&apdu, arg, sizeof(apdu)))
		return -EFAULT;
	if (!payterm_mem_is_zero(apdu.reserved0, sizeof(apdu.reserved0)) ||
	    !payterm_mem_is_zero(apdu.reserved, sizeof(apdu.reserved)))
		return -EINVAL;
	if (apdu.command_length < 4 || apdu.command_length > PAYTERM_APDU_MAX ||
	    apdu.response_length < 2)
		return -EINVAL;
	if (!reader->ops->transmit)
		return -EOPNOTSUPP;

	capdu = vmemdup_user(u64_to_user_ptr(apdu.command), apdu.command_length);
	if (IS_ERR(capdu))
		return PTR_ERR(capdu);
	rapdu = kvzalloc(PAYTERM_RAPDU_MAX, GFP_KERNEL);
	if (!rapdu) {
		ret = -ENOMEM;
		goto out;
	}

	mutex_lock(&reader->mutex);
	ret = payterm_card_access(client, apdu.slot);
	if (!ret && !test_bit(apdu.slot, &reader->powered))
		ret = -EPROTO;
	if (!ret)
		ret = reader->ops->transmit(reader, apdu.slot, capdu,
					    apdu.command_length, rapdu,
					    PAYTERM_RAPDU_MAX, &rlen);
	mutex_unlock(&reader->mutex);
	/* Never restart: the card has seen the APDU (a VERIFY counts). */
	if (ret == -ERESTARTSYS)
		ret = -EINTR;
	if (ret)
		goto out;

	if (rlen < 2 || rlen > PAYTERM_RAPDU_MAX) {
		ret = -EIO;
	} else if (rlen > apdu.response_length) {
		/* Tell the caller how much room the response needs. */
		apdu.response_length = rlen;
		ret = copy_to_user(arg, &apdu, sizeof(apdu)) ? -EFAULT : -EMSGSIZE;
	} else if (copy_to_user(u64_to_user_ptr(apdu.response), rapdu, rlen)) {
		ret = -EFAULT;
	} else {
		apdu.response_length = rlen;
		if (copy_to_user(arg, &apdu, sizeof(apdu)))
			ret = -EFAULT;
	}
out:
	if (!IS_ERR_OR_NULL(capdu))
		kvfree_sensitive(capdu, apdu.command_length);
	if (rapdu)
		kvfree_sensitive(rapdu, PAYTERM_RAPDU_MAX);
	return ret;
}

/**
 * payterm_report_card - a card arrived in or left a slot
 * @reader: the reader
 * @slot: slot number
 * @type: PAYTERM_EV_CARD_INSERTED, _TAPPED or _REMOVED
 * @contactless: the card is in the contactless field
 *
 * Callable from any context.  A removed card is no longer powered.
 */
void payterm_report_card(struct payterm_reader *reader, u8 slot, u16 type,
			 bool contactless)
{
	unsigned long flags;

	if (slot >= reader->slots)
		return;
	spin_lock_irqsave(&reader->ev_lock, flags);
	if (!reader->dead) {
		reader->card_gen[slot]++;
		if (type == PAYTERM_EV_CARD_REMOVED)
			clear_bit(slot, &reader->powered);
		payterm_emit_locked(reader, type, slot,
				    contactless ? PAYTERM_EVF_CONTACTLESS : 0, 0);
	}
	spin_unlock_irqrestore(&reader->ev_lock, flags);
}
EXPORT_SYMBOL_GPL(payterm_report_card);
