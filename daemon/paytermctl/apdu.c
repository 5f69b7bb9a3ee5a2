// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermctl apdu DEVICE [--slot N] HEX...: claim the reader, power the
 * card on (print the ATR), send each APDU and print its response, power
 * off.  Like "opensc-tool -s".  Responses are printed in full: do not use
 * it on real payment cards in front of others (they hold card data).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "paytermctl.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " apdu DEVICE [--slot N] APDU_HEX...\n"
		"Claim DEVICE, power on the card in slot N (default 0) and print its ATR,\n"
		"send each APDU (e.g. 00A4040007A0000000031010 or \"00 A4 04 00\") and print\n"
		"the response, then power off.\n");
}

static void print_hex(const char *prefix, const uint8_t *b, size_t n)
{
	size_t sz = ptc_hex_encoded_size(n, ' ');
	char *s = malloc(sz);

	if (!s)
		return;
	if (!ptc_hex_encode(b, n, s, sz, ' '))
		printf("%s%s\n", prefix, s);
	fflush(stdout);
	ptc_wipe_free(s, sz);
}

int cmd_apdu(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "slot", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const size_t bufsize = PAYTERM_APDU_MAX + PAYTERM_RAPDU_MAX;
	struct payterm_power pw;
	struct payterm_slot ps;
	struct payterm_apdu a;
	unsigned long slot = 0;
	uint8_t *cmd = NULL, *resp;
	const char *path;
	int c, i, fd, first, ret = EXIT_OK;
	char what[4200];
	size_t n;

	while ((c = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (parse_uint(optarg, 10, 0, PAYTERM_MAX_SLOTS - 1, &slot)) {
				msg("--slot: expected 0-%d", PAYTERM_MAX_SLOTS - 1);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	path = device_path(argv[optind]);
	first = optind + 1;
	/* check every APDU before touching the card */
	cmd = mmap(NULL, bufsize, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (cmd == MAP_FAILED)
		return report_errno("allocating buffers", "alloc", errno);
	(void)mlock(cmd, bufsize);
	(void)madvise(cmd, bufsize, MADV_DONTDUMP);
	resp = cmd + PAYTERM_APDU_MAX;
	for (i = first; i < argc; i++) {
		if (ptc_hex_decode(argv[i], cmd, PAYTERM_APDU_MAX, &n) || n < 4) {
			msg("'%s': expected an APDU in hex (4-%d bytes)", argv[i],
			    PAYTERM_APDU_MAX);
			ret = EXIT_USAGE;
			goto out_free;
		}
	}

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = report_errno(path, "open", errno);
		goto out_free;
	}
	if (ioctl(fd, PAYTERM_IOC_CLAIM) < 0) {
		ret = report_errno(path, "claim", errno);
		goto out_close;
	}
	memset(&pw, 0, sizeof(pw));
	pw.slot = (uint8_t)slot;
	if (ioctl(fd, PAYTERM_IOC_POWER_ON, &pw) < 0) {
		snprintf(what, sizeof(what), "%s: power on slot %lu", path, slot);
		ret = report_errno(what, "power", errno);
		goto out_close;
	}
	if (pw.atr_length > PAYTERM_ATR_MAX) {
		msg("%s: ATR length %u > %d (kernel API mismatch?)", path,
		    pw.atr_length, PAYTERM_ATR_MAX);
		ret = EXIT_FAIL;
		goto out_off;
	}
	print_hex("ATR: ", pw.atr, pw.atr_length);

	for (i = first; i < argc; i++) {
		ptc_hex_decode(argv[i], cmd, PAYTERM_APDU_MAX, &n);
		print_hex("> ", cmd, n);
		memset(&a, 0, sizeof(a));
		a.command = (uint64_t)(uintptr_t)cmd;
		a.command_length = (uint32_t)n;
		a.response = (uint64_t)(uintptr_t)resp;
		a.response_length = PAYTERM_RAPDU_MAX;
		a.slot = (uint8_t)slot;
		if (ioctl(fd, PAYTERM_IOC_TRANSMIT, &a) < 0) {
			snprintf(what, sizeof(what), "%s: transmit", path);
			ret = report_errno(what, "transmit", errno);
			break;
		}
		if (a.response_length > PAYTERM_RAPDU_MAX) {
			msg("%s: response length %u too big (kernel API mismatch?)",
			    path, a.response_length);
			ret = EXIT_FAIL;
			break;
		}
		print_hex("< ", resp, a.response_length);
		ptc_wipe(cmd, n);
		ptc_wipe(resp, a.response_length);
	}
out_off:
	memset(&ps, 0, sizeof(ps));
	ps.slot = (uint8_t)slot;
	if (ioctl(fd, PAYTERM_IOC_POWER_OFF, &ps) < 0 && errno != ENODEV &&
	    ret == EXIT_OK) {
		snprintf(what, sizeof(what), "%s: power off", path);
		ret = report_errno(what, "power", errno);
	}
	ptc_wipe(&pw, sizeof(pw));
out_close:
	close(fd);
out_free:
	ptc_wipe(cmd, bufsize);
	munlock(cmd, bufsize);
	munmap(cmd, bufsize);
	return ret;
}
