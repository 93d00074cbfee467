/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jit-agent: new → startup → notify READY → event loop, in the manner of
 * systemd's daemons. Everything happens on one sd-event loop: the poll timer,
 * the exact-second deadline timer, the SIGKILL grace timer, inotify on the
 * session records, signals, the watchdog. This file parses the arguments and
 * wires the loop's events to the rooms below it (enforce.c, poll.c,
 * terminate.c); the state they share is agent.c's. */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "agent-log.h"
#include "agent.h"
#include "authorized-keys.h"
#include "bus.h"
#include "check-config.h"
#include "cloud-poll.h"
#include "enforce.h"
#include "fetch-server.h"
#include "hint.h"
#include "host-state.h"
#include "poll.h"
#include "session-record.h"
#include "terminate.h"

static int ensure_dirs(struct agent *a) {
        const char *run = a->ctx.config->run_dir;
        char path[4096];

        /* RuntimeDirectory= and StateDirectory= make these under systemd;
         * run by hand, the agent does. */
        if (mkdir(run, 0755) < 0 && errno != EEXIST)
                return -errno;
        if (mkdir(a->ctx.config->state_dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        (void) snprintf(path, sizeof(path), "%s/sessions", run);
        if (mkdir(path, 0700) < 0 && errno != EEXIST)
                return -errno;
        (void) snprintf(path, sizeof(path), "%s/ending", run);
        if (mkdir(path, 0700) < 0 && errno != EEXIST)
                return -errno;
        (void) snprintf(path, sizeof(path), "%s/keys", run);
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static int on_reconcile_soon(sd_event_source *s, void *userdata) {
        return agent_reconcile(userdata);
}

static int on_sessions_changed(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        struct agent *a = userdata;

        /* A session opened one second before its grant ends is caught here,
         * not at the next timer. pam_jit's temporary files and the lock are
         * not sessions; a burst of events (a record is written as a temporary
         * and renamed) makes one reconcile, on the next loop iteration. */
        if (ev->len > 0 && !session_id_is_valid(ev->name))
                return 0;
        return sd_event_source_set_enabled(a->reconcile_soon, SD_EVENT_ONESHOT);
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        return agent_reconcile(userdata);
}

static int on_grace(sd_event_source *s, uint64_t usec, void *userdata) {
        return pending_kills_run(userdata);
}

/* No store of the configuration takes the instance's credentials and no
 * push hint is answered: the long-lived fetch helper (fetch-server.h) has
 * nothing left to serve, and may hold the old credentials; it goes. (Other
 * store options are compared at its next request, which replaces it.) */
static void fetch_server_reload(const struct agent *a) {
        const struct jit_config *c = a->ctx.config;
        size_t n = c->bundle_urls ? strv_length(c->bundle_urls) : 0;

        if (c->notify_url)
                return;
        if (c->bundle_url && fetch_helper_takes_credentials(&(struct fetch_options){
                                     .url = c->bundle_url, .store_auth = c->store_auth}))
                return;
        for (size_t i = 0; i < n; i++)
                if (fetch_helper_takes_credentials(&(struct fetch_options){
                            .url = c->bundle_urls[i], .store_auth = c->store_auth}))
                        return;
        fetch_server_kill(false, "no store of the configuration takes the instance's credentials, "
                                 "and no notify_url");
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct agent *a = userdata;

        struct jit_error err = {};
        int r;

        (void) sd_notify(false, "RELOADING=1");
        /* Another trust store may not trust what the old one did. */
        a->applied_sha256[0] = '\0';
        r = agent_load_context(a, &err);
        if (r < 0) {
                char loaded[32];
                time_t t = (time_t) a->config_loaded_at;
                struct tm tm;

                a->reload_failed_at = (int64_t) time(NULL);
                if (!gmtime_r(&t, &tm) ||
                    strftime(loaded, sizeof(loaded), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
                        (void) snprintf(loaded, sizeof(loaded), "?");
                agent_log_fields(LOG_ERR, AGENT_MID_RELOAD_FAILED,
                                 (&(struct agent_log_fields){.error = r}),
                                 "reload failed: %s; still running on the configuration loaded "
                                 "at %s",
                                 err.message, loaded);
        } else {
                agent_log(LOG_INFO, AGENT_MID_RELOADED, "configuration and trust store reloaded");
                a->keys_dirty = true; /* another trust store or facts: other keys */
        }
        (void) agent_reconcile(a);
        (void) agent_poll_now(a);
        fetch_server_reload(a);
        (void) agent_hint_start(a); /* notify_url or its TLS options may have changed */
        agent_cloud_reload(a);
        (void) sd_notify(false, "READY=1");
        return 0;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct agent *a = userdata;

        (void) sd_notify(false, "STOPPING=1");
        agent_log(LOG_INFO, AGENT_MID_STOPPING, "exiting on signal %u", si->ssi_signo);
        /* Sessions already ended must not survive our exit because their
         * grace had not run out: what ignored SIGTERM gets SIGKILL now. What
         * survives even that stays in run_dir/ending for the next start. */
        (void) pending_kills_now(a);
        return sd_event_exit(a->event, 0);
}

/* On failure err says what failed, where more than an errno can. */
static int agent_startup(struct agent *a, struct jit_error *err) {
        char sessions[4096];
        sigset_t mask;
        int r;

        /* What the agent holds (CAP_KILL) is not for the processes it starts:
         * the fetch helper must come up with nothing (with SecureBits=noroot,
         * as jit-agent.service runs it, exec then grants none either). */
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return jit_error_set(err, EPERM, JIT_REASON_SYSTEM,
                                     "cannot clear the ambient capability set: %s",
                                     strerror_r(errno, (char[128]){}, 128));

        r = sd_event_default(&a->event);
        if (r < 0)
                return r;
        r = agent_load_context(a, err);
        if (r < 0)
                return r;
        r = ensure_dirs(a);
        if (r < 0)
                return jit_error_set(err, r, JIT_REASON_SYSTEM, "cannot create %s: %s",
                                     a->ctx.config->run_dir, strerror_r(-r, (char[128]){}, 128));

        /* logind is there only where systemd runs as PID 1. */
        r = sd_booted() > 0 ? agent_bus_open(a) : 0;
        if (r < 0)
                agent_log_fields(LOG_WARNING, AGENT_MID_NO_BUS,
                                 (&(struct agent_log_fields){.error = r}),
                                 "no system bus: sessions are ended by audit session id only");

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGCHLD); /* the fetch helper's exit, through sd-event */
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        if ((r = sd_event_add_signal(a->event, NULL, SIGTERM, on_exit_signal, a)) < 0 ||
            (r = sd_event_add_signal(a->event, NULL, SIGINT, on_exit_signal, a)) < 0 ||
            (r = sd_event_add_signal(a->event, NULL, SIGHUP, on_sighup, a)) < 0)
                return r;

        /* The deadline timer runs on the wall clock: a grant ends at a wall
         * clock second. Accuracy 1 µs: no coalescing may push it later. */
        r = sd_event_add_time(a->event, &a->deadline_timer, CLOCK_REALTIME, UINT64_MAX, 1,
                              on_deadline, a);
        if (r < 0)
                return r;
        r = sd_event_add_time(a->event, &a->grace_timer, CLOCK_BOOTTIME, UINT64_MAX, 1, on_grace,
                              a);
        if (r < 0)
                return r;
        /* SIGKILLs a previous agent had pending (it crashed, or was stopped
         * inside a grace) are due at their deadline, or now. */
        (void) pending_kills_load(a);
        (void) snprintf(sessions, sizeof(sessions), "%s/sessions", a->ctx.config->run_dir);
        r = sd_event_add_inotify(a->event, &a->sessions_watch, sessions,
                                 IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM,
                                 on_sessions_changed, a);
        if (r < 0)
                return r;

        r = sd_event_add_defer(a->event, &a->reconcile_soon, on_reconcile_soon, a);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(a->reconcile_soon, SD_EVENT_OFF);

        r = agent_poll_setup(a);
        if (r < 0)
                return r;
        r = agent_hint_start(a);
        if (r < 0)
                return r;
        r = agent_cloud_setup(a);
        if (r < 0)
                return r;
        /* WATCHDOG=1 at half of WatchdogSec=, from the loop itself: a loop
         * that hangs stops feeding it. */
        (void) sd_event_set_watchdog(a->event, true);

        /* Sessions whose grant ended while we were down end now. */
        a->keys_dirty = true;
        return agent_reconcile(a);
}

static void help(void) {
        printf("jit-agent [--config PATH] [--check-config]\n\n"
               "Fetch the signed grant bundle, end sessions and remove keys the second\n"
               "their grant ends. Normally started by systemd (jit-agent.service).\n\n"
               "  -c, --config PATH   jit.conf to read (default %s)\n"
               "      --check-config  check jit.conf and the trust store as pam_jit reads\n"
               "                      them, print the result and exit (1: not valid)\n"
               "      --is-configured exit 1 when jit.conf names no issuers and no\n"
               "                      bundle_url (the file as shipped)\n"
               "      --authorized-keys USER\n"
               "                      sshd's AuthorizedKeysCommand: print USER's grant keys;\n"
               "                      none: an audit event \"no grant\"\n"
               "  -h, --help          this text\n"
               "      --version       the version\n",
               JIT_CONFIG_PATH);
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                {"config", required_argument, NULL, 'c'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'V'},
                {"check-config", no_argument, NULL, 'C'},
                {"is-configured", no_argument, NULL, 'I'},
                {"authorized-keys", required_argument, NULL, 'K'},
                {},
        };
        struct agent a = AGENT_INIT(JIT_CONFIG_PATH);
        struct jit_error err = {};
        bool check = false, configured = false;
        const char *keys_user = NULL;
        int c, r;

        while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        a.config_path = optarg;
                        break;
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                case 'C':
                        check = true;
                        break;
                case 'I':
                        configured = true;
                        break;
                case 'K':
                        keys_user = optarg;
                        break;
                case 'V':
                        printf("jit-agent %s\n", PACKAGE_VERSION);
                        return EXIT_SUCCESS;
                default:
                        return 2;
                }
        if (optind < argc) {
                fprintf(stderr, "jit-agent: unexpected argument %s\n", argv[optind]);
                return 2;
        }
        if (check)
                return agent_check_config(a.config_path);
        if (configured)
                return agent_is_configured(a.config_path);
        if (keys_user)
                return agent_authorized_keys(a.config_path, keys_user);

        r = agent_startup(&a, &err);
        if (r < 0) {
                const char *why = err.message[0] ? err.message : strerror_r(-r, (char[128]){}, 128);

                agent_log_fields(LOG_ERR, AGENT_MID_STARTUP_FAILED,
                                 (&(struct agent_log_fields){.error = r}), "startup failed: %s",
                                 why);
                (void) sd_notifyf(false, "STATUS=startup failed: %s\nERRNO=%d", why, -r);
                agent_hint_stop(&a);
                agent_done(&a);
                return EXIT_FAILURE;
        }
        agent_log(LOG_INFO, AGENT_MID_STARTED, "started: store %s, poll every %lld s",
                  a.ctx.config->bundle_url ? a.ctx.config->bundle_url : "(none)",
                  (long long) a.ctx.config->poll_interval);
        (void) sd_notify(false, "READY=1");
        r = sd_event_loop(a.event);
        agent_hint_stop(&a);
        agent_done(&a);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
