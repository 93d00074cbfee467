/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jit-fetch: one fetch from the store (a head or a shard), for jit-agent, in a process of its own.
 * Its lines on stderr (the agent's stderr, so the journal under systemd) are
 * the rare failures of the helper itself; what it fetched, or why it could
 * not, goes to the agent over the wire, and the agent logs it.
 *
 * The code that talks to the network (libcurl, TLS, HTTP, and the libraries
 * Debian's libcurl pulls in: krb5, ldap, ssh2, rtmp, gnutls, …) runs here,
 * not in the agent that holds CAP_KILL and writes the key files: the helper
 * gives up every capability, sets no_new_privs and confines itself with
 * Landlock to reading files before it parses a byte from the network. It
 * writes the outcome to stdout (wire/fetch-wire.h) and exits; the agent verifies
 * the body as it verifies anything from the store. Keeping libcurl out of the agent is also
 * what keeps the long-running agent small (docs/benchmarks.md). */

#include <errno.h>
#include <getopt.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "fetch-wire.h"
#include "fetch.h"
#include "jit-limits.h"
#include "macro.h"
#include "metadata-facts.h"
#include "parse.h"
#include "store-auth.h"
#include "subscribe.h"

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

/* Every right that changes the file system, by Landlock ABI version. */
static uint64_t landlock_write_rights(int abi) {
        uint64_t rights = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
                          LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
                          LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                          LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
                          LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
        if (abi >= 2)
                rights |= LANDLOCK_ACCESS_FS_REFER;
        if (abi >= 3)
                rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
        return rights;
}

/* No file may be written, created, removed or renamed from here on: a
 * ruleset that handles every write right and grants none. A kernel without
 * Landlock (before 5.13, or not enabled) leaves the other two fences. */
static int confine_to_reading(void) {
        struct landlock_ruleset_attr attr = {};
        int abi, fd;

        abi = (int) syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
        if (abi < 1)
                /* ENOSYS, EOPNOTSUPP: no Landlock here; EPERM: a seccomp
                 * filter without it (jit-agent.service allows it). */
                return errno == ENOSYS || errno == EOPNOTSUPP || errno == EPERM ? 0 : -errno;
        attr.handled_access_fs = landlock_write_rights(abi);
        fd = (int) syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
        if (fd < 0)
                return -errno;
        int r = (int) syscall(SYS_landlock_restrict_self, fd, 0);
        int e = errno;
        close(fd);
        return r < 0 ? -e : 1;
}

/* Under jit-agent.service the helper starts with no capability at all
 * (SecureBits=noroot, and the agent clears its ambient set); started by a
 * root agent elsewhere it has root's, and drops them. It never runs the
 * network code with a capability: if they cannot be dropped, it stops. */
static int drop_capabilities(void) {
        struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
        bool any = false;

        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return -errno;
        if (syscall(SYS_capget, &header, data) < 0)
                return -errno;
        /* The inheritable set alone grants nothing: with the ambient set
         * empty, no_new_privs and no exec, it never reaches permitted. (systemd
         * leaves CAP_KILL in it, for the agent's ambient capability, and
         * its seccomp filter refuses capset().) */
        for (size_t i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
                any = any || data[i].effective || data[i].permitted;
        if (!any)
                return 0;
        memset(data, 0, sizeof(data));
        if (syscall(SYS_capset, &header, data) < 0)
                return -errno;
        return 0;
}

static int drop_privileges(void) {
        int r;

        r = drop_capabilities();
        if (r < 0)
                return r;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        return confine_to_reading();
}

static int exit_status = EXIT_FAILURE;

static void on_done(struct fetcher *f, int error, const char *message,
                    const struct fetch_result *result, void *userdata) {
        sd_event *event = userdata;
        int r;

        r = fetch_wire_write(STDOUT_FILENO, error, message, result);
        if (r < 0)
                fprintf(stderr, "<%d>jit-fetch: cannot write to jit-agent: %s\n", LOG_ERR,
                        strerror_r(-r, (char[128]){}, 128));
        else
                exit_status = EXIT_SUCCESS;
        (void) sd_event_exit(event, 0);
}

/* A run of several shards (--object=SHA:SIZE …, --url the store's base):
 * one after another on the same fetcher, so the connection, its TLS session
 * and the credentials (credentials.c keeps them for their lifetime) serve
 * them all; one frame each on stdout, and the run stops at the first
 * failure, for the agent then drops the whole head anyway. */
struct object {
        char sha256[65];
        uint64_t size;
};

struct run {
        sd_event *event;
        struct fetcher *f;
        struct fetch_options o; /* o.url: the store's base, up to its last '/' */
        const struct object *objects;
        size_t n_objects, next;
        uint64_t deadline; /* CLOCK_MONOTONIC, µs */
        uint64_t per_object_usec;
        struct store_auth auth;
        char *url;
        bool region_owned;
};

static void run_answer(struct run *run, int error, const char *message,
                       const struct fetch_result *result) {
        int r;

        r = fetch_wire_write_object(STDOUT_FILENO, run->objects[run->next].sha256, error, message,
                                    result);
        if (r < 0) {
                fprintf(stderr, "<%d>jit-fetch: cannot write to jit-agent: %s\n", LOG_ERR,
                        strerror_r(-r, (char[128]){}, 128));
                exit_status = EXIT_FAILURE;
                (void) sd_event_exit(run->event, 0);
        }
}

static void run_next(struct run *run);

static void on_object_done(struct fetcher *f, int error, const char *message,
                           const struct fetch_result *result, void *userdata) {
        struct run *run = userdata;

        if (error == 0 && result->status != 200 && result->status != 0) {
                error = -EIO;
                message = "not modified, for an object asked without an ETag";
        }
        run_answer(run, error, message, error < 0 ? NULL : result);
        if (error < 0) {
                (void) sd_event_exit(run->event, 0);
                return;
        }
        run->next++;
        /* The fetcher is idle here: fetch.c lets done() start the next transfer. */
        run_next(run);
}

static void run_next(struct run *run) {
        char why[FETCH_WIRE_MESSAGE_MAX] = "";
        uint64_t now = 0;
        int r;

        if (run->next >= run->n_objects) {
                exit_status = EXIT_SUCCESS;
                (void) sd_event_exit(run->event, 0);
                return;
        }
        const struct object *obj = &run->objects[run->next];
        (void) sd_event_now(run->event, CLOCK_MONOTONIC, &now);
        if (now >= run->deadline) {
                (void) snprintf(why, sizeof(why),
                                "the run's time limit ran out after %zu of %zu objects", run->next,
                                run->n_objects);
                run_answer(run, -ETIMEDOUT, why, NULL);
                (void) sd_event_exit(run->event, 0);
                return;
        }
        free(run->url);
        if (asprintf(&run->url, "%sobjects/%s", run->o.url, obj->sha256) < 0) {
                run->url = NULL;
                run_answer(run, -ENOMEM, "out of memory", NULL);
                (void) sd_event_exit(run->event, 0);
                return;
        }
        struct fetch_options o = run->o;
        o.url = run->url;
        o.sha256 = obj->sha256;
        o.max_size = obj->size > 0 ? obj->size : 1;
        o.total_timeout_usec = run->per_object_usec < run->deadline - now ? run->per_object_usec
                                                                          : run->deadline - now;
        o.keep_alive = true;
        store_auth_done(&run->auth);
        /* Credentials come from credentials.c's cache after the first object. */
        r = store_auth_prepare(&o, (int64_t) time(NULL), &run->auth, why, sizeof(why));
        if (r < 0) {
                run_answer(run, r, why[0] ? why : "cannot reach the store", NULL);
                (void) sd_event_exit(run->event, 0);
                return;
        }
        /* The region, once known, is not asked again for the next objects. */
        if (run->auth.region && !run->o.store_region) {
                run->o.store_region = strdup(run->auth.region);
                if (!run->o.store_region) {
                        run_answer(run, -ENOMEM, "out of memory", NULL);
                        (void) sd_event_exit(run->event, 0);
                        return;
                }
                run->region_owned = true;
        }
        o.auth = &run->auth;
        r = fetcher_start(run->f, &o, on_object_done, run);
        if (r < 0) {
                run_answer(run, r, "cannot start the transfer", NULL);
                (void) sd_event_exit(run->event, 0);
        }
}

/* "<64 hex>:<size>" */
static int parse_object(const char *s, struct object *ret) {
        const char *colon = strchr(s, ':');
        uint64_t size;

        if (!colon || colon - s != 64 || strspn(s, "0123456789abcdef") != 64)
                return -EINVAL;
        if (!parse_uint_strict(colon + 1, strlen(colon + 1), UINT64_MAX / 2, &size) || size == 0)
                return -EINVAL;
        memcpy(ret->sha256, s, 64);
        ret->sha256[64] = '\0';
        ret->size = size;
        return 0;
}

static int run_objects(struct fetch_options *o, const struct object *objects, size_t n,
                       uint64_t run_timeout_usec) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        struct run run = {.o = *o, .objects = objects, .n_objects = n};
        uint64_t now = 0;
        int r;

        run.per_object_usec = o->total_timeout_usec;
        r = sd_event_new(&event);
        if (r >= 0)
                r = fetcher_new(event, &run.f);
        if (r < 0) {
                run.event = event;
                run_answer(&run, r, "cannot start the transfer", NULL);
                fetcher_free(run.f);
                return EXIT_SUCCESS;
        }
        run.event = event;
        (void) sd_event_now(event, CLOCK_MONOTONIC, &now);
        run.deadline = now + run_timeout_usec;
        run_next(&run);
        r = sd_event_loop(event);
        fetcher_free(run.f);
        store_auth_done(&run.auth);
        free(run.url);
        if (run.region_owned)
                free((char *) run.o.store_region);
        credentials_forget(); /* wiped, not left to the exit */
        return r < 0 ? EXIT_FAILURE : exit_status;
}

static int parse_u64(const char *s, uint64_t *ret) {
        return parse_uint_strict(s, strlen(s), UINT64_MAX / 2, ret) ? 0 : -EINVAL;
}

static void help(void) {
        printf("jit-fetch --url=URL [OPTIONS]\n\n"
               "Fetch one object of the store (its head or a shard) for jit-agent and write the "
               "outcome to stdout.\n"
               "Started by jit-agent; not meant to be run by hand.\n\n"
               "  --url=URL                  https://, file:// (http:// with --allow-http)\n"
               "  --connect-timeout-usec=N\n"
               "  --timeout-usec=N\n"
               "  --max-size=BYTES\n"
               "  --ca-file=PATH  --client-cert=PATH  --client-key=PATH\n"
               "  --pinned-pubkey=PIN        a path or sha256//…\n"
               "  --allow-http\n"
               "  --etag=ETAG                If-None-Match\n"
               "  --sha256=HEX               the body must hash to this (a shard's name)\n"
               "  --object=HEX:SIZE          a shard under --url's objects/ (repeatable, at most "
               "%u):\n"
               "                             one answer each, in order, on one connection\n"
               "  --run-timeout-usec=N       the whole run of --object shards\n"
               "  --store-auth=auto|aws|gcp|azure|none   credentials of this instance's identity\n"
               "  --store-endpoint=URL  --store-region=REGION  --store-client-id=ID\n"
               "  --endpoint=URL             the metadata service for credentials: tests only\n\n"
               "  --subscribe                hold the notify_url subscription at --url and\n"
               "                             write one line per event (wire/hint-wire.h)\n\n"
               "jit-fetch --metadata=CLOUD [--timeout-usec=N] [--max-size=BYTES]\n\n"
               "Ask this host's cloud metadata service (aws, gcp, azure) for its facts.\n"
               "  --endpoint=URL             another metadata service: for tests only\n",
               JIT_FETCH_OBJECTS_MAX);
}

int main(int argc, char *argv[]) {
        enum {
                OPT_URL = 256,
                OPT_CONNECT,
                OPT_TIMEOUT,
                OPT_MAX,
                OPT_CA,
                OPT_CERT,
                OPT_KEY,
                OPT_PIN,
                OPT_HTTP,
                OPT_ETAG,
                OPT_STORE_AUTH,
                OPT_STORE_ENDPOINT,
                OPT_STORE_REGION,
                OPT_STORE_CLIENT_ID,
                OPT_METADATA,
                OPT_ENDPOINT,
                OPT_SHA256,
                OPT_OBJECT,
                OPT_RUN_TIMEOUT,
                OPT_SUBSCRIBE,
        };
        static const struct option options[] = {
                {"url", required_argument, NULL, OPT_URL},
                {"connect-timeout-usec", required_argument, NULL, OPT_CONNECT},
                {"timeout-usec", required_argument, NULL, OPT_TIMEOUT},
                {"max-size", required_argument, NULL, OPT_MAX},
                {"ca-file", required_argument, NULL, OPT_CA},
                {"client-cert", required_argument, NULL, OPT_CERT},
                {"client-key", required_argument, NULL, OPT_KEY},
                {"pinned-pubkey", required_argument, NULL, OPT_PIN},
                {"allow-http", no_argument, NULL, OPT_HTTP},
                {"etag", required_argument, NULL, OPT_ETAG},
                {"store-auth", required_argument, NULL, OPT_STORE_AUTH},
                {"store-endpoint", required_argument, NULL, OPT_STORE_ENDPOINT},
                {"store-region", required_argument, NULL, OPT_STORE_REGION},
                {"store-client-id", required_argument, NULL, OPT_STORE_CLIENT_ID},
                {"metadata", required_argument, NULL, OPT_METADATA},
                {"endpoint", required_argument, NULL, OPT_ENDPOINT},
                {"sha256", required_argument, NULL, OPT_SHA256},
                {"object", required_argument, NULL, OPT_OBJECT},
                {"run-timeout-usec", required_argument, NULL, OPT_RUN_TIMEOUT},
                {"subscribe", no_argument, NULL, OPT_SUBSCRIBE},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        struct fetch_options o = {
                .connect_timeout_usec = 30ULL * 1000000,
                .total_timeout_usec = 30ULL * 1000000,
                .max_size = 16ULL << 20,
        };
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        struct store_auth auth = {};
        struct fetcher *f = NULL;
        struct subscriber *sub = NULL;
        bool subscribe = false;
        /* The metadata job (metadata-facts.h); its answers are small. */
        struct imds_options m = {.cloud = CLOUD_NONE};
        bool max_given = false;
        static struct object objects[JIT_FETCH_OBJECTS_MAX];
        size_t n_objects = 0;
        uint64_t run_timeout_usec = 0;
        int c, r;

        /* Before anything else: nothing below needs a privilege. */
        r = drop_privileges();
        if (r < 0) {
                fprintf(stderr, "<%d>jit-fetch: cannot drop privileges: %s\n", LOG_ERR,
                        strerror_r(-r, (char[128]){}, 128));
                return EXIT_FAILURE;
        }

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case OPT_URL:
                        o.url = optarg;
                        break;
                case OPT_CONNECT:
                        r = parse_u64(optarg, &o.connect_timeout_usec);
                        break;
                case OPT_TIMEOUT:
                        r = parse_u64(optarg, &o.total_timeout_usec);
                        break;
                case OPT_MAX:
                        r = parse_u64(optarg, &o.max_size);
                        max_given = true;
                        break;
                case OPT_CA:
                        o.ca_file = optarg;
                        break;
                case OPT_CERT:
                        o.client_cert = optarg;
                        break;
                case OPT_KEY:
                        o.client_key = optarg;
                        break;
                case OPT_PIN:
                        o.pinned_pubkey = optarg;
                        break;
                case OPT_HTTP:
                        o.allow_http = true;
                        break;
                case OPT_ETAG:
                        o.etag = optarg;
                        break;
                case OPT_SUBSCRIBE:
                        subscribe = true;
                        break;
                case OPT_STORE_AUTH:
                        o.store_auth = optarg;
                        break;
                case OPT_STORE_ENDPOINT:
                        o.store_endpoint = optarg;
                        break;
                case OPT_STORE_REGION:
                        o.store_region = optarg;
                        break;
                case OPT_STORE_CLIENT_ID:
                        o.store_client_id = optarg;
                        break;
                case OPT_METADATA:
                        if (cloud_from_string(optarg, &m.cloud) < 0 ||
                            !cloud_fact_prefix(m.cloud)) {
                                fprintf(stderr, "jit-fetch: --metadata: aws, gcp or azure\n");
                                return 2;
                        }
                        break;
                case OPT_ENDPOINT:
                        m.endpoint = optarg;
                        o.metadata_endpoint = optarg;
                        break;
                case OPT_SHA256:
                        o.sha256 = optarg;
                        break;
                case OPT_OBJECT:
                        if (n_objects >= JIT_FETCH_OBJECTS_MAX) {
                                fprintf(stderr, "jit-fetch: at most %u --object per run\n",
                                        JIT_FETCH_OBJECTS_MAX);
                                return 2;
                        }
                        if (parse_object(optarg, &objects[n_objects]) < 0) {
                                fprintf(stderr, "jit-fetch: --object=SHA256:SIZE expected: %s\n",
                                        optarg);
                                return 2;
                        }
                        n_objects++;
                        break;
                case OPT_RUN_TIMEOUT:
                        r = parse_u64(optarg, &run_timeout_usec);
                        break;
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                default:
                        return 2;
                }
                if (r < 0) {
                        fprintf(stderr, "jit-fetch: invalid number: %s\n", optarg);
                        return 2;
                }
        }
        if (m.cloud != CLOUD_NONE) {
                if (optind < argc || o.url) {
                        fprintf(stderr, "jit-fetch: --metadata takes no --url and no arguments\n");
                        return 2;
                }
                m.timeout_usec = o.total_timeout_usec;
                m.max_answer = max_given ? o.max_size : JIT_METADATA_ANSWER_MAX;
                return metadata_facts_job(&m, STDOUT_FILENO) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        }
        if (optind < argc || !o.url) {
                fprintf(stderr, "jit-fetch: --url=URL and no other arguments expected\n");
                return 2;
        }

        if (n_objects > 0) {
                /* --max-size is not used: each object has its own size. */
                if (o.sha256 || o.etag) {
                        fprintf(stderr, "jit-fetch: --object takes no --sha256 or --etag\n");
                        return 2;
                }
                if (run_timeout_usec == 0 ||
                    run_timeout_usec > o.total_timeout_usec * JIT_FETCH_RUN_TIMEOUTS)
                        run_timeout_usec = o.total_timeout_usec * JIT_FETCH_RUN_TIMEOUTS;
                return run_objects(&o, objects, n_objects, run_timeout_usec);
        }

        r = sd_event_new(&event);
        /* The hint server is no store: no credentials are asked for it. */
        if (r >= 0 && subscribe) {
                /* Held for as long as the agent runs, never longer (an agent
                 * gone before this line closed the pipe: its watch ends us). */
                if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0)
                        return EXIT_FAILURE;
                (void) signal(SIGPIPE, SIG_IGN); /* a write to a gone agent fails instead */
                r = subscribe_start(event, &o, STDOUT_FILENO, &sub);
                if (r >= 0)
                        r = sd_event_loop(event);
                subscriber_free(sub);
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        }
        if (r < 0) {
                (void) fetch_wire_write(STDOUT_FILENO, r, "cannot start the transfer", NULL);
                return EXIT_SUCCESS;
        }

        /* The store's URL and this instance's credentials for it, if it is
         * an object store: what is wrong (no role, no identity) is the
         * fetch's answer, in words that say what to fix. */
        char why[FETCH_WIRE_MESSAGE_MAX] = "";
        r = store_auth_prepare(&o, (int64_t) time(NULL), &auth, why, sizeof(why));
        if (r < 0) {
                (void) fetch_wire_write(STDOUT_FILENO, r, why[0] ? why : "cannot reach the store",
                                        NULL);
                return EXIT_SUCCESS;
        }
        o.auth = &auth;

        r = fetcher_new(event, &f);
        if (r >= 0)
                r = fetcher_start(f, &o, on_done, event);
        if (r < 0) {
                /* Still an answer the agent can log: what could not start. */
                (void) fetch_wire_write(STDOUT_FILENO, r, "cannot start the transfer", NULL);
                fetcher_free(f);
                store_auth_done(&auth);
                credentials_forget();
                return EXIT_SUCCESS;
        }
        r = sd_event_loop(event);
        fetcher_free(f);
        store_auth_done(&auth);
        credentials_forget(); /* wiped, not left to the exit */
        return r < 0 ? EXIT_FAILURE : exit_status;
}
