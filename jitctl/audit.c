/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jitctl audit: the journal's jit-access entries as an auditor asks for
 * them (docs/jitctl.1.scd, AUDIT). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "jitctl.h"
#include "journal-audit.h"
#include "json.h"

#define FIELD_MAX 1100

static void help(void) {
        printf("Usage: jitctl audit [OPTIONS…]\n"
               "       jitctl audit --check-sequence [--directory DIR | --file FILE…] [--json]\n"
               "       jitctl audit forward --to URL --key FILE --cert FILE --trust FILE [--root "
               "DIR] "
               "[--no-start]\n\n"
               "Show the jit-access audit entries of the journal: who got in where and when,\n"
               "under which grant, ticket and approver; what was denied and why; which sessions\n"
               "were ended at expiry or revocation. Reads this host's journal, or forwarded\n"
               "journals with --directory.\n\n"
               "Options:\n"
               "  -D, --directory DIR  read the journal files in DIR (e.g. "
               "systemd-journal-remote's)\n"
               "      --file FILE      read this journal file (repeatable)\n"
               "  -u, --user USER      entries about USER\n"
               "  -g, --grant JTI      entries about the grant JTI\n"
               "  -t, --ticket T       entries of grants with ticket T\n"
               "  -H, --host HOST      entries of host HOST (its host fact or host name)\n"
               "  -S, --since TIME     from TIME: 'YYYY-MM-DD[ HH:MM[:SS]]' (UTC), @EPOCH, or\n"
               "                       -DURATION before now (-12h)\n"
               "  -U, --until TIME     up to TIME (same forms)\n"
               "  -o, --outcome O      allowed, denied, ended, closed, extended, keys, store,\n"
               "                       accounts or recorded (repeatable)\n"
               "  -e, --event NAME     an event kind such as login-denied (repeatable)\n"
               "      --json           one JSON object per line\n"
               "      --check-sequence check the entries' sequence numbers: report gaps (lost\n"
               "                       entries) and duplicates (resent ones); exit 1 on a gap\n"
               "  -h, --help           show this help\n\n" EXIT_CODES_HELP);
}

/* What an event kind says about access, for --outcome. */
static const char *event_outcome(int ev) {
        switch (ev) {
        case AUDIT_LOGIN_ALLOWED:
        case AUDIT_SUDO_ALLOWED:
        case AUDIT_EXEMPT_USED:
                return "allowed";
        case AUDIT_LOGIN_DENIED:
        case AUDIT_SUDO_DENIED:
                return "denied";
        case AUDIT_SESSION_ENDED:
        case AUDIT_ELEVATION_ENDED:
                return "ended";
        case AUDIT_SESSION_CLOSED:
                return "closed";
        case AUDIT_SESSION_EXTENDED:
                return "extended";
        case AUDIT_KEYS_INSTALLED:
        case AUDIT_KEYS_REMOVED:
                return "keys";
        case AUDIT_BUNDLE_ACCEPTED:
        case AUDIT_BUNDLE_REJECTED:
                return "store";
        case AUDIT_ACCOUNT_CREATED:
        case AUDIT_ACCOUNT_REMOVED:
                return "accounts";
        default:
                return "recorded";
        }
}

static bool outcome_is_valid(const char *o) {
        static const char *const names[] = {"allowed", "denied", "ended",    "closed",  "extended",
                                            "keys",    "store",  "accounts", "recorded"};
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(o, names[i]))
                        return true;
        return false;
}

int audit_journal_open(const struct audit_source *src, const int *events, sd_journal **ret) {
        sd_journal *j = NULL;
        int r;

        if (src->directory)
                r = sd_journal_open_directory(&j, src->directory, 0);
        else if (src->files && src->files[0])
                r = sd_journal_open_files(&j, (const char **) src->files, 0);
        else
                /* Not SD_JOURNAL_SYSTEM: journald files the entries pam_jit sends from
                 * sudo (real uid the user's) in user-UID.journal. */
                r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0) {
                ctl_error("cannot open the journal%s%s: %s", src->directory ? " in " : "",
                          src->directory ? src->directory : "", strerror(-r));
                return r;
        }
        for (int ev = 0; ev < _AUDIT_EVENT_MAX; ev++) {
                char m[64];
                bool want = !events;

                for (const int *e = events; e && *e >= 0; e++)
                        want = want || *e == ev;
                if (!want)
                        continue;
                (void) snprintf(m, sizeof(m), "MESSAGE_ID=%s", audit_message_id(ev));
                r = sd_journal_add_match(j, m, 0);
                if (r < 0) {
                        sd_journal_close(j);
                        ctl_error("journal match: %s", strerror(-r));
                        return r;
                }
        }
        *ret = j;
        return 0;
}

const char *audit_field(sd_journal *j, const char *field, char *buf, size_t size) {
        const void *d;
        size_t l, n = strlen(field);

        buf[0] = '\0';
        if (sd_journal_get_data(j, field, &d, &l) < 0 || l <= n || ((const char *) d)[n] != '=')
                return buf;
        l -= n + 1;
        if (l >= size)
                l = size - 1;
        memcpy(buf, (const char *) d + n + 1, l);
        buf[l] = '\0';
        /* Journal fields may hold anything; a table shows no control bytes. */
        for (size_t i = 0; i < l; i++)
                if ((unsigned char) buf[i] < 0x20 || buf[i] == 0x7f)
                        buf[i] = '?';
        return buf;
}

/* "2026-12-04 13:05:00", "@EPOCH", "-12h", "now". */
static int parse_when(const char *opt, const char *s, int64_t *ret) {
        struct tm tm = {};
        const char *end;
        int64_t d;

        if (streq(s, "now")) {
                *ret = (int64_t) time(NULL);
                return 0;
        }
        if (s[0] == '@')
                return parse_epoch_arg(opt, s + 1, ret);
        if (s[0] == '-') {
                if (parse_duration_arg(opt, s + 1, INT32_MAX, &d) < 0)
                        return -EINVAL;
                *ret = (int64_t) time(NULL) - d;
                return 0;
        }
        end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
        if (!end || *end) {
                tm = (struct tm){};
                end = strptime(s, "%Y-%m-%d %H:%M", &tm);
        }
        if (!end || *end) {
                tm = (struct tm){};
                end = strptime(s, "%Y-%m-%d", &tm);
        }
        if (!end || *end) {
                ctl_error("%s: '%s' is not a time ('YYYY-MM-DD[ HH:MM[:SS]]' UTC, @EPOCH, -1h)",
                          opt, s);
                return -EINVAL;
        }
        *ret = (int64_t) timegm(&tm);
        return 0;
}

struct audit_filter {
        const char *user, *grant, *ticket, *host;
        char **outcomes;
        int64_t since, until; /* seconds; 0: open */
};

struct audit_row {
        uint64_t usec;
        int event;
        char user[FIELD_MAX], grant[FIELD_MAX], ticket[FIELD_MAX], approver[FIELD_MAX];
        char host[FIELD_MAX], hostname[256], service[64], result[FIELD_MAX], reason[FIELD_MAX];
        char message[FIELD_MAX], seq[32], seq_id[64], mid[64];
};

static void row_read(sd_journal *j, struct audit_row *r) {
        uint64_t usec = 0;

        (void) sd_journal_get_realtime_usec(j, &usec);
        r->usec = usec;
        r->event =
                audit_event_from_message_id(audit_field(j, "MESSAGE_ID", r->mid, sizeof(r->mid)));
        audit_field(j, "JIT_USER", r->user, sizeof(r->user));
        audit_field(j, "JIT_GRANT_ID", r->grant, sizeof(r->grant));
        audit_field(j, "JIT_TICKET", r->ticket, sizeof(r->ticket));
        audit_field(j, "JIT_APPROVER", r->approver, sizeof(r->approver));
        audit_field(j, "JIT_HOST", r->host, sizeof(r->host));
        audit_field(j, "_HOSTNAME", r->hostname, sizeof(r->hostname));
        audit_field(j, "JIT_SERVICE", r->service, sizeof(r->service));
        audit_field(j, "JIT_RESULT", r->result, sizeof(r->result));
        audit_field(j, "JIT_REASON", r->reason, sizeof(r->reason));
        audit_field(j, "MESSAGE", r->message, sizeof(r->message));
        audit_field(j, "JIT_SEQ", r->seq, sizeof(r->seq));
        audit_field(j, "JIT_SEQ_ID", r->seq_id, sizeof(r->seq_id));
        if (!r->host[0])
                memcpy(r->host, r->hostname, strlen(r->hostname) + 1);
}

static bool row_wanted(const struct audit_row *r, const struct audit_filter *f) {
        if (r->event < 0)
                return false;
        if (f->user && !streq(r->user, f->user))
                return false;
        if (f->grant && !streq(r->grant, f->grant))
                return false;
        if (f->ticket && !streq(r->ticket, f->ticket))
                return false;
        if (f->host && !streq(r->host, f->host) && !streq(r->hostname, f->host))
                return false;
        if (f->until > 0 && r->usec / 1000000 > (uint64_t) f->until)
                return false;
        if (f->outcomes && !strv_contains(f->outcomes, event_outcome(r->event)))
                return false;
        return true;
}

static void time_text(uint64_t usec, bool iso, char *buf, size_t size) {
        time_t t = (time_t) (usec / 1000000);
        struct tm tm;

        if (!gmtime_r(&t, &tm) ||
            strftime(buf, size, iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S", &tm) == 0)
                (void) snprintf(buf, size, "@%" PRIu64, usec / 1000000);
}

static void json_add(struct json_object *o, const char *k, const char *v) {
        if (v && v[0])
                json_object_object_add(o, k, json_object_new_string(v));
}

static int row_print_json(const struct audit_row *r) {
        _cleanup_json_ struct json_object *o = json_object_new_object();
        char t[32];

        if (!o)
                return -ENOMEM;
        time_text(r->usec, true, t, sizeof(t));
        json_add(o, "time", t);
        json_object_object_add(o, "realtime_usec", json_object_new_int64((int64_t) r->usec));
        json_add(o, "host", r->host);
        json_add(o, "hostname", r->hostname);
        json_add(o, "event", audit_event_name(r->event));
        json_add(o, "outcome", event_outcome(r->event));
        json_add(o, "user", r->user);
        json_add(o, "grant", r->grant);
        json_add(o, "ticket", r->ticket);
        json_add(o, "approver", r->approver);
        json_add(o, "service", r->service);
        json_add(o, "result", r->result);
        json_add(o, "reason", r->reason);
        json_add(o, "message", r->message);
        json_add(o, "seq_id", r->seq_id);
        if (r->seq[0])
                json_object_object_add(o, "seq", json_object_new_int64(strtoll(r->seq, NULL, 10)));
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        return 0;
}

static const char *dash(const char *s) {
        return s && s[0] ? s : "-";
}

static void row_print_table(const struct audit_row *r) {
        char t[32];
        const char *what = r->event == AUDIT_SESSION_ENDED || r->event == AUDIT_LOGIN_DENIED ||
                                           r->event == AUDIT_SUDO_DENIED ||
                                           r->event == AUDIT_BUNDLE_REJECTED
                                   ? (r->reason[0] ? r->reason : r->result)
                                   : r->result;

        time_text(r->usec, false, t, sizeof(t));
        printf("%-19s  %-12.12s %-16s %-10.10s %-14.14s %-12.12s %-10.10s %s\n", t, dash(r->host),
               audit_event_name(r->event), dash(r->user), dash(r->grant), dash(r->ticket),
               dash(r->approver), dash(what));
}

static int audit_list(sd_journal *j, const struct audit_filter *f, bool json) {
        _cleanup_free_ struct audit_row *r = calloc(1, sizeof(*r));
        size_t n = 0;
        int k;

        if (!r)
                return -ENOMEM;
        if (f->since > 0)
                k = sd_journal_seek_realtime_usec(j, (uint64_t) f->since * 1000000);
        else
                k = sd_journal_seek_head(j);
        if (k < 0)
                return k;
        if (!json)
                printf("%-19s  %-12s %-16s %-10s %-14s %-12s %-10s %s\n", "TIME (UTC)", "HOST",
                       "EVENT", "USER", "GRANT", "TICKET", "APPROVER", "RESULT / REASON");
        while ((k = sd_journal_next(j)) > 0) {
                *r = (struct audit_row){};
                row_read(j, r);
                if (f->since > 0 && r->usec / 1000000 < (uint64_t) f->since)
                        continue;
                if (!row_wanted(r, f))
                        continue;
                if (json)
                        (void) row_print_json(r);
                else
                        row_print_table(r);
                n++;
        }
        if (k < 0)
                return k;
        if (!json && n == 0)
                printf("(no matching entries)\n");
        return 0;
}

static int add_event(const char *name, int *events, size_t *n) {
        for (int ev = 0; ev < _AUDIT_EVENT_MAX; ev++)
                if (streq(name, audit_event_name(ev))) {
                        if (*n < _AUDIT_EVENT_MAX)
                                events[(*n)++] = ev;
                        events[*n] = -1;
                        return 0;
                }
        ctl_error("--event: unknown event '%s' (e.g. login-allowed, login-denied, sudo-allowed, "
                  "session-ended)",
                  name);
        return -EINVAL;
}

int verb_audit(int argc, char *argv[]) {
        enum { OPT_JSON = 0x100, OPT_FILE, OPT_CHECK };
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"directory", required_argument, NULL, 'D'},
                {"file", required_argument, NULL, OPT_FILE},
                {"user", required_argument, NULL, 'u'},
                {"grant", required_argument, NULL, 'g'},
                {"ticket", required_argument, NULL, 't'},
                {"host", required_argument, NULL, 'H'},
                {"since", required_argument, NULL, 'S'},
                {"until", required_argument, NULL, 'U'},
                {"outcome", required_argument, NULL, 'o'},
                {"event", required_argument, NULL, 'e'},
                {"json", no_argument, NULL, OPT_JSON},
                {"check-sequence", no_argument, NULL, OPT_CHECK},
                {},
        };
        _cleanup_strv_free_ char **files = NULL, **outcomes = NULL;
        struct audit_filter f = {};
        struct audit_source src = {};
        int events[_AUDIT_EVENT_MAX + 1] = {-1};
        size_t n_events = 0;
        bool json = false, check = false;
        sd_journal *j = NULL;
        int c, r;

        if (argc > 1 && streq(argv[1], "forward"))
                return verb_audit_forward(argc - 1, argv + 1);

        while ((c = getopt_long(argc, argv, "hD:u:g:t:H:S:U:o:e:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_OK;
                case 'D':
                        src.directory = optarg;
                        break;
                case OPT_FILE:
                        if (strv_extend(&files, optarg) < 0)
                                return EXIT_SYSTEM;
                        break;
                case 'u':
                        f.user = optarg;
                        break;
                case 'g':
                        f.grant = optarg;
                        break;
                case 't':
                        f.ticket = optarg;
                        break;
                case 'H':
                        f.host = optarg;
                        break;
                case 'S':
                        if (parse_when("--since", optarg, &f.since) < 0)
                                return EXIT_USAGE;
                        break;
                case 'U':
                        if (parse_when("--until", optarg, &f.until) < 0)
                                return EXIT_USAGE;
                        break;
                case 'o':
                        if (!outcome_is_valid(optarg)) {
                                ctl_error("--outcome: unknown outcome '%s' (allowed, denied, "
                                          "ended, closed, extended, keys, store, accounts, "
                                          "recorded)",
                                          optarg);
                                return EXIT_USAGE;
                        }
                        if (strv_extend(&outcomes, optarg) < 0)
                                return EXIT_SYSTEM;
                        break;
                case 'e':
                        if (add_event(optarg, events, &n_events) < 0)
                                return EXIT_USAGE;
                        break;
                case OPT_JSON:
                        json = true;
                        break;
                case OPT_CHECK:
                        check = true;
                        break;
                default:
                        ctl_error("run 'jitctl audit --help' for usage");
                        return EXIT_USAGE;
                }
        if (optind < argc) {
                ctl_error("unexpected argument '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        if (src.directory && files) {
                ctl_error("--directory and --file exclude each other");
                return EXIT_USAGE;
        }
        src.files = files;
        f.outcomes = outcomes;

        r = audit_journal_open(&src, n_events > 0 ? events : NULL, &j);
        if (r < 0)
                return EXIT_SYSTEM;
        if (check)
                r = audit_check_sequence(j, json);
        else {
                r = audit_list(j, &f, json);
                if (r < 0)
                        ctl_error("reading the journal: %s", strerror(-r));
                r = r < 0 ? EXIT_SYSTEM : EXIT_OK;
        }
        sd_journal_close(j);
        return r;
}
