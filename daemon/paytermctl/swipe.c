// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermctl: masked summary of fetched magnetic stripe data.  The output
 * holds per-track status and validity, the masked PAN (first 6 / last 4),
 * expiry and service code -- never a full PAN, track, name or
 * discretionary data.
 */
#include <errno.h>
#include <string.h>

#include "paytermctl.h"

const char *track_status_name(unsigned int status)
{
	switch (status) {
	case PAYTERM_TRACK_ABSENT:
		return "absent";
	case PAYTERM_TRACK_OK:
		return "ok";
	case PAYTERM_TRACK_ERROR:
		return "error";
	default:
		return "unknown";
	}
}

json_t *swipe_summary(const struct payterm_swipe *sw)
{
	bool enc = sw->flags & PAYTERM_SWIPE_READER_ENCRYPTED;
	char masked[PTC_MASKED_PAN_SIZE], pan[PTC_PAN_MAX + 1] = "";
	char expiry[5] = "", svc[4] = "", ksn[3 * 16];
	struct ptc_card card;
	json_t *j, *tracks, *t;
	bool mismatch = false;
	unsigned int i;
	size_t len;
	int r;

	j = json_object();
	tracks = json_array();
	json_object_set_new(j, "type", json_string("swipe_data"));
	json_object_set_new(j, "reader_encrypted", json_boolean(enc));
	if (enc && sw->ksn_length && sw->ksn_length <= sizeof(sw->ksn) &&
	    !ptc_hex_encode(sw->ksn, sw->ksn_length, ksn, sizeof(ksn), 0))
		json_object_set_new(j, "ksn", json_string(ksn));

	for (i = 0; i < PAYTERM_TRACKS; i++) {
		const struct payterm_track *tr = &sw->track[i];

		len = tr->length < PAYTERM_TRACK_MAX ? tr->length
						      : PAYTERM_TRACK_MAX;
		t = json_object();
		json_object_set_new(t, "track", json_integer(i + 1));
		json_object_set_new(t, "status",
				    json_string(track_status_name(tr->status)));
		json_object_set_new(t, "length", json_integer(tr->length));
		if (tr->status == PAYTERM_TRACK_OK && !enc && i < 2) {
			r = i == 0 ? ptc_track1_parse((const char *)tr->data,
						     len, &card)
				   : ptc_track2_parse((const char *)tr->data,
						     len, &card);
			json_object_set_new(t, "valid", json_boolean(!r));
			if (r) {
				json_object_set_new(t, "error",
						    json_string(ptc_strerror(r)));
			} else if (!pan[0]) {
				memcpy(pan, card.pan, sizeof(pan));
				memcpy(expiry, card.expiry, sizeof(expiry));
				memcpy(svc, card.service_code, sizeof(svc));
			} else if (strcmp(pan, card.pan) ||
				   strcmp(expiry, card.expiry) ||
				   strcmp(svc, card.service_code)) {
				mismatch = true;
			}
			ptc_card_wipe(&card);
		}
		json_array_append_new(tracks, t);
	}
	json_object_set_new(j, "tracks", tracks);

	if (pan[0] && !ptc_pan_mask(pan, strlen(pan), masked, sizeof(masked))) {
		json_object_set_new(j, "pan", json_string(masked));
		json_object_set_new(j, "expiry", expiry[0] ? json_string(expiry)
							   : json_null());
		json_object_set_new(j, "service_code",
				    svc[0] ? json_string(svc) : json_null());
		json_object_set_new(j, "chip", json_boolean(ptc_service_code_chip(svc)));
		if (mismatch)
			json_object_set_new(j, "tracks_mismatch", json_true());
	}
	ptc_wipe(pan, sizeof(pan));
	ptc_wipe(expiry, sizeof(expiry));
	ptc_wipe(svc, sizeof(svc));
	ptc_wipe(masked, sizeof(masked));
	return j;
}
