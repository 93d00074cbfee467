/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* jitctl audit (audit.c), --check-sequence (audit-check.c) and forward
 * (audit-forward.c). What they share: the journal they read (the host's, a
 * folder of forwarded journals, or files) through sd-journal, and one
 * audit entry's fields. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-journal.h>

struct audit_source {
        const char *directory; /* --directory: forwarded journals */
        char **files;          /* --file, NULL-terminated */
};

/* Open the source, matching every jit-access audit MESSAGE_ID (or only
 * those of events, when not NULL: audit_event values ending with -1).
 * Prints why on failure and returns a negative errno. */
int audit_journal_open(const struct audit_source *src, const int *events, sd_journal **ret);

/* FIELD's value in the current entry, into buf ("" when absent). */
const char *audit_field(sd_journal *j, const char *field, char *buf, size_t size);

/* jitctl audit --check-sequence: gaps and duplicates per sequence. */
int audit_check_sequence(sd_journal *j, bool json);

/* jitctl audit forward … */
int verb_audit_forward(int argc, char *argv[]);
