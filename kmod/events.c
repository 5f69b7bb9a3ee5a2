// SPDX-License-Identifier: GPL-2.0
/*
 * payterm per-open-file event rings.
 *
 * Every open file of a reader gets every event.  A ring that fills up
 * turns its last free slot into a PAYTERM_EV_OVERFLOW record whose value
 * counts the events dropped; once the reader drains the ring, new events
 * queue behind that record again.
 */
#include <linux/ktime.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include "payterm_internal.h"

static void payterm_client_push(struct payterm_client *client,
				const struct payterm_event *ev)
{
	unsigned int used = client->head - client->tail;
	struct payterm_event *slot;

	if (used == PAYTERM_RING_SIZE) {
		/* Full: the last record is the overflow marker. */
		slot = &client->ring[(client->head - 1) % PAYTERM_RING_SIZE];
		slot->value++;
		return;
	}

	slot = &client->ring[client->head % PAYTERM_RING_SIZE];
	*slot = *ev;
	if (used == PAYTERM_RING_SIZE - 1) {
		slot->type = PAYTERM_EV_OVERFLOW;
		slot->slot = 0;
		slot->flags = 0;
		slot->value = 1;
	}
	WRITE_ONCE(client->head, client->head + 1);
}

static void payterm_emit_to(struct payterm_reader *reader,
			    struct payterm_client *only, u16 type, u8 slot,
			    u8 flags, s32 value)
{
	struct payterm_client *client;
	struct payterm_event ev = {
		.timestamp_ns = ktime_get_ns(),
		.sequence = reader->sequence++,
		.type = type,
		.slot = slot,
		.flags = flags,
		.value = value,
	};

	lockdep_assert_held(&reader->ev_lock);
	list_for_each_entry(client, &reader->clients, node)
		if (!only || client == only)
			payterm_client_push(client, &ev);
	wake_up_interruptible_poll(&reader->wait, EPOLLIN | EPOLLRDNORM);
}

void payterm_emit_locked(struct payterm_reader *reader, u16 type, u8 slot,
			 u8 flags, s32 value)
{
	payterm_emit_to(reader, NULL, type, slot, flags, value);
}

/*
 * Key-level PIN events go to the claimant only: their timing would tell
 * other openers the rhythm of the cardholder's typing.  Other files see
 * a gap in the sequence numbers.
 */
void payterm_emit_claimant_locked(struct payterm_reader *reader, u16 type,
				  s32 value)
{
	if (reader->claimant)
		payterm_emit_to(reader, reader->claimant, type, 0, 0, value);
}

void payterm_emit(struct payterm_reader *reader, u16 type, u8 slot, u8 flags,
		  s32 value)
{
	unsigned long irqflags;

	spin_lock_irqsave(&reader->ev_lock, irqflags);
	payterm_emit_locked(reader, type, slot, flags, value);
	spin_unlock_irqrestore(&reader->ev_lock, irqflags);
}

bool payterm_client_pop(struct payterm_client *client,
			struct payterm_event *ev)
{
	struct payterm_reader *reader = client->reader;
	unsigned long irqflags;
	bool have;

	spin_lock_irqsave(&reader->ev_lock, irqflags);
	have = client->head != client->tail;
	if (have) {
		*ev = client->ring[client->tail % PAYTERM_RING_SIZE];
		WRITE_ONCE(client->tail, client->tail + 1);
	}
	spin_unlock_irqrestore(&reader->ev_lock, irqflags);
	return have;
}

bool payterm_client_has_events(struct payterm_client *client)
{
	return READ_ONCE(client->head) != READ_ONCE(client->tail);
}
