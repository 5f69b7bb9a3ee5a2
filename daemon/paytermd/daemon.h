/* SPDX-License-Identifier: GPL-2.0-or-later */
/* paytermd: the daemon object shared by main.c, bus.c, readers.c, submit.c. */
#ifndef PD_DAEMON_H
#define PD_DAEMON_H

#include <curl/curl.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "log.h"
#include "pending.h"
#include "request.h"
#include "txn.h"

#define PD_BUS_NAME		"org.payterm.Terminal1"
#define PD_TERMINAL_PATH	"/org/payterm/Terminal1"
#define PD_READER_PREFIX	"/org/payterm/Reader"
#define PD_TXN_PREFIX		PD_LOG_TXN_PREFIX	/* log.h */
#define PD_ROOT_PATH		"/org/payterm"

struct pd_reader {
	struct pd_reader *next;
	char sysname[32];		/* payterm0 */
	char devnode[64];		/* /dev/payterm0 */
	char path[96];			/* D-Bus object path */
	char name[PAYTERM_NAME_MAX + 1];
	uint32_t caps;
	char bus[16];
	uint16_t vendor, product;
	uint8_t slots;
	sd_bus_slot *slot;
};

struct pd_txnobj {
	struct pd_txnobj *next;
	struct pd_daemon *d;
	struct pd_txn *txn;
	char path[64];
	char *owner;			/* unique bus name of the caller */
	uid_t owner_uid;		/* its unix user (owner_uid_known) */
	bool owner_uid_known;
	sd_bus_track *track;
	sd_bus_slot *slot;
	sd_event_source *linger;
	struct pd_submit *submit;
	sd_bus_message *start_msg;	/* StartPayment, until the card process answers */
};

struct pd_daemon {
	sd_event *event;
	sd_bus *bus;
	struct pd_config cfg;
	const char *config_path;
	/* the key store is the card process's; the front knows its state */
	struct pd_cardc *cardc;
	bool keys_ready, keys_aes;
	bool keys_tls;			/* the card process holds the TLS client key */
	unsigned keys_dk_type;		/* enum pt_key_type */
	EVP_PKEY *request_key;
	struct pd_used *used;
	struct pd_reader *readers;
	struct pd_txnobj *txns;
	struct pd_txnobj *active;
	struct pd_http *http;
	struct pd_pull *pull;		/* NULL when [server] pull is off */
	struct pd_pending_list pending;	/* requests from the pull queue */
	sd_event_source *pending_timer;	/* next expiry of a pending request */
	void *udev, *monitor;		/* struct udev *, struct udev_monitor * */
	sd_event_source *monitor_src;
	bool polkit;			/* polkit is on the bus */
	bool stopping;
};

/* bus.c */
int pd_bus_setup(struct pd_daemon *d);
void pd_bus_reader_added(struct pd_daemon *d, struct pd_reader *r);
void pd_bus_reader_removed(struct pd_daemon *d, struct pd_reader *r);
void pd_bus_free_txns(struct pd_daemon *d);

void pd_bus_request_received(struct pd_daemon *d, const struct pd_pending *p);
/* The pending list changed (or may have: expiry, use); re-arms its timer. */
void pd_bus_pending_changed(struct pd_daemon *d);

/* Is @r one of the readers a payment with @modes uses? */
bool pd_bus_reader_selected(const struct pd_config *c, const struct pd_reader *r,
			    unsigned modes);

/* card_client.c: the card process (docs/privsep.md) */
int pd_cardc_start(struct pd_daemon *d);
void pd_cardc_stop(struct pd_daemon *d);
int pd_cardc_reload(struct pd_daemon *d);
/* ECDSA-sign a TLS handshake digest with the card process's client key:
 * DER into @sig (*@siglen: its size in, the length out).  0 or -errno. */
int pd_cardc_sign(struct pd_daemon *d, const uint8_t *dgst, size_t len,
		  uint8_t *sig, size_t *siglen);
extern const struct pd_txn_remote pd_cardc_remote;

/* readers.c */
int pd_readers_start(struct pd_daemon *d);
void pd_readers_stop(struct pd_daemon *d);
struct pd_reader *pd_reader_find_devnode(struct pd_daemon *d, const char *node);

/* submit.c */
int pd_http_new(struct pd_daemon *d, struct pd_http **out, char *err,
		size_t errlen);
void pd_http_free(struct pd_http *h);
/* Submit a sealed transaction (txn hooks); result via pd_txn_submit_*. */
int pd_submit_start(struct pd_txnobj *o, const struct pd_sealed *s);
void pd_submit_detach(struct pd_txnobj *o);

/* An exchange on the shared curl multi handle: CURLOPT_PRIVATE points to
 * this (first member of the owner); done() when the transfer ends. */
struct pd_http_user {
	void (*done)(struct pd_http_user *u, CURLcode cc);
};
/* An easy handle with the TLS settings of docs/dbus-api.md "Submission". */
CURL *pd_http_easy(struct pd_http *h, const char *url_path, long timeout_s,
		   struct pd_http_user *u, char *errbuf);
int pd_http_add(struct pd_http *h, CURL *e);
void pd_http_remove(struct pd_http *h, CURL *e);

/* pull.c: long poll of GET /v1/terminal/requests when [server] pull = yes
 * and the request key is loaded; idempotent. */
int pd_pull_start(struct pd_daemon *d);
void pd_pull_stop(struct pd_daemon *d);

#endif
