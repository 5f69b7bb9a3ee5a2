// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: listening sockets, bound here or passed by systemd. */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

static int port_ok(const char *p)
{
	char *end;
	long v;

	if (!*p || strspn(p, "0123456789") != strlen(p))
		return 0;
	v = strtol(p, &end, 10);
	return v >= 1 && v <= 65535;
}

int ps_listen_split(const char *spec, const char *defport, char *host,
		    size_t hcap, char *port, size_t pcap)
{
	const char *h = spec, *p = defport, *colon;
	size_t hl;

	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');

		if (!rb || (rb[1] && rb[1] != ':'))
			return -1;
		h = spec + 1;
		hl = (size_t)(rb - h);
		if (rb[1])
			p = rb + 2;
		if (!hl || !memchr(h, ':', hl))	/* brackets only around IPv6 */
			return -1;
	} else if ((colon = strchr(spec, ':')) && !strchr(colon + 1, ':')) {
		hl = (size_t)(colon - spec);	/* HOST:PORT */
		p = colon + 1;
	} else {
		hl = strlen(spec);		/* HOST or a bare IPv6 address */
	}
	if (hl >= hcap || strlen(p) >= pcap || !port_ok(p))
		return -1;
	memcpy(host, h, hl);
	host[hl] = 0;
	if (!strcmp(host, "*"))
		host[0] = 0;
	strcpy(port, p);
	return 0;
}

static int add_fd(struct ps_listener *l, int fd)
{
	if (l->n >= PS_LISTEN_MAX) {
		close(fd);
		errno = EMFILE;
		return -1;
	}
	l->fd[l->n++] = fd;
	return 0;
}

int ps_listen_bind(struct ps_listener *l, const char *spec,
		   const char *defport, int v6only, const char **why)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
				  .ai_socktype = SOCK_STREAM }, *res, *ai;
	char host[256], port[8];
	int rc, has4 = 0, one = 1;

	if (ps_listen_split(spec, defport, host, sizeof(host), port, sizeof(port))) {
		*why = "malformed address (HOST:PORT, [IPv6]:PORT, IPv6 or HOST)";
		errno = EINVAL;
		return -1;
	}
	rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (rc) {
		*why = gai_strerror(rc);
		errno = EADDRNOTAVAIL;
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next)
		has4 |= ai->ai_family == AF_INET;
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
				SOCK_CLOEXEC, ai->ai_protocol);
		/* [::] beside 0.0.0.0 would collide on the IPv4 port */
		int only = v6only || has4;

		*why = "socket";
		/* a host without IPv6 still serves "*:PORT" on IPv4 */
		if (fd < 0 && errno == EAFNOSUPPORT && ai->ai_family == AF_INET6 && has4)
			continue;
		if (fd < 0)
			goto fail;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6 &&
		    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof(only))) {
			close(fd);
			goto fail;
		}
		*why = "bind";
		rc = bind(fd, ai->ai_addr, ai->ai_addrlen);
		if (!rc) {
			*why = "listen";
			rc = listen(fd, 1024);
		}
		if (rc) {
			int e = errno;

			close(fd);
			errno = e;
			goto fail;
		}
		if (add_fd(l, fd))
			goto fail;
	}
	freeaddrinfo(res);
	return l->n ? 0 : -1;
fail:
	freeaddrinfo(res);
	return -1;
}

int ps_listen_activated(struct ps_listener *const *ls, int nls,
			const char **why, const char **bad_name)
{
	static char bad_buf[64];
	char **names = NULL;
	int n = sd_listen_fds_with_names(1, &names), i, j, rc = 0;

	if (n < 0) {
		*why = "LISTEN_FDS / LISTEN_FDNAMES unusable";
		*bad_name = "";
		return -1;
	}
	for (i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		const char *nm = names && names[i] ? names[i] : "unknown";

		for (j = 0; j < nls; j++)
			if (!strcmp(nm, ls[j]->name))
				break;
		if (rc || j == nls || sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
			if (!rc) {
				*why = j == nls ? "socket name is not merchant or terminal" :
				       "not a listening stream socket";
				/* the message must outlive names[] */
				snprintf(bad_buf, sizeof(bad_buf), "%s", nm);
				*bad_name = bad_buf;
				rc = -1;
			}
			close(fd);
			continue;
		}
		/* evhttp needs non-blocking sockets; no leak into children */
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		if (add_fd(ls[j], fd)) {
			*why = "too many sockets of one name";
			snprintf(bad_buf, sizeof(bad_buf), "%s", nm);
			*bad_name = bad_buf;
			rc = -1;
			continue;
		}
		ls[j]->activated = 1;
	}
	for (i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

void ps_listen_describe(const struct ps_listener *l, char *buf, size_t cap)
{
	size_t used = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < l->n && used < cap; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char a[INET6_ADDRSTRLEN] = "?";
		int port = 0, v6 = 0;

		if (!getsockname(l->fd[i], (struct sockaddr *)&ss, &sl)) {
			if (ss.ss_family == AF_INET6) {
				struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

				inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
				port = ntohs(s6->sin6_port);
				v6 = 1;
			} else if (ss.ss_family == AF_INET) {
				struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

				inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
				port = ntohs(s4->sin_port);
			}
		}
		used += (size_t)snprintf(buf + used, cap - used, "%s%s%s%s:%d",
					 i ? " " : "", v6 ? "[" : "", a,
					 v6 ? "]" : "", port);
	}
}

void ps_listen_close(struct ps_listener *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		close(l->fd[i]);
	l->n = 0;
}
