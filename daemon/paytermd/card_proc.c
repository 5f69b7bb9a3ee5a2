// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd: the card process.  It runs the card side of struct pd_txn
 * (txn.c, card.c, emv*.c, seal.c unchanged) on its own sd-event loop; the
 * transaction hooks turn into messages to the front: UPDATE for what the
 * bus shows, SEALED for the submission material, FINISHED for an end
 * decided here.  The front's END frees the transaction (release, wipe);
 * it is never freed from inside a hook, which txn.c still runs in.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "payterm_crypto.h"
#include "card_proc.h"
#include "card_sign.h"
#include "log.h"
#include "privsep_proto.h"
#include "sandbox.h"
#include "secure.h"
#include "txn.h"

struct cp {
	sd_event *event;
	struct pd_config *cfg;
	struct pt_keystore *ks;
	struct pd_txn *txn;
	int fd;
};

static void cp_send(struct cp *c, const struct pp_msg *m)
{
	uint8_t buf[PP_MSG_MAX];
	int n = pp_encode(m, buf, sizeof(buf));

	if (n < 0) {
		log_err("cannot encode %s", pp_type_name(m->type));
		return;
	}
	/* the front reads at once; a dead front ends us via EOF */
	if (send(c->fd, buf, (size_t)n, MSG_NOSIGNAL) != n)
		log_warn("send %s: %m", pp_type_name(m->type));
	pd_wipe(buf, sizeof(buf));
}

/* ---------------- keys ---------------- */

static void close_keys(struct cp *c)
{
	if (c->ks)
		pt_ks_close(c->ks);
	c->ks = NULL;
}

/* The key store checks of the single-process daemon: KEK, an initial key
 * loaded, a PIN block format that suits it.  -ENOMEM: no locked memory. */
static int open_keys(struct cp *c)
{
	const char *creds = getenv("CREDENTIALS_DIRECTORY");
	char kekpath[512];
	uint8_t *kek;
	int r;

	close_keys(c);
	if (c->cfg->kek_file)
		snprintf(kekpath, sizeof(kekpath), "%s", c->cfg->kek_file);
	else if (creds)
		snprintf(kekpath, sizeof(kekpath), "%s/payterm-kek", creds);
	else
		snprintf(kekpath, sizeof(kekpath), "/etc/payterm/kek");
	kek = pd_secure_alloc(PT_KEK_LEN);
	if (!kek) {
		log_err("cannot allocate locked memory for the KEK");
		return -ENOMEM;
	}
	r = pt_kek_read_file(kekpath, kek);
	if (r)
		log_err("KEK %s: %s", kekpath, pt_strerror(r));
	else if ((r = pt_ks_open(c->cfg->keystore, kek, &c->ks)))
		log_err("key store %s: %s", c->cfg->keystore, pt_strerror(r));
	pd_secure_free(kek, PT_KEK_LEN);
	if (r == PT_ERR_NOLOCK)
		return -ENOMEM;
	if (c->ks && pt_ks_dev(c->ks)->kind == PT_DUKPT_NONE) {
		log_err("key store %s: no initial key loaded", c->cfg->keystore);
		close_keys(c);
	}
	if (c->ks) {
		bool aes = pt_ks_dev(c->ks)->kind == PT_DUKPT_AES;
		int f = c->cfg->pin_block_format;

		if (f >= 0 && ((aes && f != 4) || (!aes && f == 4))) {
			log_err("[keys] pin_block_format %d does not suit the %s "
				"DUKPT key in %s", f, aes ? "AES" : "TDES",
				c->cfg->keystore);
			close_keys(c);
		} else {
			log_info("key store %s: %s DUKPT", c->cfg->keystore,
				 aes ? "AES" : "TDES");
		}
	}
	return 0;
}

static void send_keys(struct cp *c)
{
	struct pp_msg m = { .type = PP_KEYS };

	if (c->ks) {
		const struct pt_dukpt_dev *dev = pt_ks_dev(c->ks);

		m.u.keys.ready = 1;
		m.u.keys.aes = dev->kind == PT_DUKPT_AES;
		m.u.keys.dk_type = (uint8_t)dev->dk_type;
	}
	m.u.keys.tls_key = pd_card_sign_loaded();
	cp_send(c, &m);
}

/* ---------------- transaction hooks ---------------- */

static void hook_changed(struct pd_txn *t, unsigned props)
{
	struct cp *c = t->user;
	struct pp_msg m = { .type = PP_UPDATE, .txn = t->id };

	m.u.update.state = (uint8_t)t->state;
	snprintf(m.u.update.entry_mode, sizeof(m.u.update.entry_mode), "%s",
		 t->entry_mode);
	snprintf(m.u.update.masked_pan, sizeof(m.u.update.masked_pan), "%s",
		 t->masked_pan);
	m.u.update.pin_digits = (uint8_t)(t->pin_digits > 12 ? 12 : t->pin_digits);
	snprintf(m.u.update.message, sizeof(m.u.update.message), "%s",
		 t->message);
	cp_send(c, &m);
}

static void hook_finished(struct pd_txn *t)
{
	struct cp *c = t->user;
	struct pp_msg m = { .type = PP_FINISHED, .txn = t->id };

	m.u.finished.state = (uint8_t)t->state;
	snprintf(m.u.finished.result_code, sizeof(m.u.finished.result_code),
		 "%s", t->result_code);
	snprintf(m.u.finished.message, sizeof(m.u.finished.message), "%s",
		 t->message);
	cp_send(c, &m);
}

static int hook_submit(struct pd_txn *t, const struct pd_sealed *s)
{
	struct cp *c = t->user;
	struct pp_msg m = { .type = PP_SEALED, .txn = t->id };

	m.u.sealed = *s;
	cp_send(c, &m);
	pp_msg_wipe(&m);
	return 0;
}

static const struct pd_txn_hooks hooks = {
	.changed = hook_changed,
	.finished = hook_finished,
	.submit = hook_submit,
};

/* ---------------- the front's messages ---------------- */

static void end_txn(struct cp *c)
{
	pd_txn_free(c->txn);		/* releases readers, wipes keys */
	c->txn = NULL;
}

static int start_txn(struct cp *c, const struct pp_msg *m)
{
	struct pd_request *req;
	int r;

	if (c->txn) {
		log_warn("transaction %u still open at START: ended", c->txn->id);
		end_txn(c);
	}
	if (!c->ks)
		return -ENOKEY;
	req = calloc(1, sizeof(*req));
	if (!req)
		return -ENOMEM;
	req->amount = m->u.start.amount;
	snprintf(req->currency, sizeof(req->currency), "%s", m->u.start.currency);
	/* the front hashed the request it verified; the MAC binds it */
	memcpy(req->jws_hash, m->u.start.req_hash, sizeof(req->jws_hash));
	c->txn = pd_txn_new(c->event, c->cfg, c->ks, req, m->u.start.modes,
			    &hooks, c);
	free(req);
	if (!c->txn)
		return -ENOMEM;
	c->txn->id = m->txn;		/* the front's number, in both logs */
	for (unsigned i = 0; i < m->u.start.n_readers; i++) {
		const char *node = m->u.start.readers[i];
		struct pd_io *io;

		r = pd_dev_open(node, &io);
		if (r < 0) {
			log_warn("cannot open %s: %s", node, strerror(-r));
			continue;
		}
		if (c->cfg->card_reader && strcmp(c->cfg->card_reader, io->name))
			io->caps &= PAYTERM_CAP_PINPAD;
		if (c->cfg->pinpad && strcmp(c->cfg->pinpad, io->name))
			io->caps &= ~PAYTERM_CAP_PINPAD;
		pd_txn_add_io(c->txn, io);
	}
	r = pd_txn_start(c->txn);
	if (r < 0)
		end_txn(c);
	return r;
}

static void check_mac(struct cp *c, const struct pp_msg *m)
{
	struct pp_msg a = { .type = PP_MAC_RESULT, .txn = m->txn };
	const struct pp_msg *q = m;

	if (!c->txn || c->txn->id != m->txn || c->txn->state != PD_ST_SUBMIT)
		a.u.mac_result.result = PD_MAC_NOKEY;
	else
		a.u.mac_result.result = (uint8_t)pd_txn_check_resp_mac(c->txn,
			q->u.check_mac.flags & PP_F_RC ? q->u.check_mac.rc : NULL,
			q->u.check_mac.flags & PP_F_AUTH ? q->u.check_mac.auth : NULL,
			q->u.check_mac.flags & PP_F_MAC ? q->u.check_mac.mac : NULL);
	cp_send(c, &a);
}

static void dispatch(struct cp *c, const struct pp_msg *m)
{
	struct pp_msg a = { .type = PP_STARTED, .txn = m->txn };

	switch (m->type) {
	case PP_START:
		a.u.started.err = start_txn(c, m);
		cp_send(c, &a);
		break;
	case PP_END:
		if (c->txn && c->txn->id == m->txn)
			end_txn(c);
		break;
	case PP_CHECK_MAC:
		check_mac(c, m);
		break;
	case PP_RELOAD:
		if (c->txn)
			log_notice("a payment is running: keys not reloaded");
		else if (open_keys(c) < 0)
			log_err("keys need locked memory");
		if (!c->txn)
			pd_card_sign_load(c->cfg->key_file);
		send_keys(c);
		break;
	}
}

static __attribute__((noreturn)) void quit(struct cp *c, int status)
{
	end_txn(c);
	close_keys(c);
	_exit(status);
}

static int on_chan(sd_event_source *s, int fd, uint32_t revents, void *user)
{
	struct cp *c = user;
	uint8_t buf[PP_MSG_MAX];
	struct pp_msg m;
	char err[200];
	ssize_t n;

	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		quit(c, 0);		/* the front is gone */
	if (pp_decode_for_card(buf, (size_t)n > sizeof(buf) ? sizeof(buf) + 1 :
			       (size_t)n, &m, err, sizeof(err))) {
		/* a front that speaks garbage is not one to serve */
		log_err("channel: %s", err);
		quit(c, 1);
	}
	dispatch(c, &m);
	pp_msg_wipe(&m);
	return 0;
}

static int on_term(sd_event_source *s, const struct signalfd_siginfo *si,
		   void *user)
{
	quit(user, 0);
	return 0;
}

#ifdef PAYTERMD_TEST_BUILD
/* tests/vm/t-privsep: what the filter answers, from inside */
static void sandbox_probe(void)
{
	char *const argv[] = { "true", NULL };
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	log_notice("sandbox probe: socket(AF_INET): %s", fd < 0 ? strerror(errno) : "allowed");
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	log_notice("sandbox probe: socket(AF_UNIX): %s", fd < 0 ? strerror(errno) : "allowed");
	execv("/bin/true", argv);
	log_notice("sandbox probe: execve: %s", strerror(errno));
}
#endif

int pd_card_proc_main(struct pd_config *cfg)
{
	struct cp c = { .cfg = cfg, .fd = PD_CARD_FD };
	sigset_t ss;
	int r;

	pd_log_prefix = "card process: ";
	/* seccomp refuses socket(): "<N>" lines on the inherited stderr,
	 * which journald's stream parser turns into priorities */
	pd_log_init(PD_LOG_STDERR_ONLY);
	unsetenv("NOTIFY_SOCKET");	/* the front talks to systemd */
	unsetenv("WATCHDOG_USEC");
	r = pd_secure_init();		/* exec made us dumpable again */
	if (r < 0) {
		log_err("cannot set up locked, non-dumpable memory: %s "
			"(RLIMIT_MEMLOCK: raise LimitMEMLOCK=)", strerror(-r));
		_exit(1);
	}
	if (open_keys(&c) < 0)
		_exit(1);
	pd_card_sign_load(cfg->key_file);
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);		/* the front's; reloads come as RELOAD */
	sigprocmask(SIG_BLOCK, &ss, NULL);
	r = sd_event_new(&c.event);
	if (r >= 0)
		r = sd_event_add_io(c.event, NULL, c.fd, EPOLLIN, on_chan, &c);
	if (r >= 0)
		r = sd_event_add_signal(c.event, NULL, SIGTERM, on_term, &c);
	if (r >= 0)
		r = sd_event_add_signal(c.event, NULL, SIGINT, on_term, &c);
	if (r < 0) {
		log_err("event loop: %s", strerror(-r));
		quit(&c, 1);
	}
	r = pd_card_sign_start(PD_SIGN_FD);
	if (r < 0) {
		log_err("signing thread: %s", strerror(-r));
		quit(&c, 1);
	}
	r = pd_sandbox_card();
	if (r < 0) {
		log_err("cannot confine the card process: %s", strerror(-r));
		quit(&c, 1);
	}
#ifdef PAYTERMD_TEST_BUILD
	if (getenv("PAYTERMD_TEST_SANDBOX_PROBE"))
		sandbox_probe();
#endif
	send_keys(&c);
	r = sd_event_loop(c.event);
	log_err("event loop: %s", strerror(-r));
	quit(&c, 1);
}
