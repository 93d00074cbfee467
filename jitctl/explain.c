/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>

#include "explain.h"
#include "jitctl.h"

void grant_report_done(struct grant_report *r) {
        free(r->kid);
        free(r->alg);
        grant_free(r->grant);
        *r = (struct grant_report){};
}

void head_report_done(struct head_report *r) {
        free(r->kid);
        free(r->alg);
        head_free(r->head);
        *r = (struct head_report){};
}

static bool same_utc_day(int64_t a, int64_t b) {
        return a / 86400 == b / 86400;
}

/* "14:30:00 UTC" when t is today (UTC), else the full date. */
static void format_near(int64_t t, int64_t now, char *buf, size_t size) {
        format_utc(t, same_utc_day(t, now), buf, size);
}

static void format_relative(int64_t t, int64_t now, char *buf, size_t size) {
        char span[40];

        format_span(t - now, span, sizeof(span));
        if (t >= now)
                (void) snprintf(buf, size, "in %s", span);
        else
                (void) snprintf(buf, size, "%s ago", span);
}

/* The one-line reason after "INVALID — ". */
static void explain_failure(const struct jit_error *err, const char *kid, const struct grant *g,
                            int64_t now, char *buf, size_t size) {
        char when[64], rel[64];

        switch (err->reason) {
        case JIT_REASON_EXPIRED:
                if (g) {
                        format_near(g->exp, now, when, sizeof(when));
                        format_relative(g->exp, now, rel, sizeof(rel));
                        (void) snprintf(buf, size, "expired at %s (%s)", when, rel);
                        return;
                }
                break;
        case JIT_REASON_NOT_YET_VALID:
                if (g) {
                        format_near(g->nbf, now, when, sizeof(when));
                        format_relative(g->nbf, now, rel, sizeof(rel));
                        (void) snprintf(buf, size, "not valid before %s (%s)", when, rel);
                        return;
                }
                break;
        case JIT_REASON_SIGNATURE:
                (void) snprintf(buf, size, "signature does not verify (kid %s)",
                                kid ? kid : "none");
                return;
        case JIT_REASON_KID_UNKNOWN:
                (void) snprintf(buf, size, "signed by a key the trust store does not hold (kid %s)",
                                kid ? kid : "none");
                return;
        case JIT_REASON_AUDIENCE:
                (void) snprintf(buf, size, "not for this host: no aud selector matches its facts");
                return;
        case JIT_REASON_REVOKED:
                (void) snprintf(buf, size, "revoked by the head");
                return;
        default:
                break;
        }
        (void) snprintf(buf, size, "%s",
                        err->message[0] ? err->message : jit_reason_to_string(err->reason));
}

static void print_strv(char *const *l, const char *sep) {
        for (char *const *i = l; i && *i; i++)
                printf("%s%s", i == l ? "" : sep, *i);
}

/* Only for a verified token: the key the kid named is the one that signed. */
static void print_signature(const char *indent, const struct jwk *key, const char *kid) {
        printf("%s  signature   ok (%s, key %s)\n", indent, key ? jws_alg_to_string(key->alg) : "?",
               kid ? kid : "none");
}

static void explain_grant_details(const struct grant_report *r, int64_t now, const char *indent) {
        const struct grant *g = r->grant;
        char from[64], until[64], span[64], rel[64];

        print_signature(indent, r->key, r->kid);
        printf("%s  issuer      %s (trusted)\n", indent, g->iss);

        format_utc(g->nbf, false, from, sizeof(from));
        if (same_utc_day(g->nbf, g->exp)) {
                /* "2026-11-24 14:00:00 – 14:30:00 UTC": drop the first " UTC" */
                size_t n = strlen(from);
                if (n > 4)
                        from[n - 4] = '\0';
                format_utc(g->exp, true, until, sizeof(until));
        } else
                format_utc(g->exp, false, until, sizeof(until));
        format_span(g->exp - g->nbf, span, sizeof(span));
        if (now < g->nbf) {
                format_relative(g->nbf, now, rel, sizeof(rel));
                printf("%s  window      %s – %s (%s), starts %s\n", indent, from, until, span, rel);
        } else if (now <= g->exp) {
                format_relative(g->exp, now, rel, sizeof(rel));
                printf("%s  window      %s – %s (%s), ends %s\n", indent, from, until, span, rel);
        } else {
                format_relative(g->exp, now, rel, sizeof(rel));
                printf("%s  window      %s – %s (%s), ended %s\n", indent, from, until, span, rel);
        }

        printf("%s  hosts       ", indent);
        print_strv(g->aud, " or ");
        if (!r->facts_checked)
                printf("  (not matched: give --fact or --facts-file)\n");
        else if (r->applies)
                printf("  → matches this host's facts\n");
        else
                printf("  → does NOT match this host's facts\n");

        printf("%s  user        %s\n", indent, g->sub);
        printf("%s  scope       ", indent);
        if (g->scope & GRANT_SCOPE_SSH)
                printf("ssh");
        if (g->scope & GRANT_SCOPE_SUDO) {
                printf("%ssudo as ", g->scope & GRANT_SCOPE_SSH ? ", " : "");
                print_strv(g->runas, ", ");
        }
        printf("\n");
        if (strv_length(g->keys) > 0)
                printf("%s  keys        %zu OpenSSH key%s admitted\n", indent, strv_length(g->keys),
                       strv_length(g->keys) == 1 ? "" : "s");
        if (g->bind_session)
                printf("%s  bind        the first login session that uses it owns it\n", indent);
        printf("%s  ticket      %s, approved by %s", indent, strempty(g->ticket),
               strempty(g->approver));
        if (g->reason)
                printf(": \"%s\"", g->reason);
        printf("\n");
        printf("%s  id          %s\n", indent, g->jti);
}

void explain_grant(const struct grant_report *r, int64_t now) {
        char why[JIT_ERROR_MESSAGE_MAX + 64];

        if (r->grant)
                printf("grant %s for %s: ", r->grant->jti, r->grant->sub);
        else
                printf("grant: ");
        if (r->valid)
                printf("VALID\n");
        else {
                explain_failure(&r->err, r->kid, r->grant, now, why, sizeof(why));
                printf("INVALID — %s\n", why);
        }
        if (r->grant)
                explain_grant_details(r, now, "");
        else
                printf("  header      alg %s, kid %s\n", r->alg ? r->alg : "none",
                       r->kid ? r->kid : "none");
}

void explain_head(const struct head_report *r, int64_t now) {
        const struct head *h = r->head;
        char why[JIT_ERROR_MESSAGE_MAX + 64], when[64], rel[64];

        if (!h) {
                explain_failure(&r->err, r->kid, NULL, now, why, sizeof(why));
                printf("head: INVALID — %s\n", why);
                printf("  header      alg %s, kid %s\n", r->alg ? r->alg : "none",
                       r->kid ? r->kid : "none");
                return;
        }

        format_near(h->exp, now, when, sizeof(when));
        format_relative(h->exp, now, rel, sizeof(rel));
        printf("head serial %" PRIu64 " from %s: ", h->serial, h->iss);
        if (r->valid)
                printf("VALID\n");
        else
                printf("INVALID — stale: fresh only until %s (%s)\n", when, rel);
        print_signature("", r->key, r->kid);
        format_utc(h->iat, false, when, sizeof(when));
        printf("  issued      %s\n", when);
        format_near(h->exp, now, when, sizeof(when));
        printf("  fresh       %s until %s (%s)\n", r->fresh ? "yes," : "NO, was fresh", when, rel);
        printf("  shards      %zu in %" PRIu32 " bins\n", h->n_shards, h->bins);
        if (r->facts_checked)
                printf("  this host   fetches %zu shards, %" PRIu64 " bytes\n", r->n_host_shards,
                       r->host_bytes);
        printf("  revoked     %zu", h->n_revoked);
        if (h->n_revoked > 0) {
                printf(": ");
                print_strv(h->revoked, ", ");
        }
        printf("\n");
}

static int json_add(struct json_object *o, const char *name, struct json_object *v) {
        if (!v || json_object_object_add(o, name, v) < 0) {
                json_object_put(v);
                return -1;
        }
        return 0;
}

static struct json_object *json_strv(char *const *l) {
        struct json_object *a = json_object_new_array();

        for (char *const *i = l; a && i && *i; i++) {
                struct json_object *s = json_object_new_string(*i);

                if (!s || json_object_array_add(a, s) < 0) {
                        json_object_put(s);
                        json_object_put(a);
                        return NULL;
                }
        }
        return a;
}

static struct json_object *grant_claims_to_json(const struct grant *g) {
        struct json_object *o = json_object_new_object(), *scope = json_object_new_array();
        int fail = 0;

        if (!o || !scope) {
                json_object_put(o);
                json_object_put(scope);
                return NULL;
        }
        if (g->scope & GRANT_SCOPE_SSH)
                fail |= json_object_array_add(scope, json_object_new_string("ssh"));
        if (g->scope & GRANT_SCOPE_SUDO)
                fail |= json_object_array_add(scope, json_object_new_string("sudo"));
        fail |= json_add(o, "iss", json_object_new_string(g->iss));
        fail |= json_add(o, "jti", json_object_new_string(g->jti));
        fail |= json_add(o, "sub", json_object_new_string(g->sub));
        fail |= json_add(o, "aud", json_strv(g->aud));
        fail |= json_add(o, "iat", json_object_new_int64(g->iat));
        fail |= json_add(o, "nbf", json_object_new_int64(g->nbf));
        fail |= json_add(o, "exp", json_object_new_int64(g->exp));
        fail |= json_add(o, "scope", scope);
        fail |= json_add(o, "runas", json_strv(g->runas));
        fail |= json_add(o, "keys", json_strv(g->keys));
        if (g->bind_session)
                fail |= json_add(o, "bind", json_object_new_string("session"));
        if (g->reason)
                fail |= json_add(o, "reason", json_object_new_string(g->reason));
        if (g->ticket)
                fail |= json_add(o, "ticket", json_object_new_string(g->ticket));
        if (g->approver)
                fail |= json_add(o, "approver", json_object_new_string(g->approver));
        if (fail) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

static int add_verdict(struct json_object *o, bool valid, const struct jit_error *err) {
        int fail = 0;

        fail |= json_add(o, "valid", json_object_new_boolean(valid));
        fail |= json_add(o, "reason",
                         json_object_new_string(
                                 jit_reason_to_string(valid ? JIT_REASON_NONE : err->reason)));
        if (valid)
                fail |= json_object_object_add(o, "message", NULL);
        else
                fail |= json_add(o, "message", json_object_new_string(err->message));
        return fail ? -1 : 0;
}

static int add_header(struct json_object *o, const char *kid, const char *alg) {
        int fail = 0;

        if (kid)
                fail |= json_add(o, "kid", json_object_new_string(kid));
        if (alg)
                fail |= json_add(o, "alg", json_object_new_string(alg));
        return fail ? -1 : 0;
}

struct json_object *grant_report_to_json(const struct grant_report *r) {
        struct json_object *o = json_object_new_object();
        int fail = 0;

        if (!o)
                return NULL;
        fail |= json_add(o, "kind", json_object_new_string("grant"));
        fail |= add_verdict(o, r->valid, &r->err);
        fail |= add_header(o, r->kid, r->alg);
        if (r->grant)
                fail |= json_add(o, "claims", grant_claims_to_json(r->grant));
        if (r->facts_checked)
                fail |= json_add(o, "applies_to_host", json_object_new_boolean(r->applies));
        if (fail) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

struct json_object *head_report_to_json(const struct head_report *r) {
        struct json_object *o = json_object_new_object(), *shards;
        int fail = 0;

        if (!o)
                return NULL;
        fail |= json_add(o, "kind", json_object_new_string("head"));
        fail |= add_verdict(o, r->valid, &r->err);
        fail |= add_header(o, r->kid, r->alg);
        if (r->head) {
                fail |= json_add(o, "iss", json_object_new_string(r->head->iss));
                fail |= json_add(o, "serial", json_object_new_int64((int64_t) r->head->serial));
                fail |= json_add(o, "iat", json_object_new_int64(r->head->iat));
                fail |= json_add(o, "exp", json_object_new_int64(r->head->exp));
                fail |= json_add(o, "fresh", json_object_new_boolean(r->fresh));
                fail |= json_add(o, "bins", json_object_new_int64(r->head->bins));
                fail |= json_add(o, "revoked", json_strv(r->head->revoked));
                shards = json_object_new_int64((int64_t) r->head->n_shards);
                fail |= json_add(o, "shards", shards);
                if (r->facts_checked) {
                        fail |= json_add(o, "host_shards",
                                         json_object_new_int64((int64_t) r->n_host_shards));
                        fail |= json_add(o, "host_bytes",
                                         json_object_new_int64((int64_t) r->host_bytes));
                }
        }
        if (fail) {
                json_object_put(o);
                return NULL;
        }
        return o;
}
