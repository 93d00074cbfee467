/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jitctl audit --check-sequence: every audit entry carries its host's
 * sequence id and number (JIT_SEQ_ID, JIT_SEQ; common/host/audit-seq.h). On
 * the receiving side a number missing between two that arrived is a lost
 * entry (a gap), a number that arrived twice is a resent one (a duplicate,
 * which systemd-journal-upload produces when it resumes), and the same
 * number on two different entries is a conflict (docs/decisions.md,
 * "Numbering the audit trail"). */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "jitctl.h"
#include "journal-audit.h"
#include "json.h"

#define GAPS_SHOWN 20

struct seq_entry {
        uint64_t n;
        uint64_t usec;
        uint64_t digest; /* of MESSAGE_ID, MESSAGE and the time: a resend has the same */
};

struct sequence {
        char id[64];
        char host[256];
        struct seq_entry *v;
        size_t n, size;
};

static uint64_t fnv1a(uint64_t h, const char *s) {
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 0x100000001b3ULL;
        return (h ^ 0xff) * 0x100000001b3ULL;
}

static int cmp_entry(const void *a, const void *b) {
        const struct seq_entry *x = a, *y = b;

        if (x->n != y->n)
                return x->n < y->n ? -1 : 1;
        return x->digest < y->digest ? -1 : x->digest > y->digest;
}

static struct sequence *sequence_find(struct sequence **all, size_t *n_all, const char *id,
                                      const char *host) {
        struct sequence *s;

        for (size_t i = 0; i < *n_all; i++)
                if (streq((*all)[i].id, id))
                        return &(*all)[i];
        s = realloc(*all, (*n_all + 1) * sizeof(**all));
        if (!s)
                return NULL;
        *all = s;
        s = &(*all)[(*n_all)++];
        *s = (struct sequence){};
        (void) snprintf(s->id, sizeof(s->id), "%s", id);
        (void) snprintf(s->host, sizeof(s->host), "%s", host);
        return s;
}

struct seq_report {
        uint64_t first, last, numbers, duplicates, conflicts, missing;
        struct json_object *gaps; /* [[from, to], …] */
};

static void sequence_analyze(struct sequence *s, struct seq_report *r, bool text) {
        uint64_t expect = 1;
        size_t shown = 0;

        qsort(s->v, s->n, sizeof(*s->v), cmp_entry);
        *r = (struct seq_report){.gaps = json_object_new_array()};
        if (s->n == 0)
                return;
        r->first = s->v[0].n;
        r->last = s->v[s->n - 1].n;
        for (size_t i = 0; i < s->n; i++) {
                const struct seq_entry *e = &s->v[i];

                if (i > 0 && e->n == s->v[i - 1].n) {
                        if (e->digest == s->v[i - 1].digest)
                                r->duplicates++;
                        else
                                r->conflicts++;
                        continue;
                }
                if (e->n > expect) {
                        struct json_object *g = json_object_new_array();

                        json_object_array_add(g, json_object_new_int64((int64_t) expect));
                        json_object_array_add(g, json_object_new_int64((int64_t) e->n - 1));
                        json_object_array_add(r->gaps, g);
                        r->missing += e->n - expect;
                        if (text && shown++ < GAPS_SHOWN) {
                                if (e->n - 1 == expect)
                                        printf("  missing: %" PRIu64 "\n", expect);
                                else
                                        printf("  missing: %" PRIu64 "-%" PRIu64 "\n", expect,
                                               e->n - 1);
                        }
                }
                r->numbers++;
                expect = e->n + 1;
        }
}

int audit_check_sequence(sd_journal *j, bool json) {
        char mid[64], id[64], num[32], msg[1100], host[256];
        struct sequence *all = NULL;
        size_t n_all = 0;
        uint64_t unnumbered = 0, entries = 0;
        bool bad = false;
        int k;

        k = sd_journal_seek_head(j);
        while (k >= 0 && (k = sd_journal_next(j)) > 0) {
                struct sequence *s;
                uint64_t usec = 0, n;
                char *end;

                entries++;
                audit_field(j, "JIT_SEQ_ID", id, sizeof(id));
                audit_field(j, "JIT_SEQ", num, sizeof(num));
                errno = 0;
                n = strtoull(num, &end, 10);
                if (!id[0] || !num[0] || *end || errno != 0 || n == 0) {
                        unnumbered++;
                        continue;
                }
                audit_field(j, "JIT_HOST", host, sizeof(host));
                if (!host[0])
                        audit_field(j, "_HOSTNAME", host, sizeof(host));
                s = sequence_find(&all, &n_all, id, host);
                if (s && s->n == s->size) {
                        size_t size = s->size ? 2 * s->size : 64;
                        struct seq_entry *v = reallocarray(s->v, size, sizeof(*v));

                        if (v) {
                                s->v = v;
                                s->size = size;
                        }
                }
                if (!s || s->n == s->size) {
                        k = -ENOMEM;
                        break;
                }
                (void) sd_journal_get_realtime_usec(j, &usec);
                audit_field(j, "MESSAGE_ID", mid, sizeof(mid));
                audit_field(j, "MESSAGE", msg, sizeof(msg));
                s->v[s->n++] = (struct seq_entry){
                        .n = n,
                        .usec = usec,
                        .digest = fnv1a(fnv1a(0xcbf29ce484222325ULL, mid), msg) ^ usec,
                };
        }
        if (k < 0) {
                ctl_error("reading the journal: %s", strerror(-k));
                for (size_t i = 0; i < n_all; i++)
                        free(all[i].v);
                free(all);
                return EXIT_SYSTEM;
        }

        if (!json)
                printf("%" PRIu64 " jit-access audit entries, %zu sequence%s, %" PRIu64
                       " unnumbered\n",
                       entries, n_all, n_all == 1 ? "" : "s", unnumbered);
        for (size_t i = 0; i < n_all; i++) {
                struct sequence *s = &all[i];
                struct seq_report r;

                if (!json)
                        printf("sequence %s (host %s):\n", s->id, s->host[0] ? s->host : "?");
                sequence_analyze(s, &r, !json);
                if (json) {
                        _cleanup_json_ struct json_object *o = json_object_new_object();

                        json_object_object_add(o, "seq_id", json_object_new_string(s->id));
                        json_object_object_add(o, "host", json_object_new_string(s->host));
                        json_object_object_add(o, "entries", json_object_new_int64((int64_t) s->n));
                        json_object_object_add(o, "first",
                                               json_object_new_int64((int64_t) r.first));
                        json_object_object_add(o, "last", json_object_new_int64((int64_t) r.last));
                        json_object_object_add(o, "missing",
                                               json_object_new_int64((int64_t) r.missing));
                        json_object_object_add(o, "duplicates",
                                               json_object_new_int64((int64_t) r.duplicates));
                        json_object_object_add(o, "conflicts",
                                               json_object_new_int64((int64_t) r.conflicts));
                        json_object_object_add(o, "gaps", json_object_get(r.gaps));
                        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
                } else
                        printf("  numbers %" PRIu64 "-%" PRIu64 ": %zu entries, %" PRIu64
                               " missing, %" PRIu64 " duplicate%s, %" PRIu64 " conflicting\n",
                               r.first, r.last, s->n, r.missing, r.duplicates,
                               r.duplicates == 1 ? "" : "s", r.conflicts);
                json_object_put(r.gaps);
                bad = bad || r.missing > 0 || r.conflicts > 0;
                free(s->v);
        }
        free(all);
        if (!json)
                printf("%s\n", bad ? "sequence check FAILED: entries are missing or conflicting"
                                   : "sequence check passed: no entry missing");
        return bad ? EXIT_INVALID : EXIT_OK;
}
