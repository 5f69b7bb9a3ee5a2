/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests: the end of every Check test program's main(). */
#ifndef PT_CHECK_MAIN_H
#define PT_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

/* Run every test of @s (CK_FORK etc. from the environment), free it, and
 * return the exit status: EXIT_SUCCESS when no test failed. */
static inline int pt_check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
