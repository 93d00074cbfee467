/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "jit-limits.h"
#include "kv-lines.h"
#include "macro.h"
#include "parse.h"
#include "uid-map.h"

#define UID_MAP_FILE "uids"

void uid_map_done(struct uid_map *m) {
        if (!m)
                return;
        strv_free(m->names);
        free(m->uids);
        *m = (struct uid_map){};
}

int uid_map_get(const struct uid_map *m, const char *name, uid_t *ret) {
        for (size_t i = 0; i < m->n; i++)
                if (streq(m->names[i], name)) {
                        *ret = m->uids[i];
                        return 0;
                }
        return -ENOENT;
}

const char *uid_map_owner(const struct uid_map *m, uid_t uid) {
        for (size_t i = 0; i < m->n; i++)
                if (m->uids[i] == uid)
                        return m->names[i];
        return NULL;
}

static int uid_map_add(struct uid_map *m, const char *name, size_t len, uid_t uid) {
        uid_t *u = realloc(m->uids, (m->n + 1) * sizeof(uid_t));
        size_t n = m->n;

        if (!u)
                return -ENOMEM;
        m->uids = u;
        if (strv_append_n(&m->names, &n, name, len) < 0)
                return -ENOMEM;
        m->uids[m->n++] = uid;
        return 0;
}

int uid_map_load(const char *state_dir, struct uid_map *ret, struct jit_error *err) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        struct uid_map m = {};
        const char *p, *end;
        size_t len = 0;
        int r;

        *ret = (struct uid_map){};
        path = path_join3(state_dir, UID_MAP_FILE, NULL);
        if (!path)
                return jit_error_oom(err);
        r = read_file_secure(path, 0, JIT_UID_MAP_FILE_MAX, &text, &len, err);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        p = text;
        end = text + len;
        while (p < end) {
                struct kv_line l = {};
                uint64_t uid = 0;

                r = kv_line_next(&p, end, &l, err);
                if (r < 0)
                        break;
                if (!user_name_is_valid(l.key, l.key_len)) {
                        r = kv_unknown(&l, err);
                        break;
                }
                if (!parse_uint_strict(l.value, l.value_len, UINT32_MAX - 1, &uid)) {
                        r = kv_bad_value(&l, err);
                        break;
                }
                for (size_t i = 0; i < m.n; i++)
                        if ((strlen(m.names[i]) == l.key_len &&
                             memcmp(m.names[i], l.key, l.key_len) == 0) ||
                            m.uids[i] == (uid_t) uid) {
                                r = jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                                  "line %u: name or uid given twice", l.number);
                                break;
                        }
                if (r < 0)
                        break;
                r = uid_map_add(&m, l.key, l.key_len, (uid_t) uid);
                if (r < 0) {
                        (void) jit_error_oom(err);
                        break;
                }
        }
        if (r < 0) {
                uid_map_done(&m);
                jit_error_prefix(err, "%s", path);
                return r;
        }
        *ret = m;
        return 0;
}

int uid_map_save(const char *state_dir, const struct uid_map *m, struct jit_error *err) {
        _cleanup_free_ char *path = NULL, *buf = NULL;
        size_t len = 0;
        FILE *f;

        path = path_join3(state_dir, UID_MAP_FILE, NULL);
        if (!path)
                return jit_error_oom(err);
        f = open_memstream(&buf, &len);
        if (!f)
                return jit_error_oom(err);
        for (size_t i = 0; i < m->n; i++)
                fprintf(f, "%s %u\n", m->names[i], (unsigned) m->uids[i]);
        if (fclose(f) != 0)
                return jit_error_oom(err);
        return write_file_atomic(path, buf, len, 0600, err);
}

int uid_map_allocate(struct uid_map *m, const char *name, uid_t min, uid_t max, uid_taken_fn taken,
                     void *userdata, uid_t *ret) {
        uid_t have;

        if (!name || !user_name_is_valid(name, strlen(name)) || min > max ||
            uid_map_get(m, name, &have) >= 0)
                return -EINVAL;
        for (uint64_t u = min; u <= max; u++) {
                int r;

                if (uid_map_owner(m, (uid_t) u))
                        continue;
                r = taken ? taken((uid_t) u, userdata) : 0;
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                r = uid_map_add(m, name, strlen(name), (uid_t) u);
                if (r < 0)
                        return r;
                *ret = (uid_t) u;
                return 0;
        }
        return -ENOSPC;
}
