/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* state_dir/revoked-early: the revocations applied ahead of their head's
 * shards, and the serial of the newest head they came from. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "grant.h"
#include "jit-limits.h"
#include "kv-lines.h"
#include "parse.h"
#include "revoked-early.h"

void revoked_early_done(struct revoked_early *e) {
        if (!e)
                return;
        strv_free(e->ids);
        *e = (struct revoked_early){};
}

static int parse_into(const char *text, size_t len, struct revoked_early *e,
                      struct jit_error *err) {
        const char *p, *end;
        struct kv_line l = {};
        int r;

        if (len > JIT_REVOKED_FILE_MAX)
                return jit_error_set(err, EFBIG, JIT_REASON_TOO_LARGE,
                                     "early revocations larger than %u bytes",
                                     JIT_REVOKED_FILE_MAX);
        p = text ? text : "";
        end = p + len;
        r = kv_line_expect(&p, end, "serial", &l, err);
        if (r < 0)
                return r;
        if (!parse_uint_strict(l.value, l.value_len, JIT_SERIAL_MAX, &e->serial) || e->serial == 0)
                return kv_bad_value(&l, err);
        while (p < end) {
                r = kv_line_next(&p, end, &l, err);
                if (r < 0)
                        return r;
                if (!kv_is(&l, "revoked"))
                        return kv_unknown(&l, err);
                if (!grant_id_is_valid(l.value, l.value_len))
                        return kv_bad_value(&l, err);
                if (e->n_ids >= JIT_HEAD_REVOKED_MAX)
                        return jit_error_set(err, E2BIG, JIT_REASON_TOO_LARGE,
                                             "line %u: more than %u revoked ids", l.number,
                                             JIT_HEAD_REVOKED_MAX);
                if (strv_append_n(&e->ids, &e->n_ids, l.value, l.value_len) < 0)
                        return jit_error_oom(err);
                /* Sorted and unique, as written: anything else is not ours. */
                if (e->n_ids > 1 && strcmp(e->ids[e->n_ids - 2], e->ids[e->n_ids - 1]) >= 0)
                        return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                             "line %u: revoked ids not sorted and unique",
                                             l.number);
        }
        return 0;
}

int revoked_early_parse(const char *text, size_t len, struct revoked_early *ret,
                        struct jit_error *err) {
        int r;

        if (!ret || (!text && len > 0))
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        *ret = (struct revoked_early){};
        r = parse_into(text, len, ret, err);
        if (r < 0)
                revoked_early_done(ret); /* nothing half read is handed out */
        return r;
}

int revoked_early_format(const struct revoked_early *e, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        bool ok;
        FILE *f;

        if (!e || !ret || e->serial == 0 || e->serial > JIT_SERIAL_MAX ||
            e->n_ids > JIT_HEAD_REVOKED_MAX)
                return -EINVAL;
        for (size_t i = 0; i < e->n_ids; i++)
                if (!grant_id_is_valid(e->ids[i], strlen(e->ids[i])) ||
                    (i > 0 && strcmp(e->ids[i - 1], e->ids[i]) >= 0))
                        return -EINVAL; /* must be sorted and unique */
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        ok = fprintf(f, "serial %" PRIu64 "\n", e->serial) > 0;
        for (size_t i = 0; ok && i < e->n_ids; i++)
                ok = fprintf(f, "revoked %s\n", e->ids[i]) > 0;
        if (fclose(f) != 0 || !ok)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

static char *early_path(const struct jit_config *c) {
        return path_join3(c->state_dir, "revoked-early", NULL);
}

int revoked_early_load(const struct jit_config *c, struct revoked_early *ret,
                       struct jit_error *err) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t len = 0;
        int r;

        if (!ret)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        *ret = (struct revoked_early){};
        if (!c || !c->state_dir)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        path = early_path(c);
        if (!path)
                return jit_error_oom(err);
        r = read_file_secure(path, 0, JIT_REVOKED_FILE_MAX, &text, &len, err);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        r = revoked_early_parse(text, len, ret, err);
        if (r < 0)
                jit_error_prefix(err, "%s", path);
        return r;
}

int revoked_early_save(const struct jit_config *c, const struct revoked_early *e,
                       struct jit_error *err) {
        _cleanup_free_ char *path = NULL, *text = NULL;

        if (!c || !c->state_dir || !e)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        if (revoked_early_format(e, &text) < 0)
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                     "early revocations out of range");
        path = early_path(c);
        if (!path)
                return jit_error_oom(err);
        return write_file_atomic(path, text, strlen(text), 0600, err);
}

int revoked_early_remove(const struct jit_config *c, struct jit_error *err) {
        _cleanup_free_ char *path = NULL;

        if (!c || !c->state_dir)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        path = early_path(c);
        if (!path)
                return jit_error_oom(err);
        /* unlink() follows no symlink in the last component. */
        if (unlink(path) < 0 && errno != ENOENT)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: cannot remove: %m", path);
        return 0;
}

bool revoked_early_contains(const struct revoked_early *e, const char *jti) {
        if (!e || !jti || e->n_ids == 0)
                return false;
        return bsearch(&jti, e->ids, e->n_ids, sizeof(char *), strcmp_ptr) != NULL;
}
