// SPDX-License-Identifier: GPL-2.0-or-later
/* paytermctl: helpers shared by the subcommands. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "paytermctl.h"

void msg(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static bool op_is(const char *op, const char *name)
{
	return op && !strcmp(op, name);
}

const char *errno_hint(const char *op, int err)
{
	switch (err) {
	case EBUSY:
		if (op_is(op, "claim"))
			return "claimed by another process";
		return NULL;
	case ENOENT:
		if (op_is(op, "open-virt"))
			return "is payterm_virt.ko loaded?";
		if (op_is(op, "open"))
			return "no such reader; see 'paytermctl list'";
		return NULL;
	case EACCES:
		return "permission denied; run as root or ask for access";
	case ENODEV:
		return "device removed";
	case ENXIO:
		return "no such device; is the module loaded?";
	case ENOTTY:
		return "not a payterm device, or kernel API mismatch";
	case EPERM:
		if (op_is(op, "fetch") || op_is(op, "power") ||
		    op_is(op, "transmit"))
			return "reader not claimed by this process";
		return NULL;
	case ENOMEDIUM:
		return "no card in the slot";
	case EOPNOTSUPP:
		return "not supported by this reader";
	case ENODATA:
		return "no data to fetch (already fetched or expired)";
	case ETIMEDOUT:
		return "card or reader did not answer";
	default:
		return NULL;
	}
}

int errno_exit_code(int err)
{
	switch (err) {
	case ENODEV:
		return EXIT_GONE;
	case EBUSY:
		return EXIT_BUSY;
	default:
		return EXIT_FAIL;
	}
}

int report_errno(const char *what, const char *op, int err)
{
	const char *hint = errno_hint(op, err);

	if (hint)
		msg("%s: %s (%s)", what, strerror(err), hint);
	else
		msg("%s: %s", what, strerror(err));
	return errno_exit_code(err);
}

const char *device_path(const char *arg)
{
	static char buf[4096];
	const char *p;

	for (p = arg; *p >= '0' && *p <= '9'; p++)
		;
	if (*arg && !*p)
		snprintf(buf, sizeof(buf), "/dev/payterm%s", arg);
	else if (!strchr(arg, '/'))
		snprintf(buf, sizeof(buf), "/dev/%s", arg);
	else
		snprintf(buf, sizeof(buf), "%s", arg);
	return buf;
}

int parse_uint(const char *s, int base, unsigned long min, unsigned long max,
	       unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_seconds_ms(const char *s, long *ms)
{
	double d;
	char *end;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	d = strtod(s, &end);
	if (errno || *end || !(d >= 0) || d > 86400.0 * 365)
		return -EINVAL;
	*ms = (long)(d * 1000.0 + 0.5);
	return 0;
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *const cap_names[] = { "msr", "icc", "picc", "pinpad" };

int caps_parse(const char *s, uint32_t *caps)
{
	uint32_t c = 0;
	size_t n, i;

	while (*s) {
		n = strcspn(s, ", ");
		if (n) {
			for (i = 0; i < 4; i++)
				if (strlen(cap_names[i]) == n &&
				    !strncmp(s, cap_names[i], n))
					break;
			if (i == 4)
				return -EINVAL;
			c |= 1U << i;
		}
		s += n;
		s += strspn(s, ", ");
	}
	if (!c)
		return -EINVAL;
	*caps = c;
	return 0;
}

void caps_format(uint32_t caps, char *buf, size_t size)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < 4; i++)
		if (caps & (1U << i) && o < size)
			o += (size_t)snprintf(buf + o, size - o, "%s%s",
					      o ? " " : "", cap_names[i]);
}

static const char *const ev_names[PAYTERM_EV_MAX] = {
	[PAYTERM_EV_OVERFLOW] = "overflow",
	[PAYTERM_EV_CLAIMED] = "claimed",
	[PAYTERM_EV_RELEASED] = "released",
	[PAYTERM_EV_SWIPE] = "swipe",
	[PAYTERM_EV_SWIPE_ERROR] = "swipe_error",
	[PAYTERM_EV_CARD_INSERTED] = "card_inserted",
	[PAYTERM_EV_CARD_REMOVED] = "card_removed",
	[PAYTERM_EV_CARD_TAPPED] = "card_tapped",
	[PAYTERM_EV_CARD_POWERED] = "card_powered",
	[PAYTERM_EV_PIN_STARTED] = "pin_started",
	[PAYTERM_EV_PIN_DIGITS] = "pin_digits",
	[PAYTERM_EV_PIN_ENTERED] = "pin_entered",
	[PAYTERM_EV_PIN_CANCELLED] = "pin_cancelled",
	[PAYTERM_EV_PIN_TIMEOUT] = "pin_timeout",
	[PAYTERM_EV_PIN_ABORTED] = "pin_aborted",
	[PAYTERM_EV_PIN_REJECTED] = "pin_rejected",
	[PAYTERM_EV_PAYLOAD_EXPIRED] = "payload_expired",
};

const char *event_type_name(unsigned int type)
{
	if (type < PAYTERM_EV_MAX && ev_names[type])
		return ev_names[type];
	return NULL;
}

void event_flags_format(unsigned int flags, char *buf, size_t size)
{
	static const char *const names[] = {
		"contactless", "data_ready", "reader_encrypted",
	};
	size_t o = 0;
	unsigned int i;

	o += (size_t)snprintf(buf, size, "[");
	for (i = 0; i < 8 && o < size; i++) {
		if (!(flags & (1U << i)))
			continue;
		if (i < 3)
			o += (size_t)snprintf(buf + o, size - o, "%s\"%s\"",
					      o > 1 ? "," : "", names[i]);
		else
			o += (size_t)snprintf(buf + o, size - o, "%s\"0x%02x\"",
					      o > 1 ? "," : "", 1U << i);
	}
	if (o < size)
		snprintf(buf + o, size - o, "]");
}

void event_print(FILE *out, const struct payterm_event *ev)
{
	const char *name = event_type_name(ev->type);
	char flags[128], type[32];

	if (name)
		snprintf(type, sizeof(type), "\"%s\"", name);
	else
		snprintf(type, sizeof(type), "%u", ev->type);
	event_flags_format(ev->flags, flags, sizeof(flags));
	fprintf(out,
		"{\"time\":%llu.%06llu,\"seq\":%u,\"type\":%s,\"slot\":%u,"
		"\"flags\":%s,\"value\":%d}\n",
		(unsigned long long)(ev->timestamp_ns / 1000000000ULL),
		(unsigned long long)(ev->timestamp_ns % 1000000000ULL / 1000),
		ev->sequence, type, ev->slot, flags, ev->value);
	fflush(out);
}

static const struct {
	const char *name;
	uint32_t key;
} key_names[] = {
	{ "corr", PAYTERM_KEY_CORRECTION },
	{ "correction", PAYTERM_KEY_CORRECTION },
	{ "clear", PAYTERM_KEY_CLEAR },
	{ "cancel", PAYTERM_KEY_CANCEL },
	{ "enter", PAYTERM_KEY_ENTER },
};

int key_parse(const char *s, uint32_t *key)
{
	size_t i;

	if (s[0] >= '0' && s[0] <= '9' && !s[1]) {
		*key = (uint32_t)(s[0] - '0');
		return 0;
	}
	for (i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++)
		if (!strcasecmp(s, key_names[i].name)) {
			*key = key_names[i].key;
			return 0;
		}
	return -EINVAL;
}

const char *key_name(uint32_t key)
{
	static const char *const digits[] = {
		"0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
	};
	size_t i;

	if (key <= PAYTERM_KEY_9)
		return digits[key];
	for (i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++)
		if (key_names[i].key == key)
			return key_names[i].name;
	return "?";
}

int tokenize(char *line, char **argv, int max)
{
	char *r = line, *w = line;
	char quote;
	int n = 0;

	for (;;) {
		while (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n')
			r++;
		if (!*r)
			return n;
		if (n == max)
			return -E2BIG;
		argv[n++] = w;
		quote = 0;
		while (*r) {
			if (quote) {
				if (*r == quote)
					quote = 0;
				else
					*w++ = *r;
			} else if (*r == '"' || *r == '\'') {
				quote = *r;
			} else if (*r == ' ' || *r == '\t' || *r == '\r' ||
				   *r == '\n') {
				break;
			} else {
				*w++ = *r;
			}
			r++;
		}
		if (quote)
			return -EINVAL;
		/* w <= r always; terminate the word */
		if (*r)
			r++;
		*w++ = '\0';
	}
}

void json_print_line(json_t *j)
{
	char *s;

	if (!j)
		return;
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!s)
		return;
	puts(s);
	fflush(stdout);
	free(s);
}
