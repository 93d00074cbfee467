/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* run_dir/keys/<user>: the OpenSSH keys of the user's usable ssh grants, for
 * sshd's AuthorizedKeysFile. Each line carries expiry-time="…" as well, so
 * sshd itself refuses the key after the grant's end even if this agent is
 * not running to remove it.
 *
 * run_dir/keys-ended/<user>: the keys of the user's grants that ended lately
 * (expired or revoked, for ENDED_KEEP after their end) or start later, each
 * behind restrict and a forced command that refuses. Only the opt-in
 * AuthorizedKeysCommand (authorized-keys.c) serves them, and only to a user
 * with no key of a usable grant: sshd then accepts the key and runs PAM's
 * account stage, where pam_jit tells the user why (docs/decisions.md). */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "accounts.h"
#include "agent-log.h"
#include "fileio.h"
#include "key-files.h"
#include "parse.h"

#define KEYS_DIR "keys"
#define ENDED_DIR "keys-ended"
/* How long the keys of an ended grant are still served to be refused with a
 * reason: a day covers "my grant ended last night". */
#define ENDED_KEEP (24 * 3600)
/* What the forced command prints if pam_jit were not in the account stack:
 * the login still gets nothing (restrict: no pty, no forwarding). */
#define ENDED_OPTIONS                                                                              \
        "restrict,command=\"echo 'jit: access refused: no usable grant for this key' >&2; "        \
        "exit 1\""

struct key_line {
        char *key;
        int64_t end; /* exp of the grant that admits it */
};

struct user_keys {
        struct key_line *lines;
        size_t n;
        int64_t now, skew;
        int64_t next; /* earliest later change */
        size_t n_usable;
        char **ended; /* keys of grants ended lately or not yet valid */
};

static void user_keys_done(struct user_keys *k) {
        for (size_t i = 0; i < k->n; i++)
                free(k->lines[i].key);
        free(k->lines);
        k->lines = NULL;
        k->n = 0;
        strv_free(k->ended);
        k->ended = NULL;
}

/* A grant refused now whose keys are served to be refused with a reason. */
static void on_ended(enum verdict v, const struct grant *g, struct user_keys *k) {
        int64_t gone = g->exp > INT64_MAX - ENDED_KEEP ? INT64_MAX : g->exp + ENDED_KEEP;

        if (v != VERDICT_NOT_YET && v != VERDICT_EXPIRED && v != VERDICT_REVOKED)
                return;
        if (!g->keys || !g->keys[0])
                return; /* nothing to serve, nothing to change later */
        if (v != VERDICT_NOT_YET) {
                if (gone <= k->now)
                        return; /* ended too long ago */
                if (gone < k->next)
                        k->next = gone; /* its keys go then */
        }
        for (size_t i = 0; g->keys && g->keys[i]; i++)
                if (!strv_contains(k->ended, g->keys[i]) && strv_extend(&k->ended, g->keys[i]) < 0)
                        return; /* out of memory: the key is refused without a reason */
}

static void on_candidate(enum verdict v, const struct grant *g, void *userdata) {
        struct user_keys *k = userdata;
        int64_t end = g->exp, start = g->nbf - k->skew;

        if (v == VERDICT_NOT_YET && start > k->now && start < k->next)
                k->next = start; /* its keys appear then */
        if (v != VERDICT_ALLOW) {
                on_ended(v, g, k);
                return;
        }
        k->n_usable++;
        if (end < k->next)
                k->next = end; /* its keys go then */
        for (size_t i = 0; g->keys && g->keys[i]; i++) {
                bool merged = false;

                for (size_t j = 0; j < k->n; j++)
                        if (streq(k->lines[j].key, g->keys[i])) {
                                if (end > k->lines[j].end)
                                        k->lines[j].end = end;
                                merged = true;
                        }
                if (!merged) {
                        struct key_line *l = realloc(k->lines, (k->n + 1) * sizeof(*l));
                        char *dup = strdup(g->keys[i]);

                        if (!l || !dup) {
                                free(dup);
                                if (l)
                                        k->lines = l;
                                continue; /* out of memory: the key is simply not granted */
                        }
                        k->lines = l;
                        k->lines[k->n++] = (struct key_line){.key = dup, .end = end};
                }
        }
}

static int keys_format(const struct user_keys *k, char **ret, size_t *ret_len) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f;

        f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        fputs("# written by jit-agent: the keys of this user's valid grants\n", f);
        for (size_t i = 0; i < k->n; i++) {
                time_t t = (time_t) k->lines[i].end;
                struct tm tm;
                char stamp[32];

                if (!gmtime_r(&t, &tm) || strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%SZ", &tm) == 0)
                        continue;
                fprintf(f, "expiry-time=\"%s\" %s\n", stamp, k->lines[i].key);
        }
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        *ret_len = len;
        return 0;
}

static int ended_format(char *const *ended, char **ret, size_t *ret_len) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f;

        f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        fputs("# written by jit-agent: keys of this user's ended or future grants, refused\n", f);
        for (size_t i = 0; ended && ended[i]; i++)
                fprintf(f, ENDED_OPTIONS " %s\n", ended[i]);
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        *ret_len = len;
        return 0;
}

/* Rewrite one user's run_dir/keys-ended file, or remove it when empty. */
static int ended_write_user(struct agent *a, int efd, const char *user, char *const *ended) {
        _cleanup_free_ char *path = NULL, *text = NULL, *old = NULL;
        size_t len, old_len;
        int r;

        if (strv_length(ended) == 0) {
                if (unlinkat(efd, user, 0) < 0 && errno != ENOENT)
                        return -errno;
                return 0;
        }
        if (asprintf(&path, "%s/" ENDED_DIR "/%s", a->ctx.config->run_dir, user) < 0)
                return -ENOMEM;
        r = ended_format(ended, &text, &len);
        if (r < 0)
                return r;
        if (read_file_secure(path, 0, 1024 * 1024, &old, &old_len, NULL) >= 0 && old_len == len &&
            memcmp(old, text, len) == 0)
                return 0;
        return write_file_atomic(path, text, len, 0644, NULL);
}

static int keys_dir_open(const char *run_dir, const char *name, int *ret) {
        _cleanup_free_ char *path = NULL;
        struct stat st;
        int fd;

        if (asprintf(&path, "%s/%s", run_dir, name) < 0)
                return -ENOMEM;
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                return -errno;
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        /* sshd reads these: root's, and nobody else may write there. */
        if (fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022)) {
                close(fd);
                return -EPERM;
        }
        /* The unit's UMask=0077 makes mkdir() above give 0700, and sshd's
         * AuthorizedKeysCommandUser (nobody) could not read the folder. */
        if ((st.st_mode & 07777) != 0755 && fchmod(fd, 0755) < 0) {
                int e = -errno;

                close(fd);
                return e;
        }
        *ret = fd;
        return 0;
}

/* Rewrite one user's file, or remove it when no key is granted. */
static int keys_write_user(struct agent *a, int kfd, const char *user, const struct user_keys *k) {
        _cleanup_free_ char *path = NULL, *text = NULL, *old = NULL;
        size_t len, old_len;
        int r;

        if (asprintf(&path, "%s/" KEYS_DIR "/%s", a->ctx.config->run_dir, user) < 0)
                return -ENOMEM;
        if (k->n == 0) {
                if (unlinkat(kfd, user, 0) == 0)
                        agent_audit(AUDIT_KEYS_REMOVED, LOG_INFO,
                                    &(struct audit_fields){
                                            .user = user, .host = a->ctx.host, .result = "removed"},
                                    "keys of %s removed: no valid grant admits one", user);
                return 0;
        }
        r = keys_format(k, &text, &len);
        if (r < 0)
                return r;
        if (read_file_secure(path, 0, 1024 * 1024, &old, &old_len, NULL) >= 0 && old_len == len &&
            memcmp(old, text, len) == 0)
                return 0; /* unchanged: no rewrite, no event */
        r = write_file_atomic(path, text, len, 0644, NULL);
        if (r < 0)
                return r;
        agent_audit(
                AUDIT_KEYS_INSTALLED, LOG_INFO,
                &(struct audit_fields){.user = user, .host = a->ctx.host, .result = "installed"},
                "keys of %s: %zu key%s installed", user, k->n, k->n == 1 ? "" : "s");
        return 0;
}

static int users_list(const char *dir, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        DIR *d;
        struct dirent *de;

        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        d = opendir(dir);
        if (!d) {
                *ret = TAKE_PTR(l);
                return errno == ENOENT ? 0 : -errno;
        }
        while ((de = readdir(d)))
                if (user_name_is_valid(de->d_name, strlen(de->d_name)) &&
                    strv_extend(&l, de->d_name) < 0) {
                        closedir(d);
                        return -ENOMEM;
                }
        closedir(d);
        *ret = TAKE_PTR(l);
        return 0;
}

/* One user's result of a sync: when the file changes next, how many usable
 * grants back it. */
struct key_result {
        const char *user;
        int64_t when; /* INT64_MAX: never */
        size_t usable;
        bool undecided; /* the user's grants could not be decided */
};

static uint32_t name_hash(const char *s) {
        uint32_t h = 2166136261u; /* FNV-1a */

        for (; *s; s++)
                h = (h ^ (uint8_t) *s) * 16777619u;
        return h >> KEY_DUE_USABLE_BITS << KEY_DUE_USABLE_BITS;
}

static uint32_t due_hash(const struct key_due *d) {
        return d->who >> KEY_DUE_USABLE_BITS << KEY_DUE_USABLE_BITS;
}

static int64_t due_when(const struct key_schedule *s, const struct key_due *d) {
        return s->epoch + (int64_t) d->when;
}

static int due_cmp(const void *a, const void *b) {
        const struct key_due *x = a, *y = b;

        return x->when < y->when ? -1 : x->when > y->when;
}

/* The schedule after a sync at now of the users in res: every entry due at
 * now and every entry of their names' hashes replaced by their results (a
 * full sync replaces them all). */
static int key_schedule_update(struct key_schedule *s, const struct key_result *res, size_t n_res,
                               bool full, int64_t now) {
        struct key_schedule t = {.epoch = now};
        size_t n = 0;

        t.v = malloc(((full ? 0 : s->n) + n_res + 1) * sizeof(struct key_due));
        if (!t.v)
                return -ENOMEM;
        for (size_t i = 0; !full && i < s->n; i++) {
                int64_t when = due_when(s, &s->v[i]);
                bool synced = when <= now;

                for (size_t k = 0; k < n_res && !synced; k++)
                        synced = name_hash(res[k].user) == due_hash(&s->v[i]);
                if (synced)
                        continue;
                t.v[n] = s->v[i];
                t.v[n++].when = (uint32_t) (when - now);
        }
        for (size_t i = 0; i < n_res; i++) {
                if (res[i].when == INT64_MAX)
                        continue; /* nothing changes later: no usable grant, none coming */
                /* 136 years ahead at most: a later start is looked at again then */
                int64_t after = res[i].when - now;
                size_t usable = res[i].usable;
                const size_t usable_max = (1u << KEY_DUE_USABLE_BITS) - 1;

                t.v[n++] = (struct key_due){
                        .when = after > (int64_t) UINT32_MAX ? UINT32_MAX : (uint32_t) after,
                        .who = name_hash(res[i].user) |
                               (uint32_t) (usable > usable_max ? usable_max : usable)};
        }
        qsort(t.v, n, sizeof(struct key_due), due_cmp);
        t.n = n;
        key_schedule_done(s);
        *s = t;
        return 0;
}

int key_schedule_due(const struct key_schedule *s, const char *state_dir, int64_t now,
                     char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *dir = NULL;
        struct dirent *de;
        size_t n = 0;
        DIR *d;

        *ret = NULL;
        while (n < s->n && due_when(s, &s->v[n]) <= now)
                n++;
        if (n == 0)
                return 0;
        if (asprintf(&dir, "%s/users", state_dir) < 0)
                return -ENOMEM;
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        /* Only the names due are copied: the folder holds every user's. */
        d = opendir(dir);
        while (d && (de = readdir(d))) {
                uint32_t h;

                if (!user_name_is_valid(de->d_name, strlen(de->d_name)))
                        continue;
                h = name_hash(de->d_name);
                for (size_t k = 0; k < n; k++)
                        if (due_hash(&s->v[k]) == h) {
                                if (strv_extend(&l, de->d_name) < 0) {
                                        closedir(d);
                                        return -ENOMEM;
                                }
                                break;
                        }
        }
        if (d)
                closedir(d);
        else if (errno != ENOENT)
                return -errno;
        *ret = TAKE_PTR(l); /* possibly empty: the due entries go at the sync */
        return 0;
}

int64_t key_schedule_next(const struct key_schedule *s) {
        return s->n > 0 ? due_when(s, &s->v[0]) : 0;
}

size_t key_schedule_usable(const struct key_schedule *s) {
        size_t n = 0;

        for (size_t i = 0; i < s->n; i++)
                n += s->v[i].who & ((1u << KEY_DUE_USABLE_BITS) - 1);
        return n;
}

void key_schedule_done(struct key_schedule *s) {
        free(s->v);
        *s = (struct key_schedule){};
}

/* The accounts follow the same decisions as the key files: a user with a
 * usable ssh grant has one (create_users), the others none. A user whose
 * grants could not be decided is left as they are. */
static void accounts_for_results(struct agent *a, const struct key_result *res, size_t n_res,
                                 bool full) {
        _cleanup_free_ char **wanted = calloc(n_res + 1, sizeof(char *));
        _cleanup_free_ char **unwanted = calloc(n_res + 1, sizeof(char *));
        size_t nw = 0, nu = 0;

        if (!wanted || !unwanted)
                return; /* out of memory: the next sync */
        for (size_t i = 0; i < n_res; i++) {
                if (res[i].undecided)
                        continue;
                if (res[i].usable > 0)
                        wanted[nw++] = (char *) res[i].user;
                else
                        unwanted[nu++] = (char *) res[i].user;
        }
        accounts_sync(a, wanted, unwanted, full);
}

int keys_sync(struct agent *a, const struct host_snapshot *snap, char *const *only, int64_t now) {
        _cleanup_strv_free_ char **have = NULL;
        _cleanup_strv_free_ char **have_ended = NULL;
        _cleanup_free_ char *keys_dir = NULL, *ended_dir = NULL;
        _cleanup_free_ struct key_result *res = NULL;
        _cleanup_free_ const char **users = NULL; /* borrowed from only or snap */
        size_t n_users = 0;
        _cleanup_close_ int kfd = -1, efd = -1;
        const struct host_grants *hg = snap->grants;
        size_t n_res = 0;
        int r;

        if (asprintf(&keys_dir, "%s/" KEYS_DIR, a->ctx.config->run_dir) < 0)
                return -ENOMEM;
        if (asprintf(&ended_dir, "%s/" ENDED_DIR, a->ctx.config->run_dir) < 0)
                return -ENOMEM;
        r = keys_dir_open(a->ctx.config->run_dir, KEYS_DIR, &kfd);
        if (r < 0)
                return r;
        r = keys_dir_open(a->ctx.config->run_dir, ENDED_DIR, &efd);
        if (r < 0)
                return r;
        /* Every user with a file in the bundle: those whose tokens all failed
         * and those whose file could not be read too. Or the users named. */
        users = calloc(strv_length(only) + (hg ? hg->n_users + strv_length(hg->unreadable) : 0) + 1,
                       sizeof(char *));
        if (!users)
                return -ENOMEM;
        for (size_t i = 0; only && only[i]; i++)
                users[n_users++] = only[i];
        for (size_t i = 0; !only && hg && i < hg->n_users; i++)
                users[n_users++] = hg->users[i].user;
        for (size_t i = 0; !only && hg && hg->unreadable && hg->unreadable[i]; i++)
                users[n_users++] = hg->unreadable[i];
        res = calloc(n_users + 1, sizeof(struct key_result));
        if (!res)
                return -ENOMEM;

        for (size_t i = 0; users[i]; i++) {
                struct user_keys k = {
                        .now = now, .skew = a->ctx.config->clock_skew, .next = INT64_MAX};
                struct decision d = {};

                res[n_res++] = (struct key_result){.user = users[i], .when = INT64_MAX};
                r = decide(snap,
                           &(struct decide_request){
                                   .user = users[i],
                                   .scope = GRANT_SCOPE_SSH,
                                   .ignore_stale = true,
                                   .on_candidate = on_candidate,
                                   .userdata = &k,
                                   .now = now,
                           },
                           &d);
                if (r < 0) {
                        agent_log_fields(LOG_ERR, AGENT_MID_KEY_FILES_FAILED,
                                         (&(struct agent_log_fields){.user = users[i], .error = r}),
                                         "keys of %s: %s", users[i],
                                         r == -EBADF ? "the user's grants file is unreadable"
                                                     : strerror_r(-r, (char[128]){}, 128));
                        user_keys_done(&k);
                        res[n_res - 1].undecided = true;
                        continue; /* fail closed for this user: its file is left to expire */
                }
                res[n_res - 1].when = k.next;
                res[n_res - 1].usable = k.n_usable;
                r = keys_write_user(a, kfd, users[i], &k);
                if (r < 0)
                        agent_log_fields(LOG_ERR, AGENT_MID_KEY_FILES_FAILED,
                                         (&(struct agent_log_fields){.user = users[i], .error = r}),
                                         "keys of %s: cannot write: %s", users[i],
                                         strerror_r(-r, (char[128]){}, 128));
                r = ended_write_user(a, efd, users[i], k.ended);
                if (r < 0)
                        agent_log_fields(LOG_ERR, AGENT_MID_KEY_FILES_FAILED,
                                         (&(struct agent_log_fields){.user = users[i], .error = r}),
                                         "ended keys of %s: cannot write: %s", users[i],
                                         strerror_r(-r, (char[128]){}, 128));
                user_keys_done(&k);
        }

        /* A user with no grants in the bundle any more has no file there:
         * their key file goes too. */
        r = only ? -ENOENT : users_list(keys_dir, &have);
        if (r >= 0)
                for (size_t i = 0; have[i]; i++)
                        if (!strv_contains((char *const *) users, have[i]))
                                (void) keys_write_user(a, kfd, have[i],
                                                       &(struct user_keys){.n = 0});
        r = only ? -ENOENT : users_list(ended_dir, &have_ended);
        if (r >= 0)
                for (size_t i = 0; have_ended[i]; i++)
                        if (!strv_contains((char *const *) users, have_ended[i]))
                                (void) ended_write_user(a, efd, have_ended[i], NULL);

        accounts_for_results(a, res, n_res, !only);

        r = key_schedule_update(&a->keys, res, n_res, !only, now);
        if (r < 0)
                return r;
        a->n_grants = key_schedule_usable(&a->keys);
        return 0;
}
