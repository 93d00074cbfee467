/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fetch-args.h"
#include "parse.h"

static int parse_u64(const char *s, uint64_t *ret) {
        return parse_uint_strict(s, strlen(s), UINT64_MAX / 2, ret) ? 0 : -EINVAL;
}

/* "<64 hex>:<size>" */
static int parse_object(const char *s, struct fetch_run_object *ret) {
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

static int invalid(char *msg, size_t size, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int invalid(char *msg, size_t size, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(msg, size, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

int fetch_args_parse(int argc, char **argv, struct fetch_args *ret, char *msg, size_t msg_size) {
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
                OPT_SERVE,
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
                {"serve", no_argument, NULL, OPT_SERVE},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        struct fetch_args *a = ret;
        bool max_given = false;
        int c, r = 0;

        *a = (struct fetch_args){
                .o =
                        {
                                .connect_timeout_usec = 30ULL * 1000000,
                                .total_timeout_usec = 30ULL * 1000000,
                                .max_size = 16ULL << 20,
                        },
                .m = {.cloud = CLOUD_NONE},
        };
        msg[0] = '\0';
        /* getopt's state starts afresh (glibc: optind 0), so that serve.c
         * parses request after request; its own messages stay off stderr,
         * ours say what was wrong. */
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0) {
                switch (c) {
                case OPT_URL:
                        a->o.url = optarg;
                        break;
                case OPT_CONNECT:
                        r = parse_u64(optarg, &a->o.connect_timeout_usec);
                        break;
                case OPT_TIMEOUT:
                        r = parse_u64(optarg, &a->o.total_timeout_usec);
                        break;
                case OPT_MAX:
                        r = parse_u64(optarg, &a->o.max_size);
                        max_given = true;
                        break;
                case OPT_CA:
                        a->o.ca_file = optarg;
                        break;
                case OPT_CERT:
                        a->o.client_cert = optarg;
                        break;
                case OPT_KEY:
                        a->o.client_key = optarg;
                        break;
                case OPT_PIN:
                        a->o.pinned_pubkey = optarg;
                        break;
                case OPT_HTTP:
                        a->o.allow_http = true;
                        break;
                case OPT_ETAG:
                        a->o.etag = optarg;
                        break;
                case OPT_SUBSCRIBE:
                        a->subscribe = true;
                        break;
                case OPT_SERVE:
                        a->serve = true;
                        break;
                case OPT_STORE_AUTH:
                        a->o.store_auth = optarg;
                        break;
                case OPT_STORE_ENDPOINT:
                        a->o.store_endpoint = optarg;
                        break;
                case OPT_STORE_REGION:
                        a->o.store_region = optarg;
                        break;
                case OPT_STORE_CLIENT_ID:
                        a->o.store_client_id = optarg;
                        break;
                case OPT_METADATA:
                        if (cloud_from_string(optarg, &a->m.cloud) < 0 ||
                            !cloud_fact_prefix(a->m.cloud))
                                return invalid(msg, msg_size, "--metadata: aws, gcp or azure");
                        break;
                case OPT_ENDPOINT:
                        a->m.endpoint = optarg;
                        a->o.metadata_endpoint = optarg;
                        break;
                case OPT_SHA256:
                        a->o.sha256 = optarg;
                        break;
                case OPT_OBJECT:
                        if (a->n_objects >= JIT_FETCH_OBJECTS_MAX) {
                                (void) snprintf(msg, msg_size, "at most %u --object per run",
                                                JIT_FETCH_OBJECTS_MAX);
                                return -EINVAL;
                        }
                        if (parse_object(optarg, &a->objects[a->n_objects]) < 0)
                                return invalid(msg, msg_size,
                                               "--object=SHA256:SIZE expected: %.100s", optarg);
                        a->n_objects++;
                        break;
                case OPT_RUN_TIMEOUT:
                        r = parse_u64(optarg, &a->run_timeout_usec);
                        break;
                case 'h':
                        a->help = true;
                        return 0;
                default:
                        /* An unknown option, or one without its value. */
                        return invalid(msg, msg_size, "unknown option or missing value: %.100s",
                                       optind > 0 && optind <= argc ? argv[optind - 1] : "?");
                }
                if (r < 0)
                        return invalid(msg, msg_size, "invalid number: %.100s", optarg);
        }
        if (optind < argc)
                return invalid(msg, msg_size, "unexpected argument: %.100s", argv[optind]);
        if (a->m.cloud != CLOUD_NONE) {
                if (a->o.url || a->serve || a->subscribe || a->n_objects > 0)
                        return invalid(msg, msg_size, "--metadata takes no --url and no arguments");
                a->m.timeout_usec = a->o.total_timeout_usec;
                a->m.max_answer = max_given ? a->o.max_size : JIT_METADATA_ANSWER_MAX;
                return 0;
        }
        if (a->serve) {
                /* Everything comes in the requests. */
                if (argc > 2)
                        return invalid(msg, msg_size, "--serve takes no other option");
                return 0;
        }
        if (!a->o.url)
                return invalid(msg, msg_size, "--url=URL and no other arguments expected");
        if (a->n_objects > 0) {
                /* --max-size is not used: each object has its own size. */
                if (a->o.sha256 || a->o.etag || a->subscribe)
                        return invalid(msg, msg_size, "--object takes no --sha256 or --etag");
                if (a->run_timeout_usec == 0 ||
                    a->run_timeout_usec > a->o.total_timeout_usec * JIT_FETCH_RUN_TIMEOUTS)
                        a->run_timeout_usec = a->o.total_timeout_usec * JIT_FETCH_RUN_TIMEOUTS;
        }
        return 0;
}
