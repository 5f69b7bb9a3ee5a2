// SPDX-License-Identifier: GPL-2.0-or-later
/* paytermctl: command-line tool for payterm readers. */
#include <string.h>
#include <sys/prctl.h>

#include "dbus.h"
#include "paytermctl.h"

#ifndef PAYTERMCTL_VERSION
#define PAYTERMCTL_VERSION "0.1.0"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " COMMAND [ARGS]...\n"
		"\n"
		"  list [--json]                          list readers\n"
		"  monitor DEVICE [--claim] [--count N] [--timeout S]\n"
		"                                         print events as JSON lines\n"
		"  virt [OPTIONS]                         virtual reader driven from stdin\n"
		"  apdu DEVICE [--slot N] HEX...          send APDUs to a card\n"
		"  readers [--json]                       readers seen by paytermd (D-Bus)\n"
		"  pay [--json] [--modes M,...] REQUEST|@FILE|-\n"
		"                                         run a payment through paytermd\n"
		"  status [--json] [TRANSACTION]          paytermd and payment state\n"
		"  cancel [TRANSACTION]                   cancel the running payment\n"
		"  requests [--json]                      payment requests from the pull queue\n"
		"  help                                   this text\n"
		"  --version                              print the version\n"
		"\n"
		"DEVICE is /dev/paytermN, paytermN or N.  '" PROG " COMMAND --help' for\n"
		"details.  Full PANs, tracks and PINs are never printed.\n"
		"\n"
		"Exit codes: 0 ok, 1 failure, 2 usage, 3 device removed,\n"
		"            4 timeout (monitor --count), 5 reader claimed by another process,\n"
		"            6 declined (pay), 7 cancelled (pay), 8 refused (pay),\n"
		"            9 paytermd not running or no system bus\n");
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "list", cmd_list },
		{ "monitor", cmd_monitor },
		{ "virt", cmd_virt },
		{ "apdu", cmd_apdu },
		{ "readers", cmd_readers },
		{ "pay", cmd_pay },
		{ "status", cmd_status },
		{ "cancel", cmd_cancel },
		{ "requests", cmd_requests },
	};
	size_t i;

	/* no core dumps of a process that may hold card data */
	prctl(PR_SET_DUMPABLE, 0);

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf(PROG " %s\n", PAYTERMCTL_VERSION);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	msg("unknown command '%s'", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
