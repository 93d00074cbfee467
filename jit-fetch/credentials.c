/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Each cloud's documented way for software on an instance to get its own
 * short-lived credentials; docs/security.md ("Store credentials") describes
 * their lifecycle. Every failure names what an administrator fixes. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "credentials.h"
#include "json.h"
#include "macro.h"
#include "metadata-client.h"

#define ROLE_NAME_MAX 128
#define SECRET_MAX 8192
#define CREDENTIALS_ANSWER_MAX (64u * 1024u)

/* The one set of credentials this process holds, and what selects the
 * identity they are of: the cloud, the Azure client id (a user-assigned
 * identity), the metadata service asked. jit-fetch --serve (serve.c) keeps
 * them across requests; a request for another identity gets its own. */
static struct credentials cache;
static char *cache_client_id, *cache_endpoint;

/* The instance's region (placement/region): not a secret, and it does not
 * change while the instance runs; kept per metadata service. */
static char *region_cache, *region_endpoint;

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

static void free_secret(char **s) {
        strfreezero(*s);
        *s = NULL;
}

void credentials_wipe(struct credentials *c) {
        if (!c)
                return;
        free(c->role);
        free_secret(&c->access_key_id);
        free_secret(&c->secret_access_key);
        free_secret(&c->session_token);
        free_secret(&c->bearer);
        *c = (struct credentials){};
}

void credentials_forget(void) {
        credentials_wipe(&cache);
        cache_client_id = mfree(cache_client_id);
        cache_endpoint = mfree(cache_endpoint);
        region_cache = mfree(region_cache);
        region_endpoint = mfree(region_endpoint);
}

bool credentials_refusal_is_stale(int error) {
        /* store-error.c: -EKEYEXPIRED for an expired token (S3
         * ExpiredToken, TokenRefreshRequired; a GCS or Azure token the
         * store calls expired), -EKEYREJECTED for credentials the store
         * does not take (SignatureDoesNotMatch, InvalidAccessKeyId,
         * InvalidToken, a GCS or Azure 401). Not -EACCES (the policy), nor
         * clock skew or a wrong region: new credentials change none of those. */
        return error == -EKEYEXPIRED || error == -EKEYREJECTED;
}

void credentials_refused(int error) {
        if (credentials_refusal_is_stale(error)) {
                credentials_wipe(&cache);
                cache_client_id = mfree(cache_client_id);
                cache_endpoint = mfree(cache_endpoint);
        }
}

/* Do the cached credentials belong to this identity? */
static bool cache_is_for(enum cloud cloud, const char *client_id, const char *endpoint) {
        return cache.cloud == cloud && (cache.bearer || cache.access_key_id) &&
               streq_ptr(cache_client_id, client_id) && streq_ptr(cache_endpoint, endpoint);
}

int credentials_parse_time(const char *s, int64_t *ret) {
        struct tm tm = {};
        const char *end;

        if (!s)
                return -EINVAL;
        end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!end)
                return -EINVAL;
        if (*end == '.') /* fractions of a second */
                for (end++; *end >= '0' && *end <= '9'; end++)
                        ;
        if (strcmp(end, "Z") != 0 && strcmp(end, "+00:00") != 0)
                return -EINVAL;
        time_t t = timegm(&tm);
        if (t == (time_t) -1)
                return -EINVAL;
        *ret = (int64_t) t;
        return 0;
}

/* A secret string member, 1..SECRET_MAX printable bytes, copied. */
static int secret_member(struct json_object *o, const char *name, bool required, char **ret) {
        const char *v = NULL;

        if (json_get_string(o, name, required, SECRET_MAX, &v, NULL) < 0)
                return -EBADMSG;
        if (!v)
                return 0;
        for (const char *p = v; *p; p++)
                if ((unsigned char) *p <= 0x20 || (unsigned char) *p >= 0x7f)
                        return -EBADMSG; /* it goes into a header line */
        if (!*v)
                return required ? -EBADMSG : 0;
        *ret = strdup(v);
        return *ret ? 0 : -ENOMEM;
}

static int parse_json(const char *body, struct json_object **ret) {
        return json_parse_object_strict(body, strlen(body), 4, ret, NULL) < 0 ? -EBADMSG : 0;
}

static int client_new(enum cloud cloud, const char *endpoint, uint64_t timeout_usec,
                      struct imds_client **ret) {
        return imds_client_new(&(struct imds_options){.cloud = cloud,
                                                      .endpoint = endpoint,
                                                      .timeout_usec = timeout_usec,
                                                      .max_answer = CREDENTIALS_ANSWER_MAX},
                               ret);
}

/* The service did not answer as it should: say where it failed. */
static int metadata_failed(int r, const char *what, const char *detail, char *msg, size_t size) {
        (void) snprintf(msg, size, "instance metadata service: %s: %s", what,
                        detail[0] ? detail : strerror_r(-r, (char[128]){}, 128));
        return r;
}

static bool role_name_is_valid(const char *s, size_t n) {
        if (n == 0 || n > ROLE_NAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
                      (s[i] >= '0' && s[i] <= '9') || strchr("+=,.@_-", s[i])))
                        return false;
        return true;
}

static int aws_credentials(struct imds_client *imds, struct credentials *c, char *msg,
                           size_t size) {
        _cleanup_strfreezero_ char *body = NULL;
        _cleanup_free_ char *path = NULL, *list = NULL;
        _cleanup_json_ struct json_object *o = NULL;
        const char *code = NULL, *exp = NULL;
        char detail[IMDS_MESSAGE_MAX];
        size_t len = 0;
        int r;

        r = imds_get(imds, "/latest/meta-data/iam/security-credentials/", &list, &len, detail);
        if (r == -ENOENT || (r >= 0 && strcspn(list, "\r\n") == 0)) {
                (void) snprintf(msg, size,
                                "no instance role: this instance has no IAM instance profile; "
                                "attach a role that may read the store (s3:GetObject)");
                return -ENOKEY;
        }
        if (r < 0)
                return metadata_failed(r, "the instance role", detail, msg, size);
        size_t n = strcspn(list, "\r\n");
        if (!role_name_is_valid(list, n)) {
                (void) snprintf(msg, size,
                                "the AWS instance metadata service did not list a valid role");
                return -EBADMSG;
        }
        c->role = strndup(list, n);
        if (!c->role ||
            asprintf(&path, "/latest/meta-data/iam/security-credentials/%s", c->role) < 0)
                return -ENOMEM;
        r = imds_get(imds, path, &body, &len, detail);
        if (r == -ENOENT) {
                (void) snprintf(msg, size,
                                "no instance role: the role '%s' has no credentials; attach an "
                                "instance profile with a role that may read the store",
                                c->role);
                return -ENOKEY;
        }
        if (r < 0)
                return metadata_failed(r, "the role's credentials", detail, msg, size);
        if (parse_json(body, &o) < 0) {
                (void) snprintf(msg, size,
                                "the AWS instance metadata service gave malformed credentials "
                                "for role '%s'",
                                c->role);
                return -EBADMSG;
        }
        (void) json_get_string(o, "Code", false, 64, &code, NULL);
        if (code && strcmp(code, "Success") != 0) {
                (void) snprintf(msg, size,
                                "the credentials of role '%s' are not available (%s): check the "
                                "role's trust policy for ec2.amazonaws.com",
                                c->role, code);
                return -EKEYREJECTED;
        }
        if (secret_member(o, "AccessKeyId", true, &c->access_key_id) < 0 ||
            secret_member(o, "SecretAccessKey", true, &c->secret_access_key) < 0 ||
            secret_member(o, "Token", false, &c->session_token) < 0 ||
            json_get_string(o, "Expiration", false, 64, &exp, NULL) < 0 ||
            (exp && credentials_parse_time(exp, &c->expires) < 0)) {
                (void) snprintf(msg, size,
                                "the AWS instance metadata service gave malformed credentials "
                                "for role '%s'",
                                c->role);
                return -EBADMSG;
        }
        return 0;
}

/* The "access_token" of a token answer, and its end from expires_in (GCP,
 * Azure) or expires_on (Azure). */
static int bearer_from_json(const char *body, int64_t now, struct credentials *c) {
        _cleanup_json_ struct json_object *o = NULL;
        const char *on = NULL;
        int64_t in = 0;
        struct json_object *v;

        if (parse_json(body, &o) < 0 || secret_member(o, "access_token", true, &c->bearer) < 0)
                return -EBADMSG;
        /* Azure sends both as strings, GCP expires_in as a number. */
        if (json_object_object_get_ex(o, "expires_in", &v)) {
                if (json_object_is_type(v, json_type_int))
                        in = json_object_get_int64(v);
                else if (json_object_is_type(v, json_type_string))
                        in = strtoll(json_object_get_string(v), NULL, 10);
                if (in > 0 && in < 366 * 86400)
                        c->expires = now + in;
        }
        if (json_get_string(o, "expires_on", false, 32, &on, NULL) >= 0 && on) {
                long long t = strtoll(on, NULL, 10);
                if (t > 0)
                        c->expires = (int64_t) t;
        }
        return 0;
}

static int gcp_credentials(struct imds_client *imds, int64_t now, struct credentials *c, char *msg,
                           size_t size) {
        _cleanup_strfreezero_ char *body = NULL;
        char detail[IMDS_MESSAGE_MAX];
        size_t len = 0;
        int r;

        r = imds_get(imds, "/computeMetadata/v1/instance/service-accounts/default/token", &body,
                     &len, detail);
        if (r == -ENOENT) {
                (void) snprintf(msg, size,
                                "no service account: this instance has none; attach one that "
                                "may read the store (roles/storage.objectViewer on the bucket)");
                return -ENOKEY;
        }
        if (r < 0)
                return metadata_failed(r, "the service account's token", detail, msg, size);
        if (bearer_from_json(body, now, c) < 0) {
                (void) snprintf(msg, size, "the GCP metadata server gave a malformed token");
                return -EBADMSG;
        }
        return 0;
}

static bool client_id_is_valid(const char *s) {
        if (strlen(s) > 64 || !*s)
                return false;
        for (; *s; s++)
                if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
                      (*s >= 'A' && *s <= 'F') || *s == '-'))
                        return false;
        return true;
}

static int azure_credentials(struct imds_client *imds, const char *client_id, int64_t now,
                             struct credentials *c, char *msg, size_t size) {
        _cleanup_strfreezero_ char *body = NULL;
        _cleanup_free_ char *path = NULL;
        char detail[IMDS_MESSAGE_MAX];
        size_t len = 0;
        int r;

        if (client_id && !client_id_is_valid(client_id)) {
                (void) snprintf(msg, size, "store_client_id is not a client id (a GUID)");
                return -EINVAL;
        }
        /* The client adds the api-version. */
        if (asprintf(&path,
                     "/metadata/identity/oauth2/"
                     "token?resource=https%%3A%%2F%%2Fstorage.azure.com%%2F%s%s",
                     client_id ? "&client_id=" : "", client_id ? client_id : "") < 0)
                return -ENOMEM;
        r = imds_get(imds, path, &body, &len, detail);
        /* IMDS answers 400 ("Identity not found") for a VM without that
         * identity, after its retries a 404 means the same. */
        if (r == -ENOENT || (r == -EPROTO && strstr(detail, "HTTP 400"))) {
                if (client_id)
                        (void) snprintf(msg, size,
                                        "no managed identity with client id %s on this VM: "
                                        "assign that user-assigned identity, or fix "
                                        "store_client_id",
                                        client_id);
                else
                        (void) snprintf(msg, size,
                                        "no managed identity: enable a system-assigned identity "
                                        "on this VM (or set store_client_id for a user-assigned "
                                        "one) and give it Storage Blob Data Reader on the store");
                return -ENOKEY;
        }
        if (r < 0)
                return metadata_failed(r, "the managed identity's token", detail, msg, size);
        if (bearer_from_json(body, now, c) < 0) {
                (void) snprintf(msg, size, "Azure IMDS gave a malformed managed-identity token");
                return -EBADMSG;
        }
        return 0;
}

int credentials_get(enum cloud cloud, const char *azure_client_id, const char *endpoint,
                    uint64_t timeout_usec, int64_t now, const struct credentials **ret, char *msg,
                    size_t msg_size) {
        struct credentials fresh = {.cloud = cloud};
        struct imds_client *imds = NULL;
        int r;

        if (cache_is_for(cloud, azure_client_id, endpoint) &&
            (cache.expires == 0 || cache.expires - now > CREDENTIALS_REFRESH_SEC)) {
                *ret = &cache;
                return 0;
        }
        credentials_wipe(&cache);
        cache_client_id = mfree(cache_client_id);
        cache_endpoint = mfree(cache_endpoint);

        r = client_new(cloud, endpoint, timeout_usec, &imds);
        if (r < 0) {
                (void) snprintf(msg, msg_size, "cannot ask the instance metadata service: %s",
                                strerror_r(-r, (char[128]){}, 128));
                return r;
        }
        switch (cloud) {
        case CLOUD_AWS:
                r = aws_credentials(imds, &fresh, msg, msg_size);
                break;
        case CLOUD_GCP:
                r = gcp_credentials(imds, now, &fresh, msg, msg_size);
                break;
        case CLOUD_AZURE:
                r = azure_credentials(imds, azure_client_id, now, &fresh, msg, msg_size);
                break;
        default:
                r = -EINVAL;
                break;
        }
        imds_client_free(imds);
        if (r >= 0 && fresh.expires != 0 && fresh.expires <= now) {
                (void) snprintf(msg, msg_size,
                                "expired token: the metadata service gave credentials that "
                                "expired %lld s ago: check this host's clock (NTP)",
                                (long long) (now - fresh.expires));
                r = -EKEYEXPIRED;
        }
        if (r < 0) {
                if (r == -ENOMEM)
                        (void) snprintf(msg, msg_size, "out of memory for the credentials");
                credentials_wipe(&fresh);
                return r;
        }
        if ((azure_client_id && !(cache_client_id = strdup(azure_client_id))) ||
            (endpoint && !(cache_endpoint = strdup(endpoint)))) {
                cache_client_id = mfree(cache_client_id);
                credentials_wipe(&fresh);
                (void) snprintf(msg, msg_size, "out of memory for the credentials");
                return -ENOMEM;
        }
        cache = fresh;
        *ret = &cache;
        return 0;
}

int credentials_aws_region(const char *endpoint, uint64_t timeout_usec, char **ret, char *msg,
                           size_t msg_size) {
        _cleanup_free_ char *body = NULL;
        struct imds_client *imds = NULL;
        char detail[IMDS_MESSAGE_MAX];
        size_t len = 0;
        int r;

        if (region_cache && streq_ptr(region_endpoint, endpoint)) {
                *ret = strdup(region_cache);
                return *ret ? 0 : -ENOMEM;
        }
        r = client_new(CLOUD_AWS, endpoint, timeout_usec, &imds);
        if (r < 0)
                return r;
        r = imds_get(imds, "/latest/meta-data/placement/region", &body, &len, detail);
        imds_client_free(imds);
        if (r < 0)
                return metadata_failed(r, "the region (or set store_region)", detail, msg,
                                       msg_size);
        size_t n = strcspn(body, "\r\n");
        if (n == 0 || n > 32 || strspn(body, "abcdefghijklmnopqrstuvwxyz0123456789-") < n) {
                (void) snprintf(msg, msg_size,
                                "the AWS instance metadata service did not say a region: set "
                                "store_region");
                return -EBADMSG;
        }
        body[n] = '\0';
        free(region_cache);
        free(region_endpoint);
        region_cache = strdup(body);
        region_endpoint = endpoint ? strdup(endpoint) : NULL;
        if (!region_cache || (endpoint && !region_endpoint)) /* only not kept */
                region_cache = mfree(region_cache);
        *ret = TAKE_PTR(body);
        return 0;
}
