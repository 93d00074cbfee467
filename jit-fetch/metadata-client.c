/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The metadata service client (metadata-client.h says the protocols). */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "macro.h"
#include "metadata-client.h"

#define IMDS_CONNECT_TIMEOUT_MS 1000L /* a link-local service answers in ms, or is not there */
#define IMDS_AZURE_RETRIES 4
#define IMDS_AWS_TOKEN_MAX 1024

struct imds_client {
        enum cloud cloud;
        char *endpoint;
        uint64_t deadline; /* CLOCK_MONOTONIC usec */
        uint64_t max_answer;
        char *aws_token; /* NULL until the first request */
};

/* One transfer's answer. */
struct answer {
        char *body;
        size_t len;
        uint64_t max;
        bool too_big;
        bool flavor_google; /* Metadata-Flavor: Google came back */
};

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

int imds_client_new(const struct imds_options *o, struct imds_client **ret) {
        struct imds_client *c;

        if (!o || !ret || !cloud_fact_prefix(o->cloud))
                return -EINVAL;
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return -EIO;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->cloud = o->cloud;
        c->endpoint = strdup(o->endpoint ? o->endpoint : IMDS_DEFAULT_ENDPOINT);
        if (!c->endpoint) {
                free(c);
                return -ENOMEM;
        }
        c->deadline = now_usec() + o->timeout_usec;
        c->max_answer = o->max_answer;
        *ret = c;
        return 0;
}

void imds_client_free(struct imds_client *c) {
        if (!c)
                return;
        free(c->endpoint);
        if (c->aws_token)
                explicit_bzero(c->aws_token, strlen(c->aws_token));
        free(c->aws_token);
        free(c);
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata) {
        struct answer *a = userdata;
        size_t n = size * nmemb;
        char *nb;

        /* An endless or huge answer ends here, at the cap. */
        if (n > a->max || a->len > a->max - n) {
                a->too_big = true;
                return 0;
        }
        nb = realloc(a->body, a->len + n + 1);
        if (!nb)
                return 0;
        a->body = nb;
        memcpy(a->body + a->len, data, n);
        a->len += n;
        a->body[a->len] = '\0';
        return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata) {
        struct answer *a = userdata;
        size_t n = size * nmemb;
        static const char want[] = "metadata-flavor:";

        if (n > strlen(want) && strncasecmp(data, want, strlen(want)) == 0) {
                const char *v = data + strlen(want);
                size_t vl = n - strlen(want);

                while (vl > 0 && (*v == ' ' || *v == '\t')) {
                        v++;
                        vl--;
                }
                while (vl > 0 && strchr(" \t\r\n", v[vl - 1]))
                        vl--;
                a->flavor_google = vl == 6 && memcmp(v, "Google", 6) == 0;
        }
        return n;
}

#define SETOPT(e, opt, val)                                                                        \
        do {                                                                                       \
                if (curl_easy_setopt((e), (opt), (val)) != CURLE_OK)                               \
                        goto fail_setopt;                                                          \
        } while (0)

/* One request; *ret_status the HTTP status. The answer is the caller's. */
static int request(struct imds_client *c, const char *method, const char *url,
                   struct curl_slist *headers, struct answer *a, long *ret_status,
                   char message[IMDS_MESSAGE_MAX]) {
        char errbuf[CURL_ERROR_SIZE] = "";
        uint64_t now = now_usec();
        long left_ms;
        CURL *e;
        CURLcode cc;
        int r = 0;

        if (now >= c->deadline) {
                (void) snprintf(message, IMDS_MESSAGE_MAX, "timed out");
                return -ETIMEDOUT;
        }
        left_ms = (long) ((c->deadline - now + 999) / 1000);
        e = curl_easy_init();
        if (!e)
                return -ENOMEM;
        *a = (struct answer){.max = c->max_answer};

        SETOPT(e, CURLOPT_URL, url);
        SETOPT(e, CURLOPT_PROTOCOLS_STR, "http");
        SETOPT(e, CURLOPT_FOLLOWLOCATION, 0L);
        /* Never a proxy: the metadata service is this host's own, and an
         * https_proxy in the environment must not receive its answers. */
        SETOPT(e, CURLOPT_PROXY, "");
        SETOPT(e, CURLOPT_NOPROXY, "*");
        SETOPT(e, CURLOPT_CONNECTTIMEOUT_MS,
               left_ms < IMDS_CONNECT_TIMEOUT_MS ? left_ms : IMDS_CONNECT_TIMEOUT_MS);
        SETOPT(e, CURLOPT_TIMEOUT_MS, left_ms);
        SETOPT(e, CURLOPT_NOSIGNAL, 1L);
        SETOPT(e, CURLOPT_FORBID_REUSE, 1L);
        SETOPT(e, CURLOPT_ERRORBUFFER, errbuf);
        SETOPT(e, CURLOPT_WRITEFUNCTION, on_write);
        SETOPT(e, CURLOPT_WRITEDATA, a);
        SETOPT(e, CURLOPT_HEADERFUNCTION, on_header);
        SETOPT(e, CURLOPT_HEADERDATA, a);
        SETOPT(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) c->max_answer);
        SETOPT(e, CURLOPT_USERAGENT, "jit-agent/" PACKAGE_VERSION);
        SETOPT(e, CURLOPT_HTTPHEADER, headers);
        SETOPT(e, CURLOPT_CUSTOMREQUEST, method);
        if (streq(method, "PUT")) {
                SETOPT(e, CURLOPT_POSTFIELDS, "");
                SETOPT(e, CURLOPT_POSTFIELDSIZE, 0L);
        }

        cc = curl_easy_perform(e);
        if (a->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
                (void) snprintf(message, IMDS_MESSAGE_MAX, "%.96s: answer larger than %llu bytes",
                                url, (unsigned long long) c->max_answer);
                r = -EFBIG;
        } else if (cc == CURLE_OPERATION_TIMEDOUT) {
                (void) snprintf(message, IMDS_MESSAGE_MAX, "%.96s: timed out", url);
                r = -ETIMEDOUT;
        } else if (cc != CURLE_OK) {
                (void) snprintf(message, IMDS_MESSAGE_MAX, "%.96s: %.120s", url,
                                errbuf[0] ? errbuf : curl_easy_strerror(cc));
                r = -EIO;
        } else
                (void) curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, ret_status);
        curl_easy_cleanup(e);
        if (r < 0) {
                free(a->body);
                *a = (struct answer){};
        }
        return r;

fail_setopt:
        curl_easy_cleanup(e);
        (void) snprintf(message, IMDS_MESSAGE_MAX, "libcurl refused an option");
        return -EIO;
}

static void answer_done(struct answer *a) {
        free(a->body);
        *a = (struct answer){};
}

/* A token is printable, without white space: it goes into a header. */
static bool token_is_valid(const char *s, size_t len) {
        if (len < 1 || len > IMDS_AWS_TOKEN_MAX)
                return false;
        for (size_t i = 0; i < len; i++)
                if ((unsigned char) s[i] <= 0x20 || (unsigned char) s[i] >= 0x7f)
                        return false;
        return true;
}

static int aws_token(struct imds_client *c, char message[IMDS_MESSAGE_MAX]) {
        _cleanup_free_ char *url = NULL;
        struct curl_slist *h = NULL;
        struct answer a = {};
        long status = 0;
        char ttl[64];
        int r;

        if (asprintf(&url, "%s/latest/api/token", c->endpoint) < 0)
                return -ENOMEM;
        (void) snprintf(ttl, sizeof(ttl), "X-aws-ec2-metadata-token-ttl-seconds: %d",
                        IMDS_AWS_TOKEN_TTL);
        h = curl_slist_append(NULL, ttl);
        if (!h)
                return -ENOMEM;
        r = request(c, "PUT", url, h, &a, &status, message);
        curl_slist_free_all(h);
        if (r < 0)
                return r;
        if (status == 403) {
                answer_done(&a);
                (void) snprintf(message, IMDS_MESSAGE_MAX,
                                "the instance metadata service is disabled (403 on the token PUT)");
                return -EACCES;
        }
        if (status != 200 || !a.body || !token_is_valid(a.body, a.len)) {
                answer_done(&a);
                (void) snprintf(message, IMDS_MESSAGE_MAX,
                                status != 200 ? "token PUT answered HTTP %ld"
                                              : "token PUT answered no valid token (HTTP %ld)",
                                status);
                return -EPROTO;
        }
        free(c->aws_token);
        c->aws_token = a.body;
        return 0;
}

static int get_once(struct imds_client *c, const char *url, struct answer *a, long *status,
                    char message[IMDS_MESSAGE_MAX]) {
        struct curl_slist *h = NULL;
        _cleanup_free_ char *tok = NULL;
        int r;

        switch (c->cloud) {
        case CLOUD_AWS:
                if (asprintf(&tok, "X-aws-ec2-metadata-token: %s", c->aws_token) < 0)
                        return -ENOMEM;
                h = curl_slist_append(NULL, tok);
                explicit_bzero(tok, strlen(tok));
                break;
        case CLOUD_GCP:
                h = curl_slist_append(NULL, "Metadata-Flavor: Google");
                break;
        case CLOUD_AZURE:
                h = curl_slist_append(NULL, "Metadata: true");
                break;
        default:
                return -EINVAL;
        }
        if (!h)
                return -ENOMEM;
        r = request(c, "GET", url, h, a, status, message);
        curl_slist_free_all(h);
        return r;
}

/* Wait before Azure's next try: 0.25 s, doubling. false when that wait
 * would pass the deadline: then the last answer is the outcome. */
static bool backoff(struct imds_client *c, unsigned attempt) {
        uint64_t wait = 250000ULL << attempt, now = now_usec();

        if (now >= c->deadline || wait >= c->deadline - now)
                return false;
        (void) nanosleep(&(struct timespec){.tv_sec = (time_t) (wait / 1000000),
                                            .tv_nsec = (long) (wait % 1000000) * 1000},
                         NULL);
        return true;
}

int imds_get(struct imds_client *c, const char *path, char **ret_body, size_t *ret_len,
             char message[IMDS_MESSAGE_MAX]) {
        _cleanup_free_ char *url = NULL;
        struct answer a = {};
        long status = 0;
        int r;

        message[0] = '\0';
        if (!c || !path || path[0] != '/' || !ret_body || !ret_len)
                return -EINVAL;
        if (c->cloud == CLOUD_AZURE)
                r = asprintf(&url, "%s%s%capi-version=%s", c->endpoint, path,
                             strchr(path, '?') ? '&' : '?', IMDS_AZURE_API_VERSION);
        else
                r = asprintf(&url, "%s%s", c->endpoint, path);
        if (r < 0)
                return -ENOMEM;

        for (unsigned attempt = 0;; attempt++) {
                if (c->cloud == CLOUD_AWS && !c->aws_token) {
                        r = aws_token(c, message);
                        if (r < 0)
                                return r;
                }
                r = get_once(c, url, &a, &status, message);
                if (r < 0)
                        return r;
                if (status == 200)
                        break;
                answer_done(&a);
                /* AWS: the token expired (or the service restarted): one new token. */
                if (c->cloud == CLOUD_AWS && status == 401 && attempt == 0) {
                        free(c->aws_token);
                        c->aws_token = NULL;
                        continue;
                }
                if (c->cloud == CLOUD_AZURE && attempt < IMDS_AZURE_RETRIES &&
                    (status == 404 || status == 410 || status == 429 || status == 500) &&
                    backoff(c, attempt))
                        continue;
                if (status == 404) {
                        (void) snprintf(message, IMDS_MESSAGE_MAX, "%.96s: not found", path);
                        return -ENOENT;
                }
                (void) snprintf(message, IMDS_MESSAGE_MAX, "%.96s: HTTP %ld", path, status);
                return -EPROTO;
        }
        if (c->cloud == CLOUD_GCP && !a.flavor_google) {
                answer_done(&a);
                (void) snprintf(message, IMDS_MESSAGE_MAX,
                                "%.96s: the answer lacks Metadata-Flavor: Google", path);
                return -EPROTO;
        }
        if (!a.body) {
                a.body = strdup("");
                if (!a.body)
                        return -ENOMEM;
        }
        *ret_body = a.body;
        *ret_len = a.len;
        return 0;
}
