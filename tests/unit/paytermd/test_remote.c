// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd: the front's transaction in remote mode (txn.c, docs/privsep.md):
 * it follows what the card process reports, decides cancel itself at
 * once, sends END exactly once, approves only with the card process's
 * MAC verdict, and fails cleanly when the card process is lost.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "../../../daemon/paytermd/txn.h"
#include "../check_main.h"

static sd_event *ev;
static struct pd_config cfg;
static int n_start, n_end, n_mac, n_submit, n_finished, n_started, started_err;
static enum pd_mac_check mac_answer;

static int r_start(struct pd_txn *t) { n_start++; return 0; }
static void r_end(struct pd_txn *t) { n_end++; }
static enum pd_mac_check r_mac(struct pd_txn *t, const char *rc,
			       const char *auth, const char *mac)
{
	n_mac++;
	return mac_answer;
}

static const struct pd_txn_remote remote = {
	.start = r_start, .end = r_end, .check_mac = r_mac,
};

static int h_submit(struct pd_txn *t, const struct pd_sealed *s)
{
	n_submit++;
	return 0;
}

static void h_finished(struct pd_txn *t) { n_finished++; }
static void h_started(struct pd_txn *t, int err) { n_started++; started_err = err; }

static const struct pd_txn_hooks hooks = {
	.submit = h_submit, .finished = h_finished, .started = h_started,
};

static struct pd_txn *new_txn(void)
{
	struct pd_request req;
	struct pd_txn *t;

	memset(&req, 0, sizeof(req));
	req.amount = 1234;
	strcpy(req.currency, "978");
	n_start = n_end = n_mac = n_submit = n_finished = n_started = 0;
	mac_answer = PD_MAC_OK;
	t = pd_txn_new(ev, &cfg, NULL, &req, PD_ENTRY_ALL, &hooks, NULL);
	ck_assert_ptr_nonnull(t);
	t->remote = &remote;
	ck_assert_int_eq(pd_txn_start(t), 0);
	ck_assert_int_eq(n_start, 1);
	pd_txn_remote_started(t, 0);
	ck_assert_int_eq(n_started, 1);
	ck_assert_int_eq(started_err, 0);
	return t;
}

static void setup(void)
{
	ck_assert_int_ge(sd_event_new(&ev), 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.entry_modes = PD_ENTRY_ALL;
	cfg.txn_timeout_s = 60;
}

static void teardown(void)
{
	ev = sd_event_unref(ev);
}

static struct pd_sealed sealed(void)
{
	struct pd_sealed s;

	memset(&s, 0, sizeof(s));
	strcpy(s.entry_mode, "901");
	return s;
}

START_TEST(t_flow_approved)
{
	struct pd_txn *t = new_txn();
	struct pd_sealed s = sealed();

	pd_txn_remote_update(t, PD_ST_WAIT_PIN, "swipe", "411111******1111", 2,
			     "Enter PIN");
	ck_assert_int_eq(t->state, PD_ST_WAIT_PIN);
	ck_assert_str_eq(t->masked_pan, "411111******1111");
	ck_assert_uint_eq(t->pin_digits, 2);
	/* SUBMIT and final states come with SEALED / FINISHED, not UPDATE */
	pd_txn_remote_update(t, PD_ST_SUBMIT, "swipe", "411111******1111", 4, "x");
	ck_assert_int_eq(t->state, PD_ST_WAIT_PIN);
	pd_txn_remote_sealed(t, &s);
	ck_assert_int_eq(t->state, PD_ST_SUBMIT);
	ck_assert_int_eq(n_submit, 1);
	ck_assert_str_eq(t->message, "Authorising");
	/* a FINISHED while submitting is ignored: the bank decides */
	pd_txn_remote_finished(t, PD_ST_FAILED, "", "late");
	ck_assert_int_eq(t->state, PD_ST_SUBMIT);
	ck_assert_int_eq(pd_txn_check_resp_mac(t, "00", "A1B2C3", "0011223344556677"),
			 PD_MAC_OK);
	/* one answer per transaction */
	ck_assert_int_eq(pd_txn_check_resp_mac(t, "00", "A1B2C3", "0011223344556677"),
			 PD_MAC_NOKEY);
	ck_assert_int_eq(n_mac, 1);
	pd_txn_submit_result(t, "00", "A1B2C3", "Approved");
	ck_assert_int_eq(t->state, PD_ST_APPROVED);
	ck_assert_int_eq(n_end, 1);
	pd_txn_free(t);
	ck_assert_int_eq(n_end, 1);
}
END_TEST

START_TEST(t_no_approval_without_mac)
{
	struct pd_txn *t = new_txn();
	struct pd_sealed s = sealed();

	pd_txn_remote_sealed(t, &s);
	mac_answer = PD_MAC_BAD;
	ck_assert_int_eq(pd_txn_check_resp_mac(t, "00", "A1", "00"), PD_MAC_BAD);
	pd_txn_submit_result(t, "00", "A1", "Approved");
	ck_assert_int_eq(t->state, PD_ST_FAILED);
	pd_txn_free(t);
}
END_TEST

START_TEST(t_cancel_at_once)
{
	struct pd_txn *t = new_txn();

	pd_txn_remote_update(t, PD_ST_READ_CARD, "", "", 0, "Reading card");
	ck_assert_int_eq(pd_txn_cancel(t, "Cancelled"), 0);
	ck_assert_int_eq(t->state, PD_ST_CANCELLED);
	ck_assert_int_eq(n_end, 1);
	ck_assert_int_eq(n_finished, 1);
	/* what the card process still says afterwards changes nothing */
	pd_txn_remote_update(t, PD_ST_WAIT_PIN, "chip", "476173******0119", 0, "Enter PIN");
	pd_txn_remote_finished(t, PD_ST_FAILED, "", "Card removed");
	ck_assert_int_eq(t->state, PD_ST_CANCELLED);
	ck_assert_str_eq(t->masked_pan, "");
	ck_assert_int_eq(n_finished, 1);
	pd_txn_free(t);
	ck_assert_int_eq(n_end, 1);
}
END_TEST

START_TEST(t_card_side_end)
{
	struct pd_txn *t = new_txn();

	pd_txn_remote_finished(t, PD_ST_DECLINED, "54", "Card expired");
	ck_assert_int_eq(t->state, PD_ST_DECLINED);
	ck_assert_str_eq(t->result_code, "54");
	ck_assert_int_eq(n_end, 1);	/* the card process frees on END */
	pd_txn_free(t);
}
END_TEST

START_TEST(t_lost)
{
	struct pd_txn *t = new_txn();
	struct pd_sealed s = sealed();

	pd_txn_remote_lost(t);
	ck_assert_int_eq(t->state, PD_ST_FAILED);
	ck_assert_str_eq(t->message, "Card reader process ended");
	ck_assert_int_eq(n_end, 0);	/* nobody to tell */
	pd_txn_free(t);

	/* lost while submitting: the submission goes on, nothing approves */
	t = new_txn();
	pd_txn_remote_sealed(t, &s);
	pd_txn_remote_lost(t);
	ck_assert_int_eq(t->state, PD_ST_SUBMIT);
	pd_txn_free(t);
}
END_TEST

START_TEST(t_start_refused)
{
	struct pd_request req;
	struct pd_txn *t;

	memset(&req, 0, sizeof(req));
	t = pd_txn_new(ev, &cfg, NULL, &req, PD_ENTRY_ALL, &hooks, NULL);
	t->remote = &remote;
	n_end = n_started = 0;
	ck_assert_int_eq(pd_txn_start(t), 0);
	pd_txn_remote_started(t, -ENODEV);
	ck_assert_int_eq(started_err, -ENODEV);
	pd_txn_free(t);
	ck_assert_int_eq(n_end, 0);	/* nothing was started there */
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("remote");
	TCase *tc = tcase_create("txn");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_flow_approved);
	tcase_add_test(tc, t_no_approval_without_mac);
	tcase_add_test(tc, t_cancel_at_once);
	tcase_add_test(tc, t_card_side_end);
	tcase_add_test(tc, t_lost);
	tcase_add_test(tc, t_start_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return pt_check_run(suite());
}
