// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: paytermd's configuration parser, pd_config_load()
 * (daemon/paytermd/config.c on inih).  Input: the text of a paytermd.conf;
 * it is loaded from a memfd through its /proc/self/fd path, exactly as the
 * daemon opens its file.  Seeds: daemon/systemd/paytermd.conf.example and
 * the configurations of the unit and VM tests.  A configuration that loads
 * must satisfy what the daemon relies on (required keys present and within
 * their limits); one that does not must say why, with the path.
 */
#include "../../daemon/paytermd/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fd = memfd_create("paytermd.conf", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_config cfg;
	char err[512] = "";
	int r;

	if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	r = pd_config_load(path, &cfg, err, sizeof(err));
	if (r == 0) {
		if (!cfg.server_url || strncmp(cfg.server_url, "https://", 8) ||
		    !cfg.ca_file || !cfg.cert_file || !cfg.key_file ||
		    !cfg.keystore || !cfg.state_dir || !cfg.terminal_id ||
		    !cfg.terminal_id[0] || strlen(cfg.terminal_id) > 8 ||
		    !cfg.merchant_id || !cfg.merchant_id[0] ||
		    strlen(cfg.merchant_id) > 15 || strlen(cfg.country) != 3 ||
		    cfg.pin_min < 4 || cfg.pin_max > 12 || cfg.pin_min > cfg.pin_max ||
		    !cfg.entry_modes || cfg.entry_modes & ~PD_ENTRY_ALL ||
		    !cfg.n_aids || cfg.n_aids > PD_MAX_AIDS)
			abort();
		for (size_t i = 0; i < cfg.n_aids; i++)
			if (cfg.aids[i].len < 5 || cfg.aids[i].len > PD_AID_MAX)
				abort();
	} else if (r > 0 || strncmp(err, path, strlen(path))) {
		abort();
	}
	pd_config_free(&cfg);
	return 0;
}
