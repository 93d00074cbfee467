/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "plan.h"

#define FLAT_MAX 65536u /* rules of one type's stack, includes followed */
#define UNSET (SIZE_MAX - 1)

static int _printf_(3, 4) fail(char **ret_error, int r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(ret_error, fmt, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        return r;
}

/* One type's stack as Linux-PAM runs it: included rules inline. */
struct flat_rule {
        size_t file, rule;
        size_t top;                /* the rule of files[0] it comes from */
        size_t end;                /* past the rules of its (innermost) included file */
        size_t sub_begin, sub_end; /* its innermost substack; sub_end 0 when none */
};

struct flat {
        struct flat_rule *v;
        size_t n;
};

static void flat_done(struct flat *f) {
        free(f->v);
        *f = (struct flat){};
}

/* NOLINTNEXTLINE(misc-no-recursion): the parser refused loops; bounded by FLAT_MAX */
static int flatten_file(const struct pam_stack *s, size_t fi, unsigned type, size_t top,
                        unsigned depth, struct flat *out) {
        const struct pam_file *f = s->files + fi;
        int r;

        if (depth > PAM_STACK_FILES_MAX)
                return -ELOOP;
        for (size_t i = 0; i < f->n_rules; i++) {
                const struct pam_rule *x = f->rules + i;
                size_t t = fi == 0 ? i : top, start = out->n;

                if (x->include != PAM_INCLUDE_NONE) {
                        if (!(x->type & type))
                                continue;
                        r = flatten_file(s, x->target, type, t, depth + 1, out);
                        if (r < 0)
                                return r;
                        for (size_t k = start; k < out->n; k++) {
                                if (out->v[k].end == UNSET)
                                        out->v[k].end = out->n;
                                if (x->include == PAM_INCLUDE_SUBSTACK && out->v[k].sub_end == 0) {
                                        out->v[k].sub_begin = start;
                                        out->v[k].sub_end = out->n;
                                }
                        }
                } else if (x->type == type) {
                        struct flat_rule *v;

                        if (out->n >= FLAT_MAX)
                                return -E2BIG;
                        v = reallocarray(out->v, out->n + 1, sizeof(*v));
                        if (!v)
                                return -ENOMEM;
                        out->v = v;
                        v[out->n++] = (struct flat_rule){
                                .file = fi,
                                .rule = i,
                                .top = t,
                                .end = fi == 0 ? SIZE_MAX : UNSET,
                        };
                }
        }
        return 0;
}

static int flatten(const struct pam_stack *s, unsigned type, struct flat *ret, char **ret_error) {
        int r = flatten_file(s, 0, type, 0, 0, ret);

        if (r == -E2BIG)
                return fail(ret_error, r, "%s: more than %u rules with its includes",
                            s->files[0].name, FLAT_MAX);
        return r;
}

static const struct pam_rule *flat_rule(const struct pam_stack *s, const struct flat_rule *e) {
        return s->files[e->file].rules + e->rule;
}

static bool is_module(const struct pam_stack *s, const struct flat_rule *e, const char *name) {
        return pam_module_is(flat_rule(s, e)->module, name);
}

static bool is_marked(const struct pam_file *f, const struct pam_rule *r) {
        return r->first > 0 && streq(f->lines.v[r->first - 1].text, PAM_MARKER);
}

static const char *type_name(unsigned type) {
        return type == PAM_TYPE_ACCOUNT ? "account" : "session";
}

/* Could the rule at q keep the one at p from running? A rule of the file
 * being wired that can end the stack or jump is refused outright: a line
 * added or moved there changes where its jumps land. In an included file
 * a jump that stays inside that file is harmless; "done" is not. Inside a
 * substack neither reaches past its end (pam.conf(5)). */
static bool can_skip(const struct flat *fl, size_t q, size_t p, size_t wired_file,
                     const struct pam_control *c) {
        const struct flat_rule *x = fl->v + q;

        if (!c->done && c->jump == 0)
                return false;
        if (x->sub_end > 0 && !(x->sub_begin <= p && p < x->sub_end))
                return false;
        if (x->file == 0 || x->file == wired_file || c->done)
                return true;
        return q + c->jump >= x->end || q + c->jump >= p;
}

/* The line number to name: in the service's file as it is now, when the
 * stack being judged is the planned one (origin maps its lines back; 0 for
 * a line the plan adds). */
static size_t line_no(const size_t *origin, size_t file, size_t first) {
        if (origin && file == 0 && origin[first] > 0)
                return origin[first];
        return first + 1;
}

static int check_type(const struct pam_stack *s, const size_t *origin, const struct flat *fl,
                      unsigned type, char **ret_error) {
        const struct flat_rule *first = NULL;

        for (size_t p = 0; p < fl->n; p++) {
                const struct flat_rule *e = fl->v + p;
                const struct pam_rule *j = flat_rule(s, e);
                const char *name = s->files[e->file].name;

                if (!pam_module_is(j->module, PAM_MODULE))
                        continue;
                if (first)
                        return fail(ret_error, -EPERM,
                                    "%s:%zu and %s:%zu: %s is twice in the %s stack; remove one",
                                    s->files[first->file].name,
                                    line_no(origin, first->file, flat_rule(s, first)->first), name,
                                    line_no(origin, e->file, j->first), PAM_MODULE,
                                    type_name(type));
                first = e;
                if (!j->ctl.failure_counts)
                        return fail(ret_error, -EPERM,
                                    "%s:%zu: '%s %s': a denial by %s would not fail the %s "
                                    "stack; make it 'required'",
                                    name, line_no(origin, e->file, j->first), j->control, j->module,
                                    PAM_MODULE, type_name(type));
                for (size_t q = 0; q < p; q++) {
                        const struct pam_rule *x = flat_rule(s, fl->v + q);

                        if (!can_skip(fl, q, p, e->file, &x->ctl))
                                continue;
                        return fail(ret_error, -EPERM,
                                    "%s:%zu: '%s %s' can skip the rules after it, so the %s rule "
                                    "of %s could be bypassed; change that rule first",
                                    s->files[fl->v[q].file].name,
                                    line_no(origin, fl->v[q].file, x->first), x->control, x->module,
                                    type_name(type), PAM_MODULE);
                }
        }
        return 0;
}

static int check_loginuid(const struct pam_stack *s, const size_t *origin,
                          const struct pam_plan_options *o, const struct flat *fl,
                          char **ret_error) {
        size_t lu = SIZE_MAX;

        for (size_t i = 0; i < fl->n && lu == SIZE_MAX; i++)
                if (is_module(s, fl->v + i, "pam_loginuid.so"))
                        lu = i;
        if (lu == SIZE_MAX)
                return fail(ret_error, -EPERM,
                            "%s: pam_loginuid.so is not in the session stack; %s needs the audit "
                            "session id it sets to track the login (add 'session required "
                            "pam_loginuid.so' first)",
                            o->path, PAM_MODULE);
        for (size_t p = 0; p < lu; p++)
                if (is_module(s, fl->v + p, PAM_MODULE))
                        return fail(ret_error, -EPERM,
                                    "%s:%zu: the session rule of %s runs before pam_loginuid.so, "
                                    "which sets the audit session id it tracks the login by; "
                                    "move it after",
                                    s->files[fl->v[p].file].name,
                                    line_no(origin, fl->v[p].file, flat_rule(s, fl->v + p)->first),
                                    PAM_MODULE);
        return 0;
}

static int check(const struct pam_stack *s, const size_t *origin, const struct pam_plan_options *o,
                 char **ret_error) {
        _cleanup_(flat_done) struct flat fa = {}, fs = {};
        int r;

        *ret_error = NULL;
        r = flatten(s, PAM_TYPE_ACCOUNT, &fa, ret_error);
        if (r >= 0)
                r = flatten(s, PAM_TYPE_SESSION, &fs, ret_error);
        if (r >= 0)
                r = check_type(s, origin, &fa, PAM_TYPE_ACCOUNT, ret_error);
        if (r >= 0 && o->login)
                r = check_loginuid(s, origin, o, &fs, ret_error);
        if (r >= 0)
                r = check_type(s, origin, &fs, PAM_TYPE_SESSION, ret_error);
        return r;
}

int pam_plan_check(const struct pam_stack *s, const struct pam_plan_options *o, char **ret_error) {
        return check(s, NULL, o, ret_error);
}

static bool has_jit(const struct pam_stack *s, const struct flat *fl) {
        for (size_t i = 0; i < fl->n; i++)
                if (is_module(s, fl->v + i, PAM_MODULE))
                        return true;
        return false;
}

/* Insert the marker and rule before line `at`. At the end of a file that
 * lacks its last newline, the rule takes that place: disable restores it. */
static int insert_rule(struct lines *l, size_t *origin, size_t at, const char *rule) {
        bool at_end_unterminated = at == l->n && at > 0 && !l->v[at - 1].nl;
        int r;

        /* origin has room for two more: the lines added come from nowhere. */
        memmove(origin + at + 2, origin + at, (l->n - at) * sizeof(*origin));
        origin[at] = origin[at + 1] = 0;

        if (at_end_unterminated)
                l->v[at - 1].nl = true;
        r = lines_insert(l, at, PAM_MARKER, strlen(PAM_MARKER), true);
        if (r < 0)
                return r;
        return lines_insert(l, at + 1, rule, strlen(rule), !at_end_unterminated);
}

/* The stack with lines l as the service's file, the included files
 * borrowed from s: *ret_top owns the new file, ret_view->files must be
 * freed (not done). */
static int stack_view(const struct pam_stack *s, const struct lines *l, struct pam_file *ret_top,
                      struct pam_stack *ret_view, char **ret_error) {
        int r;

        r = pam_file_parse(s->files[0].name, l, ret_top, ret_error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ret_top->n_rules; i++) {
                _cleanup_free_ char *host = NULL;
                struct pam_rule *x = ret_top->rules + i;

                if (x->include == PAM_INCLUDE_NONE)
                        continue;
                host = pam_include_path(x->module);
                if (!host)
                        return -ENOMEM;
                x->target = SIZE_MAX;
                for (size_t k = 1; k < s->n_files; k++)
                        if (streq(s->files[k].name, host))
                                x->target = k;
                if (x->target == SIZE_MAX)
                        return -EINVAL; /* only pam_jit.so lines were added */
        }
        ret_view->files = malloc(s->n_files * sizeof(*s->files));
        if (!ret_view->files)
                return -ENOMEM;
        memcpy(ret_view->files, s->files, s->n_files * sizeof(*s->files));
        ret_view->files[0] = *ret_top;
        ret_view->n_files = s->n_files;
        return 0;
}

int pam_plan_enable(const struct pam_stack *s, const struct pam_plan_options *o, struct lines *ret,
                    unsigned *ret_added, char **ret_error) {
        _cleanup_(flat_done) struct flat fa = {}, fs = {};
        _cleanup_(lines_done) struct lines out = {};
        _cleanup_(pam_file_done) struct pam_file top = {};
        _cleanup_free_ char *account = NULL, *session = NULL;
        _cleanup_free_ size_t *origin = NULL;
        bool mkhomedir = false;
        const struct pam_file *f = s->files;
        size_t account_at = SIZE_MAX, session_at = SIZE_MAX, anchor = SIZE_MAX;
        struct pam_stack view = {};
        int r;

        *ret_error = NULL;
        r = flatten(s, PAM_TYPE_ACCOUNT, &fa, ret_error);
        if (r >= 0)
                r = flatten(s, PAM_TYPE_SESSION, &fs, ret_error);
        if (r < 0)
                return r;

        if (!has_jit(s, &fa)) {
                /* Right before the rule that brings the distribution's
                 * common account stack (Debian: @include common-account;
                 * RHEL: account include system-auth); else before the
                 * first account rule. */
                for (size_t i = 0; i < fa.n && anchor == SIZE_MAX; i++)
                        if (fa.v[i].file != 0)
                                anchor = fa.v[i].top;
                if (anchor == SIZE_MAX && fa.n > 0)
                        anchor = fa.v[0].top;
                if (anchor == SIZE_MAX)
                        return fail(ret_error, -EPERM, "%s has no account stack to add %s to",
                                    o->path, PAM_MODULE);
                account_at = f->rules[anchor].first;
                if (asprintf(&account, "account required %s%s", PAM_MODULE, o->args) < 0)
                        return -ENOMEM;
        }

        if (!has_jit(s, &fs)) {
                /* A login: after pam_loginuid.so (the audit session id)
                 * and pam_systemd.so (the logind session), wherever the
                 * stack pulls them in. sudo: after the whole session
                 * stack. */
                anchor = SIZE_MAX;
                for (size_t i = 0; i < fs.n; i++)
                        if (!o->login || is_module(s, fs.v + i, "pam_loginuid.so") ||
                            is_module(s, fs.v + i, "pam_systemd.so"))
                                anchor = fs.v[i].top;
                session_at = anchor == SIZE_MAX ? f->lines.n : f->rules[anchor].last + 1;
                if (asprintf(&session, "session required %s%s", PAM_MODULE, o->args) < 0)
                        return -ENOMEM;
                /* The home of an account made from a grant, at its first
                 * login, once pam_jit has admitted it. */
                mkhomedir = o->login && o->mkhomedir;
                for (size_t i = 0; mkhomedir && i < fs.n; i++)
                        if (is_module(s, fs.v + i, PAM_MKHOMEDIR_MODULE))
                                mkhomedir = false;
        }

        r = lines_copy(&f->lines, &out);
        if (r < 0)
                return r;
        origin = calloc(out.n + 6, sizeof(*origin));
        if (!origin)
                return -ENOMEM;
        for (size_t i = 0; i < out.n; i++)
                origin[i] = i + 1;
        /* The later place first, so the earlier index still holds. */
        if (mkhomedir) {
                r = insert_rule(&out, origin, session_at, PAM_MKHOMEDIR_RULE);
                if (r < 0)
                        return r;
                if (account && account_at > session_at)
                        account_at += 2; /* moved down by the marker and the rule */
        }
        if (session && (!account || session_at >= account_at)) {
                r = insert_rule(&out, origin, session_at, session);
                if (r >= 0 && account)
                        r = insert_rule(&out, origin, account_at, account);
        } else if (account) {
                r = insert_rule(&out, origin, account_at, account);
                if (r >= 0 && session)
                        r = insert_rule(&out, origin, session_at, session);
        }
        if (r < 0)
                return r;

        /* Judge the result, not the plan: what Linux-PAM will run. */
        if (account || session) {
                r = stack_view(s, &out, &top, &view, ret_error);
                if (r >= 0)
                        r = check(&view, origin, o, ret_error);
                free(view.files);
        } else
                r = pam_plan_check(s, o, ret_error);
        if (r < 0)
                return r;

        *ret_added = (account ? PAM_TYPE_ACCOUNT : 0) | (session ? PAM_TYPE_SESSION : 0);
        *ret = out;
        out = (struct lines){};
        return 0;
}

int pam_plan_disable(const struct pam_stack *s, struct lines *ret, unsigned *ret_removed,
                     size_t **ret_foreign, size_t *ret_n_foreign) {
        _cleanup_(lines_done) struct lines out = {};
        _cleanup_free_ size_t *foreign = NULL;
        const struct pam_file *f = s->files;
        size_t n_foreign = 0;
        unsigned removed = 0;
        int r;

        r = lines_copy(&f->lines, &out);
        if (r < 0)
                return r;
        for (size_t i = f->n_rules; i-- > 0;) {
                const struct pam_rule *x = f->rules + i;
                bool unterminated;

                if (x->include != PAM_INCLUDE_NONE ||
                    (x->type != PAM_TYPE_ACCOUNT && x->type != PAM_TYPE_SESSION))
                        continue;
                /* pam_mkhomedir.so goes with pam_jit.so when enable added it
                 * (marked); one of the admin's own (unmarked) stays. */
                if (x->type == PAM_TYPE_SESSION && pam_module_is(x->module, PAM_MKHOMEDIR_MODULE)) {
                        if (!is_marked(f, x))
                                continue;
                        for (size_t k = x->last + 1; k-- > x->first - 1;)
                                lines_remove(&out, k);
                        continue;
                }
                if (!pam_module_is(x->module, PAM_MODULE))
                        continue;
                if (!is_marked(f, x)) {
                        size_t *v = reallocarray(foreign, n_foreign + 1, sizeof(*v));

                        if (!v)
                                return -ENOMEM;
                        foreign = v;
                        v[n_foreign++] = x->first + 1;
                        continue;
                }
                unterminated = x->last + 1 == out.n && !out.v[x->last].nl;
                for (size_t k = x->last + 1; k-- > x->first - 1;)
                        lines_remove(&out, k);
                if (unterminated && x->first >= 2)
                        out.v[x->first - 2].nl = false;
                removed++;
        }
        *ret = out;
        out = (struct lines){};
        *ret_removed = removed;
        *ret_foreign = TAKE_PTR(foreign);
        *ret_n_foreign = n_foreign;
        return 0;
}

enum pam_wired pam_plan_wired(const struct pam_stack *s, unsigned type) {
        _cleanup_(flat_done) struct flat fl = {};
        _cleanup_free_ char *error = NULL;
        enum pam_wired w = PAM_NOT_WIRED;

        if (flatten(s, type, &fl, &error) < 0)
                return PAM_NOT_WIRED;
        for (size_t i = 0; i < fl.n; i++) {
                if (!is_module(s, fl.v + i, PAM_MODULE))
                        continue;
                if (fl.v[i].file == 0 && is_marked(s->files, flat_rule(s, fl.v + i)))
                        return PAM_WIRED;
                w = PAM_WIRED_BY_HAND;
        }
        return w;
}
