/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm-server: listening sockets.  An address is "HOST:PORT",
 * "[IPv6]:PORT", a bare IPv6 address or HOST (the listener's default port);
 * HOST is an IPv4 or IPv6 address or a name (every address it resolves to
 * is bound), "" or "*" the wildcard.  Or the service manager passes the
 * sockets (socket activation), named "merchant" and "terminal".
 */
#ifndef PS_LISTEN_H
#define PS_LISTEN_H

#include <stddef.h>

#define PS_LISTEN_MAX 8

struct ps_listener {
	const char *name;	/* "merchant" / "terminal": also the fd name */
	int fd[PS_LISTEN_MAX];
	int n;
	int activated;		/* fds came from the service manager */
};

/* Split spec into host ("" for the wildcard) and port; -1 if malformed. */
int ps_listen_split(const char *spec, const char *defport, char *host,
		    size_t hcap, char *port, size_t pcap);
/* Bind and listen on every address spec names.  A wildcard IPv6 socket
 * takes IPv4 clients too (dual-stack) unless v6only or an IPv4 address of
 * the same name is bound beside it.  -1 with errno set, *why says what. */
int ps_listen_bind(struct ps_listener *l, const char *spec,
		   const char *defport, int v6only, const char **why);
/* Take the sockets passed by the service manager (sd_listen_fds_with_names)
 * into the listener of their name.  0: none or all taken; -1: a socket
 * with another name or not a listening stream socket (*why, *bad_name). */
int ps_listen_activated(struct ps_listener *const *ls, int nls,
			const char **why, const char **bad_name);
/* "127.0.0.1:8443 [::]:8443": the addresses actually bound. */
void ps_listen_describe(const struct ps_listener *l, char *buf, size_t cap);
void ps_listen_close(struct ps_listener *l);

#endif
