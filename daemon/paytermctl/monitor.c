// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermctl monitor DEVICE [--claim] [--count N] [--timeout S]
 *
 * One JSON line per event.  With --claim the reader is claimed and, after
 * each SWIPE event with DATA_READY, the swipe data is fetched and printed
 * as a masked summary; the fetched buffer is locked in memory and wiped.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "paytermctl.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " monitor DEVICE [--claim] [--count N] [--timeout S]\n"
		"Print the events of DEVICE (/dev/paytermN, paytermN or N) as JSON lines.\n"
		"  --claim      claim the reader; fetch swipes and print them masked\n"
		"  --count N    exit after N events\n"
		"  --timeout S  exit after S seconds (exit code 4 if --count was not reached)\n");
}

static void print_info(int fd, const char *path, bool claimed)
{
	struct payterm_info info;
	char caps[64];

	memset(&info, 0, sizeof(info));
	if (ioctl(fd, PAYTERM_IOC_GET_INFO, &info) < 0)
		return;
	info.name[PAYTERM_NAME_MAX - 1] = '\0';
	caps_format(info.caps, caps, sizeof(caps));
	fprintf(stderr, "%s: \"%s\" [%s] %04x:%04x, %u slot(s)%s\n", path,
		info.name, caps, info.vendor, info.product, info.slots,
		claimed ? ", claimed" : "");
}

static int fetch_swipe(int fd, const char *path, const struct payterm_event *ev)
{
	struct payterm_swipe *sw;
	json_t *j;
	int r = 0;

	sw = mmap(NULL, sizeof(*sw), PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sw == MAP_FAILED)
		return -errno;
	/* keep card data out of swap and core dumps; best effort */
	(void)mlock(sw, sizeof(*sw));
	(void)madvise(sw, sizeof(*sw), MADV_DONTDUMP);

	if (ioctl(fd, PAYTERM_IOC_GET_SWIPE, sw) < 0) {
		r = -errno;
		j = json_object();
		json_object_set_new(j, "type", json_string("swipe_data"));
		json_object_set_new(j, "seq", json_integer(ev->sequence));
		json_object_set_new(j, "error", json_string(strerror(-r)));
		json_print_line(j);
		report_errno(path, "fetch", -r);
	} else {
		j = swipe_summary(sw);
		json_object_set_new(j, "seq", json_integer(ev->sequence));
		json_print_line(j);
	}
	ptc_wipe(sw, sizeof(*sw));
	munlock(sw, sizeof(*sw));
	munmap(sw, sizeof(*sw));
	return r == -ENODEV ? r : 0;
}

int cmd_monitor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "claim", no_argument, NULL, 'c' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct payterm_event evs[64];
	unsigned long count = 0, seen = 0;
	long timeout_ms = -1;
	uint64_t deadline = 0;
	struct sigaction sa;
	struct pollfd pfd;
	bool claim = false;
	const char *path;
	int c, fd, r, ret = EXIT_OK;
	ssize_t n;
	size_t i;

	while ((c = getopt_long(argc, argv, "cn:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			claim = true;
			break;
		case 'n':
			if (parse_uint(optarg, 10, 1, ~0UL, &count)) {
				msg("--count: expected a positive number");
				return EXIT_USAGE;
			}
			break;
		case 't':
			if (parse_seconds_ms(optarg, &timeout_ms)) {
				msg("--timeout: expected seconds");
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
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	path = device_path(argv[optind]);
	fd = open(path, (claim ? O_RDWR : O_RDONLY) | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return report_errno(path, "open", errno);
	if (claim && ioctl(fd, PAYTERM_IOC_CLAIM) < 0) {
		ret = report_errno(path, "claim", errno);
		close(fd);
		return ret;
	}
	print_info(fd, path, claim);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (timeout_ms >= 0)
		deadline = now_ms() + (uint64_t)timeout_ms;

	pfd.fd = fd;
	pfd.events = POLLIN;
	while (!stop) {
		int wait = -1;

		if (timeout_ms >= 0) {
			uint64_t now = now_ms();

			if (now >= deadline) {
				ret = count ? EXIT_TIMEOUT : EXIT_OK;
				if (count)
					msg("%s: timeout after %lu of %lu events",
					    path, seen, count);
				break;
			}
			wait = (int)(deadline - now);
		}
		r = poll(&pfd, 1, wait);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = report_errno(path, "poll", errno);
			break;
		}
		if (r == 0)
			continue;
		n = read(fd, evs, sizeof(evs));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN && !(pfd.revents & (POLLHUP | POLLERR)))
				continue;
			if (errno == EAGAIN || errno == ENODEV) {
				msg("%s: device removed", path);
				ret = EXIT_GONE;
			} else {
				ret = report_errno(path, "read", errno);
			}
			break;
		}
		if (n == 0) {
			msg("%s: device removed", path);
			ret = EXIT_GONE;
			break;
		}
		if ((size_t)n % sizeof(evs[0])) {
			msg("%s: read %zd bytes, not a multiple of the %zu-byte event (kernel API mismatch?)",
			    path, n, sizeof(evs[0]));
			ret = EXIT_FAIL;
			break;
		}
		for (i = 0; i < (size_t)n / sizeof(evs[0]); i++) {
			const struct payterm_event *ev = &evs[i];

			event_print(stdout, ev);
			if (ev->type == PAYTERM_EV_OVERFLOW)
				msg("%s: event queue overflow, %d event(s) dropped",
				    path, ev->value);
			if (claim && ev->type == PAYTERM_EV_SWIPE &&
			    (ev->flags & PAYTERM_EVF_DATA_READY) &&
			    fetch_swipe(fd, path, ev) == -ENODEV) {
				ret = EXIT_GONE;
				goto out;
			}
			if (count && ++seen >= count)
				goto out;
		}
	}
out:
	close(fd);	/* ends the claim */
	return ret;
}
