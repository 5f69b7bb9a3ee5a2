// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd: the front's side of the channel to the card process
 * (docs/privsep.md).  Starts the card process (fork + exec of our own
 * binary, so it shares nothing of the front's memory), reads its messages
 * from the event loop (never blocking on it: a mute card stalls only the
 * card process), and restarts it when it ends.  Front transactions are
 * remote-mode struct pd_txn (txn.c) whose pd_txn_remote ops are here.
 *
 * One call waits for an answer: the response MAC check (CHECK_MAC), sent
 * only while a transaction is submitting, when the card process has
 * nothing else to do; it is bounded (MAC_WAIT_MS), and no answer means
 * "no key" — never an approval.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "card_proc.h"
#include "card_sign.h"
#include "daemon.h"
#include "log.h"
#include "privsep_proto.h"

#define START_WAIT_MS	10000	/* first KEYS at start */
#define MAC_WAIT_MS	2000
#define BACKOFF_MAX_S	30

struct pd_cardc {
	struct pd_daemon *d;
	int fd;				/* -1: not connected */
	int sign_fd;			/* the signing channel, -1 */
	uint32_t sign_serial;
	pid_t pid;			/* 0: not running */
	sd_event_source *io, *child, *restart;
	unsigned backoff_s;
};

static int spawn(struct pd_cardc *c);

static void keys_changed(struct pd_daemon *d)
{
	if (d->bus)
		sd_bus_emit_properties_changed(d->bus, PD_TERMINAL_PATH,
					       "org.payterm.Terminal1", "State",
					       NULL);
}

/* The channel is gone: every transaction still reading fails. */
static void disconnect(struct pd_cardc *c)
{
	struct pd_daemon *d = c->d;

	c->io = sd_event_source_disable_unref(c->io);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->sign_fd >= 0)
		close(c->sign_fd);
	c->sign_fd = -1;
	d->keys_tls = false;
	for (struct pd_txnobj *o = d->txns; o; o = o->next)
		if (o->txn->remote && !pd_state_final(o->txn->state))
			pd_txn_remote_lost(o->txn);
	if (d->keys_ready) {
		d->keys_ready = false;
		keys_changed(d);
	}
}

/* A broken peer: drop it; on_child restarts it. */
static void kill_card(struct pd_cardc *c, const char *why)
{
	log_err("card process: %s: restarting it", why);
	if (c->pid > 0)
		kill(c->pid, SIGKILL);
	disconnect(c);
}

static int send_msg(struct pd_cardc *c, const struct pp_msg *m)
{
	uint8_t buf[PP_MSG_MAX];
	int n;

	if (c->fd < 0)
		return -ENOTCONN;
	n = pp_encode(m, buf, sizeof(buf));
	if (n < 0)
		return n;
	if (send(c->fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n) {
		char why[96];

		snprintf(why, sizeof(why), "send %s: %s", pp_type_name(m->type),
			 strerror(errno));
		kill_card(c, why);
		return -EIO;
	}
	return 0;
}

static struct pd_txnobj *find_txn(struct pd_daemon *d, uint32_t id)
{
	for (struct pd_txnobj *o = d->txns; o; o = o->next)
		if (o->txn->id == id && o->txn->remote)
			return o;
	return NULL;
}

static void dispatch(struct pd_cardc *c, const struct pp_msg *m)
{
	struct pd_daemon *d = c->d;
	struct pd_txnobj *o;

	if (m->type == PP_KEYS) {
		bool was = d->keys_ready;

		d->keys_ready = m->u.keys.ready;
		d->keys_aes = m->u.keys.aes;
		d->keys_dk_type = m->u.keys.dk_type;
		d->keys_tls = m->u.keys.tls_key;
		if (d->keys_ready)
			c->backoff_s = 0;
		if (was != d->keys_ready)
			keys_changed(d);
		return;
	}
	o = find_txn(d, m->txn);
	if (!o)
		return;			/* ended here already */
	switch (m->type) {
	case PP_STARTED:
		if (o->start_msg)
			pd_txn_remote_started(o->txn, m->u.started.err);
		break;
	case PP_UPDATE:
		pd_txn_remote_update(o->txn, m->u.update.state,
				     m->u.update.entry_mode,
				     m->u.update.masked_pan,
				     m->u.update.pin_digits, m->u.update.message);
		break;
	case PP_SEALED:
		pd_txn_remote_sealed(o->txn, &m->u.sealed);
		break;
	case PP_FINISHED:
		pd_txn_remote_finished(o->txn, m->u.finished.state,
				       m->u.finished.result_code,
				       m->u.finished.message);
		break;
	default:			/* a late MAC_RESULT */
		break;
	}
}

/* Read one message: 1 read, 0 nothing there, <0 the channel is gone. */
static int receive(struct pd_cardc *c, struct pp_msg *m)
{
	uint8_t buf[PP_MSG_MAX];
	char err[200];
	ssize_t n;

	n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		log_err("card process: channel closed");
		disconnect(c);
		return -EPIPE;
	}
	if (pp_decode_for_front(buf, (size_t)n > sizeof(buf) ? sizeof(buf) + 1 :
				(size_t)n, m, err, sizeof(err))) {
		kill_card(c, err);
		return -EBADMSG;
	}
	return 1;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *user)
{
	struct pd_cardc *c = user;
	struct pp_msg m;

	/* one message per wake-up: the bus gets its turn in between */
	if (receive(c, &m) > 0)
		dispatch(c, &m);
	pp_msg_wipe(&m);
	return 0;
}

static int on_restart(sd_event_source *s, uint64_t usec, void *user)
{
	struct pd_cardc *c = user;

	c->restart = sd_event_source_disable_unref(c->restart);
	if (!c->d->stopping && spawn(c) < 0)
		log_err("card process: cannot start it");
	return 0;
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *user)
{
	struct pd_cardc *c = user;

	if (si->si_code == CLD_EXITED)
		log_warn("card process %d exited with status %d", (int)si->si_pid,
			 si->si_status);
	else
		log_err("card process %d killed by signal %d", (int)si->si_pid,
			si->si_status);
	c->child = sd_event_source_disable_unref(c->child);
	c->pid = 0;
	disconnect(c);
	if (c->d->stopping)
		return 0;
	c->backoff_s = c->backoff_s ? c->backoff_s * 2 : 1;
	if (c->backoff_s > BACKOFF_MAX_S)
		c->backoff_s = BACKOFF_MAX_S;
	log_notice("card process: restarting in %u s", c->backoff_s);
	sd_event_add_time_relative(c->d->event, &c->restart, CLOCK_MONOTONIC,
				   (uint64_t)c->backoff_s * 1000000ULL, 0,
				   on_restart, c);
	return 0;
}

static void exec_card(struct pd_cardc *c, int fd, int sign_fd)
{
	char *argv[6];
	int n = 0;

	/* out of the way of 3 and 4 first, then into place */
	fd = fcntl(fd, F_DUPFD, 10);
	sign_fd = fcntl(sign_fd, F_DUPFD, 10);
	if (fd < 0 || sign_fd < 0 || dup2(fd, PD_CARD_FD) < 0 ||
	    dup2(sign_fd, PD_SIGN_FD) < 0)
		_exit(127);
	close_range(PD_SIGN_FD + 1, ~0U, 0);
	/* the front gone, nobody is left to talk to */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	argv[n++] = "paytermd";
	argv[n++] = "--card-process";
	argv[n++] = "-c";
	argv[n++] = (char *)c->d->config_path;
	if (pd_log_level >= LOG_DEBUG)
		argv[n++] = "-v";
	argv[n] = NULL;
	execv("/proc/self/exe", argv);
	_exit(127);
}

static int spawn(struct pd_cardc *c)
{
	int sv[2], ss[2], r;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ss) < 0) {
		r = -errno;
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(sv[0]);
		close(sv[1]);
		close(ss[0]);
		close(ss[1]);
		return r;
	}
	if (!pid)
		exec_card(c, sv[1], ss[1]);
	close(sv[1]);
	close(ss[1]);
	c->fd = sv[0];
	c->sign_fd = ss[0];
	c->pid = pid;
	r = sd_event_add_io(c->d->event, &c->io, c->fd, EPOLLIN, on_io, c);
	if (r >= 0)
		r = sd_event_add_child(c->d->event, &c->child, pid, WEXITED,
				       on_child, c);
	if (r < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		c->pid = 0;
		disconnect(c);
		return r;
	}
	log_info("card process %d started", (int)pid);
	return 0;
}

/* Wait up to @ms for a message of @type for @txn, serving the others. */
static int wait_for(struct pd_cardc *c, unsigned type, uint32_t txn,
		    unsigned ms, struct pp_msg *out)
{
	struct timespec t0, t1;
	long left = ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (c->fd >= 0 && left > 0) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int r = poll(&p, 1, (int)left);

		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0) {
			r = receive(c, out);
			if (r < 0)
				return r;
			if (r > 0) {
				if (out->type == type &&
				    (type == PP_KEYS || out->txn == txn)) {
					if (type == PP_KEYS)
						dispatch(c, out);
					return 0;
				}
				dispatch(c, out);
				pp_msg_wipe(out);
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = (long)ms - ((t1.tv_sec - t0.tv_sec) * 1000L +
				   (t1.tv_nsec - t0.tv_nsec) / 1000000L);
	}
	return -ETIMEDOUT;
}

int pd_cardc_start(struct pd_daemon *d)
{
	struct pd_cardc *c = calloc(1, sizeof(*c));
	struct pp_msg m;
	int r;

	if (!c)
		return -ENOMEM;
	c->d = d;
	c->fd = -1;
	c->sign_fd = -1;
	d->cardc = c;
	r = spawn(c);
	if (r < 0)
		return r;
	/* the terminal's State is known before the bus name is taken */
	if (wait_for(c, PP_KEYS, 0, START_WAIT_MS, &m) < 0)
		log_err("card process: no answer at start");
	return 0;
}

void pd_cardc_stop(struct pd_daemon *d)
{
	struct pd_cardc *c = d->cardc;

	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);		/* EOF: it releases, wipes, exits */
	c->fd = -1;
	if (c->sign_fd >= 0)
		close(c->sign_fd);
	c->sign_fd = -1;
	c->io = sd_event_source_disable_unref(c->io);
	c->restart = sd_event_source_disable_unref(c->restart);
	if (c->pid > 0) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		int i;

		for (i = 0; i < 200 && waitpid(c->pid, NULL, WNOHANG) == 0; i++)
			nanosleep(&ts, NULL);
		if (i == 200) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, NULL, 0);
		}
	}
	c->child = sd_event_source_disable_unref(c->child);
	free(c);
	d->cardc = NULL;
}

int pd_cardc_reload(struct pd_daemon *d)
{
	struct pp_msg m = { .type = PP_RELOAD };

	return d->cardc ? send_msg(d->cardc, &m) : -ENOTCONN;
}

/*
 * A TLS handshake signature (tls_key.c).  The signing thread of the card
 * process answers at once, whatever its main loop does; the wait is
 * bounded all the same.  One request at a time: the front has one thread.
 */
int pd_cardc_sign(struct pd_daemon *d, const uint8_t *dgst, size_t len,
		  uint8_t *sig, size_t *siglen)
{
	struct pd_cardc *c = d->cardc;
	struct pp_msg m = { .type = PP_SIGN }, a;
	uint8_t buf[PP_MSG_MAX];
	struct pollfd p;
	char err[200];
	ssize_t n;
	int len_out;

	if (!c || c->sign_fd < 0 || !len || len > PP_DIGEST_MAX)
		return -ENOTCONN;
	m.txn = ++c->sign_serial;
	memcpy(m.u.sign.digest, dgst, len);
	m.u.sign.digest_len = len;
	len_out = pp_encode(&m, buf, sizeof(buf));
	if (len_out < 0 ||
	    send(c->sign_fd, buf, (size_t)len_out, MSG_NOSIGNAL | MSG_DONTWAIT) != len_out)
		return -EIO;
	for (;;) {
		p = (struct pollfd){ .fd = c->sign_fd, .events = POLLIN };
		if (poll(&p, 1, MAC_WAIT_MS) <= 0) {
			log_err("card process: no signature in time");
			return -ETIMEDOUT;
		}
		n = recv(c->sign_fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
		if (n <= 0)
			return -EPIPE;
		if (pp_decode_for_front(buf, (size_t)n > sizeof(buf) ?
					sizeof(buf) + 1 : (size_t)n, &a, err,
					sizeof(err)) || a.type != PP_SIGNED) {
			kill_card(c, err[0] ? err : "not SIGNED on the signing channel");
			return -EBADMSG;
		}
		if (a.txn == m.txn)	/* else a late answer to an earlier one */
			break;
	}
	if (!a.u.signed_.sig_len || a.u.signed_.sig_len > *siglen)
		return -EPERM;
	memcpy(sig, a.u.signed_.sig, a.u.signed_.sig_len);
	*siglen = a.u.signed_.sig_len;
	return 0;
}

/* ---------------- remote transactions (txn.c) ---------------- */

static int remote_start(struct pd_txn *t)
{
	struct pd_txnobj *o = t->user;
	struct pd_daemon *d = o->d;
	struct pp_msg m = { .type = PP_START, .txn = t->id };
	unsigned n = 0;

	if (!d->cardc || d->cardc->fd < 0)
		return -ENOTCONN;
	m.u.start.amount = t->req.amount;
	snprintf(m.u.start.currency, sizeof(m.u.start.currency), "%s",
		 t->req.currency);
	memcpy(m.u.start.req_hash, t->req.jws_hash, sizeof(m.u.start.req_hash));
	m.u.start.modes = (uint8_t)t->modes;
	for (struct pd_reader *rd = d->readers; rd && n < PP_READERS_MAX;
	     rd = rd->next) {
		if (!pd_bus_reader_selected(&d->cfg, rd, t->modes) ||
		    !pp_devnode_ok(rd->devnode))
			continue;
		snprintf(m.u.start.readers[n++], sizeof(m.u.start.readers[0]),
			 "%s", rd->devnode);
	}
	if (!n || !t->modes)
		return -ENODEV;
	m.u.start.n_readers = (uint8_t)n;
	return send_msg(d->cardc, &m);
}

static void remote_end(struct pd_txn *t)
{
	struct pd_txnobj *o = t->user;
	struct pp_msg m = { .type = PP_END, .txn = t->id };

	if (o->d->cardc)
		send_msg(o->d->cardc, &m);
}

static enum pd_mac_check remote_check_mac(struct pd_txn *t, const char *rc,
					  const char *auth, const char *mac)
{
	struct pd_txnobj *o = t->user;
	struct pd_cardc *c = o->d->cardc;
	struct pp_msg m = { .type = PP_CHECK_MAC, .txn = t->id }, a;
	int r;

	if (!c || c->fd < 0)
		return PD_MAC_NOKEY;
	if (!mac || !*mac)
		return PD_MAC_MISSING;
	if (rc)
		m.u.check_mac.flags |= PP_F_RC;
	if (auth)
		m.u.check_mac.flags |= PP_F_AUTH;
	m.u.check_mac.flags |= PP_F_MAC;
	/* what does not fit the fields cannot be the bank's MAC input */
	if ((rc && strlen(rc) > 2) || (auth && strlen(auth) > 7) ||
	    strlen(mac) > 32)
		return PD_MAC_BAD;
	snprintf(m.u.check_mac.rc, sizeof(m.u.check_mac.rc), "%s", rc ? rc : "");
	snprintf(m.u.check_mac.auth, sizeof(m.u.check_mac.auth), "%s",
		 auth ? auth : "");
	snprintf(m.u.check_mac.mac, sizeof(m.u.check_mac.mac), "%s", mac);
	r = send_msg(c, &m);
	if (r == -EINVAL)		/* not printable: not a MAC either */
		return PD_MAC_BAD;
	if (r < 0)
		return PD_MAC_NOKEY;
	if (wait_for(c, PP_MAC_RESULT, t->id, MAC_WAIT_MS, &a) < 0) {
		log_err("transaction %u: card process did not check the "
			"response MAC", t->id);
		return PD_MAC_NOKEY;
	}
	return (enum pd_mac_check)a.u.mac_result.result;
}

const struct pd_txn_remote pd_cardc_remote = {
	.start = remote_start,
	.end = remote_end,
	.check_mac = remote_check_mac,
};
