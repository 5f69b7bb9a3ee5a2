/* SPDX-License-Identifier: GPL-2.0 */
/*
 * payterm core internals shared by core.c, events.c, claim.c, pin.c and
 * card.c.  Transport modules use payterm_core.h only.
 */
#ifndef _PAYTERM_INTERNAL_H
#define _PAYTERM_INTERNAL_H

#include <linux/cdev.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include "payterm_core.h"

#define PAYTERM_RING_SIZE	256	/* events per open file, power of 2 */
#define PAYTERM_MAX_CLIENTS	64	/* open files per reader */

struct payterm_client;

struct payterm_pin_session {
	bool active;		/* keys are being collected */
	bool ready;		/* ENTER accepted; digits await the fetch */
	bool end_pending;	/* transport's pin_end still to be called */
	u8 min_length;
	u8 max_length;
	u8 count;
	u8 digits[PAYTERM_PIN_MAX];
	unsigned long deadline;	/* jiffies; a stale timeout work checks it */
};

struct payterm_reader {
	struct device dev;
	struct cdev cdev;
	int minor;

	/* Immutable after registration. */
	char name[PAYTERM_NAME_MAX];
	u32 caps;
	u16 bustype;
	u16 vendor;
	u16 product;
	u8 slots;
	const struct payterm_reader_ops *ops;
	void *driver_data;

	/*
	 * mutex serialises ioctls that change state or call into the
	 * transport; "dead" is set under it (and under ev_lock) at
	 * unregistration, after which no transport operation is called.
	 */
	struct mutex mutex;
	bool dead;
	unsigned long powered;	/* bitmask of powered slots (atomic bitops) */

	/*
	 * ev_lock (irq-safe) protects the client list, every client's ring,
	 * the claimant pointer, the sequence counter and the sensitive
	 * payloads, since transports report from atomic context.
	 */
	spinlock_t ev_lock;
	struct list_head clients;
	unsigned int nclients;
	struct payterm_client *claimant;
	u32 sequence;
	wait_queue_head_t wait;

	struct payterm_swipe *swipe;	/* preallocated for MSR readers */
	bool swipe_ready;
	struct payterm_pin_session pin;
	/*
	 * Bumped whenever payloads are wiped or the claim changes, so a
	 * payload handed back after a failed copy-out is restored only if
	 * nothing happened meanwhile.
	 */
	u32 payload_gen;
	/* Bumped on every card arrival/removal, per slot (power-on races). */
	u32 card_gen[PAYTERM_MAX_SLOTS];

	struct delayed_work swipe_expiry;
	struct delayed_work pin_expiry;
	struct delayed_work pin_timeout;
	struct work_struct pin_end_work;
};

struct payterm_client {
	struct payterm_reader *reader;
	struct list_head node;
	unsigned int head;	/* free-running; ring index = head % size */
	unsigned int tail;
	struct payterm_event ring[PAYTERM_RING_SIZE];
};

/* events.c */
void payterm_emit_locked(struct payterm_reader *reader, u16 type, u8 slot,
			 u8 flags, s32 value);
void payterm_emit_claimant_locked(struct payterm_reader *reader, u16 type,
				  s32 value);
void payterm_emit(struct payterm_reader *reader, u16 type, u8 slot, u8 flags,
		  s32 value);
bool payterm_client_pop(struct payterm_client *client,
			struct payterm_event *ev);
bool payterm_client_has_events(struct payterm_client *client);

/* claim.c */
long payterm_ioctl_claim(struct payterm_client *client);
long payterm_ioctl_release(struct payterm_client *client);
void payterm_release_claim(struct payterm_client *client);
long payterm_ioctl_get_swipe(struct payterm_client *client, void __user *arg);
void payterm_wipe_payloads_locked(struct payterm_reader *reader);
void payterm_wipe_pin_locked(struct payterm_reader *reader);
void payterm_arm_expiry(struct delayed_work *work);
void payterm_swipe_expiry_fn(struct work_struct *work);
void payterm_pin_expiry_fn(struct work_struct *work);

/* pin.c */
long payterm_ioctl_pin_start(struct payterm_client *client,
			     void __user *arg);
long payterm_ioctl_pin_abort(struct payterm_client *client);
long payterm_ioctl_get_pin(struct payterm_client *client, void __user *arg);
void payterm_pin_end_locked(struct payterm_reader *reader, u16 event);
void payterm_pin_timeout_fn(struct work_struct *work);
void payterm_pin_end_work_fn(struct work_struct *work);

/* card.c */
long payterm_ioctl_power_on(struct payterm_client *client, void __user *arg);
long payterm_ioctl_power_off(struct payterm_client *client,
			     void __user *arg);
long payterm_ioctl_transmit(struct payterm_client *client, void __user *arg);
void payterm_power_off_all(struct payterm_reader *reader);

static inline bool payterm_mem_is_zero(const void *p, size_t n)
{
	return !memchr_inv(p, 0, n);
}

static inline bool payterm_is_dead(struct payterm_reader *reader)
{
	return READ_ONCE(reader->dead);
}

#endif /* _PAYTERM_INTERNAL_H */
