/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "store-url.h"

static bool has_prefix(const char *s, const char *p) {
        return strncmp(s, p, strlen(p)) == 0;
}

static bool bucket_is_valid(const char *s, size_t n) {
        if (n < 3 || n > 63)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
                      s[i] == '.' || s[i] == '_'))
                        return false;
        return s[0] != '.' && s[0] != '-' && s[n - 1] != '.' && s[n - 1] != '-';
}

static bool key_char(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
}

/* A key (or a path) that is sent and signed as it is written. */
static bool key_is_valid(const char *s) {
        if (!*s || strlen(s) > 1024)
                return false;
        for (const char *p = s; *p; p++)
                if (!key_char(*p))
                        return false;
        /* No empty, "." or ".." segment: libcurl would drop or merge them. */
        for (const char *seg = s;;) {
                size_t n = strcspn(seg, "/");
                if (n == 0 || (n == 1 && seg[0] == '.') ||
                    (n == 2 && seg[0] == '.' && seg[1] == '.'))
                        return false;
                if (seg[n] == '\0')
                        return true;
                seg += n + 1;
        }
}

/* The host[:port] of a URL that credentials go to: letters, digits, '-',
 * '.', ':' and IPv6 brackets only (no user info, no escapes, no control
 * bytes). n is its length, up to the path's '/' or the end. */
static bool authority_is_plain(const char *s, size_t n) {
        if (n == 0 || n > 255)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
                      (s[i] >= '0' && s[i] <= '9') || strchr("-.:[]", s[i])))
                        return false;
        return true;
}

static int endpoint_check(const char *endpoint, bool allow_http, char *msg, size_t msg_size) {
        bool https = strncmp(endpoint, "https://", 8) == 0;
        bool http = strncmp(endpoint, "http://", 7) == 0;
        const char *rest = endpoint + (https ? 8 : 7);

        if (!https && !(http && allow_http)) {
                (void) snprintf(msg, msg_size,
                                "store_endpoint must be https:// (http:// only with allow_http)");
                return -EPROTONOSUPPORT;
        }
        for (const char *c = rest; *c; c++)
                if ((unsigned char) *c <= 0x20 || (unsigned char) *c >= 0x7f) {
                        (void) snprintf(msg, msg_size, "store_endpoint is not a plain URL");
                        return -EINVAL;
                }
        if (!*rest || strpbrk(rest, "?#@%\\\"") || strlen(endpoint) > 512) {
                (void) snprintf(msg, msg_size, "store_endpoint is not a plain URL");
                return -EINVAL;
        }
        const char *path = strchr(rest, '/');
        if (!authority_is_plain(rest, path ? (size_t) (path - rest) : strlen(rest))) {
                (void) snprintf(msg, msg_size, "store_endpoint is not a plain URL");
                return -EINVAL;
        }
        if (path && path[1] && !key_is_valid(path + 1)) {
                (void) snprintf(msg, msg_size,
                                "store_endpoint has a path with characters a "
                                "signed request cannot carry");
                return -EINVAL;
        }
        return 0;
}

/* BUCKET and KEY of "SCHEME://BUCKET/KEY". */
static int split_bucket(const char *url, size_t scheme_len, char *bucket, size_t bucket_size,
                        const char **ret_key, char *msg, size_t msg_size) {
        const char *b = url + scheme_len, *slash = strchr(b, '/');
        size_t n = slash ? (size_t) (slash - b) : strlen(b);

        if (!slash || !bucket_is_valid(b, n) || n >= bucket_size) {
                (void) snprintf(msg, msg_size, "%.*s: not a valid bucket name in %.128s",
                                (int) scheme_len, url, url);
                return -EINVAL;
        }
        memcpy(bucket, b, n);
        bucket[n] = '\0';
        *ret_key = slash + 1;
        return 0;
}

int store_url_resolve(const char *url, enum cloud cloud, const char *endpoint, const char *region,
                      bool allow_http, char **ret, char *msg, size_t msg_size) {
        char bucket[64];
        const char *key = NULL;
        size_t elen = endpoint ? strlen(endpoint) : 0;
        int r, n = -1;

        if (endpoint) {
                r = endpoint_check(endpoint, allow_http, msg, msg_size);
                if (r < 0)
                        return r;
                while (elen > 0 && endpoint[elen - 1] == '/')
                        elen--;
        }

        if (has_prefix(url, "s3://") || has_prefix(url, "gs://")) {
                r = split_bucket(url, 5, bucket, sizeof(bucket), &key, msg, msg_size);
                if (r < 0)
                        return r;
        } else if (cloud == CLOUD_AZURE && strncmp(url, "https://", 8) == 0) {
                const char *path = strchr(url + 8, '/');
                if (!path || !authority_is_plain(url + 8, (size_t) (path - url - 8)) ||
                    !key_is_valid(path + 1)) {
                        (void) snprintf(msg, msg_size,
                                        "%.256s: the container and blob name hold characters a "
                                        "store URL may not (A-Z a-z 0-9 - . _ ~ /)",
                                        url);
                        return -EINVAL;
                }
                if (endpoint)
                        n = asprintf(ret, "%.*s%s", (int) elen, endpoint, path);
                else
                        n = asprintf(ret, "%s", url);
                return n < 0 ? -ENOMEM : 0;
        } else {
                /* Another URL: as it is. With credentials it must be an
                 * https (or allowed http) URL whose path is sent, and for
                 * SigV4 signed, as written. */
                if (cloud != CLOUD_NONE) {
                        bool https = strncmp(url, "https://", 8) == 0;
                        bool http = allow_http && strncmp(url, "http://", 7) == 0;
                        const char *host = url + (https ? 8 : 7);
                        const char *p = https || http ? strchr(host, '/') : NULL;
                        if (!https && !http) {
                                (void) snprintf(msg, msg_size,
                                                "%.256s: credentials go only to an https:// URL",
                                                url);
                                return -EPROTONOSUPPORT;
                        }
                        if (!p || !authority_is_plain(host, (size_t) (p - host)) ||
                            !key_is_valid(p + 1)) {
                                (void) snprintf(msg, msg_size,
                                                "%.256s: a URL sent with credentials may hold "
                                                "only A-Z a-z 0-9 - . _ ~ /",
                                                url);
                                return -EINVAL;
                        }
                }
                *ret = strdup(url);
                return *ret ? 0 : -ENOMEM;
        }

        if (!key_is_valid(key)) {
                (void) snprintf(msg, msg_size,
                                "%.256s: an object key may hold only A-Z a-z 0-9 - . _ ~ / (no "
                                "empty, '.' or '..' part)",
                                url);
                return -EINVAL;
        }
        if (endpoint)
                n = asprintf(ret, "%.*s/%s/%s", (int) elen, endpoint, bucket, key);
        else if (has_prefix(url, "gs://"))
                n = asprintf(ret, "https://storage.googleapis.com/%s/%s", bucket, key);
        else {
                if (!region || !*region) {
                        (void) snprintf(msg, msg_size,
                                        "%.256s: no region for the bucket: set "
                                        "store_region",
                                        url);
                        return -EINVAL;
                }
                /* A bucket with dots does not match the wildcard certificate
                 * of virtual-hosted names: path style for those. */
                if (strchr(bucket, '.'))
                        n = asprintf(ret, "https://s3.%s.amazonaws.com/%s/%s", region, bucket, key);
                else
                        n = asprintf(ret, "https://%s.s3.%s.amazonaws.com/%s", bucket, region, key);
        }
        return n < 0 ? -ENOMEM : 0;
}
