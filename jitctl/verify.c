/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include "explain.h"
#include "facts-file.h"
#include "head.h"
#include "jit-limits.h"
#include "jitctl.h"
#include "json.h"
#include "jws.h"
#include "parse.h"
#include "selector.h"
#include "store-layout.h"

static void help(void) {
        printf("Usage: jitctl verify [OPTIONS…] [TOKEN | --file FILE | -]\n\n"
               "Check a grant or a store's head as a host would, and explain the result. The\n"
               "kind is told by the header's typ (jit-grant+jwt or jit-head+jwt). With no\n"
               "TOKEN, the token is read from standard input. Without --config and --trust,\n"
               "this host's " JIT_CONFIG_PATH " decides.\n\n"
               "Options:\n"
               "  --trust JWKS          trusted public keys (default: the config's trust_store)\n"
               "  --config FILE         take trust_store, issuers, max_grant_ttl and\n"
               "                        clock_skew from FILE; the flags below override it\n"
               "  --iss ISS             trusted issuer (repeatable; replaces the config's)\n"
               "  --max-ttl DURATION    longest grant accepted (exp - nbf)\n"
               "  --clock-skew DURATION leeway on nbf and iat (a grant ends at its exp)\n"
               "  --fact KEY=VALUE      a fact of the host to match aud against (repeatable)\n"
               "  --facts-file FILE     facts as key=value lines (like /run/jit/facts)\n"
               "  --now EPOCH           verify as if at this time\n"
               "  --file FILE           read the token from FILE ('-': standard input)\n"
               "  --json                print one JSON object instead of an explanation\n"
               "  -h, --help            show this help\n\n"
               "A stale head (past its exp) is reported as invalid. With facts, a head's\n"
               "report says which of its shards this host would fetch (jitctl store plan\n"
               "does it for many hosts).\n\n" EXIT_CODES_HELP);
}

static void header_info(const char *token, size_t len, char **ret_kid, char **ret_alg) {
        _cleanup_json_ struct json_object *h = NULL;
        struct json_object *v;

        /* Only to explain which key and algorithm the token asked for. */
        if (jws_peek_header(token, len, &h, NULL) < 0)
                return;
        if (json_object_object_get_ex(h, "kid", &v) && json_object_is_type(v, json_type_string))
                *ret_kid = strdup(json_object_get_string(v));
        if (json_object_object_get_ex(h, "alg", &v) && json_object_is_type(v, json_type_string))
                *ret_alg = strdup(json_object_get_string(v));
}

static bool token_is_head(const char *token, size_t len) {
        _cleanup_json_ struct json_object *h = NULL;
        struct json_object *typ;

        /* Anything not a head goes down the grant path, whose own checks
         * then name what is wrong (typ, malformed, …). */
        if (jws_peek_header(token, len, &h, NULL) < 0)
                return false;
        return json_object_object_get_ex(h, "typ", &typ) &&
               json_object_is_type(typ, json_type_string) &&
               streq(json_object_get_string(typ), JWS_TYP_HEAD);
}

static void grant_report_build(const char *token, size_t len, const struct ctl_policy *p,
                               const struct host_facts *facts, int64_t now,
                               struct grant_report *r) {
        int ret;

        header_info(token, len, &r->kid, &r->alg);
        if (r->kid)
                r->key = trust_store_find(p->trust, r->kid);

        ret = grant_from_token(token, len, p->trust, &p->grant, &r->grant, &r->err);
        if (ret < 0)
                return;
        if (facts) {
                r->facts_checked = true;
                r->applies = grant_applies_to_host(r->grant, facts);
        }
        ret = grant_check_time(r->grant, &p->grant, now, &r->err);
        if (ret < 0)
                return;
        if (r->facts_checked && !r->applies) {
                (void) jit_error_set(&r->err, EACCES, JIT_REASON_AUDIENCE,
                                     "no aud selector matches this host's facts");
                return;
        }
        r->valid = true;
}

static int head_report_build(const char *token, size_t len, const struct ctl_policy *p,
                             const struct host_facts *facts, int64_t now, struct head_report *r) {
        _cleanup_free_ uint32_t *bins = NULL;
        size_t n_bins;
        int ret;

        header_info(token, len, &r->kid, &r->alg);
        if (r->kid)
                r->key = trust_store_find(p->trust, r->kid);

        ret = head_from_token(token, len, p->trust, &p->grant, now, &r->head, &r->err);
        if (ret < 0)
                return ret == -ENOMEM ? ret : 0;

        r->fresh = head_is_fresh(r->head, now, p->grant.clock_skew);
        if (!r->fresh)
                (void) jit_error_set(&r->err, ESTALE, JIT_REASON_STALE, "head is past its exp");
        r->valid = r->fresh;
        if (!facts)
                return 0;
        bins = calloc(facts->n_facts ? facts->n_facts : 1, sizeof(uint32_t));
        if (!bins)
                return -ENOMEM;
        n_bins = store_host_bins(facts, r->head->bins, bins);
        r->facts_checked = true;
        for (size_t i = 0; i < r->head->n_shards; i++)
                if (store_bins_contain(bins, n_bins, r->head->shards[i].bin)) {
                        r->n_host_shards++;
                        r->host_bytes += r->head->shards[i].size;
                }
        return 0;
}

static int fact_arg_add(struct host_facts *f, const char *arg) {
        _cleanup_free_ char *key = NULL;
        struct jit_error err = {};
        const char *eq = strchr(arg, '=');

        if (!eq || eq == arg) {
                ctl_error("--fact: '%s' is not KEY=VALUE", arg);
                return -EINVAL;
        }
        key = strndup(arg, (size_t) (eq - arg));
        if (!key)
                return -ENOMEM;
        if (!fact_key_is_valid(key, strlen(key)) || !fact_value_is_valid(eq + 1, strlen(eq + 1))) {
                ctl_error("--fact: '%s' is not a valid KEY=VALUE fact", arg);
                return -EINVAL;
        }
        if (host_facts_add(f, key, eq + 1, &err) < 0) {
                ctl_error("--fact: %s", err.message);
                return -EINVAL;
        }
        return 0;
}

static int print_json(struct json_object *o) {
        if (!o) {
                ctl_error("out of memory");
                return -ENOMEM;
        }
        printf("%s\n",
               json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return 0;
}

int verb_verify(int argc, char *argv[]) {
        enum {
                ARG_TRUST = 0x100,
                ARG_CONFIG,
                ARG_ISS,
                ARG_MAX_TTL,
                ARG_CLOCK_SKEW,
                ARG_FACT,
                ARG_FACTS_FILE,
                ARG_NOW,
                ARG_FILE,
                ARG_JSON,
        };
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"trust", required_argument, NULL, ARG_TRUST},
                {"config", required_argument, NULL, ARG_CONFIG},
                {"iss", required_argument, NULL, ARG_ISS},
                {"max-ttl", required_argument, NULL, ARG_MAX_TTL},
                {"clock-skew", required_argument, NULL, ARG_CLOCK_SKEW},
                {"fact", required_argument, NULL, ARG_FACT},
                {"facts-file", required_argument, NULL, ARG_FACTS_FILE},
                {"now", required_argument, NULL, ARG_NOW},
                {"file", required_argument, NULL, ARG_FILE},
                {"json", no_argument, NULL, ARG_JSON},
                {},
        };
        struct ctl_policy_args pa = {.config_default = true, .max_ttl = -1, .clock_skew = -1};
        _cleanup_strv_free_ char **issuers = NULL;
        _cleanup_free_ char *facts_text = NULL;
        char *input = NULL;
        size_t input_len = 0;
        struct ctl_policy policy = {};
        struct host_facts facts = {};
        bool have_facts = false, json = false;
        const char *file = NULL, *now_arg = NULL, *facts_file = NULL;
        char *token;
        size_t len = 0;
        int64_t now;
        int c, r, ret = EXIT_SYSTEM;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        ret = EXIT_OK;
                        goto finish;
                case ARG_TRUST:
                        pa.trust_path = optarg;
                        break;
                case ARG_CONFIG:
                        pa.config_path = optarg;
                        break;
                case ARG_ISS:
                        if (strv_extend(&issuers, optarg) < 0)
                                goto oom;
                        break;
                case ARG_MAX_TTL:
                        if (parse_duration_arg("--max-ttl", optarg, JIT_TIME_MAX, &pa.max_ttl) < 0)
                                goto usage;
                        break;
                case ARG_CLOCK_SKEW:
                        if (parse_duration_arg("--clock-skew", optarg, 86400, &pa.clock_skew) < 0)
                                goto usage;
                        break;
                case ARG_FACT:
                        r = fact_arg_add(&facts, optarg);
                        if (r == -ENOMEM)
                                goto oom;
                        if (r < 0)
                                goto usage;
                        have_facts = true;
                        break;
                case ARG_FACTS_FILE:
                        facts_file = optarg;
                        break;
                case ARG_NOW:
                        now_arg = optarg;
                        break;
                case ARG_FILE:
                        file = optarg;
                        break;
                case ARG_JSON:
                        json = true;
                        break;
                default:
                        goto usage;
                }

        if (optind < argc) {
                if (file || optind + 1 < argc) {
                        ctl_error("verify: give one token: TOKEN, --file FILE or -");
                        goto usage;
                }
                if (streq(argv[optind], "-"))
                        file = "-";
                else {
                        input = strdup(argv[optind]);
                        if (!input)
                                goto oom;
                        input_len = len = strlen(input);
                }
        } else if (!file)
                file = "-";

        if (now_arg) {
                if (parse_epoch_arg("--now", now_arg, &now) < 0)
                        goto usage;
        } else
                now = (int64_t) time(NULL);

        if (facts_file) {
                struct jit_error err = {};
                size_t flen;

                r = read_file_capped(facts_file, JIT_FACTS_FILE_MAX, &facts_text, &flen);
                if (r < 0)
                        goto finish;
                if (host_facts_parse(&facts, facts_text, flen, &err) < 0) {
                        ctl_error("%s: %s", facts_file, err.message);
                        goto usage;
                }
                have_facts = true;
        }

        pa.issuers = issuers;
        if (ctl_policy_load(&pa, &policy) < 0)
                goto finish; /* EXIT_SYSTEM: the config or trust store is unusable */
        /* As a host would: the facts its selector_facts (or the default,
         * no cloud tags) does not let a selector name are not matched. */
        if (have_facts && policy.config)
                host_facts_restrict(policy.config, &facts);

        if (file) {
                r = read_file_capped(file, JIT_HEAD_TOKEN_MAX, &input, &len);
                input_len = len;
                if (r == -EFBIG) {
                        ret = EXIT_INVALID;
                        goto finish;
                }
                if (r < 0)
                        goto finish;
        }
        token = input;
        len = strip_whitespace(&token, len);

        if (token_is_head(token, len)) {
                struct head_report hr = {};

                r = head_report_build(token, len, &policy, have_facts ? &facts : NULL, now, &hr);
                if (r < 0) {
                        head_report_done(&hr);
                        goto oom;
                }
                if (json)
                        r = print_json(head_report_to_json(&hr));
                else
                        explain_head(&hr, now);
                ret = r < 0 ? EXIT_SYSTEM : hr.valid ? EXIT_OK : EXIT_INVALID;
                head_report_done(&hr);
        } else {
                struct grant_report gr = {};

                grant_report_build(token, len, &policy, have_facts ? &facts : NULL, now, &gr);
                if (!gr.valid && gr.err.reason == JIT_REASON_SYSTEM) {
                        ctl_error("%s", gr.err.message);
                        grant_report_done(&gr);
                        goto finish;
                }
                if (json)
                        r = print_json(grant_report_to_json(&gr));
                else {
                        explain_grant(&gr, now);
                        r = 0;
                }
                ret = r < 0 ? EXIT_SYSTEM : gr.valid ? EXIT_OK : EXIT_INVALID;
                grant_report_done(&gr);
        }
        goto finish;

usage:
        ret = EXIT_USAGE;
        goto finish;
oom:
        ctl_error("out of memory");
        ret = EXIT_SYSTEM;
finish:
        freezero(input, input_len); /* a token typed by a user is a credential */
        host_facts_done(&facts);
        ctl_policy_done(&policy);
        return ret;
}
