/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jitctl pam enable|disable|status: put pam_jit.so into the sshd and sudo
 * PAM stacks (and cron's and atd's, whose jobs are sessions too) and point sshd's
 * AuthorizedKeysFile at the agent's keys files, on this host or on a tree mounted at --root. Every
 * line jitctl adds to a PAM file follows a marker comment of its own, so disable removes exactly
 * what enable added and nothing an administrator wrote. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "apply.h"
#include "cli.h"
#include "exempt.h"
#include "jitctl.h"
#include "plan.h"
#include "preconditions.h"
#include "sshd.h"
#include "stack.h"
#include "sudoers.h"

enum {
        SERVICE_SSHD = 1 << 0,
        SERVICE_SUDO = 1 << 1,
        SERVICE_CRON = 1 << 2,
        SERVICE_ATD = 1 << 3,
        SERVICE_ALL = SERVICE_SSHD | SERVICE_SUDO | SERVICE_CRON | SERVICE_ATD,
};

static const struct service_name {
        const char *name;
        unsigned service;
} service_names[] = {
        {"sshd", SERVICE_SSHD},
        {"sudo", SERVICE_SUDO},
        {"cron", SERVICE_CRON},
        {"atd", SERVICE_ATD},
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
        /* A cron or at job is a session of its user: gated and recorded
         * like a login (pam_loginuid.so gives it its own audit session),
         * so it ends with the grant. Debian calls cron's service "cron",
         * RHEL's cronie "crond"; a host has one of them. */
        {"cron", SERVICE_CRON, true, true},
        {"crond", SERVICE_CRON, true, true},
        {"atd", SERVICE_ATD, true, true},
};

/* ---- a service's stack ---- */

struct include_reader {
        const struct wiring *w;
        const struct change *planned; /* files planned earlier in this run */
        size_t n_planned;
};

/* Included files as they will be: RHEL's sudo-i includes sudo, which may
 * have been planned a moment before. */
static int read_include(void *userdata, const char *host_path, struct lines *ret,
                        char **ret_error) {
        const struct include_reader *ir = userdata;

        for (size_t i = 0; i < ir->n_planned; i++)
                if (ir->planned[i].summary && !ir->planned[i].remove &&
                    streq_ptr(ir->planned[i].host_path, host_path))
                        return lines_copy(&ir->planned[i].new, ret);
        return include_read_quiet(ir->w, host_path, ret, ret_error);
}

/* The service's file and, with follow, what it includes. -ENOENT, without
 * a message, only when the service's own file is missing. */
static int service_load(const struct wiring *w, const char *host, bool follow,
                        const struct change *planned, size_t n_planned, struct pam_stack *ret,
                        mode_t *ret_mode) {
        _cleanup_(lines_done) struct lines l = {};
        _cleanup_free_ char *path = NULL, *error = NULL;
        struct include_reader ir = {w, planned, n_planned};
        int r;

        path = root_path(w, host);
        if (!path)
                return -ENOMEM;
        r = file_read(path, true, &l, ret_mode);
        if (r < 0)
                return r;
        if (follow)
                r = pam_stack_load(host, &l, read_include, &ir, ret, &error);
        else {
                ret->files = calloc(1, sizeof(*ret->files));
                if (!ret->files)
                        return -ENOMEM;
                r = pam_file_parse(host, &l, ret->files, &error);
                ret->n_files = r >= 0;
        }
        if (r < 0 && error)
                ctl_error("%s", error);
        /* A missing include is not a missing service. */
        return r == -ENOENT ? -ENOLINK : r;
}

static int service_plan_enable(struct wiring *w, const struct pam_service *s, const char *args,
                               bool mkhomedir, const struct change *planned, size_t n_planned,
                               struct change *ret) {
        _cleanup_(pam_stack_done) struct pam_stack st = {};
        _cleanup_free_ char *error = NULL;
        unsigned added = 0;
        int r;

        if (asprintf(&ret->host_path, PAM_DIR "/%s", s->name) < 0)
                return -ENOMEM;
        ret->path = root_path(w, ret->host_path);
        if (!ret->path)
                return -ENOMEM;
        r = service_load(w, ret->host_path, true, planned, n_planned, &st, &ret->mode);
        if (r == -ENOENT) {
                if (!s->optional)
                        ctl_error("pam enable: refused: %s does not exist: is %s installed?",
                                  ret->path, s->name);
                return r;
        }
        if (r < 0)
                return r;
        ret->existed = true;
        r = lines_copy(&st.files[0].lines, &ret->old);
        if (r < 0)
                return r;
        r = pam_plan_enable(
                &st,
                &(const struct pam_plan_options){
                        .login = s->login, .args = args, .path = ret->path, .mkhomedir = mkhomedir},
                &ret->new, &added, &error);
        if (r < 0) {
                if (error)
                        ctl_error("pam enable: refused: %s", error);
                return r;
        }
        ret->summary = strdup(added == (PAM_TYPE_ACCOUNT | PAM_TYPE_SESSION)
                                      ? "account and session rules added"
                              : added == PAM_TYPE_ACCOUNT ? "account rule added"
                              : added == PAM_TYPE_SESSION ? "session rule added"
                                                          : "already enabled");
        return ret->summary ? 0 : -ENOMEM;
}

/* Only the service's own file: a broken include does not keep jitctl from
 * taking out its own lines. */
static int service_plan_disable(struct wiring *w, const struct pam_service *s, struct change *ret,
                                unsigned *ret_foreign) {
        _cleanup_(pam_stack_done) struct pam_stack st = {};
        _cleanup_free_ size_t *foreign = NULL;
        size_t n_foreign = 0;
        unsigned removed = 0;
        int r;

        if (asprintf(&ret->host_path, PAM_DIR "/%s", s->name) < 0)
                return -ENOMEM;
        ret->path = root_path(w, ret->host_path);
        if (!ret->path)
                return -ENOMEM;
        r = service_load(w, ret->host_path, false, NULL, 0, &st, &ret->mode);
        if (r < 0)
                return r;
        ret->existed = true;
        r = lines_copy(&st.files[0].lines, &ret->old);
        if (r < 0)
                return r;
        r = pam_plan_disable(&st, &ret->new, &removed, &foreign, &n_foreign);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_foreign; i++)
                ctl_warning("%s:%zu: a %s rule jitctl did not add; left in place", ret->path,
                            foreign[i], PAM_MODULE);
        *ret_foreign += (unsigned) n_foreign;
        if (asprintf(&ret->summary, "%u rule%s of %s removed", removed, removed == 1 ? "" : "s",
                     PAM_MODULE) < 0)
                ret->summary = NULL;
        return ret->summary ? 0 : -ENOMEM;
}

static const char *wired_name(enum pam_wired w) {
        return w == PAM_WIRED           ? "wired"
               : w == PAM_WIRED_BY_HAND ? "wired (not by jitctl)"
                                        : "not wired";
}

/* ---- the commands ---- */

static void help(void) {
        printf("Usage: jitctl pam enable [--dry-run] [--force] [--root DIR] [--config PATH] "
               "SERVICE…\n"
               "       jitctl pam disable [--dry-run] [--root DIR] [SERVICE…]\n"
               "       jitctl pam status [--root DIR]\n\n"
               "Wire pam_jit.so into the PAM stacks of SERVICE (sshd, sudo, cron, atd), or take\n"
               "it out.\n\n"
               "enable adds, each after a marker comment of its own,\n"
               "  account required pam_jit.so   right before the common account stack\n"
               "  session required pam_jit.so   sshd, cron, atd: after pam_loginuid.so and\n"
               "                                pam_systemd.so; sudo: after the session stack\n"
               "to /etc/pam.d/sshd, /etc/pam.d/sudo and /etc/pam.d/sudo-i (when present),\n"
               "/etc/pam.d/cron (Debian) or crond (RHEL), /etc/pam.d/atd, and\n"
               "for sshd writes " SSHD_DROPIN " with\n"
               "  AuthorizedKeysFile RUN_DIR/keys/%%u .ssh/authorized_keys\n"
               "Each file is saved first to " PAM_BACKUP_DIR "/ (once). It refuses unless the\n"
               "trust store loads, issuers are set, each user of exempt_users (and\n"
               "exempt_group) exists, and jit-agent has accepted a bundle that is not stale;\n"
               "no exempt user at all is a warning. exempt_users and exempt_group are also\n"
               "written onto the lines (exempt=USER,… exempt_group=GROUP), where pam_jit.so\n"
               "reads them before any file, so a broken jit.conf or trust store cannot lock\n"
               "break-glass out: after changing them, run disable and enable again.\n\n"
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
                unsigned found = 0;

                for (size_t k = 0; k < ELEMENTSOF(service_names); k++)
                        if (streq(argv[i], service_names[k].name))
                                found = service_names[k].service;
                if (found == 0) {
                        ctl_error("pam %s: unknown service '%s' (sshd, sudo, cron or atd)", verb,
                                  argv[i]);
                        return -EINVAL;
                }
                ret->services |= found;
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

#define CHANGES_MAX (ELEMENTSOF(pam_services) + 1)

static int pam_enable(int argc, char *argv[]) {
        _cleanup_(config_freep) struct jit_config *c = NULL;
        _cleanup_free_ char *root = NULL, *args = NULL, *exempt = NULL;
        struct pam_args a = {.now = (int64_t) time(NULL)};
        struct change changes[CHANGES_MAX] = {};
        struct wiring w = {};
        size_t n = 0, n_changed = 0;
        unsigned wired = 0;
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
                ctl_error("pam enable: name the services to wire: sshd, sudo, cron, atd");
                return EXIT_USAGE;
        }
        if (root_normalize(a.root, &root) < 0)
                return EXIT_USAGE;
        w = (struct wiring){.root = root, .dry_run = a.dry_run};
        r = enable_preconditions(&w, a.config, a.force, a.now, &c);
        if (r < 0) {
                wiring_fail(&w, r);
                goto finish;
        }
        /* The break-glass list goes onto the line itself (exempt.h). */
        if (exempt_args(c, &exempt) < 0 ||
            asprintf(&args, "%s%s%s",
                     a.config && !streq(a.config, JIT_CONFIG_PATH) ? " config=" : "",
                     a.config && !streq(a.config, JIT_CONFIG_PATH) ? a.config : "", exempt) < 0) {
                args = NULL;
                w.system_error = true;
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
                r = service_plan_enable(&w, pam_services + i, strempty(args), c->create_users,
                                        changes, n, changes + n);
                if (r == -ENOENT && pam_services[i].optional) {
                        change_done(changes + n);
                        continue;
                }
                if (r < 0)
                        wiring_fail(&w, r);
                else
                        wired |= pam_services[i].service;
                n++;
        }
        /* A service named but with none of its files here (cron on a host
         * without a cron daemon) is not wired: say so rather than succeed. */
        for (size_t k = 0; k < ELEMENTSOF(service_names); k++)
                if ((a.services & service_names[k].service) &&
                    !(wired & service_names[k].service) && !w.refused && !w.system_error) {
                        ctl_error("pam enable: %s: no PAM file for it under %s%s",
                                  service_names[k].name, root, PAM_DIR);
                        w.refused = true;
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
                a.services = SERVICE_ALL;
        if (root_normalize(a.root, &root) < 0)
                return EXIT_USAGE;
        w = (struct wiring){.root = root, .dry_run = a.dry_run};

        for (size_t i = 0; i < ELEMENTSOF(pam_services); i++) {
                if (!(a.services & pam_services[i].service))
                        continue;
                r = service_plan_disable(&w, pam_services + i, changes + n, &foreign);
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
        /* The open door a rollback can leave: sudoers rules that only
         * pam_jit held back. */
        if (a.services & SERVICE_SUDO)
                (void) sudoers_warn_nopasswd(&w);
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

static int pam_status(int argc, char *argv[]) {
        _cleanup_free_ char *root = NULL;
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
                _cleanup_(pam_stack_done) struct pam_stack st = {};
                _cleanup_free_ char *host = NULL;

                if (asprintf(&host, PAM_DIR "/%s", pam_services[i].name) < 0)
                        return EXIT_SYSTEM;
                r = service_load(&w, host, true, NULL, 0, &st, NULL);
                if (r == -ENOENT) {
                        printf("%s: no %s\n", pam_services[i].name, host);
                        continue;
                }
                if (r < 0) {
                        wiring_fail(&w, r);
                        continue;
                }
                printf("%s: account %s, session %s\n", pam_services[i].name,
                       wired_name(pam_plan_wired(&st, PAM_TYPE_ACCOUNT)),
                       wired_name(pam_plan_wired(&st, PAM_TYPE_SESSION)));
        }

        r = dropin_status(&w);
        if (r < 0)
                wiring_fail(&w, r);
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
