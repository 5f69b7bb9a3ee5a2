// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd: configuration.  inih (Debian libinih-dev) does the INI syntax;
 * it reports the line of the first error, our handler says what is wrong
 * with the key on that line.
 */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "payterm_crypto.h"

struct parse_ctx {
	struct pd_config *cfg;
	char msg[256];		/* first error, without the location */
	unsigned seen;		/* required keys found, bit per entry */
};

static int bad(struct parse_ctx *c, const char *sec, const char *key,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int bad(struct parse_ctx *c, const char *sec, const char *key,
	       const char *fmt, ...)
{
	char what[200];
	va_list ap;

	if (c->msg[0])
		return 0;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(c->msg, sizeof(c->msg), "[%s] %s: %s", sec, key, what);
	return 0;
}

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int parse_uint(const char *v, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	char *end;
	unsigned long n;

	if (!*v || *v == '-' || *v == '+')
		return -EINVAL;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return -ERANGE;
	*out = n;
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") ||
	    !strcasecmp(v, "on"))
		*out = true;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") ||
		 !strcmp(v, "0") || !strcasecmp(v, "off"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int parse_modes(const char *v, unsigned *out)
{
	char buf[128], *tok, *save = NULL;
	unsigned m = 0;

	if (strlen(v) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, v);
	for (tok = strtok_r(buf, " ,\t", &save); tok;
	     tok = strtok_r(NULL, " ,\t", &save)) {
		if (!strcmp(tok, "swipe"))
			m |= PD_ENTRY_SWIPE;
		else if (!strcmp(tok, "chip"))
			m |= PD_ENTRY_CHIP;
		else if (!strcmp(tok, "tap"))
			m |= PD_ENTRY_TAP;
		else
			return -EINVAL;
	}
	if (!m)
		return -EINVAL;
	*out = m;
	return 0;
}

static int parse_aids(const char *v, struct pd_config *cfg, char *why,
		      size_t whylen)
{
	const char *p = v;

	cfg->n_aids = 0;
	while (*p) {
		struct pd_aid *a;
		size_t n, len;

		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (cfg->n_aids == PD_MAX_AIDS) {
			snprintf(why, whylen, "more than %d AIDs", PD_MAX_AIDS);
			return -E2BIG;
		}
		a = &cfg->aids[cfg->n_aids];
		len = strcspn(p, " ,\t");
		if (pt_hex_decode_n(p, len, a->aid, PD_AID_MAX, &n) || n < 5) {
			snprintf(why, whylen, "AID %zu is not 5..16 bytes of hex",
				 cfg->n_aids + 1);
			return -EINVAL;
		}
		a->len = n;
		cfg->n_aids++;
		p += len;
	}
	if (!cfg->n_aids) {
		snprintf(why, whylen, "no AID given");
		return -EINVAL;
	}
	return 0;
}

enum { R_URL, R_CA, R_CERT, R_KEY, R_TID, R_MID, R_STORE, R_NR };
static const struct {
	const char *sec, *key;
} required[R_NR] = {
	[R_URL] = { "server", "url" },
	[R_CA] = { "server", "ca" },
	[R_CERT] = { "server", "cert" },
	[R_KEY] = { "server", "key" },
	[R_TID] = { "terminal", "id" },
	[R_MID] = { "terminal", "merchant" },
	[R_STORE] = { "keys", "store" },
};

#define IS(s, k) (!strcmp(sec, s) && !strcmp(key, k))

static int handler(void *user, const char *sec, const char *key,
		   const char *v)
{
	struct parse_ctx *c = user;
	struct pd_config *cfg = c->cfg;
	unsigned long n;
	char why[96];
	int i;

	if (c->msg[0])
		return 1;	/* report only the first problem */
	if (!key)
		return 1;	/* inih: section start (INI_CALL_HANDLER_ON_NEW_SECTION) */
	for (i = 0; i < R_NR; i++)
		if (IS(required[i].sec, required[i].key)) {
			if (!*v)
				return bad(c, sec, key, "empty value");
			c->seen |= 1U << i;
		}

	if (IS("server", "url")) {
		if (strncmp(v, "https://", 8) || !v[8])
			return bad(c, sec, key, "must be an https:// URL, got '%s'", v);
		return !set_str(&cfg->server_url, v);
	}
	if (IS("server", "ca"))
		return !set_str(&cfg->ca_file, v);
	if (IS("server", "cert"))
		return !set_str(&cfg->cert_file, v);
	if (IS("server", "key"))
		return !set_str(&cfg->key_file, v);
	if (IS("server", "request_key"))
		return !set_str(&cfg->request_key_file, v);
	if (IS("server", "timeout")) {
		if (parse_uint(v, 1, 300, &n))
			return bad(c, sec, key, "must be 1..300 seconds, got '%s'", v);
		cfg->server_timeout_s = (unsigned)n;
		return 1;
	}
	if (IS("server", "status_attempts")) {
		if (parse_uint(v, 0, 20, &n))
			return bad(c, sec, key, "must be 0..20, got '%s'", v);
		cfg->submit_attempts = (unsigned)n;
		return 1;
	}
	if (IS("server", "request_max_lifetime")) {
		if (parse_uint(v, 60, 86400, &n))
			return bad(c, sec, key, "must be 60..86400 seconds, got '%s'", v);
		cfg->request_max_lifetime_s = (unsigned)n;
		return 1;
	}
	if (IS("server", "proxy")) {
		if ((strncmp(v, "http://", 7) && strncmp(v, "https://", 8)) ||
		    strpbrk(v, " \t"))
			return bad(c, sec, key, "must be an http:// or https:// URL, got '%s'", v);
		return !set_str(&cfg->proxy, v);
	}
	if (IS("server", "pull")) {
		if (parse_bool(v, &cfg->pull))
			return bad(c, sec, key, "must be yes or no, got '%s'", v);
		return 1;
	}
	if (IS("terminal", "id")) {
		if (strlen(v) > 8)
			return bad(c, sec, key, "at most 8 characters, got '%s'", v);
		return !set_str(&cfg->terminal_id, v);
	}
	if (IS("terminal", "merchant")) {
		if (strlen(v) > 15)
			return bad(c, sec, key, "at most 15 characters, got '%s'", v);
		return !set_str(&cfg->merchant_id, v);
	}
	if (IS("terminal", "country")) {
		if (strlen(v) != 3 || strspn(v, "0123456789") != 3)
			return bad(c, sec, key, "must be 3 digits (ISO 3166 numeric), got '%s'", v);
		memcpy(cfg->country, v, 4);
		return 1;
	}
	if (IS("keys", "store"))
		return !set_str(&cfg->keystore, v);
	if (IS("keys", "kek"))
		return !set_str(&cfg->kek_file, v);
	if (IS("keys", "pin_block_format")) {
		if (!strcmp(v, "auto"))
			cfg->pin_block_format = -1;
		else if (!strcmp(v, "0") || !strcmp(v, "3") || !strcmp(v, "4"))
			cfg->pin_block_format = v[0] - '0';
		else
			return bad(c, sec, key, "must be auto, 0, 3 or 4, got '%s'", v);
		return 1;
	}
	if (IS("pin", "min_length") || IS("pin", "max_length")) {
		if (parse_uint(v, 4, 12, &n))
			return bad(c, sec, key, "must be 4..12, got '%s'", v);
		if (key[1] == 'i')
			cfg->pin_min = (unsigned)n;
		else
			cfg->pin_max = (unsigned)n;
		return 1;
	}
	if (IS("pin", "timeout")) {
		if (parse_uint(v, 1, 300, &n))
			return bad(c, sec, key, "must be 1..300 seconds, got '%s'", v);
		cfg->pin_timeout_s = (unsigned)n;
		return 1;
	}
	if (IS("pin", "contactless_cvm_limit")) {
		if (parse_uint(v, 0, 999999999999UL, &n))
			return bad(c, sec, key, "must be 0..999999999999 minor units, got '%s'", v);
		cfg->cvm_limit = n;
		return 1;
	}
	if (IS("card", "entry_modes")) {
		if (parse_modes(v, &cfg->entry_modes))
			return bad(c, sec, key,
				   "a list of swipe, chip, tap expected, got '%s'", v);
		return 1;
	}
	if (IS("card", "timeout")) {
		if (parse_uint(v, 1, 600, &n))
			return bad(c, sec, key, "must be 1..600 seconds, got '%s'", v);
		cfg->card_timeout_s = (unsigned)n;
		return 1;
	}
	if (IS("card", "chip_fallback")) {
		if (parse_bool(v, &cfg->chip_fallback))
			return bad(c, sec, key, "must be yes or no, got '%s'", v);
		return 1;
	}
	if (IS("card", "aids")) {
		if (parse_aids(v, cfg, why, sizeof(why)))
			return bad(c, sec, key, "%s", why);
		return 1;
	}
	if (IS("card", "reader"))
		return !set_str(&cfg->card_reader, v);
	if (IS("card", "pinpad"))
		return !set_str(&cfg->pinpad, v);
	if (IS("daemon", "transaction_timeout")) {
		if (parse_uint(v, 10, 3600, &n))
			return bad(c, sec, key, "must be 10..3600 seconds, got '%s'", v);
		cfg->txn_timeout_s = (unsigned)n;
		return 1;
	}
	if (IS("daemon", "result_linger")) {
		if (parse_uint(v, 0, 3600, &n))
			return bad(c, sec, key, "must be 0..3600 seconds, got '%s'", v);
		cfg->result_linger_s = (unsigned)n;
		return 1;
	}
	if (IS("daemon", "state_dir"))
		return !set_str(&cfg->state_dir, v);
	return bad(c, sec, key, "unknown key");
}

static void defaults(struct pd_config *cfg)
{
	static const char *const aids[] = {
		"A0000000031010", "A0000000032010", "A0000000041010",
		"A0000000043060",
	};
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->server_timeout_s = 15;
	memcpy(cfg->country, "276", 4);
	cfg->submit_attempts = 3;
	cfg->request_max_lifetime_s = 900;
	cfg->pin_block_format = -1;
	cfg->pin_min = 4;
	cfg->pin_max = 12;
	cfg->pin_timeout_s = 30;
	cfg->cvm_limit = 5000;
	cfg->entry_modes = PD_ENTRY_ALL;
	cfg->card_timeout_s = 60;
	cfg->chip_fallback = true;
	cfg->txn_timeout_s = 180;
	cfg->result_linger_s = 60;
	for (i = 0; i < sizeof(aids) / sizeof(aids[0]); i++)
		pt_hex_decode(aids[i], cfg->aids[i].aid, PD_AID_MAX,
			      &cfg->aids[i].len);
	cfg->n_aids = i;
}

int pd_config_load(const char *path, struct pd_config *cfg, char *err,
		   size_t errlen)
{
	struct parse_ctx c = { .cfg = cfg };
	FILE *f;
	int line, i;

	defaults(cfg);
	f = fopen(path, "re");
	if (!f) {
		int e = errno;

		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(e));
		return -e;
	}
	line = ini_parse_file(f, handler, &c);
	fclose(f);
	if (line < 0) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	if (line > 0) {
		if (c.msg[0])
			snprintf(err, errlen, "%s:%d: %s", path, line, c.msg);
		else
			snprintf(err, errlen, "%s:%d: syntax error (expected "
				 "[section] or key = value)", path, line);
		return -EINVAL;
	}
	for (i = 0; i < R_NR; i++)
		if (!(c.seen & (1U << i))) {
			snprintf(err, errlen, "%s: missing key [%s] %s", path,
				 required[i].sec, required[i].key);
			return -EINVAL;
		}
	if (cfg->pin_min > cfg->pin_max) {
		snprintf(err, errlen, "%s: [pin] min_length %u is above "
			 "max_length %u", path, cfg->pin_min, cfg->pin_max);
		return -EINVAL;
	}
	if (!cfg->state_dir && set_str(&cfg->state_dir, "/var/lib/paytermd"))
		return -ENOMEM;
	return 0;
}

void pd_config_free(struct pd_config *cfg)
{
	free(cfg->server_url);
	free(cfg->ca_file);
	free(cfg->cert_file);
	free(cfg->key_file);
	free(cfg->request_key_file);
	free(cfg->proxy);
	free(cfg->terminal_id);
	free(cfg->merchant_id);
	free(cfg->keystore);
	free(cfg->kek_file);
	free(cfg->card_reader);
	free(cfg->pinpad);
	free(cfg->state_dir);
	memset(cfg, 0, sizeof(*cfg));
}

const char *pd_entry_mode_names(unsigned modes, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", modes & PD_ENTRY_SWIPE ? "swipe " : "",
		 modes & PD_ENTRY_CHIP ? "chip " : "",
		 modes & PD_ENTRY_TAP ? "tap " : "");
	if (*buf)
		buf[strlen(buf) - 1] = '\0';
	return buf;
}
