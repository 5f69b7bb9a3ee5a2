/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm-server: outbound deliveries with libcurl (blocking; used by the
 * outbox thread only).  Each returns 0 when the receiver accepted it, else
 * -1 with a short reason in err.
 */
#ifndef PS_DELIVER_H
#define PS_DELIVER_H

#include "config.h"

#include <stddef.h>

/* POST body to url with Payterm-Signature (HMAC over "t.body"); 2xx = ok. */
int ps_deliver_webhook(const struct ps_config *c, const char *url,
		       const char *secret, const char *event_id,
		       const char *body, char *err, size_t errcap);
/* SMTP (smtp_url) to one recipient; text/plain. */
int ps_deliver_email(const struct ps_config *c, const char *to,
		     const char *subject, const char *text, char *err,
		     size_t errcap);
/* SMS gateway: GET the URL template with {to} and {text} URL-encoded. */
int ps_deliver_sms(const struct ps_config *c, const char *to, const char *text,
		   char *err, size_t errcap);
/*
 * Whether an outbox kind ("webhook", "email", "sms") can be delivered with
 * this configuration: e-mail needs smtp.url, SMS sms.url_template.  A kind
 * that cannot is never queued, and a queued one is a permanent failure.
 */
int ps_deliver_configured(const struct ps_config *c, const char *kind);
/*
 * The outbox kind that carries a payment request to a payer of this type in
 * addition to the pull queue ("sms" for phone, "email" for email), or NULL:
 * payment codes, and a channel that is not configured (docs/protocol.md,
 * Payment requests).
 */
const char *ps_notice_kind(const struct ps_config *c, const char *payer_type);
/* Template expansion, exposed for tests; malloc'ed result. */
char *ps_sms_url(const char *tmpl, const char *to, const char *text);

#endif
