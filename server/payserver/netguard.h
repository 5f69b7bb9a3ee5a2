/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm-server: which addresses a merchant's callback URL may reach.
 * Checked on the address libcurl connects to (after DNS), so a name that
 * resolves to 127.0.0.1 or to the cloud metadata address is refused too.
 */
#ifndef PS_NETGUARD_H
#define PS_NETGUARD_H

#include <stdbool.h>
#include <sys/socket.h>

/* Loopback, "this network", private (RFC 1918, fc00::/7), shared
 * (100.64/10), link-local (169.254/16 — the metadata address — and
 * fe80::/10), benchmarking, multicast, reserved and broadcast addresses;
 * IPv4-mapped and NAT64 IPv6 addresses by the IPv4 address they carry. */
bool ps_addr_internal(const struct sockaddr *sa, socklen_t len);

#endif
