/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The store folder jitctl publishes from:
 *   STORE/grants/ *.jwt   one grant token per file (other names are ignored)
 *   STORE/revoked        "JTI UNTIL_EPOCH" lines, '#' comments
 *   STORE/bundle.jwt     the signed bundle, the file hosts fetch */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "fileio.h"
#include "jit-limits.h"
#include "jitctl.h"

#define REVOKED_FILE_MAX (16u * 1024u * 1024u)

bool jti_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n < 1 || n > JIT_JTI_MAX)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || strchr("._:-", *p)))
                        return false;
        return true;
}

static int cmp_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool has_suffix(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);

        return n > m && streq(s + n - m, suffix);
}

int store_list_grant_files(const char *store, char ***ret) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_strv_free_ char **l = NULL;
        DIR *d;
        struct dirent *de;
        int r = 0;

        dir = path_join(store, STORE_GRANTS_DIR);
        if (!dir)
                return -ENOMEM;
        d = opendir(dir);
        if (!d) {
                if (errno == ENOENT) {
                        *ret = NULL; /* no grants yet: a bundle of revocations only */
                        return 0;
                }
                r = -errno;
                ctl_error("%s: %s", dir, strerror(-r));
                return r;
        }
        errno = 0;
        while ((de = readdir(d))) {
                /* Skip dot files: editors' and rsync's temporaries. */
                if (de->d_name[0] == '.' || !has_suffix(de->d_name, ".jwt"))
                        continue;
                if (strv_extend(&l, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
        }
        if (r == 0 && errno != 0)
                r = -errno;
        closedir(d);
        if (r < 0) {
                ctl_error("%s: %s", dir, strerror(-r));
                return r;
        }
        if (l)
                qsort(l, strv_length(l), sizeof(char *), cmp_strings);
        *ret = TAKE_PTR(l);
        return 0;
}

void revoked_list_done(struct revoked_list *l) {
        for (size_t i = 0; i < l->n_entries; i++)
                free(l->entries[i].jti);
        free(l->entries);
        strv_free(l->lines);
        *l = (struct revoked_list){};
}

/* "JTI UNTIL" with single spaces or tabs between; returns false if malformed. */
static bool revoked_line_parse(const char *line, char **ret_jti, int64_t *ret_until) {
        char jti[JIT_JTI_MAX + 2], until[32], rest[2];
        int64_t v = 0;
        int n;

        n = sscanf(line, "%129s %31s %1s", jti, until, rest);
        if (n != 2 || !jti_is_valid(jti))
                return false;
        for (const char *p = until; *p; p++) {
                if (*p < '0' || *p > '9' || v > (JIT_TIME_MAX - (*p - '0')) / 10)
                        return false;
                v = v * 10 + (*p - '0');
        }
        *ret_jti = strdup(jti);
        *ret_until = v;
        return *ret_jti != NULL;
}

static bool line_is_blank_or_comment(const char *l) {
        l += strspn(l, " \t");
        return *l == '\0' || *l == '#';
}

int store_read_revoked(const char *store, struct revoked_list *ret) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        struct revoked_list l = {};
        char *p, *line;
        unsigned lineno = 0;
        size_t len;
        int r;

        path = path_join(store, STORE_REVOKED_FILE);
        if (!path)
                return -ENOMEM;
        if (access(path, F_OK) < 0 && errno == ENOENT) {
                *ret = l;
                return 0;
        }
        r = read_file_capped(path, REVOKED_FILE_MAX, &text, &len);
        if (r < 0)
                return r;
        if (memchr(text, '\0', len)) {
                ctl_error("%s: contains a NUL byte", path);
                return -EINVAL;
        }

        for (p = text; (line = strsep(&p, "\n"));) {
                lineno++;
                if (!p && *line == '\0')
                        break; /* the final newline */
                if (strv_extend(&l.lines, line) < 0)
                        goto oom;
                if (line_is_blank_or_comment(line))
                        continue;

                struct revoked_entry e = {};
                struct revoked_entry *ne;

                if (!revoked_line_parse(line, &e.jti, &e.until)) {
                        /* A revocation that silently fails to parse would
                         * leave a grant working: refuse the whole file. */
                        ctl_error("%s:%u: expected \"JTI UNTIL_EPOCH\", got \"%s\"", path, lineno,
                                  line);
                        revoked_list_done(&l);
                        return -EINVAL;
                }
                ne = realloc(l.entries, (l.n_entries + 1) * sizeof(*ne));
                if (!ne) {
                        free(e.jti);
                        goto oom;
                }
                l.entries = ne;
                l.entries[l.n_entries++] = e;
        }
        *ret = l;
        return 0;
oom:
        ctl_error("out of memory");
        revoked_list_done(&l);
        return -ENOMEM;
}

int store_write_revoked(const char *store, struct revoked_list *l, const char *jti, int64_t until) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        struct jit_error err = {};
        size_t size = 0;
        bool written = false;
        FILE *f;
        int r;

        path = path_join(store, STORE_REVOKED_FILE);
        if (!path)
                return -ENOMEM;
        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        if (strv_length(l->lines) == 0)
                fputs("# Revoked grants: \"JTI UNTIL_EPOCH\" per line, kept until the grant's "
                      "exp.\n",
                      f);
        for (char **i = l->lines; i && *i; i++) {
                _cleanup_free_ char *ljti = NULL;
                int64_t luntil;

                if (!line_is_blank_or_comment(*i) && revoked_line_parse(*i, &ljti, &luntil) &&
                    streq(ljti, jti)) {
                        /* Keep one line per jti: a second revoke updates it. */
                        if (!written)
                                fprintf(f, "%s %" PRId64 "\n", jti, until);
                        written = true;
                        continue;
                }
                fprintf(f, "%s\n", *i);
        }
        if (!written)
                fprintf(f, "%s %" PRId64 "\n", jti, until);
        if (fclose(f) != 0)
                return -ENOMEM;

        r = write_file_atomic(path, text, size, 0644, &err);
        if (r < 0)
                ctl_file_error(path, &err);
        return r;
}
