/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paytermd: the submissions' in-flight journal (journal.h) as main.c sees
 * it.  The journal and the list of submissions not final yet live with
 * the HTTP state of submit.c (struct pd_http).
 */
#ifndef PD_SUBMIT_H
#define PD_SUBMIT_H

struct pd_daemon;

/* After pd_http_new(): open [daemon] state_dir/inflight; 0 or -errno. */
int pd_submit_journal_open(struct pd_daemon *d);
/* At start: resume every in-flight record (status query, then done or
 * reversed); returns how many, or -errno. */
int pd_submit_resume(struct pd_daemon *d);
/* At exit, before pd_http_free(): drop the submissions in memory (their
 * records stay on disk and are resumed by the next start). */
void pd_submit_free_all(struct pd_daemon *d);

#endif
