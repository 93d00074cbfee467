/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* run_dir/audit-seq (root 0600): the host's audit sequence. Every audit
 * entry, pam_jit's and jit-agent's, takes the next number under an flock,
 * so the receiving side can tell a lost entry (a gap) from a resent one (a
 * duplicate): docs/decisions.md, "Numbering the audit trail".
 *
 * The file is one line "<32 hex id> <20-digit number>\n": the id names the
 * sequence (random, made with the file), the number is the last one handed
 * out. A file that is missing, empty or not in that form starts a new
 * sequence (a new id, from 1): a rewritten counter shows as a sequence that
 * begins again, never as numbers reused under the same id. */

#include <stdint.h>

#define AUDIT_SEQ_FILE "audit-seq"
#define AUDIT_SEQ_ID_LEN 32

struct audit_seq {
        char id[AUDIT_SEQ_ID_LEN + 1];
        uint64_t n;
};

/* Take the next number of run_dir's sequence. Waits at most ~100 ms for the
 * lock; returns 0, or a negative errno (run_dir missing or unsafe, lock
 * held too long, I/O), in which case the entry goes out unnumbered. */
int audit_seq_next(const char *run_dir, struct audit_seq *ret);
