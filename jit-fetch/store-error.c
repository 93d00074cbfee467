/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The codes are each service's documented error codes: S3's <Code> in an
 * XML body, Azure's x-ms-error-code header (and its message in the body),
 * GCS's status. */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "store-error.h"

/* The text of <tag>…</tag> in body: letters, digits, '-', '.' and the
 * characters of extra only. */
static void xml_text(const char *body, const char *tag, const char *extra, char *buf, size_t size) {
        char open[32], close[32];
        const char *p, *q;

        buf[0] = '\0';
        if (!body)
                return;
        (void) snprintf(open, sizeof(open), "<%s>", tag);
        (void) snprintf(close, sizeof(close), "</%s>", tag);
        p = strstr(body, open);
        if (!p)
                return;
        p += strlen(open);
        q = strstr(p, close);
        if (!q || (size_t) (q - p) >= size)
                return;
        for (const char *c = p; c < q; c++)
                if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                      (*c >= '0' && *c <= '9') || *c == '-' || *c == '.' ||
                      (*c && strchr(extra, *c))))
                        return;
        memcpy(buf, p, (size_t) (q - p));
        buf[q - p] = '\0';
}

static void xml_value(const char *body, const char *tag, char *buf, size_t size) {
        xml_text(body, tag, "", buf, size);
}

/* S3's times in an error body: RequestTime as the request's x-amz-date
 * ("20261205T022000Z"), ServerTime in ISO 8601 ("2026-12-05T02:00:00Z",
 * perhaps with a fraction). */
static bool s3_time(const char *s, int64_t *ret) {
        struct tm tm = {};
        const char *end = strptime(s, "%Y%m%dT%H%M%S", &tm);

        if (!end || *end != 'Z') {
                tm = (struct tm){};
                end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
                if (end && *end == '.')
                        for (end++; *end >= '0' && *end <= '9'; end++)
                                ;
        }
        if (!end || !streq(end, "Z"))
                return false;
        time_t t = timegm(&tm);
        if (t == (time_t) -1)
                return false;
        *ret = (int64_t) t;
        return true;
}

/* "25 min ahead of" from RequestTimeTooSkewed's RequestTime and
 * ServerTime; "too far from" when the body does not carry both. */
static void skew_text(const char *body, char *buf, size_t size) {
        char req[40], srv[40];
        int64_t a, b;

        (void) snprintf(buf, size, "too far from");
        xml_text(body, "RequestTime", ":", req, sizeof(req));
        xml_text(body, "ServerTime", ":", srv, sizeof(srv));
        if (!s3_time(req, &a) || !s3_time(srv, &b))
                return;
        int64_t d = a - b, m = (d < 0 ? -d : d) / 60;
        (void) snprintf(buf, size, "%lld min %s", (long long) m, d < 0 ? "behind" : "ahead of");
}

/* A header's error code or region, passed on only when it is a plain word. */
static const char *plain_word(const char *s) {
        if (!s || !*s || strlen(s) >= 64)
                return NULL;
        for (const char *c = s; *c; c++)
                if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                      (*c >= '0' && *c <= '9') || *c == '-' || *c == '.'))
                        return NULL;
        return s;
}

static bool body_says(const struct store_refusal *s, const char *what) {
        return s->body && strstr(s->body, what);
}

static int aws(const struct store_refusal *s, char *msg, size_t size) {
        char code[64], region[64];
        const char *role = s->role ? s->role : "?";

        xml_value(s->body, "Code", code, sizeof(code));
        xml_value(s->body, "Region", region, sizeof(region));
        if (!region[0] && plain_word(s->bucket_region))
                (void) snprintf(region, sizeof(region), "%s", s->bucket_region);

        if (streq(code, "RequestTimeTooSkewed")) {
                char skew[64];

                skew_text(s->body, skew, sizeof(skew));
                (void) snprintf(msg, size,
                                "clock skew: this host's clock is %s the store's, more than SigV4 "
                                "allows (RequestTimeTooSkewed, 15 min at most): set the time (NTP)",
                                skew);
                return -ERANGE;
        }
        if (streq(code, "ExpiredToken") || streq(code, "TokenRefreshRequired")) {
                (void) snprintf(msg, size,
                                "expired token: the store says the session credentials of role "
                                "'%s' have expired (%s): check this host's clock",
                                role, code);
                return -EKEYEXPIRED;
        }
        if (streq(code, "AuthorizationHeaderMalformed") || streq(code, "PermanentRedirect") ||
            streq(code, "IllegalLocationConstraintException") || s->status == 301 ||
            (region[0] && s->region && !streq(region, s->region))) {
                if (region[0])
                        (void) snprintf(msg, size,
                                        "wrong region: the bucket of %s is in %s, requests were "
                                        "signed for %s: set store_region = %s",
                                        s->url, region, s->region ? s->region : "?", region);
                else
                        (void) snprintf(msg, size,
                                        "wrong region: %s is not in %s (%s): set store_region to "
                                        "the bucket's region",
                                        s->url, s->region ? s->region : "?",
                                        code[0] ? code : "HTTP 301");
                return -EXDEV;
        }
        if (streq(code, "AccessDenied") || streq(code, "AllAccessDisabled")) {
                (void) snprintf(msg, size,
                                "no read access: role '%s' may not read %s (%s): allow "
                                "s3:GetObject on the store's objects in the role's policy and the "
                                "bucket policy",
                                role, s->url, code);
                return -EACCES;
        }
        if (streq(code, "SignatureDoesNotMatch")) {
                (void) snprintf(msg, size,
                                "signature refused: the store does not accept the signature made "
                                "with role '%s' (SignatureDoesNotMatch): the metadata service's "
                                "secret key is not the role's, or store_endpoint is not the store",
                                role);
                return -EKEYREJECTED;
        }
        if (streq(code, "InvalidAccessKeyId") && !s->session_token) {
                (void) snprintf(msg, size,
                                "session token missing: the metadata service gave role '%s' "
                                "temporary credentials without a session token "
                                "(InvalidAccessKeyId)",
                                role);
                return -EKEYREJECTED;
        }
        if (streq(code, "InvalidAccessKeyId")) {
                (void) snprintf(msg, size,
                                "credentials refused: the store does not know the access key of "
                                "role '%s' (InvalidAccessKeyId): is store_endpoint the store of "
                                "this account?",
                                role);
                return -EKEYREJECTED;
        }
        if (streq(code, "InvalidToken") || streq(code, "MissingSecurityHeader")) {
                (void) snprintf(msg, size,
                                "session token refused: the store rejects the session token of "
                                "role '%s' (%s)",
                                role, code);
                return -EKEYREJECTED;
        }
        if (streq(code, "NoSuchKey") || streq(code, "NoSuchBucket") || s->status == 404) {
                (void) snprintf(msg, size, "not found: %s (%s)", s->url,
                                code[0] ? code : "HTTP 404");
                return -ENOENT;
        }
        (void) snprintf(msg, size, "the store refused %s: HTTP %ld%s%s", s->url, s->status,
                        code[0] ? " " : "", code);
        return -EIO;
}

static int gcp(const struct store_refusal *s, char *msg, size_t size) {
        if (s->status == 401 && body_says(s, "xpired")) {
                (void) snprintf(msg, size,
                                "expired token: the store says the service account's access token "
                                "has expired (HTTP 401): check this host's clock");
                return -EKEYEXPIRED;
        }
        if (s->status == 401) {
                (void) snprintf(msg, size,
                                "token refused: the store does not accept the service account's "
                                "access token (HTTP 401)");
                return -EKEYREJECTED;
        }
        if (s->status == 403) {
                (void) snprintf(msg, size,
                                "no read access: the service account may not read %s (HTTP 403): "
                                "grant it roles/storage.objectViewer on the bucket",
                                s->url);
                return -EACCES;
        }
        if (s->status == 404) {
                (void) snprintf(msg, size, "not found: %s (HTTP 404)", s->url);
                return -ENOENT;
        }
        (void) snprintf(msg, size, "the store refused %s: HTTP %ld", s->url, s->status);
        return -EIO;
}

static int azure(const struct store_refusal *s, char *msg, size_t size) {
        char code[64] = "";

        if (plain_word(s->error_code))
                (void) snprintf(code, sizeof(code), "%s", s->error_code);
        else
                xml_value(s->body, "Code", code, sizeof(code));

        if (body_says(s, "xpired") || body_says(s, "Lifetime validation failed")) {
                (void) snprintf(msg, size,
                                "expired token: the store says the managed identity's token has "
                                "expired (%s): check this host's clock",
                                code[0] ? code : "HTTP 401");
                return -EKEYEXPIRED;
        }
        if (body_says(s, "udience")) {
                (void) snprintf(msg, size,
                                "token refused: the token is not for Azure Storage (wrong "
                                "audience, %s)",
                                code[0] ? code : "HTTP 401");
                return -EKEYREJECTED;
        }
        if (streq(code, "AuthorizationPermissionMismatch") || streq(code, "AuthorizationFailure") ||
            (s->status == 403 && !streq(code, "AuthenticationFailed") &&
             !streq(code, "InvalidAuthenticationInfo"))) {
                (void) snprintf(msg, size,
                                "no read access: the managed identity may not read %s (%s): "
                                "assign it Storage Blob Data Reader on the container",
                                s->url, code[0] ? code : "HTTP 403");
                return -EACCES;
        }
        if (s->status == 401 || s->status == 403) {
                (void) snprintf(msg, size,
                                "token refused: the store does not accept the managed identity's "
                                "token (%s)",
                                code[0] ? code : "HTTP 401");
                return -EKEYREJECTED;
        }
        if (s->status == 404) {
                (void) snprintf(msg, size, "not found: %s (%s)", s->url,
                                code[0] ? code : "HTTP 404");
                return -ENOENT;
        }
        (void) snprintf(msg, size, "the store refused %s: HTTP %ld%s%s", s->url, s->status,
                        code[0] ? " " : "", code);
        return -EIO;
}

int store_error_explain(const struct store_refusal *s, char *msg, size_t msg_size) {
        /* A redirect is never followed with credentials attached. */
        if (s->status >= 300 && s->status < 400 && s->status != 301) {
                (void) snprintf(msg, msg_size,
                                "redirect refused: %s answered HTTP %ld; a store reached with "
                                "credentials is never followed elsewhere",
                                s->url, s->status);
                return -EPERM;
        }
        switch (s->cloud) {
        case CLOUD_AWS:
                return aws(s, msg, msg_size);
        case CLOUD_GCP:
                return gcp(s, msg, msg_size);
        case CLOUD_AZURE:
                return azure(s, msg, msg_size);
        default:
                (void) snprintf(msg, msg_size, "HTTP %ld", s->status);
                return -EIO;
        }
}
