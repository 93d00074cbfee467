/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* libcurl's multi interface on sd-event, after systemd's src/import/curl-util.c:
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to
 * wake it (CURLMOPT_TIMERFUNCTION); each io or time event goes back into
 * curl_multi_socket_action(), and curl_multi_info_read() says when the
 * transfer is done. Nothing here blocks or polls.
 *
 * Over 600 lines on purpose: the sd-event glue, the transfer's options
 * (TLS, pins, protocols, limits) and the header and body callbacks are one
 * transfer's life, and the callbacks stay static so that
 * tests/fuzz/fuzz-http-response.c can include this file and reach them. */

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "fetch.h"
#include "macro.h"
#include "store-auth.h"
#include "store-error.h"

/* Bounds on what a server can make us keep from its headers. */
#define FETCH_ETAG_MAX 1024
#define FETCH_LOCATION_MAX 4096
/* What is kept of an object store's error body, to say what it refused. */
#define FETCH_ERROR_BODY_MAX 2048
#define FETCH_ERROR_CODE_MAX 64

struct io_watch {
        curl_socket_t fd;
        sd_event_source *source;
};

struct fetcher {
        sd_event *event;
        CURLM *multi;
        sd_event_source *timer;

        /* Every io source curl asked for, so that fetcher_free() can drop
         * those curl never told us to remove. Rarely more than two. */
        struct io_watch *watches;
        size_t n_watches;

        /* The transfer in flight, if any. */
        CURL *easy;
        struct curl_slist *headers;
        fetch_done_t done;
        void *userdata;
        uint64_t max_size;
        uint64_t total_timeout_usec;
        char *url;
        char *body;
        size_t body_len;
        size_t body_alloc;
        bool too_big;
        bool long_poll;
        bool ca_file;    /* a CA file was named: the system bundle is not used */
        EVP_MD_CTX *sha; /* hashing the body as it comes, when a digest is expected */
        char sha_want[65];
        char *etag;
        char *last_modified;
        char *location; /* of the last response, to name a refused redirect */
        int64_t server_date;
        char errbuf[CURL_ERROR_SIZE];
        /* With credentials attached (auth): the refusal's details. */
        const struct store_auth *auth;
        char error_body[FETCH_ERROR_BODY_MAX + 1];
        size_t error_body_len;
        char error_code[FETCH_ERROR_CODE_MAX + 1];    /* x-ms-error-code */
        char bucket_region[FETCH_ERROR_CODE_MAX + 1]; /* x-amz-bucket-region */
};

static int curl_global_ret = -1;

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

static int fetch_curl_global_init(void) {
        /* Once per process, never cleaned up: the agent is the only user and
         * lives as long as the process. The agent is single-threaded. */
        if (curl_global_ret < 0)
                curl_global_ret = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : 1;
        return curl_global_ret == 0 ? 0 : -EIO;
}

static void watch_remove(struct fetcher *f, curl_socket_t fd) {
        for (size_t i = 0; i < f->n_watches; i++) {
                if (f->watches[i].fd != fd)
                        continue;
                (void) sd_event_source_disable_unref(f->watches[i].source);
                f->watches[i] = f->watches[--f->n_watches];
                return;
        }
}

static void check_finished(struct fetcher *f);

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct fetcher *f = userdata;
        int action = 0, running = 0;

        if (revents & (EPOLLIN | EPOLLHUP))
                action |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                action |= CURL_CSELECT_OUT;
        if (revents & EPOLLERR)
                action |= CURL_CSELECT_ERR;

        /* An error here is curl's own bookkeeping; the transfer still ends
         * through curl_multi_info_read() or its timeout. */
        (void) curl_multi_socket_action(f->multi, fd, action, &running);
        check_finished(f);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct fetcher *f = userdata;
        int running = 0;

        (void) curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        check_finished(f);
        return 0;
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
        struct fetcher *f = userp;
        sd_event_source *io = socketp;
        uint32_t events = 0;

        if (what == CURL_POLL_REMOVE) {
                if (io) {
                        watch_remove(f, fd);
                        (void) curl_multi_assign(f->multi, fd, NULL);
                }
                return 0;
        }

        if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
                events |= EPOLLIN;
        if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
                events |= EPOLLOUT;

        if (io) {
                if (sd_event_source_set_io_events(io, events) < 0 ||
                    sd_event_source_set_enabled(io, SD_EVENT_ON) < 0)
                        return -1;
                return 0;
        }

        struct io_watch *w = reallocarray(f->watches, f->n_watches + 1, sizeof(*w));
        if (!w)
                return -1;
        f->watches = w;

        if (sd_event_add_io(f->event, &io, fd, events, on_io, f) < 0)
                return -1;
        (void) sd_event_source_set_description(io, "fetch-io");

        if (curl_multi_assign(f->multi, fd, io) != CURLM_OK) {
                (void) sd_event_source_disable_unref(io);
                return -1;
        }
        f->watches[f->n_watches++] = (struct io_watch){.fd = fd, .source = io};
        return 0;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp) {
        struct fetcher *f = userp;
        uint64_t now, when;

        if (timeout_ms < 0) {
                if (f->timer && sd_event_source_set_enabled(f->timer, SD_EVENT_OFF) < 0)
                        return -1;
                return 0;
        }

        /* Even a timeout of 0 goes through the event loop: curl forbids
         * calling curl_multi_socket_action() from inside its callbacks. */
        if (sd_event_now(f->event, CLOCK_MONOTONIC, &now) < 0)
                return -1;
        when = now + (uint64_t) timeout_ms * 1000;

        if (f->timer) {
                if (sd_event_source_set_time(f->timer, when) < 0 ||
                    sd_event_source_set_enabled(f->timer, SD_EVENT_ONESHOT) < 0)
                        return -1;
                return 0;
        }

        /* 1 ms accuracy: curl's timeouts are the fetch's time limits. */
        if (sd_event_add_time(f->event, &f->timer, CLOCK_MONOTONIC, when, 1000, on_timer, f) < 0)
                return -1;
        (void) sd_event_source_set_description(f->timer, "fetch-timer");
        return 0;
}

static size_t on_curl_write(char *data, size_t size, size_t nmemb, void *userdata) {
        struct fetcher *f = userdata;
        size_t n = size * nmemb;
        long code = 0;

        /* The body of an error response is not kept: the status says it. It
         * still counts against the cap, so an endless one ends early. */
        (void) curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &code);
        bool keep = code == 0 || code == 200;

        if (n > f->max_size || f->body_len > f->max_size - n) {
                f->too_big = true;
                return 0; /* curl ends the transfer with CURLE_WRITE_ERROR */
        }

        if (!keep) {
                if (f->auth && f->error_body_len < FETCH_ERROR_BODY_MAX) {
                        size_t k = FETCH_ERROR_BODY_MAX - f->error_body_len;
                        if (k > n)
                                k = n;
                        memcpy(f->error_body + f->error_body_len, data, k);
                        f->error_body_len += k;
                        f->error_body[f->error_body_len] = '\0';
                }
                f->body_len += n;
                return n;
        }

        if (f->body_len + n + 1 > f->body_alloc) {
                size_t a = f->body_alloc ? f->body_alloc : 16384;
                while (a < f->body_len + n + 1)
                        a = a > SIZE_MAX / 2 ? f->body_len + n + 1 : a * 2;
                if (a > f->max_size + 1)
                        a = f->max_size + 1;
                char *p = realloc(f->body, a);
                if (!p)
                        return 0;
                f->body = p;
                f->body_alloc = a;
        }
        memcpy(f->body + f->body_len, data, n);
        if (f->sha && EVP_DigestUpdate(f->sha, data, n) != 1)
                return 0;
        f->body_len += n;
        f->body[f->body_len] = '\0';
        return n;
}

static bool header_is(const char *line, size_t n, const char *name, const char **ret_value,
                      size_t *ret_len) {
        size_t k = strlen(name);

        if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
                return false;

        const char *v = line + k + 1, *end = line + n;
        while (v < end && (*v == ' ' || *v == '\t'))
                v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
                end--;
        *ret_value = v;
        *ret_len = (size_t) (end - v);
        return true;
}

static size_t on_curl_header(char *data, size_t size, size_t nmemb, void *userdata) {
        struct fetcher *f = userdata;
        size_t n = size * nmemb;
        const char *v;
        size_t len;

        /* A new status line starts a new response (a redirect, a 100
         * Continue): only the headers of the last one count. */
        if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
                f->etag = mfree(f->etag);
                f->last_modified = mfree(f->last_modified);
                f->location = mfree(f->location);
                f->server_date = 0;
                return n;
        }

        if (header_is(data, n, "ETag", &v, &len)) {
                free(f->etag);
                f->etag = len > 0 && len <= FETCH_ETAG_MAX ? strndup(v, len) : NULL;
                if (len > 0 && len <= FETCH_ETAG_MAX && !f->etag)
                        return 0; /* out of memory: fail rather than lose the ETag */
        } else if (header_is(data, n, "Last-Modified", &v, &len)) {
                free(f->last_modified);
                f->last_modified = len > 0 && len <= FETCH_ETAG_MAX ? strndup(v, len) : NULL;
        } else if (header_is(data, n, "Location", &v, &len)) {
                free(f->location);
                f->location = len > 0 && len <= FETCH_LOCATION_MAX ? strndup(v, len) : NULL;
        } else if (f->auth && header_is(data, n, "x-ms-error-code", &v, &len)) {
                if (len < sizeof(f->error_code)) {
                        memcpy(f->error_code, v, len);
                        f->error_code[len] = '\0';
                }
        } else if (f->auth && header_is(data, n, "x-amz-bucket-region", &v, &len)) {
                if (len < sizeof(f->bucket_region)) {
                        memcpy(f->bucket_region, v, len);
                        f->bucket_region[len] = '\0';
                }
        } else if (header_is(data, n, "Date", &v, &len)) {
                char buf[128];
                time_t t;

                if (len < sizeof(buf)) {
                        memcpy(buf, v, len);
                        buf[len] = '\0';
                        t = curl_getdate(buf, NULL);
                        f->server_date = t > 0 ? (int64_t) t : 0;
                }
        }
        return n;
}

static void transfer_reset(struct fetcher *f) {
        if (f->easy) {
                (void) curl_multi_remove_handle(f->multi, f->easy);
                curl_easy_cleanup(f->easy);
                f->easy = NULL;
        }
        store_headers_free(f->headers); /* they may hold a token */
        f->headers = NULL;
        f->auth = NULL;
        f->error_body[0] = f->error_code[0] = f->bucket_region[0] = '\0';
        f->error_body_len = 0;
        f->done = NULL;
        f->userdata = NULL;
        f->url = mfree(f->url);
        f->body = mfree(f->body);
        f->body_len = f->body_alloc = 0;
        f->too_big = false;
        EVP_MD_CTX_free(f->sha);
        f->sha = NULL;
        f->sha_want[0] = '\0';
        f->etag = mfree(f->etag);
        f->last_modified = mfree(f->last_modified);
        f->long_poll = false;
        f->location = mfree(f->location);
        f->server_date = 0;
        f->errbuf[0] = '\0';
}

/* The scheme of url, or "?". */
static void url_scheme(const char *url, char *buf, size_t size) {
        char *scheme = NULL;
        CURLU *u = curl_url();

        (void) snprintf(buf, size, "?");
        if (!u)
                return;
        if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK)
                (void) snprintf(buf, size, "%s", scheme);
        curl_free(scheme);
        curl_url_cleanup(u);
}

/* Without ca_file, curl trusts the system's CA bundle; on a minimal host
 * that file is missing (no ca-certificates package), and every store's
 * certificate "fails verification": say what to install. */
static const char *ca_bundle_hint(struct fetcher *f) {
        char *path = NULL;
        struct stat st;

        if (f->ca_file)
                return "";
        if (curl_easy_getinfo(f->easy, CURLINFO_CAINFO, &path) != CURLE_OK || !path)
                return "";
        if (stat(path, &st) == 0 && st.st_size > 0)
                return "";
        return " (the system's CA bundle is missing: install ca-certificates, or name the "
               "store's CA with ca_file in jit.conf)";
}

static int map_curl_error(struct fetcher *f, CURLcode c, char *msg, size_t size) {
        const char *detail = f->errbuf[0] ? f->errbuf : curl_easy_strerror(c);

        switch (c) {
        case CURLE_OPERATION_TIMEDOUT: {
                curl_off_t t = 0;
                (void) curl_easy_getinfo(f->easy, CURLINFO_TOTAL_TIME_T, &t);
                /* "timed out after 30 s", "after 1.5 s" for short test limits. */
                if (t >= 10 * 1000000)
                        (void) snprintf(msg, size, "timed out after %" PRId64 " s (%s)",
                                        (int64_t) ((t + 500000) / 1000000), detail);
                else
                        (void) snprintf(msg, size, "timed out after %.1f s (%s)", (double) t / 1e6,
                                        detail);
                return -ETIMEDOUT;
        }
        case CURLE_UNSUPPORTED_PROTOCOL: {
                /* Either the URL we were given or where a redirect pointed:
                 * after a 3xx, the Location header is the one refused. */
                long code = 0;
                char scheme[32];

                (void) curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &code);
                bool redirect = f->location && code >= 300 && code < 400;
                url_scheme(redirect ? f->location : f->url, scheme, sizeof(scheme));
                (void) snprintf(msg, size, "%sprotocol %s not allowed (%s)",
                                redirect ? "redirect to " : "", scheme, detail);
                return -EPROTONOSUPPORT;
        }
        case CURLE_WRITE_ERROR:
        case CURLE_FILESIZE_EXCEEDED:
                if (c == CURLE_FILESIZE_EXCEEDED || f->too_big) {
                        (void) snprintf(msg, size, "body larger than %" PRIu64 " bytes",
                                        f->max_size);
                        return -EFBIG;
                }
                (void) snprintf(msg, size, "%s", detail); /* out of memory in on_curl_write() */
                return -ENOMEM;
        case CURLE_OUT_OF_MEMORY:
                (void) snprintf(msg, size, "%s", detail);
                return -ENOMEM;
        case CURLE_COULDNT_CONNECT:
                (void) snprintf(msg, size, "could not connect: %s", detail);
                return -ECONNREFUSED;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
                (void) snprintf(msg, size, "could not resolve: %s", detail);
                return -EHOSTUNREACH;
        case CURLE_FILE_COULDNT_READ_FILE:
                (void) snprintf(msg, size, "%s", detail);
                return -ENOENT;
        case CURLE_TOO_MANY_REDIRECTS:
                (void) snprintf(msg, size, "%s", detail);
                return -ELOOP;
        /* Anything about trust: the peer's certificate, our CA file, the
         * pinned key, our client certificate, or a failed handshake. */
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_CRL_BADFILE:
        case CURLE_SSL_CLIENTCERT:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_SSL_ENGINE_SETFAILED:
        case CURLE_SSL_ENGINE_INITFAILED:
        case CURLE_USE_SSL_FAILED:
                (void) snprintf(msg, size, "TLS: %s%s", detail, ca_bundle_hint(f));
                return -EPERM;
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
                (void) snprintf(msg, size, "%s", detail);
                return -ECONNRESET;
        default:
                (void) snprintf(msg, size, "%s", detail);
                return -EIO;
        }
}

/* The body hashed as it came in: does it match the name it was asked by? */
static bool digest_matches(struct fetcher *f) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned md_len = 0;
        char hex[65];

        if (!f->sha)
                return true;
        if (EVP_DigestFinal_ex(f->sha, md, &md_len) != 1 || md_len != 32)
                return false;
        for (unsigned i = 0; i < 32; i++)
                (void) snprintf(hex + 2 * i, 3, "%02x", md[i]);
        return CRYPTO_memcmp(hex, f->sha_want, 65) == 0;
}

static void finish(struct fetcher *f, CURLcode c) {
        struct fetch_result result = {};
        char message[CURL_ERROR_SIZE + 128] = "";
        long code = 0;
        int error = 0;

        (void) curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &code);

        if (code != 0 && code != 200 && code != 304 && !(f->long_poll && code == 408) &&
            (c == CURLE_OK || c == CURLE_WRITE_ERROR || c == CURLE_FILESIZE_EXCEEDED)) {
                /* A status we do not take, even if its body was also too big. */
                (void) snprintf(message, sizeof(message), "HTTP %ld", code);
                error = -EIO;
                if (f->auth && f->auth->cloud != CLOUD_NONE)
                        error = store_error_explain(
                                &(struct store_refusal){
                                        .cloud = f->auth->cloud,
                                        .status = code,
                                        .body = f->error_body,
                                        .error_code = f->error_code[0] ? f->error_code : NULL,
                                        .bucket_region =
                                                f->bucket_region[0] ? f->bucket_region : NULL,
                                        .region = f->auth->region,
                                        .role = f->auth->creds ? f->auth->creds->role : NULL,
                                        .session_token =
                                                f->auth->creds && f->auth->creds->session_token,
                                        .url = f->url,
                                },
                                message, sizeof(message));
        } else if (c != CURLE_OK)
                error = map_curl_error(f, c, message, sizeof(message));
        else {
                result.status = code;
                if (code != 304 && code != 408) {
                        if (!f->body) {
                                f->body = strdup(""); /* an empty body is still a body */
                                if (!f->body) {
                                        (void) snprintf(message, sizeof(message), "out of memory");
                                        error = -ENOMEM;
                                }
                        }
                        result.body = f->body;
                        result.body_len = f->body_len;
                        if (error == 0 && !digest_matches(f)) {
                                (void) snprintf(message, sizeof(message),
                                                "the %zu bytes served do not hash to the "
                                                "object's name %s",
                                                f->body_len, f->sha_want);
                                error = -EBADMSG;
                        }
                }
                result.etag = f->etag;
                result.last_modified = f->last_modified;
                result.server_date = f->server_date;
        }

        /* The fetcher is idle before done() runs, so done() may start the
         * next transfer; what result points to is freed only afterwards. */
        fetch_done_t done = f->done;
        void *userdata = f->userdata;
        char *body = TAKE_PTR(f->body), *etag = TAKE_PTR(f->etag),
             *last_modified = TAKE_PTR(f->last_modified);

        transfer_reset(f);
        if (error != 0)
                done(f, error, message, NULL, userdata);
        else
                done(f, 0, NULL, &result, userdata);
        free(body);
        free(etag);
        free(last_modified);
}

static void check_finished(struct fetcher *f) {
        CURLMsg *m;
        int left = 0;

        while ((m = curl_multi_info_read(f->multi, &left))) {
                if (m->msg != CURLMSG_DONE || !f->easy || m->easy_handle != f->easy)
                        continue;
                finish(f, m->data.result);
        }
}

int fetcher_new(sd_event *event, struct fetcher **ret) {
        struct fetcher *f;
        int r;

        if (!event || !ret)
                return -EINVAL;

        r = fetch_curl_global_init();
        if (r < 0)
                return r;

        f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->event = sd_event_ref(event);

        f->multi = curl_multi_init();
        if (!f->multi) {
                fetcher_free(f);
                return -ENOMEM;
        }
        if (curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) != CURLM_OK ||
            curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f) != CURLM_OK ||
            curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
            curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f) != CURLM_OK) {
                fetcher_free(f);
                return -EIO;
        }

        *ret = f;
        return 0;
}

/* Not from inside done(): check_finished() still reads the multi handle
 * after done() returns. Cancel there if need be, and free later. */
struct fetcher *fetcher_free(struct fetcher *f) {
        if (!f)
                return NULL;

        fetcher_cancel(f);
        if (f->multi)
                (void) curl_multi_cleanup(f->multi);
        /* Whatever curl did not ask us to remove while cleaning up. */
        for (size_t i = 0; i < f->n_watches; i++)
                (void) sd_event_source_disable_unref(f->watches[i].source);
        free(f->watches);
        (void) sd_event_source_disable_unref(f->timer);
        sd_event_unref(f->event);
        free(f);
        return NULL;
}

bool fetcher_busy(const struct fetcher *f) {
        return f && f->easy;
}

bool fetcher_request_sent(const struct fetcher *f) {
        curl_off_t t = 0;

        /* Set once the connection (and TLS) is up and the request goes out. */
        return f && f->easy &&
               curl_easy_getinfo(f->easy, CURLINFO_PRETRANSFER_TIME_T, &t) == CURLE_OK && t > 0;
}

void fetcher_cancel(struct fetcher *f) {
        if (!f || !f->easy)
                return;
        /* Removing the handle closes its connection (through CURL_POLL_REMOVE)
         * and may disarm the timer; done() is not called. */
        transfer_reset(f);
}

static bool has_prefix_nocase(const char *s, const char *prefix) {
        return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* Milliseconds for curl, rounded up so that 1 µs is not "no limit". */
static long usec_to_curl_ms(uint64_t usec) {
        uint64_t ms = usec / 1000 + (usec % 1000 != 0);
        return ms > LONG_MAX ? LONG_MAX : (long) ms;
}

#define SETOPT(e, opt, val)                                                                        \
        do {                                                                                       \
                if (curl_easy_setopt((e), (opt), (val)) != CURLE_OK)                               \
                        return -EIO;                                                               \
        } while (0)

static int setup_easy(struct fetcher *f, const struct fetch_options *o) {
        CURL *e = f->easy;
        bool credentials = o->auth && o->auth->cloud != CLOUD_NONE;

        SETOPT(e, CURLOPT_URL, o->auth ? o->auth->url : o->url);
        /* Scheme-less URLs are https, not curl's guess of http. */
        SETOPT(e, CURLOPT_DEFAULT_PROTOCOL, "https");
        SETOPT(e, CURLOPT_PROTOCOLS_STR, o->allow_http ? "https,file,http" : "https,file");
        /* A redirect never goes to file:// (a store must not make us read
         * local files) nor from https down to http; http → http/https only
         * when http itself is allowed and the store is http. */
        SETOPT(e, CURLOPT_REDIR_PROTOCOLS_STR,
               o->allow_http && has_prefix_nocase(o->url, "http://") ? "https,http" : "https");
        /* Credentials never go to where a redirect points (docs/security.md). */
        SETOPT(e, CURLOPT_FOLLOWLOCATION, credentials ? 0L : 1L);
        SETOPT(e, CURLOPT_MAXREDIRS, 5L);
        if (o->connect_timeout_usec > 0)
                SETOPT(e, CURLOPT_CONNECTTIMEOUT_MS, usec_to_curl_ms(o->connect_timeout_usec));
        SETOPT(e, CURLOPT_TIMEOUT_MS, usec_to_curl_ms(o->total_timeout_usec));
        SETOPT(e, CURLOPT_NOSIGNAL, 1L);
        /* Polls are minutes apart: an idle connection would only hold an fd.
         * Within one run of several shards the multi handle's connection
         * cache hands the next transfer the same connection (and TLS session). */
        SETOPT(e, CURLOPT_FORBID_REUSE, o->keep_alive ? 0L : 1L);
        SETOPT(e, CURLOPT_FAILONERROR, 0L);
        SETOPT(e, CURLOPT_ERRORBUFFER, f->errbuf);
        SETOPT(e, CURLOPT_WRITEFUNCTION, on_curl_write);
        SETOPT(e, CURLOPT_WRITEDATA, f);
        SETOPT(e, CURLOPT_HEADERFUNCTION, on_curl_header);
        SETOPT(e, CURLOPT_HEADERDATA, f);
        /* curl refuses at once when Content-Length already says too much. */
        SETOPT(e, CURLOPT_MAXFILESIZE_LARGE,
               (curl_off_t) (o->max_size > INT64_MAX ? INT64_MAX : o->max_size));
        SETOPT(e, CURLOPT_USERAGENT, "jit-agent/" PACKAGE_VERSION);
        SETOPT(e, CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2);
        SETOPT(e, CURLOPT_SSL_VERIFYPEER, 1L);
        SETOPT(e, CURLOPT_SSL_VERIFYHOST, 2L);
        f->ca_file = o->ca_file != NULL;
        if (o->ca_file)
                SETOPT(e, CURLOPT_CAINFO, o->ca_file);
        if (o->client_cert) {
                SETOPT(e, CURLOPT_SSLCERT, o->client_cert);
                SETOPT(e, CURLOPT_SSLKEY, o->client_key);
        }
        if (o->pinned_pubkey)
                SETOPT(e, CURLOPT_PINNEDPUBLICKEY, o->pinned_pubkey);

        if (o->etag) {
                _cleanup_free_ char *h = NULL;
                if (asprintf(&h, "If-None-Match: %s", o->etag) < 0)
                        return -ENOMEM;
                struct curl_slist *l = curl_slist_append(f->headers, h);
                if (!l)
                        return -ENOMEM;
                f->headers = l;
        }
        if (o->if_modified_since) {
                _cleanup_free_ char *h = NULL;
                if (asprintf(&h, "If-Modified-Since: %s", o->if_modified_since) < 0)
                        return -ENOMEM;
                struct curl_slist *l = curl_slist_append(f->headers, h);
                if (!l)
                        return -ENOMEM;
                f->headers = l;
        }
        if (credentials) {
                int r = store_auth_apply(o->auth, e, &f->headers);
                if (r < 0)
                        return r;
                f->auth = o->auth;
        }
        if (f->headers)
                SETOPT(e, CURLOPT_HTTPHEADER, f->headers);
        return 0;
}

int fetcher_start(struct fetcher *f, const struct fetch_options *o, fetch_done_t done,
                  void *userdata) {
        int r;

        if (!f || !o || !o->url || !done)
                return -EINVAL;
        /* Every fetch is bounded in size and time. */
        if (o->max_size == 0 || o->max_size >= SIZE_MAX || o->total_timeout_usec == 0)
                return -EINVAL;
        if (!o->client_cert != !o->client_key)
                return -EINVAL;
        if (o->sha256 && strlen(o->sha256) != 64)
                return -EINVAL;
        /* A header value cannot carry a line break. */
        if ((o->etag && strpbrk(o->etag, "\r\n")) ||
            (o->if_modified_since && strpbrk(o->if_modified_since, "\r\n")))
                return -EINVAL;
        if (f->easy)
                return -EBUSY;

        f->easy = curl_easy_init();
        if (!f->easy)
                return -ENOMEM;
        f->url = strdup(o->url);
        if (!f->url) {
                transfer_reset(f);
                return -ENOMEM;
        }
        f->max_size = o->max_size;
        f->total_timeout_usec = o->total_timeout_usec;
        f->long_poll = o->long_poll;
        if (o->sha256) {
                f->sha = EVP_MD_CTX_new();
                if (!f->sha || EVP_DigestInit_ex(f->sha, EVP_sha256(), NULL) != 1) {
                        transfer_reset(f);
                        return -ENOMEM;
                }
                (void) snprintf(f->sha_want, sizeof(f->sha_want), "%s", o->sha256);
        }

        r = setup_easy(f, o);
        if (r < 0) {
                transfer_reset(f);
                return r;
        }

        f->done = done;
        f->userdata = userdata;
        /* Nothing happens here yet: curl asks for a timer of 0 and starts
         * from the event loop. */
        if (curl_multi_add_handle(f->multi, f->easy) != CURLM_OK) {
                transfer_reset(f);
                return -EIO;
        }
        return 0;
}
