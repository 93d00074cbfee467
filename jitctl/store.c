/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The store folder jitctl publishes from and to:
 *   STORE/grants/ *.jwt      one grant token per file (other names are ignored)
 *   STORE/revoked           "JTI UNTIL_EPOCH" lines, '#' comments
 *   STORE/objects/<sha256>  the shards, immutable
 *   STORE/head.jwt          the signed head, the file hosts poll
 *   STORE/retired           "SHA256 SINCE_EPOCH": objects no head names any more */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fileio.h"
#include "head.h"
#include "jit-limits.h"
#include "jitctl.h"
#include "parse.h"
#include "store-build.h"

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

int store_write_objects(const char *store, const struct store_build *b, size_t *ret_written,
                        size_t *ret_kept) {
        _cleanup_free_ char *dir = NULL;
        size_t written = 0, kept = 0;

        dir = path_join(store, STORE_OBJECTS_DIR);
        if (!dir)
                return -ENOMEM;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
                int r = -errno;

                ctl_error("%s: cannot create: %s", dir, strerror(-r));
                return r;
        }
        for (size_t i = 0; i < b->n_shards; i++) {
                const struct store_shard *s = &b->shards[i];
                _cleanup_free_ char *path = path_join(dir, s->digest);
                struct jit_error err = {};
                struct stat st;
                int r;

                if (!path)
                        return -ENOMEM;
                /* Named by its digest: an object of that name and size is
                 * these bytes (a host checks every byte anyway). */
                if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (size_t) st.st_size == s->len) {
                        kept++;
                        continue;
                }
                r = write_file_atomic(path, s->bytes, s->len, 0644, &err);
                if (r < 0) {
                        ctl_file_error(path, &err);
                        return r;
                }
                written++;
        }
        *ret_written = written;
        *ret_kept = kept;
        return 0;
}

static bool object_named(const struct store_build *b, const char *name) {
        for (size_t i = 0; i < b->n_shards; i++)
                if (streq(b->shards[i].digest, name))
                        return true;
        return false;
}

/* The time name was first seen retired, from the lines of STORE/retired. */
static int64_t retired_since(char **lines, const char *name, int64_t now) {
        size_t n = strlen(name);

        for (char **l = lines; l && *l; l++) {
                uint64_t t;

                if (strncmp(*l, name, n) == 0 && (*l)[n] == ' ' &&
                    parse_uint_strict(*l + n + 1, strlen(*l + n + 1), JIT_TIME_MAX, &t))
                        return (int64_t) t;
        }
        return now;
}

int store_retire_objects(const char *store, const struct store_build *b, int64_t now, int64_t grace,
                         bool prune, size_t *ret_retired, size_t *ret_pruned) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *text = NULL, *out = NULL;
        _cleanup_strv_free_ char **lines = NULL;
        struct jit_error err = {};
        size_t len = 0, size = 0, retired = 0, pruned = 0;
        struct dirent *de;
        FILE *f;
        DIR *d;
        int r = 0;

        dir = path_join(store, STORE_OBJECTS_DIR);
        path = path_join(store, STORE_RETIRED_FILE);
        if (!dir || !path)
                return -ENOMEM;
        if (access(path, F_OK) == 0) {
                r = read_file_capped(path, REVOKED_FILE_MAX, &text, &len);
                if (r < 0)
                        return r;
                for (char *p = text, *line; (line = strsep(&p, "\n"));)
                        if (*line && strv_extend(&lines, line) < 0)
                                return -ENOMEM;
        }
        f = open_memstream(&out, &size);
        if (!f)
                return -ENOMEM;
        d = opendir(dir);
        if (!d) {
                r = errno == ENOENT ? 0 : -errno;
                (void) fclose(f);
                if (r < 0)
                        ctl_error("%s: %s", dir, strerror(-r));
                return r;
        }
        while ((de = readdir(d))) {
                const char *name = de->d_name;
                int64_t since;

                if (!digest_hex_is_valid(name, strlen(name)) || object_named(b, name))
                        continue;
                since = retired_since(lines, name, now);
                if (prune && since <= now - grace) {
                        _cleanup_free_ char *p = path_join(dir, name);

                        if (p && unlink(p) == 0) {
                                pruned++;
                                continue;
                        }
                }
                fprintf(f, "%s %" PRId64 "\n", name, since);
                retired++;
        }
        (void) closedir(d);
        if (fclose(f) != 0)
                return -ENOMEM;
        r = write_file_atomic(path, out, size, 0644, &err);
        if (r < 0) {
                ctl_file_error(path, &err);
                return r;
        }
        *ret_retired = retired;
        *ret_pruned = pruned;
        return 0;
}
