// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: internal addresses (netguard.h). */
#include "netguard.h"

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

static bool v4_internal(uint32_t a)
{
	static const struct { uint32_t net, mask; } r[] = {
		{ 0x00000000, 0xff000000 },	/* 0/8 "this network" */
		{ 0x0a000000, 0xff000000 },	/* 10/8 */
		{ 0x64400000, 0xffc00000 },	/* 100.64/10 shared */
		{ 0x7f000000, 0xff000000 },	/* 127/8 loopback */
		{ 0xa9fe0000, 0xffff0000 },	/* 169.254/16 link-local, metadata */
		{ 0xac100000, 0xfff00000 },	/* 172.16/12 */
		{ 0xc0000000, 0xffffff00 },	/* 192.0.0/24 protocol assignments */
		{ 0xc0a80000, 0xffff0000 },	/* 192.168/16 */
		{ 0xc6120000, 0xfffe0000 },	/* 198.18/15 benchmarking */
		{ 0xe0000000, 0xe0000000 },	/* 224/4 multicast, 240/4, broadcast */
	};

	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if ((a & r[i].mask) == r[i].net)
			return true;
	return false;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool v6_internal(const uint8_t *a)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t nat64[12] = { 0x00, 0x64, 0xff, 0x9b };
	static const uint8_t zero[16];

	if (!memcmp(a, mapped, 12) || !memcmp(a, nat64, 12))
		return v4_internal(be32(a + 12));
	if (!memcmp(a, zero, 15) && (a[15] == 0 || a[15] == 1))
		return true;			/* :: and ::1 */
	return (a[0] & 0xfe) == 0xfc ||		/* fc00::/7 unique local */
	       (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||	/* fe80::/10 */
	       (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) ||	/* fec0::/10 site-local */
	       a[0] == 0xff;			/* multicast */
}

bool ps_addr_internal(const struct sockaddr *sa, socklen_t len)
{
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;

		return v4_internal(be32((const uint8_t *)&s->sin_addr));
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;

		return v6_internal(s->sin6_addr.s6_addr);
	}
	return true;			/* anything else is not for webhooks */
}
