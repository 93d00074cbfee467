/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "stack.h"

static int _printf_(3, 4) fail(char **ret_error, int r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(ret_error, fmt, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        return r;
}

void pam_file_done(struct pam_file *f) {
        for (size_t i = 0; i < f->n_rules; i++) {
                free(f->rules[i].control);
                free(f->rules[i].module);
        }
        free(f->rules);
        free(f->name);
        lines_done(&f->lines);
        *f = (struct pam_file){};
}

void pam_stack_done(struct pam_stack *s) {
        for (size_t i = 0; i < s->n_files; i++)
                pam_file_done(s->files + i);
        free(s->files);
        *s = (struct pam_stack){};
}

bool pam_module_is(const char *module, const char *name) {
        const char *b;

        if (!module)
                return false;
        b = strrchr(module, '/');
        return streq(b ? b + 1 : module, name);
}

char *pam_include_path(const char *name) {
        char *p;

        if (name[0] == '/')
                return strdup(name);
        if (asprintf(&p, PAM_DIR "/%s", name) < 0)
                return NULL;
        return p;
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

static unsigned type_from_token(const struct token *t) {
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

/* "[value=action …]" as pam.conf(5) defines it. Returns a static reason
 * on a syntax error, NULL when it parses. */
static const char *control_parse_group(const struct token *t, struct pam_control *c) {
        const char *p = t->s + 1, *end = t->s + t->len - 1;
        bool any = false, has_default = false;

        if (t->len < 2 || *end != ']')
                return "'[' without ']'";
        c->failure_counts = true;
        while (p < end) {
                const char *word = p, *eq, *action;
                size_t k, vl, al;

                k = strcspn(p, " \t]");
                if (k == 0) {
                        p++;
                        continue;
                }
                p += k;
                eq = memchr(word, '=', k);
                if (!eq || eq == word || eq == word + k - 1)
                        return "not value=action";
                vl = (size_t) (eq - word);
                action = eq + 1;
                al = k - vl - 1;
                if (strspn(word, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_") != vl)
                        return "a value that is not a word";
                any = true;
                if (vl == 7 && strncasecmp(word, "default", 7) == 0)
                        has_default = true;
                if (strspn(action, "0123456789") == al) {
                        unsigned long n = strtoul(action, NULL, 10);

                        if (al > 4 || n == 0 || n > PAM_CONTROL_JUMP_MAX)
                                return "a jump out of range";
                        if (n > c->jump)
                                c->jump = (unsigned) n;
                } else if (al == 4 && strncasecmp(action, "done", 4) == 0)
                        c->done = true;
                else if (!((al == 6 && strncasecmp(action, "ignore", 6) == 0) ||
                           (al == 3 && strncasecmp(action, "bad", 3) == 0) ||
                           (al == 3 && strncasecmp(action, "die", 3) == 0) ||
                           (al == 2 && strncasecmp(action, "ok", 2) == 0) ||
                           (al == 5 && strncasecmp(action, "reset", 5) == 0)))
                        return "an unknown action";
                /* A failure that is not bad or die does not fail the stack
                 * ("ignore" answered with ignore is no failure). */
                if (!(vl == 7 && strncasecmp(word, "success", 7) == 0) &&
                    !(vl == 6 && strncasecmp(word, "ignore", 6) == 0 && al == 6 &&
                      strncasecmp(action, "ignore", 6) == 0) &&
                    !(al == 3 &&
                      (strncasecmp(action, "bad", 3) == 0 || strncasecmp(action, "die", 3) == 0)))
                        c->failure_counts = false;
        }
        if (!any)
                return "empty";
        if (!has_default)
                c->failure_counts = false;
        return NULL;
}

static const char *control_parse(const struct token *t, struct pam_control *c,
                                 enum pam_include *include) {
        *c = (struct pam_control){};
        *include = PAM_INCLUDE_NONE;
        if (t->len > 0 && t->s[0] == '[')
                return control_parse_group(t, c);
        if (token_is(t, "required") || token_is(t, "requisite"))
                c->failure_counts = true;
        else if (token_is(t, "sufficient"))
                c->done = true;
        else if (token_is(t, "include"))
                *include = PAM_INCLUDE_INCLUDE;
        else if (token_is(t, "substack"))
                *include = PAM_INCLUDE_SUBSTACK;
        else if (!token_is(t, "optional"))
                return "an unknown control";
        return NULL;
}

static int rule_add(struct pam_file *f, struct pam_rule *rule) {
        struct pam_rule *v = reallocarray(f->rules, f->n_rules + 1, sizeof(*f->rules));

        if (!v)
                return -ENOMEM;
        f->rules = v;
        f->rules[f->n_rules++] = *rule;
        *rule = (struct pam_rule){};
        return 0;
}

/* Rules as Linux-PAM reads them: '\' at the end of a line continues it,
 * '#' starts a comment anywhere. */
int pam_file_parse(const char *name, const struct lines *l, struct pam_file *ret,
                   char **ret_error) {
        _cleanup_(pam_file_done) struct pam_file f = {};
        int r;

        *ret_error = NULL;
        f.name = strdup(name);
        if (!f.name)
                return -ENOMEM;
        r = lines_copy(l, &f.lines);
        if (r < 0)
                return r;
        for (size_t i = 0; i < f.lines.n; i++) {
                _cleanup_free_ char *buf = NULL;
                struct token t, ctl = {}, mod = {};
                struct pam_rule rule = {.first = i};
                const char *p, *why;
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
                if (f.n_rules >= PAM_FILE_RULES_MAX)
                        return fail(ret_error, -E2BIG, "%s:%zu: more than %u rules", name,
                                    rule.first + 1, PAM_FILE_RULES_MAX);
                if (token_is(&t, "@include")) {
                        rule.type = PAM_TYPE_ALL;
                        rule.include = PAM_INCLUDE_AT;
                        if (!next_token(&p, false, &mod))
                                return fail(ret_error, -EBADMSG,
                                            "%s:%zu: an include without a file name", name,
                                            rule.first + 1);
                } else {
                        rule.type = type_from_token(&t);
                        if (rule.type == 0)
                                return fail(ret_error, -EBADMSG,
                                            "%s:%zu: '%.*s' is not a PAM type (auth, account, "
                                            "session, password)",
                                            name, rule.first + 1, (int) t.len, t.s);
                        if (!next_token(&p, true, &ctl))
                                return fail(ret_error, -EBADMSG, "%s:%zu: a rule without a control",
                                            name, rule.first + 1);
                        why = control_parse(&ctl, &rule.ctl, &rule.include);
                        if (why)
                                return fail(ret_error, -EBADMSG, "%s:%zu: bad control '%.*s': %s",
                                            name, rule.first + 1, (int) ctl.len, ctl.s, why);
                        if (!next_token(&p, false, &mod))
                                return fail(ret_error, -EBADMSG,
                                            "%s:%zu: a rule without a module%s", name,
                                            rule.first + 1,
                                            rule.include ? " (the file to include)" : "");
                }
                rule.control = strndup(ctl.s ? ctl.s : "", ctl.len);
                rule.module = strndup(mod.s, mod.len);
                if (!rule.control || !rule.module || rule_add(&f, &rule) < 0) {
                        free(rule.control);
                        free(rule.module);
                        return -ENOMEM;
                }
        }
        *ret = f;
        /* NOLINTNEXTLINE(clang-analyzer-deadcode.DeadStores): read by the cleanup */
        f = (struct pam_file){};
        return 0;
}

struct loader {
        struct pam_stack *s;
        pam_read_fn read;
        void *userdata;
        size_t chain[PAM_INCLUDE_DEPTH_MAX + 1]; /* the files being followed, outermost first */
};

static int loop_error(const struct loader *ld, unsigned depth, size_t target, const char *where,
                      char **ret_error) {
        _cleanup_free_ char *path = NULL;
        size_t len = 0;
        FILE *f;

        f = open_memstream(&path, &len);
        if (!f)
                return -ENOMEM;
        /* From where the loop starts: "a -> b -> a". */
        for (unsigned i = 0, in = 0; i <= depth; i++) {
                in = in || ld->chain[i] == target;
                if (in)
                        fprintf(f, "%s -> ", ld->s->files[ld->chain[i]].name);
        }
        fputs(ld->s->files[target].name, f);
        if (fclose(f) != 0)
                return -ENOMEM;
        return fail(ret_error, -ELOOP, "%s: an include loop: %s", where, path);
}

/* Resolve the includes of file fi, loading what is not loaded yet.
 * Depth-first, so a file on ld->chain is still being followed: meeting it
 * again is a loop. */
/* NOLINTNEXTLINE(misc-no-recursion): bounded by PAM_INCLUDE_DEPTH_MAX */
static int follow(struct loader *ld, size_t fi, unsigned depth, char **ret_error) {
        int r;

        ld->chain[depth] = fi;
        for (size_t i = 0; i < ld->s->files[fi].n_rules; i++) {
                _cleanup_(pam_file_done) struct pam_file f = {};
                _cleanup_(lines_done) struct lines l = {};
                _cleanup_free_ char *host = NULL, *where = NULL, *why = NULL;
                const struct pam_rule *x = ld->s->files[fi].rules + i;
                size_t target = SIZE_MAX;
                struct pam_file *v;

                if (x->include == PAM_INCLUDE_NONE)
                        continue;
                if (asprintf(&where, "%s:%zu", ld->s->files[fi].name, x->first + 1) < 0)
                        return -ENOMEM;
                host = pam_include_path(x->module);
                if (!host)
                        return -ENOMEM;
                for (size_t k = 0; k < ld->s->n_files; k++)
                        if (streq(ld->s->files[k].name, host))
                                target = k;
                if (target != SIZE_MAX) {
                        for (unsigned d = 0; d <= depth; d++)
                                if (ld->chain[d] == target)
                                        return loop_error(ld, depth, target, where, ret_error);
                        ld->s->files[fi].rules[i].target = target;
                        continue;
                }
                if (depth + 1 > PAM_INCLUDE_DEPTH_MAX)
                        return fail(ret_error, -ELOOP, "%s: PAM includes nested deeper than %u",
                                    where, PAM_INCLUDE_DEPTH_MAX);
                if (ld->s->n_files >= PAM_STACK_FILES_MAX)
                        return fail(ret_error, -E2BIG, "%s: a stack of more than %u files", where,
                                    PAM_STACK_FILES_MAX);
                r = ld->read(ld->userdata, host, &l, &why);
                if (r < 0)
                        return fail(ret_error, r, "%s (included from %s)", why ?: strerror(-r),
                                    where);
                r = pam_file_parse(host, &l, &f, ret_error);
                if (r < 0)
                        return r;
                v = reallocarray(ld->s->files, ld->s->n_files + 1, sizeof(*v));
                if (!v)
                        return -ENOMEM;
                ld->s->files = v;
                target = ld->s->n_files++;
                v[target] = f;
                f = (struct pam_file){};
                ld->s->files[fi].rules[i].target = target;
                r = follow(ld, target, depth + 1, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

int pam_stack_load(const char *name, const struct lines *l, pam_read_fn read, void *userdata,
                   struct pam_stack *ret, char **ret_error) {
        _cleanup_(pam_stack_done) struct pam_stack s = {};
        struct loader ld = {.s = &s, .read = read, .userdata = userdata};
        int r;

        *ret_error = NULL;
        s.files = calloc(1, sizeof(*s.files));
        if (!s.files)
                return -ENOMEM;
        r = pam_file_parse(name, l, s.files, ret_error);
        if (r < 0)
                return r;
        s.n_files = 1;
        r = follow(&ld, 0, 0, ret_error);
        if (r < 0)
                return r;
        *ret = s;
        s = (struct pam_stack){};
        return 0;
}
