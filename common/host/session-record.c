/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* run_dir/sessions/<id>, the text form: parse and format one record. Where
 * records are kept is session-store.c; what /proc says about a session is
 * proc.c. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "grant.h"
#include "jit-limits.h"
#include "parse.h"
#include "session-record.h"

void session_record_free(struct session_record *r) {
        if (!r)
                return;
        free(r->grant);
        free(r->user);
        free(r->service);
        free(r->tty);
        free(r->rhost);
        free(r->logind_session);
        strv_free(r->elevated);
        free(r);
}

/* ---- value syntaxes ---- */

static bool alnum_is_valid(const char *s, size_t len, size_t max) {
        if (len == 0 || len > max)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                      (s[i] >= '0' && s[i] <= '9')))
                        return false;
        return true;
}

static bool service_is_valid(const char *s, size_t len) {
        if (len == 0 || len > JIT_SESSION_SERVICE_MAX)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.' || s[i] == '-'))
                        return false;
        return true;
}

/* PAM_TTY and PAM_RHOST come from the client side: printable ASCII only,
 * so a record can never carry a line break or an escape sequence. */
static bool printable_is_valid(const char *s, size_t len) {
        if (len == 0 || len > JIT_SESSION_TTY_MAX)
                return false;
        for (size_t i = 0; i < len; i++)
                if ((unsigned char) s[i] < 0x20 || (unsigned char) s[i] > 0x7e)
                        return false;
        return true;
}

/* "TARGET JTI" */
static bool elevation_is_valid(const char *s, size_t len) {
        const char *sp = memchr(s, ' ', len);

        if (!sp)
                return false;
        return user_name_is_valid(s, (size_t) (sp - s)) &&
               grant_id_is_valid(sp + 1, len - (size_t) (sp - s) - 1);
}

bool logind_session_id_is_valid(const char *s, size_t len) {
        return alnum_is_valid(s, len, JIT_LOGIND_SESSION_ID_MAX);
}

bool session_id_is_valid(const char *id) {
        uint64_t v;
        size_t len;

        if (!id)
                return false;
        len = strlen(id);
        if (len > 7 && memcmp(id, "logind-", 7) == 0)
                return alnum_is_valid(id + 7, len - 7, JIT_LOGIND_SESSION_ID_MAX);
        return len <= 10 && parse_uint_strict(id, len, AUDIT_SESSION_UNSET - 1, &v);
}

/* ---- text form ---- */

enum key {
        KEY_GRANT,
        KEY_USER,
        KEY_SERVICE,
        KEY_TTY,
        KEY_RHOST,
        KEY_LEADER,
        KEY_UID,
        KEY_AUDIT_SESSION,
        KEY_LOGIND_SESSION,
        KEY_EXP,
        KEY_BOUND,
        KEY_ELEVATED,
        _KEY_MAX,
};

static const char *const key_names[_KEY_MAX] = {
        [KEY_GRANT] = "grant",
        [KEY_USER] = "user",
        [KEY_SERVICE] = "service",
        [KEY_TTY] = "tty",
        [KEY_RHOST] = "rhost",
        [KEY_LEADER] = "leader",
        [KEY_UID] = "uid",
        [KEY_AUDIT_SESSION] = "audit-session",
        [KEY_LOGIND_SESSION] = "logind-session",
        [KEY_EXP] = "exp",
        [KEY_BOUND] = "bound",
        [KEY_ELEVATED] = "elevated",
};

static int line_error(struct jit_error *err, unsigned line, const char *what, const char *key) {
        if (key)
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "line %u: %s '%s'", line,
                                     what, key);
        return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "line %u: %s", line, what);
}

static int set_string(char **field, const char *v, size_t len) {
        char *s = strndup(v, len);

        if (!s)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

static int parse_value(struct session_record *r, enum key k, const char *v, size_t len,
                       unsigned line, struct jit_error *err) {
        uint64_t n = 0;
        bool ok;

        switch (k) {
        case KEY_GRANT:
                ok = grant_id_is_valid(v, len) && set_string(&r->grant, v, len) >= 0;
                break;
        case KEY_USER:
                ok = user_name_is_valid(v, len) && set_string(&r->user, v, len) >= 0;
                break;
        case KEY_SERVICE:
                ok = service_is_valid(v, len) && set_string(&r->service, v, len) >= 0;
                break;
        case KEY_TTY:
                ok = printable_is_valid(v, len) && set_string(&r->tty, v, len) >= 0;
                break;
        case KEY_RHOST:
                ok = printable_is_valid(v, len) && set_string(&r->rhost, v, len) >= 0;
                break;
        case KEY_LEADER:
                ok = parse_uint_strict(v, len, INT32_MAX, &n) && n > 0;
                r->leader = (pid_t) n;
                break;
        case KEY_UID:
                /* (uid_t) -1 means "no uid" to the kernel: never a user. */
                ok = parse_uint_strict(v, len, UINT32_MAX - 1, &n);
                r->uid = (uid_t) n;
                break;
        case KEY_AUDIT_SESSION:
                ok = parse_uint_strict(v, len, AUDIT_SESSION_UNSET - 1, &n);
                r->audit_session = (uint32_t) n;
                break;
        case KEY_LOGIND_SESSION:
                ok = alnum_is_valid(v, len, JIT_LOGIND_SESSION_ID_MAX) &&
                     set_string(&r->logind_session, v, len) >= 0;
                break;
        case KEY_EXP:
                ok = parse_uint_strict(v, len, (uint64_t) JIT_TIME_MAX, &n);
                r->exp = (int64_t) n;
                break;
        case KEY_BOUND:
                ok = (len == 3 && memcmp(v, "yes", 3) == 0) ||
                     (len == 2 && memcmp(v, "no", 2) == 0);
                r->bound = len == 3;
                break;
        case KEY_ELEVATED: {
                _cleanup_free_ char *e = NULL;

                if (!elevation_is_valid(v, len))
                        return line_error(err, line, "invalid value for", key_names[k]);
                if (strv_length(r->elevated) >= JIT_SESSION_ELEVATED_MAX)
                        return jit_error_set(err, E2BIG, JIT_REASON_TOO_LARGE,
                                             "line %u: more than %u elevations", line,
                                             JIT_SESSION_ELEVATED_MAX);
                e = strndup(v, len);
                if (!e)
                        return jit_error_oom(err);
                if (strv_contains(r->elevated, e))
                        return line_error(err, line, "elevation listed twice:", e);
                if (strv_extend(&r->elevated, e) < 0)
                        return jit_error_oom(err);
                return 0;
        }
        default:
                return line_error(err, line, "unknown key", NULL);
        }
        if (!ok)
                return line_error(err, line, "invalid value for", key_names[k]);
        return 0;
}

int session_record_parse(const char *id, const char *text, size_t len, struct session_record **ret,
                         struct jit_error *err) {
        static const enum key required[] = {KEY_GRANT,  KEY_USER, KEY_SERVICE,
                                            KEY_LEADER, KEY_UID,  KEY_EXP};
        _cleanup_(session_record_freep) struct session_record *r = NULL;
        const char *p, *end;
        unsigned line = 0, seen = 0;
        int q;

        if (!ret || (!text && len > 0))
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        if (!session_id_is_valid(id))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "invalid session id");
        if (len > JIT_SESSION_FILE_MAX)
                return jit_error_set(err, EFBIG, JIT_REASON_TOO_LARGE,
                                     "session record larger than %u bytes", JIT_SESSION_FILE_MAX);
        /* NULL text with len 0 is an empty file; p and end stay off NULL,
         * where even NULL + 0 is undefined in C. */
        p = text ? text : "";
        end = p + len;
        r = calloc(1, sizeof(*r));
        if (!r)
                return jit_error_oom(err);
        (void) snprintf(r->id, sizeof(r->id), "%s", id);
        r->audit_session = AUDIT_SESSION_UNSET;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p)), *eq;
                size_t n, kl;
                enum key k;

                line++;
                if (!nl)
                        return line_error(err, line, "no newline at the end", NULL);
                n = (size_t) (nl - p);
                for (size_t i = 0; i < n; i++)
                        if ((unsigned char) p[i] < 0x20 || (unsigned char) p[i] == 0x7f)
                                return line_error(err, line, "control character", NULL);
                eq = memchr(p, '=', n);
                if (!eq)
                        return line_error(err, line, "not 'key=value'", NULL);
                kl = (size_t) (eq - p);
                for (k = 0; k < _KEY_MAX; k++)
                        if (strlen(key_names[k]) == kl && memcmp(key_names[k], p, kl) == 0)
                                break;
                if (k == _KEY_MAX)
                        return line_error(err, line, "unknown key", NULL);
                if (k != KEY_ELEVATED && (seen & (1u << k)))
                        return line_error(err, line, "repeated key", key_names[k]);
                seen |= 1u << k;
                q = parse_value(r, k, eq + 1, n - kl - 1, line, err);
                if (q < 0)
                        return q;
                p = nl + 1;
        }
        for (size_t i = 0; i < ELEMENTSOF(required); i++)
                if (!(seen & (1u << required[i])))
                        return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "missing key '%s'",
                                             key_names[required[i]]);
        if (!r->elevated && !(r->elevated = calloc(1, sizeof(char *))))
                return jit_error_oom(err);
        *ret = TAKE_PTR(r);
        return 0;
}

int session_record_format(const struct session_record *r, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, n_elevated;
        bool ok;
        FILE *f;

        if (!r || !ret)
                return -EINVAL;
        /* Write only what parse takes back. */
        if (!session_id_is_valid(r->id) || !r->grant ||
            !grant_id_is_valid(r->grant, strlen(r->grant)) || !r->user ||
            !user_name_is_valid(r->user, strlen(r->user)) || !r->service ||
            !service_is_valid(r->service, strlen(r->service)) ||
            (r->tty && !printable_is_valid(r->tty, strlen(r->tty))) ||
            (r->rhost && !printable_is_valid(r->rhost, strlen(r->rhost))) ||
            (r->logind_session && !alnum_is_valid(r->logind_session, strlen(r->logind_session),
                                                  JIT_LOGIND_SESSION_ID_MAX)) ||
            r->leader <= 0 || r->uid == (uid_t) -1 || r->exp < 0 || r->exp > JIT_TIME_MAX)
                return -EINVAL;
        n_elevated = strv_length(r->elevated);
        if (n_elevated > JIT_SESSION_ELEVATED_MAX)
                return -E2BIG;
        for (size_t i = 0; i < n_elevated; i++) {
                if (!elevation_is_valid(r->elevated[i], strlen(r->elevated[i])))
                        return -EINVAL;
                for (size_t j = 0; j < i; j++)
                        if (streq(r->elevated[i], r->elevated[j]))
                                return -EINVAL;
        }

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        ok = fprintf(f, "grant=%s\nuser=%s\nservice=%s\n", r->grant, r->user, r->service) > 0;
        if (ok && r->tty)
                ok = fprintf(f, "tty=%s\n", r->tty) > 0;
        if (ok && r->rhost)
                ok = fprintf(f, "rhost=%s\n", r->rhost) > 0;
        if (ok)
                ok = fprintf(f, "leader=%" PRIu32 "\nuid=%" PRIu32 "\n", (uint32_t) r->leader,
                             (uint32_t) r->uid) > 0;
        if (ok && r->audit_session != AUDIT_SESSION_UNSET)
                ok = fprintf(f, "audit-session=%" PRIu32 "\n", r->audit_session) > 0;
        if (ok && r->logind_session)
                ok = fprintf(f, "logind-session=%s\n", r->logind_session) > 0;
        if (ok)
                ok = fprintf(f, "exp=%" PRId64 "\nbound=%s\n", r->exp, r->bound ? "yes" : "no") > 0;
        for (size_t i = 0; ok && i < n_elevated; i++)
                ok = fprintf(f, "elevated=%s\n", r->elevated[i]) > 0;
        if (fclose(f) != 0 || !ok)
                return -ENOMEM;
        if (size > JIT_SESSION_FILE_MAX)
                return -E2BIG;
        *ret = TAKE_PTR(buf);
        return 0;
}
