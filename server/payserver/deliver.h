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
/* Template expansion, exposed for tests; malloc'ed result. */
char *ps_sms_url(const char *tmpl, const char *to, const char *text);

#endif
