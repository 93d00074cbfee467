/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jitctl pam enable|disable|status: put pam_jit.so into the sshd and sudo
 * PAM stacks and point sshd's AuthorizedKeysFile at the agent's keys files,
 * on this host or on a tree mounted at --root. Every line jitctl adds to a
 * PAM file follows a marker comment of its own, so disable removes exactly
 * what enable added and nothing an administrator wrote. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "fileio.h"
#include "hoststate.h"
#include "jitctl.h"
#include "pam-wiring.h"

#define PAM_MARKER "# added by jitctl pam enable (jit-access)"
#define PAM_MODULE "pam_jit.so"
#define PAM_DIR "/etc/pam.d"
#define PAM_FILE_MAX (1024u * 1024u)
#define PAM_INCLUDE_DEPTH_MAX 8u
#define PAM_BACKUP_DIR "/var/lib/jit/pam-backup"
#define SSHD_CONFIG "/etc/ssh/sshd_config"
#define SSHD_DROPIN_DIR "/etc/ssh/sshd_config.d"
#define SSHD_DROPIN_NAME "50-jit-access.conf"
#define SSHD_DROPIN SSHD_DROPIN_DIR "/" SSHD_DROPIN_NAME
#define DIFF_CONTEXT 3u
#define DIFF_CELLS_MAX (4u * 1024u * 1024u) /* LCS table; beyond it, replace */

enum {
        SERVICE_SSHD = 1 << 0,
        SERVICE_SUDO = 1 << 1,
};

static const struct pam_service {
        const char *name; /* file in /etc/pam.d */
        unsigned service; /* the SERVICE argument that covers it */
        bool optional;    /* not on every system: skipped when absent */
        bool login;       /* a login: session after pam_loginuid.so and pam_systemd.so */
} pam_services[] = {
        {"sshd", SERVICE_SSHD, false, true},
        {"sudo", SERVICE_SUDO, false, false},
        /* sudo -i and sudo -s run the sudo-i service: left out, it would
         * be a way around every grant. */
        {"sudo-i", SERVICE_SUDO, true, false},
};

/* ---- a text file as lines, kept byte for byte ---- */

struct line {
        char *text; /* without its newline */
        bool nl;    /* ended by a newline: false only for a last line without one */
};

struct lines {
        struct line *v;
        size_t n;
};

static void lines_done(struct lines *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i].text);
        free(l->v);
        *l = (struct lines){};
}

static int lines_insert(struct lines *l, size_t at, const char *text, size_t len, bool nl) {
        struct line *v;
        char *t;

        if (at > l->n)
                return -EINVAL;
        t = strndup(text, len);
        if (!t)
                return -ENOMEM;
        v = reallocarray(l->v, l->n + 1, sizeof(*v));
        if (!v) {
                free(t);
                return -ENOMEM;
        }
        l->v = v;
        memmove(v + at + 1, v + at, (l->n - at) * sizeof(*v));
        v[at] = (struct line){.text = t, .nl = nl};
        l->n++;
        return 0;
}

static void lines_remove(struct lines *l, size_t at) {
        free(l->v[at].text);
        memmove(l->v + at, l->v + at + 1, (l->n - at - 1) * sizeof(*l->v));
        l->n--;
}

/* Text with a NUL byte is not a config file: refused (-EBADMSG). */
static int lines_split(const char *data, size_t len, struct lines *ret) {
        _cleanup_(lines_done) struct lines l = {};
        const char *p = data, *end = data + len;
        int r;

        if (len > 0 && memchr(data, '\0', len))
                return -EBADMSG;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t k = nl ? (size_t) (nl - p) : (size_t) (end - p);

                r = lines_insert(&l, l.n, p, k, nl != NULL);
                if (r < 0)
                        return r;
                p += k + (nl ? 1 : 0);
        }
        *ret = l;
        l = (struct lines){};
        return 0;
}

static int lines_copy(const struct lines *a, struct lines *ret) {
        _cleanup_(lines_done) struct lines l = {};
        int r;

        for (size_t i = 0; i < a->n; i++) {
                r = lines_insert(&l, l.n, a->v[i].text, strlen(a->v[i].text), a->v[i].nl);
                if (r < 0)
                        return r;
        }
        *ret = l;
        l = (struct lines){};
        return 0;
}

static int lines_join(const struct lines *l, char **ret, size_t *ret_len) {
        size_t len = 0, k = 0;
        char *buf;

        for (size_t i = 0; i < l->n; i++)
                len += strlen(l->v[i].text) + l->v[i].nl;
        buf = malloc(len + 1);
        if (!buf)
                return -ENOMEM;
        for (size_t i = 0; i < l->n; i++) {
                size_t t = strlen(l->v[i].text);

                memcpy(buf + k, l->v[i].text, t);
                k += t;
                if (l->v[i].nl)
                        buf[k++] = '\n';
        }
        buf[k] = '\0';
        *ret = buf;
        *ret_len = k;
        return 0;
}

static bool line_eq(const struct line *a, const struct line *b) {
        return a->nl == b->nl && streq(a->text, b->text);
}

static bool lines_eq(const struct lines *a, const struct lines *b) {
        if (a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (!line_eq(a->v + i, b->v + i))
                        return false;
        return true;
}

/* ---- unified diff (for --dry-run and for comparing with a backup) ---- */

enum diff_op { DIFF_EQ, DIFF_DEL, DIFF_ADD };

struct diff_step {
        enum diff_op op;
        size_t a, b; /* lines of each side before this step */
};

static int diff_compute(const struct lines *a, const struct lines *b, struct diff_step **ret,
                        size_t *ret_n) {
        _cleanup_free_ struct diff_step *steps = NULL;
        _cleanup_free_ uint32_t *lcs = NULL;
        size_t pre = 0, suf = 0, na, nb, n = 0, i, j;

        while (pre < a->n && pre < b->n && line_eq(a->v + pre, b->v + pre))
                pre++;
        while (suf < a->n - pre && suf < b->n - pre &&
               line_eq(a->v + a->n - 1 - suf, b->v + b->n - 1 - suf))
                suf++;
        na = a->n - pre - suf;
        nb = b->n - pre - suf;

        steps = calloc(a->n + b->n + 1, sizeof(*steps));
        if (!steps)
                return -ENOMEM;
        /* lcs[i][j]: longest common subsequence of the middles from i and j
         * on. A middle too large for the table is shown as replaced whole:
         * still a correct diff, only a longer one. */
        if ((na + 1) * (nb + 1) <= DIFF_CELLS_MAX) {
                lcs = calloc((na + 1) * (nb + 1), sizeof(*lcs));
                if (!lcs)
                        return -ENOMEM;
                for (i = na; i-- > 0;)
                        for (j = nb; j-- > 0;) {
                                uint32_t *c = lcs + i * (nb + 1) + j;

                                if (line_eq(a->v + pre + i, b->v + pre + j))
                                        *c = lcs[(i + 1) * (nb + 1) + j + 1] + 1;
                                else {
                                        uint32_t down = lcs[(i + 1) * (nb + 1) + j],
                                                 right = lcs[i * (nb + 1) + j + 1];
                                        *c = down >= right ? down : right;
                                }
                        }
        }

        for (i = 0; i < pre; i++)
                steps[n++] = (struct diff_step){DIFF_EQ, i, i};
        for (i = 0, j = 0; i < na || j < nb;) {
                enum diff_op op;

                if (i < na && j < nb && lcs && line_eq(a->v + pre + i, b->v + pre + j))
                        op = DIFF_EQ;
                else if (i < na && (j >= nb || !lcs ||
                                    lcs[(i + 1) * (nb + 1) + j] >= lcs[i * (nb + 1) + j + 1]))
                        op = DIFF_DEL;
                else
                        op = DIFF_ADD;
                steps[n++] = (struct diff_step){op, pre + i, pre + j};
                if (op != DIFF_ADD)
                        i++;
                if (op != DIFF_DEL)
                        j++;
        }
        for (i = 0; i < suf; i++)
                steps[n++] = (struct diff_step){DIFF_EQ, pre + na + i, pre + nb + i};
        steps[n] = (struct diff_step){DIFF_EQ, a->n, b->n}; /* end marker */

        *ret = TAKE_PTR(steps);
        *ret_n = n;
        return 0;
}

static void diff_print_line(FILE *f, char sign, const struct line *l) {
        (void) fprintf(f, "%c%s\n", sign, l->text);
        if (!l->nl)
                (void) fputs("\\ No newline at end of file\n", f);
}

/* Print a unified diff from a to b under the given labels; nothing when
 * they are equal. */
static int diff_print(FILE *f, const char *label_a, const char *label_b, const struct lines *a,
                      const struct lines *b) {
        _cleanup_free_ struct diff_step *s = NULL;
        size_t n, k = 0;
        bool header = false;
        int r;

        r = diff_compute(a, b, &s, &n);
        if (r < 0)
                return r;

        for (;;) {
                size_t c = k, e, start, end, a_len = 0, b_len = 0;

                while (c < n && s[c].op == DIFF_EQ)
                        c++;
                if (c >= n)
                        break;
                /* Extend the hunk over changes closer than twice the context. */
                e = c;
                for (;;) {
                        size_t next;

                        while (e < n && s[e].op != DIFF_EQ)
                                e++;
                        next = e;
                        while (next < n && s[next].op == DIFF_EQ)
                                next++;
                        if (next < n && next - e <= 2 * DIFF_CONTEXT)
                                e = next;
                        else
                                break;
                }
                start = c - k > DIFF_CONTEXT ? c - DIFF_CONTEXT : k;
                end = n - e > DIFF_CONTEXT ? e + DIFF_CONTEXT : n;
                for (size_t i = start; i < end; i++) {
                        a_len += s[i].op != DIFF_ADD;
                        b_len += s[i].op != DIFF_DEL;
                }
                if (!header) {
                        fprintf(f, "--- %s\n+++ %s\n", label_a, label_b);
                        header = true;
                }
                fprintf(f, "@@ -%zu,%zu +%zu,%zu @@\n", s[start].a + (a_len > 0), a_len,
                        s[start].b + (b_len > 0), b_len);
                for (size_t i = start; i < end; i++)
                        switch (s[i].op) {
                        case DIFF_EQ:
                                diff_print_line(f, ' ', a->v + s[i].a);
                                break;
                        case DIFF_DEL:
                                diff_print_line(f, '-', a->v + s[i].a);
                                break;
                        case DIFF_ADD:
                                diff_print_line(f, '+', b->v + s[i].b);
                                break;
                        }
                k = end;
        }
        return 0;
}

/* ---- files under the root ---- */

struct wiring {
        const char *root; /* "" for "/", else absolute without a trailing '/' */
        bool dry_run;
        bool refused;      /* something was not possible: exit 1 */
        bool system_error; /* I/O failed: exit 3 */
};

static void wiring_fail(struct wiring *w, int r) {
        if (r == -ENOMEM || r == -EIO || r == -EACCES || r == -ENOSPC || r == -EROFS)
                w->system_error = true;
        else
                w->refused = true;
}

static char *root_path(const struct wiring *w, const char *host_path) {
        char *p;

        if (asprintf(&p, "%s%s", w->root, host_path) < 0)
                return NULL;
        return p;
}

/* Read path (owned by root or us, not writable by others, no symlink on the
 * way). Missing: -ENOENT without a message when missing_ok. */
static int file_read(const char *path, bool missing_ok, struct lines *ret, mode_t *ret_mode) {
        _cleanup_free_ char *data = NULL;
        struct jit_error err = {};
        struct stat st;
        size_t len = 0;
        int r;

        r = read_file_secure(path, geteuid(), PAM_FILE_MAX, &data, &len, &err);
        if (r == -ENOENT && missing_ok)
                return r;
        if (r < 0) {
                ctl_file_error(path, &err);
                return r;
        }
        if (ret_mode) {
                if (lstat(path, &st) < 0) {
                        r = -errno;
                        ctl_error("%s: %s", path, strerror(-r));
                        return r;
                }
                *ret_mode = st.st_mode & 07777;
        }
        r = lines_split(data, len, ret);
        if (r == -EBADMSG)
                ctl_error("%s: contains a NUL byte; not a text file", path);
        else if (r < 0)
                ctl_error("%s: %s", path, strerror(-r));
        return r;
}

/* ---- PAM configuration files ---- */

enum {
        PAM_TYPE_AUTH = 1 << 0,
        PAM_TYPE_ACCOUNT = 1 << 1,
        PAM_TYPE_SESSION = 1 << 2,
        PAM_TYPE_PASSWORD = 1 << 3,
        PAM_TYPE_ALL = 0xf,
};

struct pam_rule {
        size_t first, last; /* its physical lines (a rule may continue with '\') */
        unsigned type;      /* one PAM_TYPE_ for a rule, PAM_TYPE_ALL for @include */
        bool include;       /* @include, or control include or substack */
        char *control;
        char *module; /* the module, or the file included */
        /* What it brings into the stacks, includes followed: */
        unsigned types;
        bool loginuid; /* session: pam_loginuid.so */
        bool systemd;  /* session: pam_systemd.so */
};

struct pam_file {
        struct lines lines;
        struct pam_rule *rules;
        size_t n_rules;
};

static void pam_file_done(struct pam_file *f) {
        for (size_t i = 0; i < f->n_rules; i++) {
                free(f->rules[i].control);
                free(f->rules[i].module);
        }
        free(f->rules);
        lines_done(&f->lines);
        *f = (struct pam_file){};
}

struct token {
        const char *s;
        size_t len;
};

static bool next_token(const char **p, bool group, struct token *ret) {
        const char *s = *p, *e;

        s += strspn(s, " \t");
        if (*s == '\0')
                return false;
        if (group && *s == '[') {
                e = strchr(s, ']');
                e = e ? e + 1 : s + strlen(s);
        } else
                e = s + strcspn(s, " \t");
        *ret = (struct token){s, (size_t) (e - s)};
        *p = e;
        return true;
}

static bool token_is(const struct token *t, const char *word) {
        return t->len == strlen(word) && strncasecmp(t->s, word, t->len) == 0;
}

static unsigned pam_type_from_token(const struct token *t) {
        struct token u = *t;

        /* "-session": the same stack, the module may be missing. */
        if (u.len > 0 && u.s[0] == '-') {
                u.s++;
                u.len--;
        }
        if (token_is(&u, "auth"))
                return PAM_TYPE_AUTH;
        if (token_is(&u, "account"))
                return PAM_TYPE_ACCOUNT;
        if (token_is(&u, "session"))
                return PAM_TYPE_SESSION;
        if (token_is(&u, "password"))
                return PAM_TYPE_PASSWORD;
        return 0;
}

static bool module_is(const char *module, const char *name) {
        const char *b;

        if (!module)
                return false;
        b = strrchr(module, '/');
        return streq(b ? b + 1 : module, name);
}

/* Rules as Linux-PAM reads them: '\' at the end of a line continues it,
 * '#' starts a comment anywhere. */
static int pam_file_parse(struct lines *l, struct pam_file *ret) {
        _cleanup_(pam_file_done) struct pam_file f = {.lines = *l};

        *l = (struct lines){};
        for (size_t i = 0; i < f.lines.n; i++) {
                _cleanup_free_ char *buf = NULL;
                struct token t, ctl = {}, mod = {};
                struct pam_rule rule = {.first = i};
                const char *p;
                size_t len;

                buf = strdup(f.lines.v[i].text);
                if (!buf)
                        return -ENOMEM;
                while ((len = strlen(buf)) > 0 && buf[len - 1] == '\\' && i + 1 < f.lines.n) {
                        char *joined;

                        buf[len - 1] = '\0';
                        if (asprintf(&joined, "%s %s", buf, f.lines.v[++i].text) < 0)
                                return -ENOMEM;
                        free(buf);
                        buf = joined;
                }
                rule.last = i;
                buf[strcspn(buf, "#")] = '\0';

                p = buf;
                if (!next_token(&p, false, &t))
                        continue;
                if (token_is(&t, "@include")) {
                        rule.type = PAM_TYPE_ALL;
                        rule.include = true;
                        (void) next_token(&p, false, &mod);
                } else {
                        rule.type = pam_type_from_token(&t);
                        (void) next_token(&p, true, &ctl);
                        (void) next_token(&p, false, &mod);
                        rule.include = token_is(&ctl, "include") || token_is(&ctl, "substack");
                }
                rule.control = strndup(ctl.s ? ctl.s : "", ctl.len);
                rule.module = strndup(mod.s ? mod.s : "", mod.len);
                if (!rule.control || !rule.module) {
                        free(rule.control);
                        free(rule.module);
                        return -ENOMEM;
                }
                if (!rule.include) {
                        rule.types = rule.type;
                        rule.loginuid = rule.type == PAM_TYPE_SESSION &&
                                        module_is(rule.module, "pam_loginuid.so");
                        rule.systemd = rule.type == PAM_TYPE_SESSION &&
                                       module_is(rule.module, "pam_systemd.so");
                }
                {
                        struct pam_rule *v = reallocarray(f.rules, f.n_rules + 1, sizeof(*f.rules));

                        if (!v) {
                                free(rule.control);
                                free(rule.module);
                                return -ENOMEM;
                        }
                        f.rules = v;
                        f.rules[f.n_rules++] = rule;
                }
        }
        *ret = f;
        /* NOLINTNEXTLINE(clang-analyzer-deadcode.DeadStores): read by the cleanup */
        f = (struct pam_file){};
        return 0;
}

/* Follow an include: which stacks (of mask) it adds to, and whether its
 * session stack holds pam_loginuid.so or pam_systemd.so. */
/* NOLINTNEXTLINE(misc-no-recursion): bounded by PAM_INCLUDE_DEPTH_MAX */
static int pam_include_scan(const struct wiring *w, const char *from, const char *name,
                            unsigned mask, unsigned depth, struct pam_rule *into) {
        _cleanup_(pam_file_done) struct pam_file f = {};
        _cleanup_(lines_done) struct lines l = {};
        _cleanup_free_ char *host = NULL, *path = NULL;
        int r;

        if (depth > PAM_INCLUDE_DEPTH_MAX) {
                ctl_error("%s: PAM includes nested deeper than %u", from, PAM_INCLUDE_DEPTH_MAX);
                return -ELOOP;
        }
        if (*name == '\0') {
                ctl_error("%s: an include without a file name", from);
                return -EINVAL;
        }
        if (name[0] == '/')
                host = strdup(name);
        else if (asprintf(&host, PAM_DIR "/%s", name) < 0)
                host = NULL;
        if (!host)
                return -ENOMEM;
        path = root_path(w, host);
        if (!path)
                return -ENOMEM;
        r = file_read(path, false, &l, NULL);
        if (r < 0) {
                ctl_error("%s: included from %s", host, from);
                return r;
        }
        r = pam_file_parse(&l, &f);
        if (r < 0)
                return r;
        for (size_t i = 0; i < f.n_rules; i++) {
                const struct pam_rule *x = f.rules + i;

                if (x->include) {
                        r = pam_include_scan(w, host, x->module, mask & x->type, depth + 1, into);
                        if (r < 0)
                                return r;
                } else if (x->type & mask) {
                        into->types |= x->type;
                        into->loginuid = into->loginuid || x->loginuid;
                        into->systemd = into->systemd || x->systemd;
                }
        }
        return 0;
}

static int pam_file_load(const struct wiring *w, const char *host, bool missing_ok,
                         struct pam_file *ret, mode_t *ret_mode) {
        _cleanup_(pam_file_done) struct pam_file f = {};
        _cleanup_(lines_done) struct lines l = {};
        _cleanup_free_ char *path = NULL;
        int r;

        path = root_path(w, host);
        if (!path)
                return -ENOMEM;
        r = file_read(path, missing_ok, &l, ret_mode);
        if (r < 0)
                return r;
        r = pam_file_parse(&l, &f);
        if (r < 0)
                return r;
        for (size_t i = 0; i < f.n_rules; i++)
                if (f.rules[i].include) {
                        r = pam_include_scan(w, host, f.rules[i].module, f.rules[i].type, 1,
                                             f.rules + i);
                        if (r < 0)
                                return r;
                }
        *ret = f;
        f = (struct pam_file){};
        return 0;
}

/* Could this rule, when it succeeds, skip the rules after it? "sufficient",
 * or a jump ("success=2") or "done" in a [value=action] control. */
static bool control_can_skip(const char *control) {
        const char *p = control;

        if (strcasecmp(control, "sufficient") == 0)
                return true;
        if (*p != '[')
                return false;
        p++;
        for (;;) {
                size_t k;
                const char *eq;

                p += strspn(p, " \t");
                k = strcspn(p, " \t]");
                if (k == 0)
                        return false;
                eq = memchr(p, '=', k);
                if (eq) {
                        const char *v = eq + 1;
                        size_t vl = k - (size_t) (v - p);

                        if ((vl == 4 && strncasecmp(v, "done", 4) == 0) ||
                            (vl > 0 && strspn(v, "0123456789") == vl))
                                return true;
                }
                p += k;
        }
}

static bool pam_rule_is_jit(const struct pam_rule *r, unsigned type) {
        return !r->include && r->type == type && module_is(r->module, PAM_MODULE);
}

/* Was this pam_jit.so rule added by jitctl (the marker right above it)? */
static bool pam_rule_is_marked(const struct pam_file *f, const struct pam_rule *r) {
        return r->first > 0 && streq(f->lines.v[r->first - 1].text, PAM_MARKER);
}

/* ---- one file's change ---- */

struct change {
        char *host_path; /* as the host sees it */
        char *path;      /* under the root */
        char *summary;   /* "account and session rules added" … */
        struct lines old, new;
        mode_t mode;
        bool existed;
        bool remove; /* delete the file */
};

static void change_done(struct change *c) {
        free(c->host_path);
        free(c->path);
        lines_done(&c->old);
        lines_done(&c->new);
        free(c->summary);
        *c = (struct change){};
}

static bool change_is_noop(const struct change *c) {
        return !c->remove && c->existed && lines_eq(&c->old, &c->new);
}

/* Insert the marker and rule before line `at`. At the end of a file that
 * lacks its last newline, the rule takes that place: disable restores it. */
static int insert_rule(struct lines *l, size_t at, const char *rule) {
        bool at_end_unterminated = at == l->n && at > 0 && !l->v[at - 1].nl;
        int r;

        if (at_end_unterminated)
                l->v[at - 1].nl = true;
        r = lines_insert(l, at, PAM_MARKER, strlen(PAM_MARKER), true);
        if (r < 0)
                return r;
        return lines_insert(l, at + 1, rule, strlen(rule), !at_end_unterminated);
}

static int refuse_skip(const char *host, const struct pam_file *f, size_t upto, unsigned type,
                       const char *what) {
        for (size_t i = 0; i < upto && i < f->n_rules; i++) {
                const struct pam_rule *x = f->rules + i;

                if (x->include || x->type != type || !control_can_skip(x->control))
                        continue;
                ctl_error("pam enable: refused: %s:%zu: '%s %s' can skip the rules after it, so "
                          "the %s rule of pam_jit.so could be bypassed; change that rule first",
                          host, x->first + 1, x->control, x->module, what);
                return -EPERM;
        }
        return 0;
}

static int pam_plan_enable(struct wiring *w, const struct pam_service *s, const char *args,
                           struct change *ret) {
        _cleanup_(pam_file_done) struct pam_file f = {};
        _cleanup_free_ char *account = NULL, *session = NULL;
        bool has_account = false, has_session = false;
        size_t account_at = SIZE_MAX, session_at = SIZE_MAX, anchor = SIZE_MAX;
        int r;

        if (asprintf(&ret->host_path, PAM_DIR "/%s", s->name) < 0)
                return -ENOMEM;
        ret->path = root_path(w, ret->host_path);
        if (!ret->path)
                return -ENOMEM;
        r = pam_file_load(w, ret->host_path, true, &f, &ret->mode);
        if (r == -ENOENT) {
                if (!s->optional)
                        ctl_error("pam enable: refused: %s does not exist: is %s installed?",
                                  ret->path, s->name);
                return r;
        }
        if (r < 0)
                return r;
        ret->existed = true;
        r = lines_copy(&f.lines, &ret->old);
        if (r < 0)
                return r;
        r = lines_copy(&f.lines, &ret->new);
        if (r < 0)
                return r;

        for (size_t i = 0; i < f.n_rules; i++) {
                has_account = has_account || pam_rule_is_jit(f.rules + i, PAM_TYPE_ACCOUNT);
                has_session = has_session || pam_rule_is_jit(f.rules + i, PAM_TYPE_SESSION);
        }

        if (!has_account) {
                /* Right before the distribution's common account stack
                 * (Debian: @include common-account); else the first rule. */
                for (size_t i = 0; i < f.n_rules && anchor == SIZE_MAX; i++)
                        if (f.rules[i].include && (f.rules[i].types & PAM_TYPE_ACCOUNT))
                                anchor = i;
                for (size_t i = 0; i < f.n_rules && anchor == SIZE_MAX; i++)
                        if (f.rules[i].types & PAM_TYPE_ACCOUNT)
                                anchor = i;
                if (anchor == SIZE_MAX) {
                        ctl_error("pam enable: refused: %s has no account stack to add %s to",
                                  ret->path, PAM_MODULE);
                        return -EPERM;
                }
                r = refuse_skip(ret->host_path, &f, anchor, PAM_TYPE_ACCOUNT, "account");
                if (r < 0)
                        return r;
                account_at = f.rules[anchor].first;
                if (asprintf(&account, "account required %s%s", PAM_MODULE, args) < 0)
                        return -ENOMEM;
        }

        if (!has_session) {
                anchor = SIZE_MAX;
                if (s->login) {
                        bool loginuid = false;

                        /* After pam_loginuid.so (the audit session id) and
                         * pam_systemd.so (the logind session), wherever the
                         * stack pulls them in. */
                        for (size_t i = 0; i < f.n_rules; i++) {
                                if (!(f.rules[i].types & PAM_TYPE_SESSION))
                                        continue;
                                loginuid = loginuid || f.rules[i].loginuid;
                                if (f.rules[i].loginuid || f.rules[i].systemd)
                                        anchor = i;
                        }
                        if (!loginuid) {
                                ctl_error("pam enable: refused: %s: pam_loginuid.so is not in the "
                                          "session stack; pam_jit.so needs the audit session id "
                                          "it sets to track the login (add 'session required "
                                          "pam_loginuid.so' first)",
                                          ret->path);
                                return -EPERM;
                        }
                } else
                        /* sudo: after the whole session stack. */
                        for (size_t i = 0; i < f.n_rules; i++)
                                if (f.rules[i].types & PAM_TYPE_SESSION)
                                        anchor = i;
                r = refuse_skip(ret->host_path, &f, anchor == SIZE_MAX ? f.n_rules : anchor + 1,
                                PAM_TYPE_SESSION, "session");
                if (r < 0)
                        return r;
                session_at = anchor == SIZE_MAX ? f.lines.n : f.rules[anchor].last + 1;
                if (asprintf(&session, "session required %s%s", PAM_MODULE, args) < 0)
                        return -ENOMEM;
        }

        /* The later place first, so the earlier index still holds. */
        if (session && (!account || session_at >= account_at)) {
                r = insert_rule(&ret->new, session_at, session);
                if (r >= 0 && account)
                        r = insert_rule(&ret->new, account_at, account);
        } else if (account) {
                r = insert_rule(&ret->new, account_at, account);
                if (r >= 0 && session)
                        r = insert_rule(&ret->new, session_at, session);
        }
        if (r < 0)
                return r;

        ret->summary = strdup(account && session ? "account and session rules added"
                              : account          ? "account rule added"
                              : session          ? "session rule added"
                                                 : "already enabled");
        return ret->summary ? 0 : -ENOMEM;
}

/* Remove each pam_jit.so rule that follows the marker, with the marker.
 * *ret_foreign counts pam_jit.so rules without one: left in place. */
static int pam_plan_disable(struct wiring *w, const struct pam_service *s, struct change *ret,
                            unsigned *ret_foreign) {
        _cleanup_(pam_file_done) struct pam_file f = {};
        unsigned removed = 0;
        int r;

        if (asprintf(&ret->host_path, PAM_DIR "/%s", s->name) < 0)
                return -ENOMEM;
        ret->path = root_path(w, ret->host_path);
        if (!ret->path)
                return -ENOMEM;
        r = pam_file_load(w, ret->host_path, true, &f, &ret->mode);
        if (r < 0)
                return r;
        ret->existed = true;
        r = lines_copy(&f.lines, &ret->old);
        if (r < 0)
                return r;
        r = lines_copy(&f.lines, &ret->new);
        if (r < 0)
                return r;

        for (size_t i = f.n_rules; i-- > 0;) {
                const struct pam_rule *x = f.rules + i;
                bool unterminated;

                if (!pam_rule_is_jit(x, PAM_TYPE_ACCOUNT) && !pam_rule_is_jit(x, PAM_TYPE_SESSION))
                        continue;
                if (!pam_rule_is_marked(&f, x)) {
                        ctl_warning("%s:%zu: a %s rule jitctl did not add; left in place",
                                    ret->path, x->first + 1, PAM_MODULE);
                        (*ret_foreign)++;
                        continue;
                }
                unterminated = x->last + 1 == ret->new.n && !ret->new.v[x->last].nl;
                for (size_t k = x->last + 1; k-- > x->first - 1;)
                        lines_remove(&ret->new, k);
                if (unterminated && x->first >= 2)
                        ret->new.v[x->first - 2].nl = false;
                removed++;
        }
        if (asprintf(&ret->summary, "%u rule%s of %s removed", removed, removed == 1 ? "" : "s",
                     PAM_MODULE) < 0)
                ret->summary = NULL;
        return ret->summary ? 0 : -ENOMEM;
}

/* ---- sshd: the AuthorizedKeysFile drop-in ---- */

/* "Keyword value" or "Keyword=value": the keyword, case as written. */
static bool sshd_keyword(const char *line, struct token *ret_kw, const char **ret_rest) {
        const char *p = line + strspn(line, " \t"), *e;

        if (*p == '\0' || *p == '#')
                return false;
        e = p + strcspn(p, " \t=");
        *ret_kw = (struct token){p, (size_t) (e - p)};
        e += strspn(e, " \t");
        if (*e == '=')
                e++;
        *ret_rest = e + strspn(e, " \t");
        return true;
}

/* Would sshd use a drop-in's AuthorizedKeysFile? It keeps the first value
 * it sees, so sshd_config must Include sshd_config.d/ *.conf (outside any
 * Match) before any AuthorizedKeysFile of its own, and no drop-in read
 * before ours may set one. */
static int sshd_config_check(const struct wiring *w) {
        _cleanup_(lines_done) struct lines l = {};
        _cleanup_free_ char *path = NULL, *dir = NULL;
        _cleanup_free_ struct dirent **names = NULL;
        bool included = false;
        int r, n;

        path = root_path(w, SSHD_CONFIG);
        if (!path)
                return -ENOMEM;
        r = file_read(path, true, &l, NULL);
        if (r == -ENOENT) {
                ctl_error("pam enable: refused: %s does not exist: is openssh-server installed?",
                          path);
                return -EPERM;
        }
        if (r < 0)
                return r;
        for (size_t i = 0; i < l.n && !included; i++) {
                struct token kw, arg;
                const char *rest;

                if (!sshd_keyword(l.v[i].text, &kw, &rest))
                        continue;
                if (token_is(&kw, "Match"))
                        break;
                if (token_is(&kw, "AuthorizedKeysFile")) {
                        ctl_error("pam enable: refused: %s:%zu sets AuthorizedKeysFile before it "
                                  "includes " SSHD_DROPIN_DIR "/*.conf; sshd keeps the first "
                                  "value, so the drop-in would be ignored. Remove that line, or "
                                  "add the keys folder to it yourself",
                                  path, i + 1);
                        return -EPERM;
                }
                if (!token_is(&kw, "Include"))
                        continue;
                while (next_token(&rest, false, &arg))
                        if (token_is(&arg, SSHD_DROPIN_DIR "/*.conf") ||
                            token_is(&arg, "sshd_config.d/*.conf"))
                                included = true;
        }
        if (!included) {
                ctl_error("pam enable: refused: %s does not include " SSHD_DROPIN_DIR
                          "/*.conf before any Match block (Debian's default), so a drop-in "
                          "cannot set AuthorizedKeysFile; jitctl does not edit sshd_config: add "
                          "'Include " SSHD_DROPIN_DIR "/*.conf' at its top",
                          path);
                return -EPERM;
        }

        dir = root_path(w, SSHD_DROPIN_DIR);
        if (!dir)
                return -ENOMEM;
        n = scandir(dir, &names, NULL, alphasort);
        if (n < 0)
                return errno == ENOENT ? 0 : -errno;
        r = 0;
        for (int i = 0; i < n; i++) {
                _cleanup_(lines_done) struct lines d = {};
                _cleanup_free_ char *p = NULL;
                const char *name = names[i]->d_name;
                size_t len = strlen(name);

                if (r < 0 || len < 5 || !streq(name + len - 5, ".conf") ||
                    strcmp(name, SSHD_DROPIN_NAME) >= 0) {
                        free(names[i]);
                        continue;
                }
                p = path_join(dir, name);
                free(names[i]);
                if (!p) {
                        r = -ENOMEM;
                        continue;
                }
                if (file_read(p, true, &d, NULL) < 0)
                        continue;
                for (size_t k = 0; k < d.n; k++) {
                        struct token kw;
                        const char *rest;

                        if (!sshd_keyword(d.v[k].text, &kw, &rest))
                                continue;
                        if (token_is(&kw, "Match"))
                                break;
                        if (token_is(&kw, "AuthorizedKeysFile")) {
                                ctl_error("pam enable: refused: %s:%zu sets AuthorizedKeysFile "
                                          "and sshd reads it before " SSHD_DROPIN_NAME
                                          " (it keeps the first value)",
                                          p, k + 1);
                                r = -EPERM;
                                break;
                        }
                }
        }
        return r;
}

static int dropin_plan_enable(struct wiring *w, const char *run_dir, struct change *ret) {
        _cleanup_free_ char *text = NULL, *keys = NULL;
        size_t len;
        int r;

        r = sshd_config_check(w);
        if (r < 0)
                return r;

        ret->host_path = strdup(SSHD_DROPIN);
        ret->path = root_path(w, SSHD_DROPIN);
        if (!ret->host_path || !ret->path)
                return -ENOMEM;
        keys = strdup(run_dir);
        if (!keys)
                return -ENOMEM;
        while ((len = strlen(keys)) > 1 && keys[len - 1] == '/')
                keys[len - 1] = '\0';
        if (keys[strcspn(keys, " \t\"%")] != '\0') {
                ctl_error("pam enable: refused: run_dir '%s' cannot be written in "
                          "AuthorizedKeysFile (space, quote or %%)",
                          run_dir);
                return -EPERM;
        }
        if (asprintf(&text,
                     PAM_MARKER "\n"
                                "# sshd reads the keys jit-agent keeps for valid grants, then "
                                "the user's own.\n"
                                "# jitctl pam disable removes this file.\n"
                                "AuthorizedKeysFile %s/keys/%%u .ssh/authorized_keys\n",
                     streq(keys, "/") ? "" : keys) < 0)
                return -ENOMEM;
        r = lines_split(text, strlen(text), &ret->new);
        if (r < 0)
                return r;
        ret->mode = 0644;
        r = file_read(ret->path, true, &ret->old, NULL);
        if (r < 0 && r != -ENOENT)
                return r;
        if (r >= 0) {
                ret->existed = true;
                if (ret->old.n == 0 || !streq(ret->old.v[0].text, PAM_MARKER)) {
                        ctl_error("pam enable: refused: %s exists and was not written by jitctl; "
                                  "move it away first",
                                  ret->path);
                        return -EPERM;
                }
        }
        ret->summary = strdup(!ret->existed                    ? "written"
                              : lines_eq(&ret->old, &ret->new) ? "already in place"
                                                               : "updated");
        return ret->summary ? 0 : -ENOMEM;
}

static int dropin_plan_disable(struct wiring *w, struct change *ret, unsigned *ret_foreign) {
        int r;

        ret->host_path = strdup(SSHD_DROPIN);
        ret->path = root_path(w, SSHD_DROPIN);
        if (!ret->host_path || !ret->path)
                return -ENOMEM;
        r = file_read(ret->path, true, &ret->old, &ret->mode);
        if (r < 0)
                return r;
        ret->existed = true;
        if (ret->old.n == 0 || !streq(ret->old.v[0].text, PAM_MARKER)) {
                ctl_warning("%s was not written by jitctl; left in place", ret->path);
                (*ret_foreign)++;
                return -ENOENT;
        }
        ret->remove = true;
        ret->summary = strdup("removed");
        return ret->summary ? 0 : -ENOMEM;
}

/* ---- applying changes ---- */

static char *backup_path(const struct wiring *w, const char *host_path) {
        _cleanup_free_ char *name = strdup(host_path);
        char *p;

        if (!name)
                return NULL;
        for (char *c = name; *c; c++)
                if (*c == '/')
                        *c = '_';
        if (asprintf(&p, "%s" PAM_BACKUP_DIR "/%s", w->root, name) < 0)
                return NULL;
        return p;
}

/* mkdir -p of a host folder under the root; the last part gets mode. */
static int mkdir_under_root(const struct wiring *w, const char *host_dir, mode_t mode) {
        _cleanup_free_ char *p = root_path(w, host_dir);
        size_t base;

        if (!p)
                return -ENOMEM;
        base = strlen(w->root);
        for (char *c = p + base + 1;; c++) {
                bool last = *c == '\0';

                if (*c != '/' && !last)
                        continue;
                *c = '\0';
                if (mkdir(p, last ? mode : 0755) < 0 && errno != EEXIST) {
                        int r = -errno;

                        ctl_error("%s: cannot create folder: %s", p, strerror(-r));
                        return r;
                }
                if (last)
                        return 0;
                *c = '/';
        }
}

static int write_lines(const char *path, const struct lines *l, mode_t mode) {
        _cleanup_free_ char *data = NULL;
        struct jit_error err = {};
        size_t len;
        int r;

        r = lines_join(l, &data, &len);
        if (r < 0)
                return r;
        r = write_file_atomic(path, data, len, mode, &err);
        if (r < 0)
                ctl_file_error(path, &err);
        return r;
}

/* The file as it was, once: a later enable keeps the first backup. */
static int backup_save(const struct wiring *w, const struct change *c) {
        _cleanup_free_ char *path = NULL;
        struct stat st;
        int r;

        if (!c->existed)
                return 0;
        path = backup_path(w, c->host_path);
        if (!path)
                return -ENOMEM;
        if (lstat(path, &st) >= 0)
                return 0;
        r = mkdir_under_root(w, PAM_BACKUP_DIR, 0700);
        if (r < 0)
                return r;
        return write_lines(path, &c->old, 0600);
}

static void diff_labels(const struct change *c, char **ret_a, char **ret_b) {
        if (!c->existed || asprintf(ret_a, "a%s", c->host_path) < 0)
                *ret_a = NULL;
        if (c->remove || asprintf(ret_b, "b%s", c->host_path) < 0)
                *ret_b = NULL;
}

static int change_show(const struct change *c) {
        _cleanup_free_ char *a = NULL, *b = NULL;
        struct lines none = {};

        diff_labels(c, &a, &b);
        return diff_print(stdout, a ?: "/dev/null", b ?: "/dev/null", c->existed ? &c->old : &none,
                          c->remove ? &none : &c->new);
}

static int change_apply(const struct change *c) {
        if (c->remove) {
                if (unlink(c->path) < 0 && errno != ENOENT) {
                        int r = -errno;

                        ctl_error("%s: cannot remove: %s", c->path, strerror(-r));
                        return r;
                }
                return 0;
        }
        return write_lines(c->path, &c->new, c->mode ? c->mode : 0644);
}

/* ---- the commands ---- */

static void help(void) {
        printf("Usage: jitctl pam enable [--dry-run] [--force] [--root DIR] [--config PATH] "
               "SERVICE…\n"
               "       jitctl pam disable [--dry-run] [--root DIR] [SERVICE…]\n"
               "       jitctl pam status [--root DIR]\n\n"
               "Wire pam_jit.so into the PAM stacks of SERVICE (sshd, sudo), or take it out.\n\n"
               "enable adds, each after a marker comment of its own,\n"
               "  account required pam_jit.so   right before the common account stack\n"
               "  session required pam_jit.so   sshd: after pam_loginuid.so and pam_systemd.so\n"
               "                                (@include common-session); sudo: after the\n"
               "                                session stack\n"
               "to /etc/pam.d/sshd, /etc/pam.d/sudo and /etc/pam.d/sudo-i (when present), and\n"
               "for sshd writes " SSHD_DROPIN " with\n"
               "  AuthorizedKeysFile RUN_DIR/keys/%%u .ssh/authorized_keys\n"
               "Each file is saved first to " PAM_BACKUP_DIR "/ (once). It refuses unless the\n"
               "trust store loads, issuers are set, exempt_users or exempt_group gives a\n"
               "break-glass path, and jit-agent has accepted a bundle that is not stale.\n\n"
               "disable removes exactly what enable added (all services by default); status\n"
               "shows what is wired.\n\n"
               "Options:\n"
               "  --dry-run       print the changes as a unified diff; change nothing\n"
               "  --force         enable without a fresh bundle (the other checks stay)\n"
               "  --root DIR      act on the system tree at DIR (paths in the config are\n"
               "                  read under DIR too)\n"
               "  --config PATH   jit.conf (default " JIT_CONFIG_PATH "); another path is\n"
               "                  passed to the module as config=PATH\n"
               "  --now EPOCH     act as if at this time (for tests)\n"
               "  -h, --help      show this help\n\n"
               "Exit status:\n"
               "  0  done, or nothing to do\n"
               "  1  refused or not possible (the reason is printed)\n"
               "  2  usage error: bad option or argument\n"
               "  3  system error: I/O\n");
}

struct pam_args {
        bool dry_run, force;
        const char *root;
        const char *config; /* host path */
        int64_t now;
        unsigned services;
};

enum { ARG_DRY_RUN = 0x100, ARG_FORCE, ARG_ROOT, ARG_CONFIG, ARG_NOW };
#define ALLOW(a) (1u << ((a) -ARG_DRY_RUN))

static int parse_args(const char *verb, int argc, char *argv[], unsigned allowed,
                      struct pam_args *ret, bool *ret_help) {
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"dry-run", no_argument, NULL, ARG_DRY_RUN},
                {"force", no_argument, NULL, ARG_FORCE},
                {"root", required_argument, NULL, ARG_ROOT},
                {"config", required_argument, NULL, ARG_CONFIG},
                {"now", required_argument, NULL, ARG_NOW},
                {},
        };
        int c;

        *ret_help = false;
        optind = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                if (c >= ARG_DRY_RUN && !(allowed & ALLOW(c))) {
                        ctl_error("pam %s: --%s is not an option of this command", verb,
                                  options[c - ARG_DRY_RUN + 1].name);
                        return -EINVAL;
                }
                switch (c) {
                case 'h':
                        *ret_help = true;
                        return 0;
                case ARG_DRY_RUN:
                        ret->dry_run = true;
                        break;
                case ARG_FORCE:
                        ret->force = true;
                        break;
                case ARG_ROOT:
                        ret->root = optarg;
                        break;
                case ARG_CONFIG:
                        if (optarg[0] != '/' || optarg[strcspn(optarg, " \t\n")] != '\0') {
                                ctl_error("--config: '%s' is not an absolute path without "
                                          "white space",
                                          optarg);
                                return -EINVAL;
                        }
                        ret->config = optarg;
                        break;
                case ARG_NOW:
                        if (parse_epoch_arg("--now", optarg, &ret->now) < 0)
                                return -EINVAL;
                        break;
                default:
                        return -EINVAL;
                }
        }
        for (int i = optind; i < argc; i++) {
                if (streq(argv[i], "sshd"))
                        ret->services |= SERVICE_SSHD;
                else if (streq(argv[i], "sudo"))
                        ret->services |= SERVICE_SUDO;
                else {
                        ctl_error("pam %s: unknown service '%s' (sshd or sudo)", verb, argv[i]);
                        return -EINVAL;
                }
        }
        return 0;
}

/* --root: absolute, no trailing '/', "" for the real root; must exist. */
static int root_normalize(const char *arg, char **ret) {
        _cleanup_free_ char *p = NULL;
        struct stat st;
        size_t len;

        p = path_absolute(arg ?: "/");
        if (!p)
                return -ENOMEM;
        if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
                ctl_error("--root: '%s' is not a folder", arg);
                return -EINVAL;
        }
        while ((len = strlen(p)) > 0 && p[len - 1] == '/')
                p[len - 1] = '\0';
        *ret = TAKE_PTR(p);
        return 0;
}

/* state_dir/state, as host_state_load() reads it, but owned by root or by
 * us: a tree under --root may belong to whoever runs the tests. */
static int state_read(const struct jit_config *c, struct host_state *ret, struct jit_error *err) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t len = 0;
        int r;

        *ret = (struct host_state){};
        *err = (struct jit_error){};
        path = path_join(c->state_dir, "state");
        if (!path)
                return -ENOMEM;
        r = read_file_secure(path, geteuid(), JIT_STATE_FILE_MAX, &text, &len, err);
        if (r < 0)
                return r;
        r = host_state_parse(text, len, ret, err);
        if (r < 0)
                jit_error_prefix(err, "%s", path);
        return r;
}

/* The checks without which enabling would lock people out. */
static int enable_preconditions(struct wiring *w, const struct pam_args *a,
                                struct jit_config **ret_config) {
        _cleanup_(config_freep) struct jit_config *c = NULL;
        _cleanup_(trust_store_freep) struct trust_store *ts = NULL;
        _cleanup_free_ char *conf = NULL, *trust = NULL, *state_dir = NULL;
        struct jit_error err = {};
        struct host_state st = {};
        char when[64], span[64];
        int r;

        conf = root_path(w, a->config ?: JIT_CONFIG_PATH);
        if (!conf)
                return -ENOMEM;
        r = config_load(conf, geteuid(), &c, &err);
        if (r < 0) {
                ctl_error("pam enable: refused: cannot load the configuration: %s", err.message);
                return -EPERM;
        }

        trust = root_path(w, c->trust_store);
        if (!trust)
                return -ENOMEM;
        err = (struct jit_error){};
        r = trust_store_load(trust, geteuid(), &ts, &err);
        if (r < 0) {
                ctl_error("pam enable: refused: no valid trust store (%s): pam_jit.so would deny "
                          "every grant",
                          err.message);
                w->refused = true;
        }
        if (strv_length(c->issuers) == 0) {
                ctl_error("pam enable: refused: no issuers in %s: pam_jit.so would deny every "
                          "grant",
                          conf);
                w->refused = true;
        }
        if (strv_length(c->exempt_users) == 0 && !c->exempt_group) {
                ctl_error("pam enable: refused: no break-glass path: set exempt_users or "
                          "exempt_group in %s first, or a broken trust store or agent locks "
                          "root out of ssh and sudo",
                          conf);
                w->refused = true;
        }

        /* Paths in the config are host paths: read the state under the root. */
        state_dir = root_path(w, c->state_dir);
        if (!state_dir)
                return -ENOMEM;
        free(c->state_dir);
        c->state_dir = TAKE_PTR(state_dir);
        r = state_read(c, &st, &err);
        if (r >= 0 && st.serial == 0)
                r = -ENOENT;
        if (r < 0) {
                if (r == -ENOENT)
                        (void) snprintf(err.message, sizeof(err.message), "%s/state does not exist",
                                        c->state_dir);
                if (a->force)
                        ctl_warning("no bundle accepted yet (%s); enabling anyway (--force)",
                                    err.message);
                else {
                        ctl_error("pam enable: refused: no bundle accepted yet (%s): jit-agent "
                                  "has no grants, so enabling now would lock everyone out; start "
                                  "jit-agent first (--force skips this check)",
                                  err.message);
                        w->refused = true;
                }
        } else if (host_store_is_stale(c, st.bundle_exp, a->now)) {
                format_utc(st.bundle_exp, false, when, sizeof(when));
                format_span(c->stale_after, span, sizeof(span));
                if (a->force)
                        ctl_warning("the accepted bundle is stale (fresh until %s, stale_after "
                                    "%s); enabling anyway (--force)",
                                    when, span);
                else {
                        ctl_error("pam enable: refused: the accepted bundle is stale (fresh "
                                  "until %s, stale_after %s): is jit-agent fetching? "
                                  "(--force skips this check)",
                                  when, span);
                        w->refused = true;
                }
        }
        *ret_config = TAKE_PTR(c);
        return 0;
}

static void changes_free(struct change *c, size_t n) {
        for (size_t i = 0; i < n; i++)
                change_done(c + i);
}

#define CHANGES_MAX (ELEMENTSOF(pam_services) + 1)

static int pam_enable(int argc, char *argv[]) {
        _cleanup_(config_freep) struct jit_config *c = NULL;
        _cleanup_free_ char *root = NULL, *args = NULL;
        struct pam_args a = {.now = (int64_t) time(NULL)};
        struct change changes[CHANGES_MAX] = {};
        struct wiring w = {};
        size_t n = 0, n_changed = 0;
        bool help_only;
        int r, ret = EXIT_OK;

        if (parse_args("enable", argc, argv,
                       ALLOW(ARG_DRY_RUN) | ALLOW(ARG_FORCE) | ALLOW(ARG_ROOT) | ALLOW(ARG_CONFIG) |
                               ALLOW(ARG_NOW),
                       &a, &help_only) < 0)
                return EXIT_USAGE;
        if (help_only) {
                help();
                return EXIT_OK;
        }
        if (a.services == 0) {
                ctl_error("pam enable: name the services to wire: sshd, sudo");
                return EXIT_USAGE;
        }
        if (root_normalize(a.root, &root) < 0)
                return EXIT_USAGE;
        w = (struct wiring){.root = root, .dry_run = a.dry_run};
        if (a.config && !streq(a.config, JIT_CONFIG_PATH) &&
            asprintf(&args, " config=%s", a.config) < 0)
                return EXIT_SYSTEM;

        r = enable_preconditions(&w, &a, &c);
        if (r < 0) {
                wiring_fail(&w, r);
                goto finish;
        }

        if (a.services & SERVICE_SSHD) {
                r = dropin_plan_enable(&w, c->run_dir, changes + n);
                if (r < 0)
                        wiring_fail(&w, r);
                n++;
        }
        for (size_t i = 0; i < ELEMENTSOF(pam_services); i++) {
                if (!(a.services & pam_services[i].service))
                        continue;
                r = pam_plan_enable(&w, pam_services + i, strempty(args), changes + n);
                if (r == -ENOENT && pam_services[i].optional) {
                        change_done(changes + n);
                        continue;
                }
                if (r < 0)
                        wiring_fail(&w, r);
                n++;
        }
        if (w.refused || w.system_error)
                goto finish;

        for (size_t i = 0; i < n; i++)
                n_changed += !change_is_noop(changes + i);

        if (a.dry_run) {
                for (size_t i = 0; i < n; i++) {
                        if (change_is_noop(changes + i))
                                continue;
                        if (change_show(changes + i) < 0) {
                                w.system_error = true;
                                goto finish;
                        }
                }
                if (n_changed == 0)
                        fprintf(stderr, "jitctl: already enabled; nothing would change\n");
                goto finish;
        }

        /* Backups first; then the drop-in, harmless alone; then PAM. */
        for (size_t i = 0; i < n; i++)
                if (!change_is_noop(changes + i) && backup_save(&w, changes + i) < 0) {
                        ctl_error("pam enable: nothing changed: could not save the backups");
                        w.system_error = true;
                        goto finish;
                }
        for (size_t i = 0; i < n; i++) {
                if (change_is_noop(changes + i)) {
                        printf("%s: already enabled\n", changes[i].host_path);
                        continue;
                }
                if (change_apply(changes + i) < 0) {
                        ctl_error("pam enable: stopped; 'jitctl pam disable' undoes what was "
                                  "done");
                        w.system_error = true;
                        goto finish;
                }
                printf("%s: %s\n", changes[i].host_path, changes[i].summary);
        }
        if ((a.services & SERVICE_SSHD) && n_changed > 0 && !change_is_noop(changes))
                printf("Reload sshd for the new AuthorizedKeysFile: systemctl reload ssh\n");

finish:
        changes_free(changes, n);
        if (w.system_error)
                ret = EXIT_SYSTEM;
        else if (w.refused)
                ret = EXIT_INVALID;
        return ret;
}

/* After disable: is the file back to the copy taken before enable? */
static int backup_compare(const struct wiring *w, const struct change *c) {
        _cleanup_(lines_done) struct lines b = {};
        _cleanup_free_ char *path = NULL, *label = NULL;
        int r;

        path = backup_path(w, c->host_path);
        if (!path)
                return -ENOMEM;
        r = file_read(path, true, &b, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (lines_eq(&b, &c->new)) {
                if (w->dry_run)
                        return 0;
                if (unlink(path) < 0)
                        ctl_warning("%s: cannot remove: %m", path);
                else
                        printf("%s: identical to the copy saved before enable; backup removed\n",
                               c->host_path);
                return 0;
        }
        /* Edits made since enable are the admin's: shown, never undone. */
        fprintf(w->dry_run ? stderr : stdout,
                "%s: differs from the copy saved before enable (%s), left as is:\n", c->host_path,
                path);
        if (asprintf(&label, "b%s", c->host_path) < 0)
                return -ENOMEM;
        return diff_print(w->dry_run ? stderr : stdout, path, label, &b, &c->new);
}

static int pam_disable(int argc, char *argv[]) {
        _cleanup_free_ char *root = NULL;
        struct pam_args a = {};
        struct change changes[CHANGES_MAX] = {};
        struct wiring w = {};
        unsigned foreign = 0;
        size_t n = 0, n_changed = 0;
        bool help_only;
        int r, ret;

        if (parse_args("disable", argc, argv, ALLOW(ARG_DRY_RUN) | ALLOW(ARG_ROOT), &a,
                       &help_only) < 0)
                return EXIT_USAGE;
        if (help_only) {
                help();
                return EXIT_OK;
        }
        if (a.services == 0)
                a.services = SERVICE_SSHD | SERVICE_SUDO;
        if (root_normalize(a.root, &root) < 0)
                return EXIT_USAGE;
        w = (struct wiring){.root = root, .dry_run = a.dry_run};

        for (size_t i = 0; i < ELEMENTSOF(pam_services); i++) {
                if (!(a.services & pam_services[i].service))
                        continue;
                r = pam_plan_disable(&w, pam_services + i, changes + n, &foreign);
                if (r == -ENOENT) {
                        change_done(changes + n);
                        continue;
                }
                if (r < 0)
                        wiring_fail(&w, r);
                n++;
        }
        if (a.services & SERVICE_SSHD) {
                r = dropin_plan_disable(&w, changes + n, &foreign);
                if (r == -ENOENT)
                        change_done(changes + n);
                else {
                        if (r < 0)
                                wiring_fail(&w, r);
                        n++;
                }
        }
        if (w.refused || w.system_error)
                goto finish;

        for (size_t i = 0; i < n; i++)
                n_changed += !change_is_noop(changes + i);
        for (size_t i = 0; i < n; i++) {
                if (a.dry_run) {
                        if (change_show(changes + i) < 0)
                                w.system_error = true;
                } else if (change_is_noop(changes + i))
                        printf("%s: not enabled\n", changes[i].host_path);
                else if (change_apply(changes + i) < 0) {
                        w.system_error = true;
                        goto finish;
                } else
                        printf("%s: %s\n", changes[i].host_path, changes[i].summary);
                if (!changes[i].remove && backup_compare(&w, changes + i) < 0)
                        w.system_error = true;
        }
        if (a.dry_run && n_changed == 0)
                fprintf(stderr, "jitctl: not enabled; nothing would change\n");
        if (foreign > 0) {
                ctl_error("pam disable: %u %s jitctl did not add remain%s; remove by hand", foreign,
                          foreign == 1 ? "entry" : "entries", foreign == 1 ? "s" : "");
                w.refused = true;
        }

finish:
        changes_free(changes, n);
        ret = w.system_error ? EXIT_SYSTEM : w.refused ? EXIT_INVALID : EXIT_OK;
        return ret;
}

static const char *wired(const struct pam_file *f, unsigned type) {
        const char *state = "not wired";

        for (size_t i = 0; i < f->n_rules; i++)
                if (pam_rule_is_jit(f->rules + i, type)) {
                        if (pam_rule_is_marked(f, f->rules + i))
                                return "wired";
                        state = "wired (not by jitctl)";
                }
        return state;
}

static int pam_status(int argc, char *argv[]) {
        _cleanup_(lines_done) struct lines d = {};
        _cleanup_free_ char *root = NULL, *dropin = NULL;
        struct pam_args a = {};
        struct wiring w = {};
        bool help_only;
        int r;

        if (parse_args("status", argc, argv, ALLOW(ARG_ROOT), &a, &help_only) < 0)
                return EXIT_USAGE;
        if (help_only) {
                help();
                return EXIT_OK;
        }
        if (a.services) {
                ctl_error("pam status: takes no services");
                return EXIT_USAGE;
        }
        if (root_normalize(a.root, &root) < 0)
                return EXIT_USAGE;
        w = (struct wiring){.root = root};

        for (size_t i = 0; i < ELEMENTSOF(pam_services); i++) {
                _cleanup_(pam_file_done) struct pam_file f = {};
                _cleanup_free_ char *host = NULL;

                if (asprintf(&host, PAM_DIR "/%s", pam_services[i].name) < 0)
                        return EXIT_SYSTEM;
                r = pam_file_load(&w, host, true, &f, NULL);
                if (r == -ENOENT) {
                        printf("%s: no %s\n", pam_services[i].name, host);
                        continue;
                }
                if (r < 0) {
                        wiring_fail(&w, r);
                        continue;
                }
                printf("%s: account %s, session %s\n", pam_services[i].name,
                       wired(&f, PAM_TYPE_ACCOUNT), wired(&f, PAM_TYPE_SESSION));
        }

        dropin = root_path(&w, SSHD_DROPIN);
        if (!dropin)
                return EXIT_SYSTEM;
        r = file_read(dropin, true, &d, NULL);
        if (r == -ENOENT)
                printf("sshd keys: no " SSHD_DROPIN "\n");
        else if (r < 0)
                wiring_fail(&w, r);
        else {
                const char *akf = NULL;

                for (size_t i = 0; i < d.n && !akf; i++) {
                        struct token kw;
                        const char *rest;

                        if (sshd_keyword(d.v[i].text, &kw, &rest) &&
                            token_is(&kw, "AuthorizedKeysFile"))
                                akf = rest;
                }
                printf("sshd keys: " SSHD_DROPIN " present%s%s%s\n",
                       akf ? " (AuthorizedKeysFile " : "", strempty(akf), akf ? ")" : "");
        }
        return w.system_error ? EXIT_SYSTEM : w.refused ? EXIT_INVALID : EXIT_OK;
}

int verb_pam(int argc, char *argv[]) {
        if (argc < 2) {
                ctl_error("pam: give a command: enable, disable or status");
                return EXIT_USAGE;
        }
        if (streq(argv[1], "-h") || streq(argv[1], "--help")) {
                help();
                return EXIT_OK;
        }
        if (streq(argv[1], "enable"))
                return pam_enable(argc - 1, argv + 1);
        if (streq(argv[1], "disable"))
                return pam_disable(argc - 1, argv + 1);
        if (streq(argv[1], "status"))
                return pam_status(argc - 1, argv + 1);
        ctl_error("pam: unknown command '%s' (enable, disable or status)", argv[1]);
        return EXIT_USAGE;
}
