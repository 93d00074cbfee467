/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jitctl's PAM planner (jitctl/pam/plan.c) as rows: an input stack, given
 * as files in memory, and the service file it must become, or the refusal
 * it must give. Every row that wires is also checked to be a fixed point
 * (planning the output again changes nothing) and to come back to its
 * input through disable. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "pam-stacks.h"
#include "plan.h"
#include "stack.h"

struct row {
        const char *name;
        const char *service; /* host path of the service's file */
        const char *text;    /* its contents */
        const struct file *env;
        const struct file *extra; /* looked up before env */
        bool login;
        const char *args;
        int want_r;
        const char *want; /* NULL: the input unchanged */
        unsigned want_added;
        const char *want_error; /* a part of the refusal */
};

#define A PAM_TYPE_ACCOUNT
#define strnull(s) ((s) ?: "(null)")
#define S PAM_TYPE_SESSION

/* ---- hand-made pieces ---- */

static const struct file jit_first_in_common_account[] = {
        {"/etc/pam.d/common-account", "account required pam_jit.so\n" DEB_COMMON_ACCOUNT},
        {},
};
static const struct file jit_last_in_common_account[] = {
        {"/etc/pam.d/common-account", DEB_COMMON_ACCOUNT "account required pam_jit.so\n"},
        {},
};
static const struct file extra_sufficient[] = {
        {"/etc/pam.d/local-extra", "session sufficient pam_permit.so\n"},
        {},
};
static const struct file extra_jumps_out[] = {
        {"/etc/pam.d/local-extra", "session optional pam_umask.so\n"
                                   "session [success=2 default=ignore] pam_succeed_if.so quiet\n"},
        {},
};
static const struct file extra_jumps_one_out[] = {
        {"/etc/pam.d/local-extra", "session optional pam_umask.so\n"
                                   "session [success=1 default=ignore] pam_succeed_if.so quiet\n"},
        {},
};
static const struct file login_substack[] = {
        {"/etc/pam.d/login-session", "session required pam_loginuid.so\n"
                                     "session sufficient pam_permit.so\n"
                                     "-session optional pam_systemd.so\n"},
        {"/etc/pam.d/login-account", "account sufficient pam_localuser.so\n"
                                     "account required pam_unix.so\n"},
        {},
};
static const struct file loop_ab[] = {
        {"/etc/pam.d/a", "@include b\n"},
        {"/etc/pam.d/b", "account required pam_permit.so\n@include a\n"},
        {},
};
static const struct file deep[] = {
        {"/etc/pam.d/d1", "@include d2\n"},
        {"/etc/pam.d/d2", "@include d3\n"},
        {"/etc/pam.d/d3", "@include d4\n"},
        {"/etc/pam.d/d4", "@include d5\n"},
        {"/etc/pam.d/d5", "@include d6\n"},
        {"/etc/pam.d/d6", "@include d7\n"},
        {"/etc/pam.d/d7", "@include d8\n"},
        {"/etc/pam.d/d8", "@include d9\n"},
        {"/etc/pam.d/d9", "account required pam_permit.so\n"},
        {},
};
static const struct file broken_control_in_include[] = {
        {"/etc/pam.d/common-account", "account requird pam_unix.so\n"},
        {},
};
static const struct file rhel_sudo_wired[] = {
        {"/etc/pam.d/sudo", RHEL_SUDO_WIRED},
        {},
};

#define DEB_SUDO_MOVED                                                                             \
        DEB_SUDO_HEAD "@include common-account\n" JIT_ACCOUNT                                      \
                      "@include common-session-noninteractive\n" JIT_SESSION
#define DEB_SSHD_SESSION_EARLY                                                                     \
        DEB_SSHD_HEAD JIT_ACCOUNT DEB_SSHD_ACCOUNT DEB_SSHD_SELINUX JIT_SESSION DEB_SSHD_LOGINUID  \
                DEB_SSHD_SESSION DEB_SSHD_TAIL

static const struct row rows[] = {
        /* Debian 12 */
        {"debian12 sshd", "/etc/pam.d/sshd", DEB_SSHD, debian12, NULL, true, "", 0, DEB_SSHD_WIRED,
         A | S, NULL},
        {"debian12 sudo (@include)", "/etc/pam.d/sudo", DEB_SUDO, debian12, NULL, false, "", 0,
         DEB_SUDO_WIRED, A | S, NULL},
        {"debian12 sudo-i", "/etc/pam.d/sudo-i", DEB_SUDO_I, debian12, NULL, false, "", 0,
         DEB_SUDO_I_WIRED, A | S, NULL},
        {"debian12 sudo, config=", "/etc/pam.d/sudo", DEB_SUDO, debian12, NULL, false,
         " config=/etc/jit/other.conf", 0,
         DEB_SUDO_HEAD MARK "account required pam_jit.so config=/etc/jit/other.conf\n"
                            "@include common-account\n@include common-session-noninteractive\n" MARK
                            "session required pam_jit.so config=/etc/jit/other.conf\n",
         A | S, NULL},
        {"debian12 sudo without its last newline", "/etc/pam.d/sudo",
         DEB_SUDO_HEAD "@include common-account\n@include common-session-noninteractive", debian12,
         NULL, false, "", 0,
         DEB_SUDO_HEAD JIT_ACCOUNT "@include common-account\n"
                                   "@include common-session-noninteractive\n" MARK
                                   "session required pam_jit.so",
         A | S, NULL},

        {"debian12 cron (session after pam_loginuid.so, first)", "/etc/pam.d/cron", DEB_CRON,
         debian12, NULL, true, "", 0, DEB_CRON_WIRED, A | S, NULL},
        {"debian12 atd", "/etc/pam.d/atd", DEB_ATD, debian12, NULL, true, "", 0, DEB_ATD_WIRED,
         A | S, NULL},
        {"debian12 cron wired", "/etc/pam.d/cron", DEB_CRON_WIRED, debian12, NULL, true, "", 0,
         NULL, 0, NULL},
        {"debian12 cron without pam_loginuid.so", "/etc/pam.d/cron",
         "@include common-account\n@include common-session-noninteractive\n", debian12, NULL, true,
         "", -EPERM, NULL, 0, "pam_loginuid.so is not in the session stack"},

        /* RHEL 9, authselect */
        {"rhel9 sssd sshd (substack, include)", "/etc/pam.d/sshd", RHEL_SSHD, rhel9_sssd, NULL,
         true, "", 0, RHEL_SSHD_WIRED, A | S, NULL},
        {"rhel9 sssd sudo (include system-auth)", "/etc/pam.d/sudo", RHEL_SUDO, rhel9_sssd, NULL,
         false, "", 0, RHEL_SUDO_WIRED, A | S, NULL},
        {"rhel9 minimal sshd", "/etc/pam.d/sshd", RHEL_SSHD, rhel9_minimal, NULL, true, "", 0,
         RHEL_SSHD_WIRED, A | S, NULL},
        {"rhel9 minimal sudo", "/etc/pam.d/sudo", RHEL_SUDO, rhel9_minimal, NULL, false, "", 0,
         RHEL_SUDO_WIRED, A | S, NULL},
        {"rhel9 sssd crond (pam_succeed_if jump inside password-auth)", "/etc/pam.d/crond",
         RHEL_CROND, rhel9_sssd, NULL, true, "", 0, RHEL_CROND_WIRED, A | S, NULL},
        {"rhel9 minimal atd", "/etc/pam.d/atd", RHEL_ATD, rhel9_minimal, NULL, true, "", 0,
         RHEL_ATD_WIRED, A | S, NULL},
        {"rhel9 sudo-i, sudo not wired", "/etc/pam.d/sudo-i", RHEL_SUDO_I, rhel9_sssd, NULL, false,
         "", 0, RHEL_SUDO_I_HEAD JIT_ACCOUNT RHEL_SUDO_I_MID JIT_SESSION, A | S, NULL},
        {"rhel9 sudo-i includes a wired sudo", "/etc/pam.d/sudo-i", RHEL_SUDO_I, rhel9_sssd,
         rhel_sudo_wired, false, "", 0, NULL, 0, NULL},

        /* already wired: nothing changes */
        {"debian12 sshd wired", "/etc/pam.d/sshd", DEB_SSHD_WIRED, debian12, NULL, true, "", 0,
         NULL, 0, NULL},
        {"debian12 sudo wired", "/etc/pam.d/sudo", DEB_SUDO_WIRED, debian12, NULL, false, "", 0,
         NULL, 0, NULL},
        {"rhel9 sshd wired", "/etc/pam.d/sshd", RHEL_SSHD_WIRED, rhel9_sssd, NULL, true, "", 0,
         NULL, 0, NULL},
        {"rhel9 sudo wired", "/etc/pam.d/sudo", RHEL_SUDO_WIRED, rhel9_sssd, NULL, false, "", 0,
         NULL, 0, NULL},

        /* hand-edited */
        {"a rule without the marker counts as wired", "/etc/pam.d/sudo",
         DEB_SUDO_HEAD "account required pam_jit.so debug\n"
                       "@include common-account\n@include common-session-noninteractive\n",
         debian12, NULL, false, "", 0,
         DEB_SUDO_HEAD
         "account required pam_jit.so debug\n"
         "@include common-account\n@include common-session-noninteractive\n" JIT_SESSION,
         S, NULL},
        {"pam_jit.so first in common-account counts as wired", "/etc/pam.d/sshd", DEB_SSHD,
         debian12, jit_first_in_common_account, true, "", 0,
         DEB_SSHD_HEAD DEB_SSHD_ACCOUNT DEB_SSHD_SELINUX DEB_SSHD_LOGINUID DEB_SSHD_SESSION
                 JIT_SESSION DEB_SSHD_TAIL,
         S, NULL},
        {"pam_jit.so after new_authtok_reqd=done in common-account", "/etc/pam.d/sshd", DEB_SSHD,
         debian12, jit_last_in_common_account, true, "", -EPERM, NULL, 0,
         "/etc/pam.d/common-account:2: '[success=1 new_authtok_reqd=done default=ignore] "
         "pam_unix.so' can skip the rules after it, so the account rule of pam_jit.so could be "
         "bypassed"},
        {"account rule moved after the common account stack", "/etc/pam.d/sudo", DEB_SUDO_MOVED,
         debian12, NULL, false, "", -EPERM, NULL, 0,
         "/etc/pam.d/common-account:2: '[success=1 new_authtok_reqd=done default=ignore] "
         "pam_unix.so' can skip"},
        {"session rule moved before pam_loginuid.so", "/etc/pam.d/sshd", DEB_SSHD_SESSION_EARLY,
         debian12, NULL, true, "", -EPERM, NULL, 0,
         "/etc/pam.d/sshd:18: the session rule of pam_jit.so runs before pam_loginuid.so"},
        {"wrong control: optional", "/etc/pam.d/sudo",
         DEB_SUDO_HEAD "account optional pam_jit.so\n@include common-account\n"
                       "@include common-session-noninteractive\n",
         debian12, NULL, false, "", -EPERM, NULL, 0,
         "/etc/pam.d/sudo:10: 'optional pam_jit.so': a denial by pam_jit.so would not fail the "
         "account stack; make it 'required'"},
        {"wrong control: sufficient", "/etc/pam.d/sudo",
         DEB_SUDO_HEAD JIT_ACCOUNT "@include common-account\n"
                                   "@include common-session-noninteractive\n" MARK
                                   "session sufficient pam_jit.so\n",
         debian12, NULL, false, "", -EPERM, NULL, 0,
         "'sufficient pam_jit.so': a denial by pam_jit.so would not fail the session stack"},
        {"wrong control: [default=ignore]", "/etc/pam.d/sudo",
         DEB_SUDO_HEAD "account [success=ok default=ignore] pam_jit.so\n"
                       "@include common-account\n@include common-session-noninteractive\n",
         debian12, NULL, false, "", -EPERM, NULL, 0, "would not fail the account stack"},
        {"a bracket control that fails closed is fine", "/etc/pam.d/sudo",
         DEB_SUDO_HEAD "account [success=ok default=die] pam_jit.so\n"
                       "@include common-account\n@include common-session-noninteractive\n",
         debian12, NULL, false, "", 0,
         DEB_SUDO_HEAD
         "account [success=ok default=die] pam_jit.so\n"
         "@include common-account\n@include common-session-noninteractive\n" JIT_SESSION,
         S, NULL},
        {"duplicate account rule", "/etc/pam.d/sudo",
         DEB_SUDO_HEAD JIT_ACCOUNT JIT_ACCOUNT
         "@include common-account\n"
         "@include common-session-noninteractive\n" JIT_SESSION,
         debian12, NULL, false, "", -EPERM, NULL, 0,
         "/etc/pam.d/sudo:11 and /etc/pam.d/sudo:13: pam_jit.so is twice in the account stack"},
        {"duplicate through an include", "/etc/pam.d/sudo", DEB_SUDO_WIRED, debian12,
         jit_first_in_common_account, false, "", -EPERM, NULL, 0,
         "/etc/pam.d/sudo:11 and /etc/pam.d/common-account:1: pam_jit.so is twice"},

        /* what may come before pam_jit.so */
        {"sufficient account rule before the anchor", "/etc/pam.d/sudo",
         DEB_SUDO_HEAD "account sufficient pam_succeed_if.so uid < 1000\n"
                       "@include common-account\n@include common-session-noninteractive\n",
         debian12, NULL, false, "", -EPERM, NULL, 0,
         "/etc/pam.d/sudo:10: 'sufficient pam_succeed_if.so' can skip the rules after it, so the "
         "account rule of pam_jit.so could be bypassed"},
        {"a jump in the sshd session stack before pam_jit.so", "/etc/pam.d/sshd",
         DEB_SSHD_HEAD DEB_SSHD_ACCOUNT DEB_SSHD_SELINUX DEB_SSHD_LOGINUID
         "session [success=2 default=ignore] pam_succeed_if.so quiet\n" DEB_SSHD_SESSION
                 DEB_SSHD_TAIL,
         debian12, NULL, true, "", -EPERM, NULL, 0,
         "/etc/pam.d/sshd:17: '[success=2 default=ignore] pam_succeed_if.so' can skip the rules "
         "after it, so the session rule"},
        {"sufficient inside a substack stays inside", "/etc/pam.d/sudo",
         DEB_SUDO_HEAD "@include common-account\nsession substack local-extra\n"
                       "@include common-session-noninteractive\n",
         debian12, extra_sufficient, false, "", 0,
         DEB_SUDO_HEAD JIT_ACCOUNT "@include common-account\nsession substack local-extra\n"
                                   "@include common-session-noninteractive\n" JIT_SESSION,
         A | S, NULL},
        {"sufficient inside an include reaches out", "/etc/pam.d/sudo",
         DEB_SUDO_HEAD "@include common-account\nsession include local-extra\n"
                       "@include common-session-noninteractive\n",
         debian12, extra_sufficient, false, "", -EPERM, NULL, 0,
         "/etc/pam.d/local-extra:1: 'sufficient pam_permit.so' can skip the rules after it, so "
         "the session rule"},
        {"a jump out of an included file", "/etc/pam.d/sudo",
         DEB_SUDO_HEAD "@include common-account\n@include common-session-noninteractive\n"
                       "session include local-extra\n",
         debian12, extra_jumps_out, false, "", -EPERM, NULL, 0,
         "/etc/pam.d/local-extra:2: '[success=2 default=ignore] pam_succeed_if.so' can skip"},
        {"a jump that leaves its included file", "/etc/pam.d/sudo",
         DEB_SUDO_HEAD "@include common-account\nsession include local-extra\n"
                       "session required pam_env.so\n@include common-session-noninteractive\n",
         debian12, extra_jumps_one_out, false, "", -EPERM, NULL, 0,
         "/etc/pam.d/local-extra:2: '[success=1 default=ignore] pam_succeed_if.so' can skip"},
        {"a login whose session and account stacks are substacks", "/etc/pam.d/sshd",
         "account substack login-account\nsession substack login-session\n"
         "session optional pam_motd.so\n",
         login_substack, NULL, true, "", 0,
         JIT_ACCOUNT "account substack login-account\nsession substack login-session\n" JIT_SESSION
                     "session optional pam_motd.so\n",
         A | S, NULL},
        {"no account stack", "/etc/pam.d/sudo", "session required pam_limits.so\n", debian12, NULL,
         false, "", -EPERM, NULL, 0, "/root/etc/pam.d/sudo has no account stack"},
        {"sshd without pam_loginuid.so", "/etc/pam.d/sshd",
         DEB_SSHD_HEAD DEB_SSHD_ACCOUNT DEB_SSHD_SELINUX DEB_SSHD_SESSION DEB_SSHD_TAIL, debian12,
         NULL, true, "", -EPERM, NULL, 0,
         "/root/etc/pam.d/sshd: pam_loginuid.so is not in the session stack"},

        /* broken stacks */
        {"a missing include", "/etc/pam.d/sudo", DEB_SUDO "@include common-nothing\n", debian12,
         NULL, false, "", -ENOENT, NULL, 0,
         "/etc/pam.d/common-nothing: No such file or directory (included from "
         "/etc/pam.d/sudo:12)"},
        {"an include loop", "/etc/pam.d/sudo", "@include a\n", loop_ab, NULL, false, "", -ELOOP,
         NULL, 0, "/etc/pam.d/b:2: an include loop: /etc/pam.d/a -> /etc/pam.d/b -> /etc/pam.d/a"},
        {"a file that includes itself", "/etc/pam.d/sudo", "account include sudo\n", debian12, NULL,
         false, "", -ELOOP, NULL, 0,
         "/etc/pam.d/sudo:1: an include loop: /etc/pam.d/sudo -> /etc/pam.d/sudo"},
        {"includes nested too deep", "/etc/pam.d/sudo", "@include d1\n", deep, NULL, false, "",
         -ELOOP, NULL, 0, "/etc/pam.d/d8:1: PAM includes nested deeper than 8"},
        {"an unknown control", "/etc/pam.d/sudo", "account requird pam_unix.so\n", debian12, NULL,
         false, "", -EBADMSG, NULL, 0,
         "/etc/pam.d/sudo:1: bad control 'requird': an unknown control"},
        {"an unknown control in an included file", "/etc/pam.d/sudo", DEB_SUDO, debian12,
         broken_control_in_include, false, "", -EBADMSG, NULL, 0,
         "/etc/pam.d/common-account:1: bad control 'requird'"},
        {"a bracket without its end", "/etc/pam.d/sudo",
         "#%PAM-1.0\naccount [success=1 default=ignore pam_unix.so\n", debian12, NULL, false, "",
         -EBADMSG, NULL, 0,
         "/etc/pam.d/sudo:2: bad control '[success=1 default=ignore pam_unix.so"},
        {"an unknown action", "/etc/pam.d/sudo", "account [success=jump] pam_unix.so\n", debian12,
         NULL, false, "", -EBADMSG, NULL, 0, "an unknown action"},
        {"a jump of zero", "/etc/pam.d/sudo", "account [success=0 default=bad] pam_unix.so\n",
         debian12, NULL, false, "", -EBADMSG, NULL, 0, "a jump out of range"},
        {"an unknown type", "/etc/pam.d/sudo", "acount required pam_unix.so\n", debian12, NULL,
         false, "", -EBADMSG, NULL, 0, "/etc/pam.d/sudo:1: 'acount' is not a PAM type"},
        {"@include without a name", "/etc/pam.d/sudo", "@include\n", debian12, NULL, false, "",
         -EBADMSG, NULL, 0, "/etc/pam.d/sudo:1: an include without a file name"},
        {"a rule without a module", "/etc/pam.d/sudo", "account required\n", debian12, NULL, false,
         "", -EBADMSG, NULL, 0, "/etc/pam.d/sudo:1: a rule without a module"},
};

/* ---- the files in memory ---- */

struct memfs {
        const struct file *extra, *env;
};

static const char *memfs_find(const struct memfs *m, const char *name) {
        for (const struct file *f = m->extra; f && f->name; f++)
                if (streq(f->name, name))
                        return f->text;
        for (const struct file *f = m->env; f && f->name; f++)
                if (streq(f->name, name))
                        return f->text;
        return NULL;
}

static int memfs_read(void *userdata, const char *host_path, struct lines *ret, char **ret_error) {
        const char *text = memfs_find(userdata, host_path);

        if (!text) {
                assert_int_not_equal(asprintf(ret_error, "%s: %s", host_path, strerror(ENOENT)),
                                     -1);
                return -ENOENT;
        }
        return lines_split(text, strlen(text), ret);
}

static char *joined(const struct lines *l) {
        char *s = NULL;
        size_t len;

        assert_int_equal(lines_join(l, &s, &len), 0);
        return s;
}

static int load(const struct row *t, const char *text, struct pam_stack *ret, char **ret_error) {
        _cleanup_(lines_done) struct lines l = {};
        struct memfs m = {t->extra, t->env};

        assert_int_equal(lines_split(text, strlen(text), &l), 0);
        return pam_stack_load(t->service, &l, memfs_read, &m, ret, ret_error);
}

static void run_row(void **state) {
        const struct row *t = *state;
        _cleanup_(pam_stack_done) struct pam_stack in = {}, again = {};
        _cleanup_(lines_done) struct lines out = {}, out2 = {}, back = {};
        _cleanup_free_ char *error = NULL, *got = NULL, *got2 = NULL, *gotback = NULL;
        _cleanup_free_ size_t *foreign = NULL;
        _cleanup_free_ char *path = NULL;
        unsigned added = 0, removed = 0;
        size_t n_foreign = 0;
        int r;

        assert_int_not_equal(asprintf(&path, "/root%s", t->service), -1);
        const struct pam_plan_options o = {.login = t->login, .args = t->args, .path = path};

        r = load(t, t->text, &in, &error);
        if (r >= 0)
                r = pam_plan_enable(&in, &o, &out, &added, &error);
        if (r != t->want_r || (r < 0 && (!error || !strstr(error, t->want_error))))
                fail_msg("%s: got %d (%s), want %d with '%s'", t->name, r, strnull(error),
                         t->want_r, strnull(t->want_error));
        if (r < 0)
                return;

        got = joined(&out);
        if (!streq(got, t->want ?: t->text))
                fail_msg("%s: got\n%s\nwant\n%s", t->name, got, t->want ?: t->text);
        assert_int_equal(added, t->want_added);

        /* A fixed point: the wired stack needs nothing more. */
        r = load(t, got, &again, &error);
        assert_int_equal(r, 0);
        r = pam_plan_enable(&again, &o, &out2, &added, &error);
        if (r < 0)
                fail_msg("%s: the wired stack is refused: %s", t->name, strnull(error));
        got2 = joined(&out2);
        assert_string_equal(got2, got);
        assert_int_equal(added, 0);

        /* disable takes out exactly what enable put in. */
        r = pam_plan_disable(&again, &back, &removed, &foreign, &n_foreign);
        assert_int_equal(r, 0);
        if (!strstr(t->text, PAM_MARKER)) {
                gotback = joined(&back);
                assert_string_equal(gotback, t->text);
                assert_int_equal(removed, __builtin_popcount(t->want_added));
        }
}

int main(void) {
        struct CMUnitTest tests[ELEMENTSOF(rows)];

        for (size_t i = 0; i < ELEMENTSOF(rows); i++)
                tests[i] = (struct CMUnitTest){
                        .name = rows[i].name,
                        .test_func = run_row,
                        .initial_state = (void *) (rows + i),
                };
        return _cmocka_run_group_tests("pam-plan", tests, ELEMENTSOF(tests), NULL, NULL);
}
