/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The object-store side of jit-fetch without a network: store URLs and
 * whose credentials go with them (jit-fetch/store-url.c), what each store's
 * refusal tells the administrator (jit-fetch/store-error.c: one distinct
 * message per cause, from the documented error bodies of S3, GCS and Azure
 * Blob; the servers of tests/bucket/ produce only some of them: moto checks
 * neither the region nor the clock), and the metadata services' time
 * format. Table rows, one line each, named by what they hold. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "credentials.h"
#include "macro.h"
#include "store-error.h"
#include "store-url.h"

struct url_row {
        const char *name, *url, *auth, *endpoint, *region;
        bool allow_http;
        int want; /* 0 or a negative errno */
        enum cloud cloud;
        const char *want_url; /* or the message's part on failure */
};

static const struct url_row url_rows[] = {
        {"s3 virtual-hosted", "s3://jit-store/prod/head", "auto", NULL, "eu-west-1", false, 0,
         CLOUD_AWS, "https://jit-store.s3.eu-west-1.amazonaws.com/prod/head"},
        {"s3 bucket with dots is path style", "s3://jit.store/prod/head", "auto", NULL, "us-east-1",
         false, 0, CLOUD_AWS, "https://s3.us-east-1.amazonaws.com/jit.store/prod/head"},
        {"s3 endpoint path style", "s3://jit-store/p/head", "aws", "http://127.0.0.1:9000/", NULL,
         true, 0, CLOUD_AWS, "http://127.0.0.1:9000/jit-store/p/head"},
        {"s3 endpoint http without allow_http", "s3://jit-store/p/head", "auto",
         "http://127.0.0.1:9000", "us-east-1", false, -EPROTONOSUPPORT, CLOUD_AWS, "https"},
        {"s3 without region", "s3://jit-store/p/head", "auto", NULL, NULL, false, -EINVAL,
         CLOUD_AWS, "store_region"},
        {"s3 anonymous with none", "s3://jit-store/p/head", "none", NULL, "us-east-1", false, 0,
         CLOUD_NONE, "https://jit-store.s3.us-east-1.amazonaws.com/p/head"},
        {"s3 with gcp auth", "s3://jit-store/p/head", "gcp", NULL, "us-east-1", false, -EINVAL,
         CLOUD_GCP, "does not fit"},
        {"gs", "gs://jit-store/prod/head", "auto", NULL, NULL, false, 0, CLOUD_GCP,
         "https://storage.googleapis.com/jit-store/prod/head"},
        {"gs endpoint", "gs://jit-store/prod/head", "auto", "https://127.0.0.1:8443", NULL, false,
         0, CLOUD_GCP, "https://127.0.0.1:8443/jit-store/prod/head"},
        {"azure blob", "https://acct.blob.core.windows.net/jit/prod/head", "auto", NULL, NULL,
         false, 0, CLOUD_AZURE, "https://acct.blob.core.windows.net/jit/prod/head"},
        {"azure endpoint (Azurite)", "https://devstoreaccount1.blob.core.windows.net/jit/head",
         "auto", "https://127.0.0.1:10000/devstoreaccount1", NULL, false, 0, CLOUD_AZURE,
         "https://127.0.0.1:10000/devstoreaccount1/jit/head"},
        {"plain https is no cloud", "https://store.example.com/bundle.jwt", "auto", NULL, NULL,
         false, 0, CLOUD_NONE, "https://store.example.com/bundle.jwt"},
        {"plain https signed for aws", "https://minio.example.com/b/k", "aws", NULL, "us-east-1",
         false, 0, CLOUD_AWS, "https://minio.example.com/b/k"},
        {"key with percent", "s3://jit-store/a%20b", "auto", NULL, "us-east-1", false, -EINVAL,
         CLOUD_AWS, "may hold only"},
        {"key with space", "s3://jit-store/a b", "auto", NULL, "us-east-1", false, -EINVAL,
         CLOUD_AWS, "may hold only"},
        {"key with dot-dot", "s3://jit-store/a/../b", "auto", NULL, "us-east-1", false, -EINVAL,
         CLOUD_AWS, "may hold only"},
        {"key with empty part", "s3://jit-store/a//b", "auto", NULL, "us-east-1", false, -EINVAL,
         CLOUD_AWS, "may hold only"},
        {"key with query", "gs://jit-store/a?x=1", "auto", NULL, NULL, false, -EINVAL, CLOUD_GCP,
         "may hold only"},
        {"empty key", "s3://jit-store/", "auto", NULL, "us-east-1", false, -EINVAL, CLOUD_AWS,
         "may hold only"},
        {"no key", "s3://jit-store", "auto", NULL, "us-east-1", false, -EINVAL, CLOUD_AWS,
         "bucket"},
        {"bucket upper case", "s3://Jit-Store/k", "auto", NULL, "us-east-1", false, -EINVAL,
         CLOUD_AWS, "bucket"},
        {"bucket too short", "gs://ab/k", "auto", NULL, NULL, false, -EINVAL, CLOUD_GCP, "bucket"},
        {"azure blob with percent", "https://acct.blob.core.windows.net/jit/a%2Fb", "auto", NULL,
         NULL, false, -EINVAL, CLOUD_AZURE, "container"},
        {"endpoint with userinfo", "s3://jit-store/k", "auto", "https://u:p@127.0.0.1", "us-east-1",
         false, -EINVAL, CLOUD_AWS, "plain URL"},
        {"endpoint ftp", "s3://jit-store/k", "auto", "ftp://127.0.0.1", "us-east-1", false,
         -EPROTONOSUPPORT, CLOUD_AWS, "https"},
};

static void test_urls(void **state) {
        bool ok = true;

        for (size_t i = 0; i < ELEMENTSOF(url_rows); i++) {
                const struct url_row *t = &url_rows[i];
                enum cloud setting, cloud = CLOUD_NONE;
                char msg[512] = "";
                char *url = NULL;
                int r;

                assert_int_equal(cloud_from_string(t->auth, &setting), 0);
                r = store_url_cloud(t->url, setting, &cloud, msg, sizeof(msg));
                if (r >= 0)
                        r = store_url_resolve(t->url, cloud, t->endpoint, t->region, t->allow_http,
                                              &url, msg, sizeof(msg));
                if (r != t->want || (r == 0 && cloud != t->cloud) ||
                    (r == 0 && !streq(url, t->want_url)) || (r < 0 && !strstr(msg, t->want_url))) {
                        print_error("%s: got %d cloud %s url %s msg '%s'\n", t->name, r,
                                    cloud_to_string(cloud), url ? url : "-", msg);
                        ok = false;
                }
                free(url);
        }
        assert_true(ok);
}

static void test_cloud_names(void **state) {
        enum cloud c;

        assert_int_equal(cloud_from_string("azure", &c), 0);
        assert_int_equal(c, CLOUD_AZURE);
        assert_int_equal(cloud_from_string("AWS", &c), -EINVAL);
        assert_int_equal(cloud_from_string("", &c), -EINVAL);
        assert_int_equal(cloud_from_string(NULL, &c), -EINVAL);
}

#define S3_ERROR(code, extra)                                                                      \
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" code "</Code><Message>m"         \
        "</Message>" extra "<RequestId>1</RequestId></Error>"

struct error_row {
        const char *name;
        enum cloud cloud;
        long status;
        const char *body, *error_code, *bucket_region;
        bool session_token;
        int want;
        const char *want_message; /* the words that name the cause */
};

static const struct error_row error_rows[] = {
        {"s3 access denied", CLOUD_AWS, 403, S3_ERROR("AccessDenied", ""), NULL, NULL, true,
         -EACCES, "no read access: role 'jit-host' may not read s3://b/k"},
        {"s3 skew", CLOUD_AWS, 403,
         S3_ERROR("RequestTimeTooSkewed",
                  "<MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds>"),
         NULL, NULL, true, -ERANGE, "clock skew"},
        {"s3 expired token", CLOUD_AWS, 400, S3_ERROR("ExpiredToken", ""), NULL, NULL, true,
         -EKEYEXPIRED, "expired token"},
        {"s3 wrong region (header malformed)", CLOUD_AWS, 400,
         S3_ERROR("AuthorizationHeaderMalformed", "<Region>eu-central-1</Region>"), NULL, NULL,
         true, -EXDEV,
         "wrong region: the bucket of s3://b/k is in eu-central-1, requests were "
         "signed for us-east-1: set store_region = eu-central-1"},
        {"s3 wrong region (301)", CLOUD_AWS, 301, S3_ERROR("PermanentRedirect", ""), NULL,
         "ap-south-1", true, -EXDEV, "set store_region = ap-south-1"},
        {"s3 wrong region (301 no body)", CLOUD_AWS, 301, "", NULL, NULL, true, -EXDEV,
         "wrong region"},
        {"s3 wrong secret", CLOUD_AWS, 403, S3_ERROR("SignatureDoesNotMatch", ""), NULL, NULL, true,
         -EKEYREJECTED, "signature refused"},
        {"s3 wrong token", CLOUD_AWS, 400, S3_ERROR("InvalidToken", ""), NULL, NULL, true,
         -EKEYREJECTED, "session token refused"},
        {"s3 no token", CLOUD_AWS, 403, S3_ERROR("InvalidAccessKeyId", ""), NULL, NULL, false,
         -EKEYREJECTED, "session token missing"},
        {"s3 unknown key", CLOUD_AWS, 403, S3_ERROR("InvalidAccessKeyId", ""), NULL, NULL, true,
         -EKEYREJECTED, "credentials refused"},
        {"s3 no such key", CLOUD_AWS, 404, S3_ERROR("NoSuchKey", ""), NULL, NULL, true, -ENOENT,
         "not found: s3://b/k (NoSuchKey)"},
        {"s3 code with markup is ignored", CLOUD_AWS, 403, S3_ERROR("Access<b>Denied", ""), NULL,
         NULL, true, -EIO, "HTTP 403"},
        {"s3 503", CLOUD_AWS, 503, S3_ERROR("SlowDown", ""), NULL, NULL, true, -EIO,
         "HTTP 503 SlowDown"},
        {"redirect", CLOUD_GCP, 302, "", NULL, NULL, false, -EPERM, "redirect refused"},
        {"gcs 401", CLOUD_GCP, 401, "{\"error\":{\"code\":401}}", NULL, NULL, false, -EKEYREJECTED,
         "token refused"},
        {"gcs 401 expired", CLOUD_GCP, 401, "Invalid Credentials: token expired", NULL, NULL, false,
         -EKEYEXPIRED,
         "expired token: the store says the service account's access token has "
         "expired (HTTP 401): check this host's clock"},
        {"gcs 403", CLOUD_GCP, 403, "", NULL, NULL, false, -EACCES, "roles/storage.objectViewer"},
        {"azure expired", CLOUD_AZURE, 401,
         "<Error><Code>InvalidAuthenticationInfo</Code><AuthenticationErrorDetail>Lifetime "
         "validation failed. The token is expired.</AuthenticationErrorDetail></Error>",
         "InvalidAuthenticationInfo", NULL, false, -EKEYEXPIRED, "expired token"},
        {"azure audience", CLOUD_AZURE, 401,
         "<Error><Code>InvalidAuthenticationInfo</Code><AuthenticationErrorDetail>Audience "
         "validation failed.</AuthenticationErrorDetail></Error>",
         "InvalidAuthenticationInfo", NULL, false, -EKEYREJECTED, "wrong audience"},
        {"azure no role assignment", CLOUD_AZURE, 403, "", "AuthorizationPermissionMismatch", NULL,
         false, -EACCES, "Storage Blob Data Reader"},
        {"azure other auth failure", CLOUD_AZURE, 403, "", "AuthenticationFailed", NULL, false,
         -EKEYREJECTED, "token refused"},
        /* S3's RequestTime is the request's x-amz-date, its ServerTime ISO 8601. */
        {"s3 skew ahead", CLOUD_AWS, 403,
         S3_ERROR("RequestTimeTooSkewed", "<RequestTime>20261205T022500Z</RequestTime>"
                                          "<ServerTime>2026-12-05T02:00:00Z</ServerTime>"),
         NULL, NULL, true, -ERANGE,
         "clock skew: this host's clock is 25 min ahead of the store's, more than SigV4 allows "
         "(RequestTimeTooSkewed, 15 min at most): set the time (NTP)"},
        {"s3 skew behind", CLOUD_AWS, 403,
         S3_ERROR("RequestTimeTooSkewed", "<RequestTime>20261205T013000Z</RequestTime>"
                                          "<ServerTime>2026-12-05T02:00:00.000Z</ServerTime>"),
         NULL, NULL, true, -ERANGE, "clock is 30 min behind the store's"},
        {"s3 skew, times not parsed", CLOUD_AWS, 403,
         S3_ERROR("RequestTimeTooSkewed", "<RequestTime>2026-13-05</RequestTime>"
                                          "<ServerTime>2026-12-05T02:00:00Z</ServerTime>"),
         NULL, NULL, true, -ERANGE, "clock is too far from the store's"},
};

static void test_errors(void **state) {
        bool ok = true;

        for (size_t i = 0; i < ELEMENTSOF(error_rows); i++) {
                const struct error_row *t = &error_rows[i];
                char msg[512] = "";
                int r = store_error_explain(
                        &(struct store_refusal){.cloud = t->cloud,
                                                .status = t->status,
                                                .body = t->body,
                                                .error_code = t->error_code,
                                                .bucket_region = t->bucket_region,
                                                .region = "us-east-1",
                                                .role = "jit-host",
                                                .session_token = t->session_token,
                                                .url = "s3://b/k"},
                        msg, sizeof(msg));
                if (r != t->want || !strstr(msg, t->want_message)) {
                        print_error("%s: got %d '%s'\n", t->name, r, msg);
                        ok = false;
                }
        }
        assert_true(ok);
}

/* Causes an administrator fixes differently read differently: no two rows
 * of different causes share the words before the first ':'. */
static void test_errors_distinct(void **state) {
        static const size_t rows[] = {0, 1, 2, 3, 6, 7, 8, 13, 14};
        char seen[ELEMENTSOF(rows)][128];

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                const struct error_row *t = &error_rows[rows[i]];
                char msg[512] = "";
                (void) store_error_explain(
                        &(struct store_refusal){.cloud = t->cloud,
                                                .status = t->status,
                                                .body = t->body,
                                                .error_code = t->error_code,
                                                .session_token = t->session_token,
                                                .region = "us-east-1",
                                                .url = "s3://b/k"},
                        msg, sizeof(msg));
                size_t n = strcspn(msg, ":");
                (void) snprintf(seen[i], sizeof(seen[i]), "%.*s", (int) n, msg);
                for (size_t j = 0; j < i; j++)
                        if (streq(seen[i], seen[j]))
                                fail_msg("'%s' for both %s and %s", seen[i], t->name,
                                         error_rows[rows[j]].name);
        }
}

/* The words before the first ':' of a row's message. */
static void cause_of(const char *name, char *buf, size_t size) {
        for (size_t i = 0; i < ELEMENTSOF(error_rows); i++) {
                const struct error_row *t = &error_rows[i];
                char msg[512] = "";

                if (!streq(t->name, name))
                        continue;
                (void) store_error_explain(
                        &(struct store_refusal){.cloud = t->cloud,
                                                .status = t->status,
                                                .body = t->body,
                                                .error_code = t->error_code,
                                                .session_token = t->session_token,
                                                .region = "us-east-1",
                                                .url = "s3://b/k"},
                        msg, sizeof(msg));
                (void) snprintf(buf, size, "%.*s", (int) strcspn(msg, ":"), msg);
                return;
        }
        fail_msg("no row '%s'", name);
}

/* One cause reads the same on every cloud: an administrator who knows
 * "expired token" on S3 knows it on GCS and Azure. */
static void test_errors_same_cause(void **state) {
        static const char *const same[][3] = {
                {"s3 access denied", "gcs 403", "azure no role assignment"},
                {"s3 expired token", "gcs 401 expired", "azure expired"},
        };
        static const char *const want[] = {"no read access", "expired token"};

        for (size_t i = 0; i < ELEMENTSOF(same); i++)
                for (size_t j = 0; j < 3; j++) {
                        char cause[128];

                        cause_of(same[i][j], cause, sizeof(cause));
                        if (!streq(cause, want[i]))
                                fail_msg("%s: '%s', not '%s'", same[i][j], cause, want[i]);
                }
}

static void test_time(void **state) {
        int64_t t = 0;

        assert_int_equal(credentials_parse_time("2026-12-05T01:02:03Z", &t), 0);
        assert_int_equal(t, 1796432523);
        assert_int_equal(credentials_parse_time("2026-12-05T01:02:03.123Z", &t), 0);
        assert_int_equal(t, 1796432523);
        assert_int_equal(credentials_parse_time("2026-12-05T01:02:03+00:00", &t), 0);
        assert_int_equal(credentials_parse_time("2026-12-05T01:02:03+02:00", &t), -EINVAL);
        assert_int_equal(credentials_parse_time("2026-12-05 01:02:03", &t), -EINVAL);
        assert_int_equal(credentials_parse_time("", &t), -EINVAL);
        assert_int_equal(credentials_parse_time(NULL, &t), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_urls),
                cmocka_unit_test(test_cloud_names),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_errors_distinct),
                cmocka_unit_test(test_errors_same_cause),
                cmocka_unit_test(test_time),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
