// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermctl virt: canned answers to the APDUs the kernel forwards.
 * Each rule is "CAPDU_HEX RAPDU_HEX": the command bytes (a trailing '*'
 * matches any command that starts with them) and the response including
 * SW1 SW2; "mute" as response fails the transmit with -EIO.  The first
 * matching rule wins; without a match the default (6D00) is sent.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "paytermctl.h"

struct apdu_rule {
	uint8_t *cmd;
	size_t cmd_len;
	bool prefix;
	uint8_t *resp;
	size_t resp_len;
	int status;
};

void apdu_map_init(struct apdu_map *m)
{
	memset(m, 0, sizeof(*m));
	m->def[0] = 0x6d;
	m->def[1] = 0x00;
	m->def_len = 2;
}

static uint8_t *hex_alloc(const char *hex, size_t *len)
{
	size_t n = strlen(hex) / 2 + 1;
	uint8_t *b = malloc(n);

	if (!b)
		return NULL;
	if (ptc_hex_decode(hex, b, n, len)) {
		ptc_wipe_free(b, n);
		return NULL;
	}
	return b;
}

int apdu_map_add_line(struct apdu_map *m, const char *line)
{
	char *copy, *words[3], *star;
	struct apdu_rule r = { 0 }, *nr;
	int n, ret = -EINVAL;

	copy = strdup(line);
	if (!copy)
		return -ENOMEM;
	n = tokenize(copy, words, 3);
	if (n != 2)
		goto out;
	star = strchr(words[0], '*');
	if (star) {
		if (star[1])
			goto out;
		*star = '\0';
		r.prefix = true;
	}
	r.cmd = hex_alloc(words[0], &r.cmd_len);
	if (!r.cmd || (!r.prefix && r.cmd_len < 4))
		goto out;
	if (!strcasecmp(words[1], "mute")) {
		r.status = -EIO;
	} else {
		r.resp = hex_alloc(words[1], &r.resp_len);
		if (!r.resp || r.resp_len < 2 || r.resp_len > PAYTERM_RAPDU_MAX)
			goto out;
	}
	nr = realloc(m->rules, (m->count + 1) * sizeof(*nr));
	if (!nr) {
		ret = -ENOMEM;
		goto out;
	}
	m->rules = nr;
	m->rules[m->count++] = r;
	memset(&r, 0, sizeof(r));
	ret = 0;
out:
	ptc_wipe_free(r.cmd, r.cmd_len);
	ptc_wipe_free(r.resp, r.resp_len);
	ptc_wipe_free(copy, strlen(line));
	return ret;
}

int apdu_map_load(struct apdu_map *m, const char *path)
{
	char *line = NULL, *p;
	size_t cap = 0;
	unsigned int lineno = 0;
	ssize_t n;
	FILE *f;
	int r = 0;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		p = line + strspn(line, " \t");
		if (*p == '#' || *p == '\n' || !*p)
			continue;
		p = strchr(line, '#');
		if (p)
			*p = '\0';
		r = apdu_map_add_line(m, line);
		if (r) {
			msg("%s:%u: expected 'CAPDU_HEX[*] RAPDU_HEX|mute'",
			    path, lineno);
			break;
		}
	}
	ptc_wipe_free(line, cap);
	fclose(f);
	return r;
}

int apdu_map_lookup(const struct apdu_map *m, const uint8_t *cmd, size_t len,
		    const uint8_t **resp, size_t *resp_len)
{
	const struct apdu_rule *r;
	size_t i;

	for (i = 0; i < m->count; i++) {
		r = &m->rules[i];
		if (r->prefix ? len >= r->cmd_len : len == r->cmd_len) {
			if (memcmp(r->cmd, cmd, r->cmd_len))
				continue;
			*resp = r->resp;
			*resp_len = r->resp_len;
			return r->status;
		}
	}
	*resp = m->def;
	*resp_len = m->def_len;
	return 0;
}

void apdu_map_free(struct apdu_map *m)
{
	size_t i;

	for (i = 0; i < m->count; i++) {
		ptc_wipe_free(m->rules[i].cmd, m->rules[i].cmd_len);
		ptc_wipe_free(m->rules[i].resp, m->rules[i].resp_len);
	}
	free(m->rules);
	apdu_map_init(m);
}
