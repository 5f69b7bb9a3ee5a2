/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fault injection points of the key store update, for the crash tests. */
#ifndef PAYTERM_KEYSTORE_TEST_H
#define PAYTERM_KEYSTORE_TEST_H

enum pt_ks_fault {
	PT_KS_FP_TMP_CREATED = 1,	/* temp file open, empty */
	PT_KS_FP_PARTIAL,		/* half of the temp file written */
	PT_KS_FP_WRITTEN,		/* temp file written, not synced */
	PT_KS_FP_SYNCED,		/* temp file fsynced, not renamed */
	PT_KS_FP_RENAMED,		/* renamed, directory not synced */
	PT_KS_FP_COMMITTED,		/* directory synced, key not released */
	PT_KS_FP_COUNT
};

/* When set, called at every point; non-zero makes the update fail there
 * (as an I/O error would).  A test may also _exit() inside it to model a
 * crash at that point. */
extern int (*pt_ks_fault_hook)(enum pt_ks_fault point);

#endif
