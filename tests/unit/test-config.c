/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "fileio.h"
#include "jit-conf.h"
#include "jit-limits.h"
#include "macro.h"

#define PIN_A "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
#define PIN_B "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

static void check_defaults(const struct jit_config *c) {
        assert_non_null(c->issuers);
        assert_null(c->issuers[0]);
        assert_string_equal(c->trust_store, "/etc/jit/trust.jwks");
        assert_true(c->max_grant_ttl == 12 * 3600);
        assert_true(c->clock_skew == 60);
        assert_null(c->host_id);
        assert_non_null(c->labels);
        assert_null(c->labels[0]);
        assert_string_equal(c->state_dir, "/var/lib/jit");
        assert_string_equal(c->run_dir, "/run/jit");
        assert_null(c->bundle_url);
        assert_true(c->poll_interval == 60);
        assert_true(c->fetch_timeout == 30);
        assert_true(c->max_bundle_size == JIT_HEAD_TOKEN_MAX);
        assert_null(c->ca_file);
        assert_null(c->client_cert);
        assert_null(c->client_key);
        assert_null(c->pinned_pubkey);
        assert_false(c->allow_http);
        assert_true(c->stale_after == 3600);
        assert_int_equal(c->stale_policy, STALE_POLICY_DENY);
        assert_non_null(c->exempt_users);
        assert_null(c->exempt_users[0]);
        assert_null(c->exempt_group);
        assert_int_equal(c->on_sudo_expiry, ON_SUDO_EXPIRY_ELEVATED);
        assert_int_equal(c->n_warn_before, 2);
        assert_true(c->warn_before[0] == 300);
        assert_true(c->warn_before[1] == 60);
        assert_true(c->kill_grace == 5);
        assert_false(c->create_users);
        assert_int_equal(c->user_uid_range.min, JIT_USER_UID_MIN_DEFAULT);
        assert_int_equal(c->user_uid_range.max, JIT_USER_UID_MAX_DEFAULT);
        assert_string_equal(c->user_home_base, "/home");
        assert_string_equal(c->user_shell, "/bin/bash");
}

/* create_users and its keys: the values, and every refusal with its line. */
static void test_create_users(void **state) {
        _cleanup_(config_freep) struct jit_config *c = NULL;
        struct jit_error err = {};
        static const char text[] = "create_users = yes\nuser_uid_range = 70000-70009\n"
                                   "user_home_base = /srv/home\nuser_shell = /bin/sh\n";
        static const struct {
                const char *text, *prefix;
        } bad[] = {
                {"user_uid_range = 70000\n", "line 1: user_uid_range: expected MIN-MAX"},
                {"user_uid_range = 70009-70000\n", "line 1: user_uid_range: 70009 is above"},
                {"user_uid_range = 0-10\n", "line 1: user_uid_range: below 1000"},
                {"user_uid_range = 999-2000\n", "line 1: user_uid_range: below 1000"},
                {"user_uid_range = 65000-65534\n", "line 1: user_uid_range: must not hold 65534"},
                {"user_uid_range = 65535-65540\n", "line 1: user_uid_range: must not hold"},
                {"user_uid_range = 1000-200000\n", "line 1: user_uid_range: must not hold"},
                {"user_uid_range = 4294967295-4294967295\n", "line 1: user_uid_range: expected"},
                {"user_uid_range = -1-5\n", "line 1: user_uid_range: expected"},
                {"user_uid_range = 1000 - 2000\n", "line 1: user_uid_range: expected"},
                {"create_users = sure\n", "line 1: create_users: invalid boolean"},
                {"user_shell = bash\n", "line 1: user_shell: not an absolute path"},
                {"user_home_base = home\n", "line 1: user_home_base: not an absolute path"},
        };

        (void) state;
        assert_int_equal(config_parse(text, strlen(text), &c, &err), 0);
        assert_true(c->create_users);
        assert_int_equal(c->user_uid_range.min, 70000);
        assert_int_equal(c->user_uid_range.max, 70009);
        assert_string_equal(c->user_home_base, "/srv/home");
        assert_string_equal(c->user_shell, "/bin/sh");
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct jit_config *d = NULL;

                err = (struct jit_error){};
                assert_true(config_parse(bad[i].text, strlen(bad[i].text), &d, &err) < 0);
                assert_null(d);
                if (strncmp(err.message, bad[i].prefix, strlen(bad[i].prefix)) != 0)
                        fail_msg("'%s': got '%s', want '%s…'", bad[i].text, err.message,
                                 bad[i].prefix);
        }
}

static void test_defaults(void **state) {
        _cleanup_(config_freep) struct jit_config *c = NULL, *d = NULL;
        static const char only_comments[] = "# jit.conf\n\n   # indented comment\n\t\n";
        struct jit_error err = {};
        struct grant_policy p;

        assert_int_equal(config_new(&c), 0);
        check_defaults(c);
        assert_int_equal(config_parse("", 0, &d, &err), 0);
        check_defaults(d);
        config_free(d);
        d = NULL;
        assert_int_equal(config_parse(only_comments, strlen(only_comments), &d, &err), 0);
        check_defaults(d);

        config_grant_policy(c, &p);
        assert_true(p.issuers == c->issuers);
        assert_true(p.max_ttl == 12 * 3600);
        assert_true(p.clock_skew == 60);

        config_free(NULL);
}

static const char full_config[] = "# every key\n"
                                  "issuers = https://jit.example.com, https://idp.example.org\n"
                                  "trust_store = /etc/jit/other.jwks\n"
                                  "max_grant_ttl = 8h\n"
                                  "clock_skew = 2m\n"
                                  "  host_id\t=\tpay-db-1  \n"
                                  "labels = env=prod, role=db,team=pay=ments\n"
                                  "state_dir = /var/lib/jit2\n"
                                  "run_dir = /run/jit2\n"
                                  "bundle_url = http://store.example.com/bundles/%h.jwt?x=%2F\n"
                                  "poll_interval = 1m30s\n"
                                  "fetch_timeout = 10s\n"
                                  "max_bundle_size = 4M\n"
                                  "ca_file = /etc/ssl/jit-ca.pem\n"
                                  "client_cert = /etc/jit/client.pem\n"
                                  "client_key = /etc/jit/client.key\n"
                                  "pinned_pubkey = " PIN_A ";" PIN_B "\n"
                                  "allow_http = yes\n"
                                  "stale_after = 2d\n"
                                  "stale_policy = keep\n"
                                  "exempt_users = breakglass, ansible\n"
                                  "exempt_group = jit-exempt\n"
                                  "on_sudo_expiry = elevated\n"
                                  "warn_before = 1m, 10m, 5m, 1m\n"
                                  "kill_grace = 0\n"
                                  "# value with '#' is literal:\n"
                                  "# (no inline comments)\n";

static void test_full(void **state) {
        _cleanup_(config_freep) struct jit_config *c = NULL;
        struct jit_error err = {};
        struct grant_policy p;
        int r;

        r = config_parse(full_config, strlen(full_config), &c, &err);
        if (r < 0)
                printf("%s\n", err.message);
        assert_int_equal(r, 0);
        assert_string_equal(c->issuers[0], "https://jit.example.com");
        assert_string_equal(c->issuers[1], "https://idp.example.org");
        assert_null(c->issuers[2]);
        assert_string_equal(c->trust_store, "/etc/jit/other.jwks");
        assert_true(c->max_grant_ttl == 8 * 3600);
        assert_true(c->clock_skew == 120);
        assert_string_equal(c->host_id, "pay-db-1");
        assert_string_equal(c->labels[0], "env=prod");
        assert_string_equal(c->labels[1], "role=db");
        assert_string_equal(c->labels[2], "team=pay=ments");
        assert_null(c->labels[3]);
        assert_string_equal(c->state_dir, "/var/lib/jit2");
        assert_string_equal(c->run_dir, "/run/jit2");
        assert_string_equal(c->bundle_url, "http://store.example.com/bundles/%h.jwt?x=%2F");
        assert_true(c->poll_interval == 90);
        assert_true(c->fetch_timeout == 10);
        assert_true(c->max_bundle_size == 4u * 1024 * 1024);
        assert_string_equal(c->ca_file, "/etc/ssl/jit-ca.pem");
        assert_string_equal(c->client_cert, "/etc/jit/client.pem");
        assert_string_equal(c->client_key, "/etc/jit/client.key");
        assert_string_equal(c->pinned_pubkey, PIN_A ";" PIN_B);
        assert_true(c->allow_http);
        assert_true(c->stale_after == 2 * 86400);
        assert_int_equal(c->stale_policy, STALE_POLICY_KEEP);
        assert_string_equal(c->exempt_users[0], "breakglass");
        assert_string_equal(c->exempt_users[1], "ansible");
        assert_null(c->exempt_users[2]);
        assert_string_equal(c->exempt_group, "jit-exempt");
        assert_int_equal(c->on_sudo_expiry, ON_SUDO_EXPIRY_ELEVATED);
        /* Unique, sorted descending. */
        assert_int_equal(c->n_warn_before, 3);
        assert_true(c->warn_before[0] == 600);
        assert_true(c->warn_before[1] == 300);
        assert_true(c->warn_before[2] == 60);
        assert_true(c->kill_grace == 0);

        config_grant_policy(c, &p);
        assert_true(p.issuers == c->issuers);
        assert_true(p.max_ttl == 8 * 3600);
        assert_true(p.clock_skew == 120);
}

static void test_values(void **state) {
        static const struct {
                const char *text;
                size_t offset;
                int64_t want;
        } t[] = {
                {"max_bundle_size = 1K\n", offsetof(struct jit_config, max_bundle_size), 1024},
                {"max_bundle_size = 1024\n", offsetof(struct jit_config, max_bundle_size), 1024},
                {"max_bundle_size = 4M\n", offsetof(struct jit_config, max_bundle_size),
                 JIT_HEAD_TOKEN_MAX},
                {"max_grant_ttl = 30d\n", offsetof(struct jit_config, max_grant_ttl), 30 * 86400},
                {"max_grant_ttl = 1\n", offsetof(struct jit_config, max_grant_ttl), 1},
                {"clock_skew = 0\n", offsetof(struct jit_config, clock_skew), 0},
                {"poll_interval = 5s\n", offsetof(struct jit_config, poll_interval), 5},
                {"kill_grace = 5m\n", offsetof(struct jit_config, kill_grace), 300},
                {"stale_after = 0\n", offsetof(struct jit_config, stale_after), 0},
                {"fetch_timeout = 10m", offsetof(struct jit_config, fetch_timeout), 600},
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_(config_freep) struct jit_config *c = NULL;
                struct jit_error err = {};
                int64_t got;

                printf("value: %s", t[i].text);
                assert_int_equal(config_parse(t[i].text, strlen(t[i].text), &c, &err), 0);
                if (t[i].offset == offsetof(struct jit_config, max_bundle_size))
                        got = (int64_t) c->max_bundle_size;
                else
                        got = *(const int64_t *) ((const char *) c + t[i].offset);
                assert_true(got == t[i].want);
        }

        /* The object stores: their URLs and keys. */
        {
                static const char text[] =
                        "bundle_url = s3://jit-store/fleet/head.jwt\n"
                        "store_auth = aws\nstore_region = eu-west-1\n"
                        "store_endpoint = http://127.0.0.1:9000\n"
                        "allow_http = yes\n"
                        "store_client_id = 6f1e0b5e-3c1a-4b8e-9d9e-1c2b3a4d5e6f\n";
                _cleanup_(config_freep) struct jit_config *c = NULL;
                struct jit_error e = {};
                assert_int_equal(config_parse(text, strlen(text), &c, &e), 0);
                assert_string_equal(c->bundle_url, "s3://jit-store/fleet/head.jwt");
                assert_string_equal(c->store_auth, "aws");
                assert_string_equal(c->store_region, "eu-west-1");
                assert_string_equal(c->store_endpoint, "http://127.0.0.1:9000");
                assert_string_equal(c->store_client_id, "6f1e0b5e-3c1a-4b8e-9d9e-1c2b3a4d5e6f");
        }
        {
                static const char text[] = "bundle_url = gs://jit-store/head.jwt\n";
                _cleanup_(config_freep) struct jit_config *c = NULL;
                struct jit_error e = {};
                assert_int_equal(config_parse(text, strlen(text), &c, &e), 0);
                assert_null(c->store_auth); /* auto */
        }
        /* allow_http after bundle_url is fine: checked when the file is read. */
        {
                static const char text[] = "bundle_url = http://x/%h\nallow_http = true\n";
                _cleanup_(config_freep) struct jit_config *c = NULL;
                struct jit_error err = {};

                assert_int_equal(config_parse(text, strlen(text), &c, &err), 0);
                assert_true(c->allow_http);
        }
        /* '#' inside a value is literal. */
        {
                static const char text[] = "bundle_url = https://x/b.jwt#frag\n";
                _cleanup_(config_freep) struct jit_config *c = NULL;
                struct jit_error err = {};

                assert_int_equal(config_parse(text, strlen(text), &c, &err), 0);
                assert_string_equal(c->bundle_url, "https://x/b.jwt#frag");
        }
        /* file:/// and a pinned key file. */
        {
                static const char text[] = "bundle_url = file:///srv/jit/%h.jwt\n"
                                           "pinned_pubkey = /etc/jit/store.pub\n";
                _cleanup_(config_freep) struct jit_config *c = NULL;
                struct jit_error err = {};

                assert_int_equal(config_parse(text, strlen(text), &c, &err), 0);
                assert_string_equal(c->bundle_url, "file:///srv/jit/%h.jwt");
                assert_string_equal(c->pinned_pubkey, "/etc/jit/store.pub");
        }
}

static void test_hostile(void **state) {
        static const struct {
                const char *name;
                const char *text;
                size_t len; /* 0: strlen */
                const char *prefix;
        } t[] = {
                {"unknown key", "# c\nfoo = bar\n", 0, "line 2: unknown key 'foo'"},
                {"typo'd key", "max_grant_tl = 1h\n", 0, "line 1: unknown key 'max_grant_tl'"},
                {"key case differs", "Issuers = a\n", 0, "line 1: unknown key 'Issuers'"},
                {"repeated key", "clock_skew = 1m\n\nclock_skew = 2m\n", 0,
                 "line 3: 'clock_skew' given twice (first on line 1)"},
                {"repeated key, same value", "allow_http = no\nallow_http = no\n", 0,
                 "line 2: 'allow_http' given twice (first on line 1)"},
                {"missing '='", "issuers https://x\n", 0, "line 1: expected 'key = value'"},
                {"empty key", " = x\n", 0, "line 1: expected 'key = value'"},
                {"empty value", "\nissuers =\n", 0, "line 2: 'issuers' has an empty value"},
                {"blank value", "issuers = \t \n", 0, "line 1: 'issuers' has an empty value"},
                {"bad duration", "max_grant_ttl = 1 h\n", 0,
                 "line 1: max_grant_ttl: invalid duration"},
                {"duration word", "clock_skew = forever\n", 0, "line 1: clock_skew: "},
                {"negative duration", "clock_skew = -1\n", 0, "line 1: clock_skew: "},
                {"duration over range", "max_grant_ttl = 31d\n", 0, "line 1: max_grant_ttl: "},
                {"duration under range", "poll_interval = 4s\n", 0, "line 1: poll_interval: "},
                {"zero ttl", "max_grant_ttl = 0\n", 0, "line 1: max_grant_ttl: "},
                {"clock_skew over 1h", "clock_skew = 1h1s\n", 0, "line 1: clock_skew: "},
                {"kill_grace over 5m", "kill_grace = 6m\n", 0, "line 1: kill_grace: "},
                {"duration overflow", "stale_after = 9223372036854775807d\n", 0,
                 "line 1: stale_after: "},
                {"bad boolean", "allow_http = maybe\n", 0, "line 1: allow_http: "},
                {"store_auth unknown cloud", "store_auth = gce\n", 0,
                 "line 1: store_auth: expected auto, aws, gcp, azure or none"},
                {"store_auth upper case", "store_auth = AWS\n", 0, "line 1: store_auth: "},
                {"store_endpoint ftp", "store_endpoint = ftp://x\n", 0,
                 "line 1: store_endpoint: not an https:// (or http://) URL"},
                {"store_endpoint with query", "store_endpoint = https://x/?a=b\n", 0,
                 "line 1: store_endpoint: holds characters"},
                {"store_endpoint with user", "store_endpoint = https://u@x\n", 0,
                 "line 1: store_endpoint: holds characters"},
                {"store_endpoint http without allow_http",
                 "store_endpoint = http://127.0.0.1:9000\n", 0,
                 "store_endpoint: http:// is refused unless allow_http = yes"},
                {"store_region upper case", "store_region = US-EAST-1\n", 0,
                 "line 1: store_region: not a region name"},
                {"store_region too long", "store_region = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 0,
                 "line 1: store_region: "},
                {"store_client_id not a guid", "store_client_id = me@example\n", 0,
                 "line 1: store_client_id: not a client id"},
                {"bundle_url s3 without bucket", "bundle_url = s3://\n", 0, "line 1: bundle_url: "},
                {"bundle_url unknown scheme", "bundle_url = az://x/y\n", 0, "line 1: bundle_url: "},
                {"boolean upper case", "allow_http = Yes\n", 0, "line 1: allow_http: "},
                {"http URL without allow_http", "# x\nbundle_url = http://store/b.jwt\n", 0,
                 "line 2: bundle_url: http:// is refused"},
                {"http URL with allow_http = no",
                 "bundle_url = http://store/b.jwt\nallow_http = no\n", 0,
                 "line 1: bundle_url: http:// is refused"},
                {"ftp URL", "bundle_url = ftp://store/b.jwt\n", 0,
                 "line 1: bundle_url: not an https://"},
                {"file URL with host", "bundle_url = file://host/b.jwt\n", 0,
                 "line 1: bundle_url: "},
                {"URL scheme only", "bundle_url = https://\n", 0, "line 1: bundle_url: "},
                {"URL with space", "bundle_url = https://a/b c\n", 0, "line 1: bundle_url: "},
                {"URL with bad escape", "bundle_url = https://a/%s\n", 0, "line 1: bundle_url: "},
                {"relative path", "trust_store = etc/jit/trust.jwks\n", 0, "line 1: trust_store: "},
                {"path with space", "state_dir = /var/lib/my jit\n", 0, "line 1: state_dir: "},
                {"relative ca_file", "ca_file = ca.pem\n", 0, "line 1: ca_file: "},
                {"bad pin", "pinned_pubkey = sha256//abc\n", 0, "line 1: pinned_pubkey: "},
                {"pin wrong hash", "pinned_pubkey = sha1//" PIN_A "\n", 0,
                 "line 1: pinned_pubkey: "},
                {"pin list trailing ';'", "pinned_pubkey = " PIN_A ";\n", 0,
                 "line 1: pinned_pubkey: "},
                {"label with reserved host key", "labels = env=prod, host=other\n", 0,
                 "line 1: labels: the key 'host' is reserved"},
                {"bad label", "labels = env\n", 0, "line 1: labels: "},
                {"label bad key", "labels = e nv=prod\n", 0, "line 1: labels: "},
                {"label empty value", "labels = env=\n", 0, "line 1: labels: "},
                {"label duplicate key", "labels = env=prod,env=dev\n", 0,
                 "line 1: labels: key 'env' given twice"},
                {"label empty entry", "labels = env=prod,,role=db\n", 0, "line 1: "},
                {"label trailing comma", "labels = env=prod,\n", 0, "line 1: "},
                {"bad user in exempt_users", "exempt_users = root, ../x\n", 0,
                 "line 1: exempt_users: "},
                {"numeric user in exempt_users", "exempt_users = 0\n", 0, "line 1: exempt_users: "},
                {"duplicate exempt user", "exempt_users = a, a\n", 0, "line 1: exempt_users: "},
                {"bad exempt_group", "exempt_group = wheel admins\n", 0, "line 1: exempt_group: "},
                {"stale_policy=maybe", "stale_policy = maybe\n", 0,
                 "line 1: stale_policy: expected deny or keep"},
                {"on_sudo_expiry unknown", "on_sudo_expiry = never\n", 0,
                 "line 1: on_sudo_expiry: "},
                {"issuer with space", "issuers = https://a b\n", 0, "line 1: issuers: "},
                {"duplicate issuer", "issuers = a, a\n", 0, "line 1: issuers: "},
                {"empty issuer", "issuers = a, , b\n", 0, "line 1: "},
                {"host_id with comma", "host_id = a,b\n", 0, "line 1: host_id: "},
                {"max_bundle_size too small", "max_bundle_size = 1023\n", 0,
                 "line 1: max_bundle_size: "},
                {"max_bundle_size too big", "max_bundle_size = 33M\n", 0,
                 "line 1: max_bundle_size: "},
                {"max_bundle_size bad suffix", "max_bundle_size = 4MB\n", 0,
                 "line 1: max_bundle_size: "},
                {"max_bundle_size overflow", "max_bundle_size = 99999999999999999999G\n", 0,
                 "line 1: max_bundle_size: "},
                {"warn_before too many", "warn_before = 1s,2s,3s,4s,5s,6s,7s,8s,9s\n", 0,
                 "line 1: warn_before: "},
                {"warn_before zero", "warn_before = 0\n", 0, "line 1: warn_before: "},
                {"warn_before over 1d", "warn_before = 2d\n", 0, "line 1: warn_before: "},
                {"NUL byte", "clock_skew = 1m\nissuers = a\0b\n", 30, "line 2: NUL byte"},
                {"CR line end", "clock_skew = 1m\r\n", 0, "line 1: control character"},
                {"escape in comment", "# \x1b[2J\n", 0, "line 1: control character"},
                {"inline comment is not a comment", "clock_skew = 1m # one minute\n", 0,
                 "line 1: clock_skew: "},
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                struct jit_config *c = (struct jit_config *) 0x1;
                struct jit_error err = {};
                size_t len = t[i].len ? t[i].len : strlen(t[i].text);

                printf("config: %s\n", t[i].name);
                assert_int_equal(config_parse(t[i].text, len, &c, &err), -EINVAL);
                printf("  -> %s\n", err.message);
                assert_int_equal(err.reason, JIT_REASON_CONFIG);
                assert_int_equal(strncmp(err.message, t[i].prefix, strlen(t[i].prefix)), 0);
                assert_true(c == (struct jit_config *) 0x1);
        }
}

static void test_limits(void **state) {
        char *text = malloc(JIT_CONFIG_FILE_MAX + 2);
        struct jit_config *c = NULL;
        struct jit_error err = {};
        size_t n;

        assert_non_null(text);

        /* A line of exactly the limit is fine; one byte more is not. */
        memset(text, ' ', JIT_CONFIG_LINE_MAX + 1);
        memcpy(text, "#", 1);
        text[JIT_CONFIG_LINE_MAX] = '\n';
        assert_int_equal(config_parse(text, JIT_CONFIG_LINE_MAX + 1, &c, &err), 0);
        config_free(c);
        c = NULL;
        memset(text, ' ', JIT_CONFIG_LINE_MAX + 3);
        memcpy(text, "\n#", 2);
        text[JIT_CONFIG_LINE_MAX + 2] = '\n';
        assert_int_equal(config_parse(text, JIT_CONFIG_LINE_MAX + 3, &c, &err), -EINVAL);
        assert_int_equal(err.reason, JIT_REASON_CONFIG);
        assert_string_equal(err.message, "line 2: longer than 4096 bytes");

        /* A file of comment lines just over the size limit. */
        for (n = 0; n + 64 <= JIT_CONFIG_FILE_MAX + 1; n += 64) {
                memset(text + n, '#', 63);
                text[n + 63] = '\n';
        }
        assert_int_equal(n, JIT_CONFIG_FILE_MAX);
        assert_int_equal(config_parse(text, n, &c, &err), 0);
        config_free(c);
        c = NULL;
        text[n] = '#';
        assert_int_equal(config_parse(text, n + 1, &c, &err), -EINVAL);
        assert_int_equal(err.reason, JIT_REASON_CONFIG);
        assert_string_equal(err.message, "line 1025: file larger than 65536 bytes");
        assert_null(c);
        free(text);
}

static void test_load(void **state) {
        char dir[] = "/tmp/jit-test-config-XXXXXX";
        _cleanup_free_ char *path = NULL, *want = NULL;
        _cleanup_(config_freep) struct jit_config *c = NULL;
        struct jit_error err = {};
        static const char bad[] = "clock_skew = 1m\nbogus = 1\n";

        assert_non_null(mkdtemp(dir));
        assert_int_equal(chmod(dir, 0700), 0);
        assert_true(asprintf(&path, "%s/jit.conf", dir) > 0);

        assert_int_equal(write_file_atomic(path, full_config, strlen(full_config), 0644, &err), 0);
        assert_int_equal(config_load(path, getuid(), &c, &err), 0);
        assert_string_equal(c->host_id, "pay-db-1");
        config_free(c);
        c = NULL;

        /* A parse error names the file and the line. */
        assert_int_equal(write_file_atomic(path, bad, strlen(bad), 0644, &err), 0);
        assert_int_equal(config_load(path, getuid(), &c, &err), -EINVAL);
        assert_int_equal(err.reason, JIT_REASON_CONFIG);
        assert_true(asprintf(&want, "%s: line 2: unknown key 'bogus'", path) > 0);
        assert_string_equal(err.message, want);
        assert_null(c);

        /* An unsafe file is refused before it is parsed. */
        assert_int_equal(write_file_atomic(path, full_config, strlen(full_config), 0666, &err), 0);
        assert_int_equal(config_load(path, getuid(), &c, &err), -EPERM);
        assert_int_equal(err.reason, JIT_REASON_FILE_UNSAFE);
        assert_null(c);

        assert_int_equal(unlink(path), 0);
        assert_int_equal(config_load(path, getuid(), &c, &err), -ENOENT);
        assert_int_equal(rmdir(dir), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults), cmocka_unit_test(test_create_users),
                cmocka_unit_test(test_full),     cmocka_unit_test(test_values),
                cmocka_unit_test(test_hostile),  cmocka_unit_test(test_limits),
                cmocka_unit_test(test_load),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
