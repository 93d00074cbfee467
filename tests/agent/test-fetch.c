/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* jit-agent's fetcher against real servers on 127.0.0.1: nginx over TLS with
 * a test CA (ETag and 304 for real, a client-certificate port, a redirect to
 * plain http, 404 and 503), and fetch-server.py for the hostile cases (a
 * server that stalls, one that sends forever, one that promises a huge body)
 * and plain http. Every case runs the sd-event loop for real. Over 600
 * lines because the servers are started once for all cases (setup at the
 * end): split into files, each would start its own nginx.
 *
 * test-fetch PYTHON FETCH_SERVER_PY FETCH_CERTS_SH NGINX OPENSSL */

#include <setjmp.h> /* cmocka.h needs these first */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bundle-url.h"
#include "fetch.h"
#include "macro.h"

#define USEC_PER_MSEC UINT64_C(1000)
#define USEC_PER_SEC UINT64_C(1000000)
#define MAX_SIZE UINT64_C(65536)

static const char *arg_python, *arg_server_py, *arg_certs_sh, *arg_nginx, *arg_openssl;

static struct {
        char dir[64];
        pid_t nginx_pid;
        pid_t server_pid;
        int https_port;  /* nginx, server certificate from the test CA */
        int mtls_port;   /* nginx, client certificate required */
        int stall_port;  /* fetch-server.py: accepts, then silence */
        int http_port;   /* fetch-server.py: plain http */
        int closed_port; /* bound, never listening: connections are refused */
        int closed_fd;
        char *pin_server; /* sha256// of the server's key */
        char *pin_other;  /* sha256// of an unrelated key */
} env = {.closed_fd = -1};

/* What the done callback saw. */
struct outcome {
        bool called;
        int error;
        char *message;
        long status;
        char *body;
        size_t body_len;
        bool body_null;
        char *etag;
        int64_t server_date;
        uint64_t elapsed_usec;
        uint64_t started_usec;
};

static uint64_t now_usec(void) {
        struct timespec ts;
        assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static char *xasprintf(const char *fmt, ...) _printf_(1, 2);
static char *xasprintf(const char *fmt, ...) {
        va_list ap;
        char *s = NULL;

        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                abort();
        return s;
}

static int write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");
        if (!f)
                return -errno;
        fputs(text, f);
        return fclose(f) == 0 ? 0 : -errno;
}

static char *read_file(const char *path) {
        _cleanup_free_ char *s = NULL;
        size_t n = 0;
        FILE *f = fopen(path, "re");

        if (!f)
                return NULL;
        ssize_t k = getdelim(&s, &n, '\0', f);
        fclose(f);
        return k < 0 ? NULL : TAKE_PTR(s);
}

static void outcome_done(struct outcome *o) {
        free(o->message);
        free(o->body);
        free(o->etag);
        *o = (struct outcome){};
}

static void on_done(struct fetcher *f, int error, const char *message,
                    const struct fetch_result *result, void *userdata) {
        struct outcome *o = userdata;

        assert_false(o->called); /* exactly once */
        assert_false(fetcher_busy(f));
        o->called = true;
        o->error = error;
        o->elapsed_usec = now_usec() - o->started_usec;
        if (error < 0) {
                assert_non_null(message);
                assert_null(result);
                o->message = strdup(message);
                return;
        }
        assert_non_null(result);
        o->status = result->status;
        o->body_null = !result->body;
        if (result->body) {
                assert_int_equal(result->body[result->body_len], '\0');
                o->body = malloc(result->body_len + 1);
                assert_non_null(o->body);
                memcpy(o->body, result->body, result->body_len + 1);
                o->body_len = result->body_len;
        }
        o->etag = result->etag ? strdup(result->etag) : NULL;
        o->server_date = result->server_date;
}

/* Run the loop until done() or the test's own deadline (well past any fetch
 * timeout used here). */
static void run_until_done(sd_event *e, struct outcome *o, uint64_t limit_usec) {
        uint64_t deadline = now_usec() + limit_usec;

        while (!o->called && now_usec() < deadline)
                assert_true(sd_event_run(e, 100 * USEC_PER_MSEC) >= 0);
        assert_true(o->called);
}

static void run_for(sd_event *e, uint64_t usec) {
        uint64_t deadline = now_usec() + usec;

        while (now_usec() < deadline)
                assert_true(sd_event_run(e, deadline - now_usec()) >= 0);
}

static struct fetch_options default_options(const char *url) {
        return (struct fetch_options){
                .url = url,
                .connect_timeout_usec = 5 * USEC_PER_SEC,
                .total_timeout_usec = 10 * USEC_PER_SEC,
                .max_size = MAX_SIZE,
        };
}

/* One fetch with a fresh loop and fetcher. */
static void fetch(const struct fetch_options *opts, struct outcome *o) {
        sd_event *e = NULL;
        struct fetcher *f = NULL;

        *o = (struct outcome){};
        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(fetcher_new(e, &f), 0);
        o->started_usec = now_usec();
        assert_int_equal(fetcher_start(f, opts, on_done, o), 0);
        assert_true(fetcher_busy(f));
        assert_false(o->called); /* never synchronously */
        run_until_done(e, o, 30 * USEC_PER_SEC);
        assert_false(fetcher_busy(f));
        fetcher_free(f);
        sd_event_unref(e);
}

static char *https_url(int port, const char *path) {
        return xasprintf("https://127.0.0.1:%d%s", port, path);
}

static char *path_in_dir(const char *name) {
        return xasprintf("%s/%s", env.dir, name);
}

static void www_write(const char *name, const char *text) {
        _cleanup_free_ char *p = xasprintf("%s/www/%s", env.dir, name);
        assert_int_equal(write_file(p, text), 0);
}

/* Accepted connections per fetch-server.py listener. */
static unsigned connections(const char *mode) {
        _cleanup_free_ char *p = path_in_dir("server.log");
        _cleanup_free_ char *s = read_file(p);
        unsigned n = 0;

        for (char *l = s; l && *l;) {
                char *nl = strchr(l, '\n');
                size_t len = nl ? (size_t) (nl - l) : strlen(l);
                if (len == strlen(mode) && strncmp(l, mode, len) == 0)
                        n++;
                l = nl ? nl + 1 : l + len;
        }
        return n;
}

static unsigned open_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        unsigned n = 0;

        assert_non_null(d);
        while (readdir(d))
                n++;
        closedir(d);
        return n;
}

/* --- the HTTPS store --- */

static void test_https_etag_cycle(void **state) {
        _cleanup_free_ char *url = https_url(env.https_port, "/bundle.json");
        _cleanup_free_ char *ca = path_in_dir("ca.pem");
        struct fetch_options opts = default_options(url);
        struct outcome o, o2, o3;

        opts.ca_file = ca;
        www_write("bundle.json", "{\"bundle\":1}\n");

        fetch(&opts, &o);
        assert_int_equal(o.error, 0);
        assert_int_equal(o.status, 200);
        assert_string_equal(o.body, "{\"bundle\":1}\n");
        assert_int_equal(o.body_len, strlen("{\"bundle\":1}\n"));
        assert_non_null(o.etag);
        assert_true(o.etag[0] == '"' || strncmp(o.etag, "W/", 2) == 0);
        assert_true(llabs((long long) (o.server_date - (int64_t) time(NULL))) <= 5);

        /* Unchanged: 304 and no body. */
        opts.etag = o.etag;
        fetch(&opts, &o2);
        assert_int_equal(o2.error, 0);
        assert_int_equal(o2.status, 304);
        assert_true(o2.body_null);
        assert_true(o2.server_date != 0);

        /* Changed (size and mtime): a new body and a new ETag. */
        www_write("bundle.json", "{\"bundle\":2,\"grants\":[]}\n");
        _cleanup_free_ char *p = xasprintf("%s/www/bundle.json", env.dir);
        struct timespec ts[2] = {{.tv_sec = time(NULL) + 10}, {.tv_sec = time(NULL) + 10}};
        assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
        fetch(&opts, &o3);
        assert_int_equal(o3.error, 0);
        assert_int_equal(o3.status, 200);
        assert_string_equal(o3.body, "{\"bundle\":2,\"grants\":[]}\n");
        assert_non_null(o3.etag);
        assert_string_not_equal(o3.etag, o.etag);

        outcome_done(&o);
        outcome_done(&o2);
        outcome_done(&o3);
}

static void test_file_url(void **state) {
        _cleanup_free_ char *url = xasprintf("file://%s/www/local.json", env.dir);
        _cleanup_free_ char *missing = xasprintf("file://%s/www/missing.json", env.dir);
        struct fetch_options opts = default_options(url);
        struct outcome o;

        www_write("local.json", "{\"local\":true}\n");
        fetch(&opts, &o);
        assert_int_equal(o.error, 0);
        assert_int_equal(o.status, 0);
        assert_string_equal(o.body, "{\"local\":true}\n");
        outcome_done(&o);

        opts.url = missing;
        fetch(&opts, &o);
        assert_int_equal(o.error, -ENOENT);
        outcome_done(&o);
}

static void test_http_refused(void **state) {
        _cleanup_free_ char *url = xasprintf("http://127.0.0.1:%d/ok", env.http_port);
        struct fetch_options opts = default_options(url);
        unsigned before = connections("http");
        struct outcome o;

        fetch(&opts, &o);
        assert_int_equal(o.error, -EPROTONOSUPPORT);
        assert_non_null(strstr(o.message, "protocol http not allowed"));
        outcome_done(&o);

        /* Had curl connected, the server would have logged it by now. */
        usleep(200 * 1000);
        assert_int_equal(connections("http"), before);
}

static void test_http_allowed(void **state) {
        _cleanup_free_ char *url = xasprintf("http://127.0.0.1:%d/ok", env.http_port);
        struct fetch_options opts = default_options(url);
        unsigned before = connections("http");
        struct outcome o;

        opts.allow_http = true;
        fetch(&opts, &o);
        assert_int_equal(o.error, 0);
        assert_int_equal(o.status, 200);
        assert_string_equal(o.body, "hello over plain http\n");
        assert_null(o.etag);
        assert_int_equal(connections("http"), before + 1);
        outcome_done(&o);
}

static void test_redirect_to_http_refused(void **state) {
        _cleanup_free_ char *url = https_url(env.https_port, "/to-http");
        _cleanup_free_ char *ca = path_in_dir("ca.pem");
        struct fetch_options opts = default_options(url);
        unsigned before = connections("http");
        struct outcome o;

        opts.ca_file = ca;
        fetch(&opts, &o);
        assert_int_equal(o.error, -EPROTONOSUPPORT);
        assert_non_null(strstr(o.message, "redirect to protocol http not allowed"));
        outcome_done(&o);

        /* Not even with http allowed: that is for an http store, not a
         * downgrade of an https one. */
        opts.allow_http = true;
        fetch(&opts, &o);
        assert_int_equal(o.error, -EPROTONOSUPPORT);
        outcome_done(&o);

        usleep(200 * 1000);
        assert_int_equal(connections("http"), before);
}

static void test_too_big_content_length(void **state) {
        _cleanup_free_ char *url = https_url(env.https_port, "/big.bin");
        _cleanup_free_ char *ca = path_in_dir("ca.pem");
        _cleanup_free_ char *big = malloc(MAX_SIZE * 3 + 1);
        _cleanup_free_ char *lie = xasprintf("http://127.0.0.1:%d/biglength", env.http_port);
        struct fetch_options opts = default_options(url);
        struct outcome o;

        assert_non_null(big);
        memset(big, 'b', MAX_SIZE * 3);
        big[MAX_SIZE * 3] = '\0';
        www_write("big.bin", big);

        opts.ca_file = ca;
        fetch(&opts, &o);
        assert_int_equal(o.error, -EFBIG);
        assert_string_equal(o.message, "body larger than 65536 bytes");
        outcome_done(&o);

        /* Exactly the cap is fine. */
        big[MAX_SIZE] = '\0';
        www_write("big.bin", big);
        fetch(&opts, &o);
        assert_int_equal(o.error, 0);
        assert_int_equal(o.body_len, MAX_SIZE);
        outcome_done(&o);

        /* A Content-Length of 1 GB and then silence: refused at the header,
         * not after the 10 s timeout. */
        opts = default_options(lie);
        opts.allow_http = true;
        fetch(&opts, &o);
        assert_int_equal(o.error, -EFBIG);
        assert_true(o.elapsed_usec < 2 * USEC_PER_SEC);
        outcome_done(&o);
}

static void test_endless_body(void **state) {
        _cleanup_free_ char *url = xasprintf("http://127.0.0.1:%d/endless", env.http_port);
        struct fetch_options opts = default_options(url);
        struct outcome o;

        /* Without the cap this would run into the 10 s timeout. */
        opts.allow_http = true;
        fetch(&opts, &o);
        assert_int_equal(o.error, -EFBIG);
        assert_string_equal(o.message, "body larger than 65536 bytes");
        assert_true(o.elapsed_usec < 3 * USEC_PER_SEC);
        outcome_done(&o);
}

struct tick {
        uint64_t fired_usec;
};

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        struct tick *t = userdata;
        t->fired_usec = now_usec();
        return 0;
}

static void test_stall_timeout(void **state) {
        _cleanup_free_ char *url = https_url(env.stall_port, "/bundle.json");
        _cleanup_free_ char *ca = path_in_dir("ca.pem");
        struct fetch_options opts = default_options(url);
        struct outcome o = {};
        struct tick tick = {};
        sd_event *e = NULL;
        sd_event_source *timer = NULL;
        struct fetcher *f = NULL;
        uint64_t t0;

        opts.ca_file = ca;
        opts.total_timeout_usec = 1500 * USEC_PER_MSEC;

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(fetcher_new(e, &f), 0);
        unsigned before = connections("stall");

        /* A 200 ms timer must fire on time while the fetch is stuck: the
         * loop is never blocked by the network. */
        t0 = now_usec();
        assert_int_equal(sd_event_add_time_relative(e, &timer, CLOCK_MONOTONIC, 200 * USEC_PER_MSEC,
                                                    1, on_tick, &tick),
                         0);
        o.started_usec = t0;
        assert_int_equal(fetcher_start(f, &opts, on_done, &o), 0);
        assert_true(now_usec() - t0 < 100 * USEC_PER_MSEC); /* start does not block either */
        run_until_done(e, &o, 10 * USEC_PER_SEC);

        assert_int_equal(o.error, -ETIMEDOUT);
        assert_non_null(strstr(o.message, "timed out after"));
        assert_true(o.elapsed_usec >= 1400 * USEC_PER_MSEC);
        assert_true(o.elapsed_usec <= 2500 * USEC_PER_MSEC);
        assert_int_equal(connections("stall"), before + 1);

        assert_true(tick.fired_usec != 0);
        assert_true(tick.fired_usec - t0 >= 190 * USEC_PER_MSEC);
        /* Had anything waited for the network, it would be ~1.5 s late. */
        assert_true(tick.fired_usec - t0 <= 500 * USEC_PER_MSEC);

        outcome_done(&o);
        sd_event_source_unref(timer);
        fetcher_free(f);
        sd_event_unref(e);
}

static void test_headers_then_stall(void **state) {
        _cleanup_free_ char *url = xasprintf("http://127.0.0.1:%d/headers-stall", env.http_port);
        struct fetch_options opts = default_options(url);
        struct outcome o;

        opts.allow_http = true;
        opts.total_timeout_usec = 1500 * USEC_PER_MSEC;
        fetch(&opts, &o);
        assert_int_equal(o.error, -ETIMEDOUT);
        assert_true(o.elapsed_usec >= 1400 * USEC_PER_MSEC);
        assert_true(o.elapsed_usec <= 2500 * USEC_PER_MSEC);
        outcome_done(&o);
}

static void test_connection_refused(void **state) {
        _cleanup_free_ char *url = https_url(env.closed_port, "/bundle.json");
        struct fetch_options opts = default_options(url);
        struct outcome o;

        fetch(&opts, &o);
        assert_int_equal(o.error, -ECONNREFUSED);
        outcome_done(&o);
}

static void test_untrusted_ca(void **state) {
        _cleanup_free_ char *url = https_url(env.https_port, "/bundle.json");
        _cleanup_free_ char *other = path_in_dir("other-ca.pem");
        struct fetch_options opts = default_options(url);
        struct outcome o;

        www_write("bundle.json", "{}\n");

        /* The system's store does not know the test CA. */
        fetch(&opts, &o);
        assert_int_equal(o.error, -EPERM);
        assert_non_null(strstr(o.message, "TLS"));
        /* The system's CA bundle is there (CI installs ca-certificates):
         * no hint about installing it. */
        assert_null(strstr(o.message, "install ca-certificates"));
        outcome_done(&o);

        opts.ca_file = other;
        fetch(&opts, &o);
        assert_int_equal(o.error, -EPERM);
        outcome_done(&o);
}

/* A host without the system's CA bundle (no ca-certificates package): the
 * TLS error says what to install. The bundle is hidden by an empty file
 * bind-mounted over it in a child's private mount namespace. */
static void test_no_system_ca_bundle(void **state) {
        _cleanup_free_ char *url = https_url(env.https_port, "/bundle.json");
        _cleanup_free_ char *empty = path_in_dir("empty-ca-bundle");
        static const char bundle[] = "/etc/ssl/certs/ca-certificates.crt";
        int status, fd;
        pid_t pid;

        www_write("bundle.json", "{}\n");
        fd = open(empty, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        assert_true(fd >= 0);
        assert_int_equal(close(fd), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct fetch_options opts = default_options(url);
                struct outcome o;

                /* "none", not NULL, as the type: valgrind reads the type
                 * argument even where the kernel ignores it. */
                if (unshare(CLONE_NEWNS) < 0 ||
                    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
                    mount(empty, bundle, "none", MS_BIND, NULL) < 0) {
                        fprintf(stderr, "cannot hide %s: %m\n", bundle);
                        _exit(2);
                }
                fetch(&opts, &o);
                fprintf(stderr, "# without the CA bundle: %s\n", o.message);
                _exit(o.error == -EPERM && strstr(o.message, "install ca-certificates") ? 0 : 1);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_pinned_key(void **state) {
        _cleanup_free_ char *url = https_url(env.https_port, "/bundle.json");
        _cleanup_free_ char *ca = path_in_dir("ca.pem");
        struct fetch_options opts = default_options(url);
        struct outcome o;

        www_write("bundle.json", "{}\n");
        opts.ca_file = ca;

        opts.pinned_pubkey = env.pin_other;
        fetch(&opts, &o);
        assert_int_equal(o.error, -EPERM);
        outcome_done(&o);

        opts.pinned_pubkey = env.pin_server;
        fetch(&opts, &o);
        assert_int_equal(o.error, 0);
        assert_string_equal(o.body, "{}\n");
        outcome_done(&o);
}

static void test_client_cert(void **state) {
        _cleanup_free_ char *url = https_url(env.mtls_port, "/bundle.json");
        _cleanup_free_ char *ca = path_in_dir("ca.pem");
        _cleanup_free_ char *cert = path_in_dir("client.pem");
        _cleanup_free_ char *key = path_in_dir("client.key");
        struct fetch_options opts = default_options(url);
        struct outcome o;

        www_write("bundle.json", "{\"mtls\":1}\n");
        opts.ca_file = ca;

        fetch(&opts, &o);
        assert_true(o.error < 0); /* nginx answers 400 without a certificate */
        outcome_done(&o);

        opts.client_cert = cert;
        opts.client_key = key;
        fetch(&opts, &o);
        assert_int_equal(o.error, 0);
        assert_int_equal(o.status, 200);
        assert_string_equal(o.body, "{\"mtls\":1}\n");
        outcome_done(&o);
}

static void test_http_status(void **state) {
        _cleanup_free_ char *u404 = https_url(env.https_port, "/no-such-bundle.json");
        _cleanup_free_ char *u503 = https_url(env.https_port, "/unavailable");
        _cleanup_free_ char *ca = path_in_dir("ca.pem");
        struct fetch_options opts = default_options(u404);
        struct outcome o;

        opts.ca_file = ca;
        fetch(&opts, &o);
        assert_int_equal(o.error, -EIO);
        assert_string_equal(o.message, "HTTP 404");
        outcome_done(&o);

        opts.url = u503;
        fetch(&opts, &o);
        assert_int_equal(o.error, -EIO);
        assert_string_equal(o.message, "HTTP 503");
        outcome_done(&o);
}

static void test_busy_and_invalid(void **state) {
        _cleanup_free_ char *url = https_url(env.stall_port, "/");
        struct fetch_options opts = default_options(url);
        struct outcome o = {};
        sd_event *e = NULL;
        struct fetcher *f = NULL;

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(fetcher_new(e, &f), 0);
        assert_false(fetcher_busy(f));

        /* Every fetch is bounded; header injection is refused. */
        struct fetch_options bad = opts;
        bad.max_size = 0;
        assert_int_equal(fetcher_start(f, &bad, on_done, &o), -EINVAL);
        bad = opts;
        bad.total_timeout_usec = 0;
        assert_int_equal(fetcher_start(f, &bad, on_done, &o), -EINVAL);
        bad = opts;
        bad.etag = "\"x\"\r\nX-Evil: 1";
        assert_int_equal(fetcher_start(f, &bad, on_done, &o), -EINVAL);
        bad = opts;
        bad.client_cert = "/nonexistent.pem";
        assert_int_equal(fetcher_start(f, &bad, on_done, &o), -EINVAL);
        assert_false(fetcher_busy(f));

        assert_int_equal(fetcher_start(f, &opts, on_done, &o), 0);
        assert_true(fetcher_busy(f));
        assert_int_equal(fetcher_start(f, &opts, on_done, &o), -EBUSY);
        run_for(e, 100 * USEC_PER_MSEC);
        assert_int_equal(fetcher_start(f, &opts, on_done, &o), -EBUSY);
        fetcher_cancel(f);
        assert_false(fetcher_busy(f));
        assert_false(o.called);

        /* Freeing with a transfer in flight is fine too. */
        assert_int_equal(fetcher_start(f, &opts, on_done, &o), 0);
        run_for(e, 50 * USEC_PER_MSEC);
        fetcher_free(f);
        assert_false(o.called);
        sd_event_unref(e);
}

static void fetch_on(sd_event *e, struct fetcher *f, const struct fetch_options *opts,
                     struct outcome *o) {
        *o = (struct outcome){.started_usec = now_usec()};
        assert_int_equal(fetcher_start(f, opts, on_done, o), 0);
        run_until_done(e, o, 10 * USEC_PER_SEC);
}

static void test_cancel(void **state) {
        _cleanup_free_ char *stall = https_url(env.stall_port, "/");
        _cleanup_free_ char *good = https_url(env.https_port, "/bundle.json");
        _cleanup_free_ char *ca = path_in_dir("ca.pem");
        struct fetch_options opts = default_options(good);
        struct outcome o = {}, o2;
        sd_event *e = NULL;
        struct fetcher *f = NULL;

        www_write("bundle.json", "{\"after\":\"cancel\"}\n");
        opts.ca_file = ca;
        opts.total_timeout_usec = USEC_PER_SEC;

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(fetcher_new(e, &f), 0);

        /* A first fetch, so that what the loop and curl keep for good (a
         * timerfd, curl's wakeup pair) is in the count. */
        fetch_on(e, f, &opts, &o2);
        assert_int_equal(o2.error, 0);
        outcome_done(&o2);
        unsigned fds = open_fds(), before = connections("stall");

        opts.url = stall;
        assert_int_equal(fetcher_start(f, &opts, on_done, &o), 0);
        run_for(e, 300 * USEC_PER_MSEC);
        assert_int_equal(connections("stall"), before + 1); /* really mid-transfer */
        assert_true(open_fds() > fds);
        fetcher_cancel(f);
        assert_false(fetcher_busy(f));
        assert_int_equal(open_fds(), fds); /* its socket is closed at once */

        /* Past the timeout the cancelled transfer would have had: nothing. */
        run_for(e, 1500 * USEC_PER_MSEC);
        assert_false(o.called);

        /* The fetcher is usable again. */
        opts.url = good;
        fetch_on(e, f, &opts, &o2);
        assert_int_equal(o2.error, 0);
        assert_string_equal(o2.body, "{\"after\":\"cancel\"}\n");
        assert_false(o.called);
        assert_int_equal(open_fds(), fds);

        outcome_done(&o2);
        fetcher_free(f);
        sd_event_unref(e);
}

/* --- the template --- */

static void test_bundle_url_expand(void **state) {
        static const struct {
                const char *template;
                const char *host_id;
                int ret;
                const char *expect;
        } table[] = {
                {"https://s.example/b/%h.jws", "web-01", 0, "https://s.example/b/web-01.jws"},
                {"https://s.example/fleet.jws", "web-01", 0, "https://s.example/fleet.jws"},
                {"https://s.example/fleet.jws", NULL, 0, "https://s.example/fleet.jws"},
                {"https://s.example/%h/%h", "a.b_c~d", 0, "https://s.example/a.b_c~d/a.b_c~d"},
                {"https://s.example/%h", "a/b", 0, "https://s.example/a%2Fb"},
                {"https://s.example/%h", "../etc", 0, "https://s.example/..%2Fetc"},
                {"https://s.example/%h", "a b?c#d%e", 0, "https://s.example/a%20b%3Fc%23d%25e"},
                {"https://s.example/%h", "h\xc3\xa9", 0, "https://s.example/h%C3%A9"},
                {"https://s.example/100%%/%h", "x", 0, "https://s.example/100%/x"},
                {"%%%%", "x", 0, "%%"},
                {"", "x", 0, ""},
                {"https://s.example/%H", "x", -EINVAL, NULL},  /* unknown escape */
                {"https://s.example/%20", "x", -EINVAL, NULL}, /* not a template escape */
                {"https://s.example/%", "x", -EINVAL, NULL},   /* '%' at the end */
                {"https://s.example/%h", "", -EINVAL, NULL},   /* empty host id */
                {"https://s.example/%h", NULL, -EINVAL, NULL}, /* no host id */
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                char *s = NULL;
                int r = bundle_url_expand(table[i].template, table[i].host_id, &s);
                if (r != table[i].ret)
                        fail_msg("case %zu (%s): got %d, want %d", i, table[i].template, r,
                                 table[i].ret);
                if (table[i].expect)
                        assert_string_equal(s, table[i].expect);
                else
                        assert_null(s);
                free(s);
        }
}

/* --- servers --- */

static pid_t spawn(char *const argv[], const char *out) {
        pid_t pid = fork();

        if (pid < 0)
                return -1;
        if (pid == 0) {
                /* Servers end with the test, even when it crashes. */
                (void) prctl(PR_SET_PDEATHSIG, SIGTERM);
                int fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
                if (fd >= 0) {
                        (void) dup2(fd, STDOUT_FILENO);
                        (void) dup2(fd, STDERR_FILENO);
                }
                execv(argv[0], argv);
                _exit(127);
        }
        return pid;
}

static void stop(pid_t *pid) {
        if (*pid <= 0)
                return;
        (void) kill(*pid, SIGTERM);
        for (int i = 0; i < 50; i++) {
                if (waitpid(*pid, NULL, WNOHANG) == *pid) {
                        *pid = 0;
                        return;
                }
                usleep(100 * 1000);
        }
        (void) kill(*pid, SIGKILL);
        (void) waitpid(*pid, NULL, 0);
        *pid = 0;
}

/* A port that is free now (the kernel's pick); nginx binds it right after. */
static int free_port(int *ret_fd, bool keep) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t l = sizeof(a);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0 || bind(fd, (struct sockaddr *) &a, sizeof(a)) < 0 ||
            getsockname(fd, (struct sockaddr *) &a, &l) < 0) {
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        if (keep)
                *ret_fd = fd;
        else
                close(fd);
        return ntohs(a.sin_port);
}

static bool port_open(int port) {
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons(port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool ok = fd >= 0 && connect(fd, (struct sockaddr *) &a, sizeof(a)) == 0;

        if (fd >= 0)
                close(fd);
        return ok;
}

static bool wait_for(bool (*ready)(int), int arg, const char *what) {
        for (int i = 0; i < 100; i++) {
                if (ready(arg))
                        return true;
                usleep(100 * 1000);
        }
        fprintf(stderr, "test-fetch: %s did not come up\n", what);
        return false;
}

static bool ports_file_ready(int unused) {
        _cleanup_free_ char *p = path_in_dir("server.ports");
        return access(p, F_OK) == 0;
}

static int start_nginx(void) {
        _cleanup_free_ char *conf = path_in_dir("nginx.conf");
        _cleanup_free_ char *errlog = path_in_dir("nginx-error.log");
        _cleanup_free_ char *out = path_in_dir("nginx.out");
        _cleanup_free_ char *text = NULL;
        const char *d = env.dir;

        if (access(arg_nginx, X_OK) < 0) {
                fprintf(stderr, "test-fetch: %s not found: apt-get install nginx-light\n",
                        arg_nginx);
                return -1;
        }
        env.https_port = free_port(NULL, false);
        env.mtls_port = free_port(NULL, false);
        if (env.https_port < 0 || env.mtls_port < 0)
                return -1;

        /* Workers run as root only so that they can read the private test
         * directory; the user directive is ignored when not root. */
        text = xasprintf("%s"
                         "worker_processes 1;\n"
                         "daemon off;\n"
                         "pid %s/nginx.pid;\n"
                         "error_log %s/nginx-error.log info;\n"
                         "events { worker_connections 64; }\n"
                         "http {\n"
                         "  access_log %s/nginx-access.log;\n"
                         "  client_body_temp_path %s/nginx-body;\n"
                         "  default_type application/octet-stream;\n"
                         "  ssl_protocols TLSv1.2 TLSv1.3;\n"
                         "  ssl_certificate %s/server.pem;\n"
                         "  ssl_certificate_key %s/server.key;\n"
                         "  root %s/www;\n"
                         "  server {\n"
                         "    listen 127.0.0.1:%d ssl;\n"
                         "    location = /unavailable { return 503; }\n"
                         "    location = /to-http { return 302 http://127.0.0.1:%d/ok; }\n"
                         "  }\n"
                         "  server {\n"
                         "    listen 127.0.0.1:%d ssl;\n"
                         "    ssl_verify_client on;\n"
                         "    ssl_client_certificate %s/ca.pem;\n"
                         "  }\n"
                         "}\n",
                         geteuid() == 0 ? "user root;\n" : "", d, d, d, d, d, d, d, env.https_port,
                         env.http_port, env.mtls_port, d);
        if (write_file(conf, text) < 0)
                return -1;

        char *argv[] = {(char *) arg_nginx, (char *) "-p", env.dir, (char *) "-e", errlog,
                        (char *) "-c",      conf,          NULL};
        env.nginx_pid = spawn(argv, out);
        if (env.nginx_pid < 0)
                return -1;
        if (!wait_for(port_open, env.https_port, "nginx") ||
            !wait_for(port_open, env.mtls_port, "nginx (client certificates)")) {
                _cleanup_free_ char *log = read_file(errlog);
                fprintf(stderr, "%s\n", strempty(log));
                return -1;
        }
        return 0;
}

static int start_server(void) {
        _cleanup_free_ char *ports = path_in_dir("server.ports");
        _cleanup_free_ char *log = path_in_dir("server.log");
        _cleanup_free_ char *out = path_in_dir("server.out");
        _cleanup_free_ char *text = NULL;

        char *argv[] = {(char *) arg_python, (char *) arg_server_py, ports, log, NULL};
        env.server_pid = spawn(argv, out);
        if (env.server_pid < 0 || !wait_for(ports_file_ready, 0, "fetch-server.py"))
                return -1;
        text = read_file(ports);
        if (!text || sscanf(text, "stall %d\nhttp %d\n", &env.stall_port, &env.http_port) != 2)
                return -1;
        return 0;
}

static int setup(void **state) {
        _cleanup_free_ char *cmd = NULL, *www = NULL, *p1 = NULL, *p2 = NULL;

        /* Loopback only: no proxy from the caller's environment. */
        static const char *const proxy_vars[] = {"http_proxy", "https_proxy", "HTTPS_PROXY",
                                                 "all_proxy",  "ALL_PROXY",   "no_proxy",
                                                 "NO_PROXY"};
        for (size_t i = 0; i < ELEMENTSOF(proxy_vars); i++)
                (void) unsetenv(proxy_vars[i]);

        strcpy(env.dir, "/tmp/test-fetch-XXXXXX");
        if (!mkdtemp(env.dir))
                return -1;
        www = path_in_dir("www");
        if (mkdir(www, 0755) < 0)
                return -1;

        cmd = xasprintf("OPENSSL='%s' '%s' '%s'", arg_openssl, arg_certs_sh, env.dir);
        if (system(cmd) != 0) {
                fprintf(stderr, "test-fetch: %s failed\n", arg_certs_sh);
                return -1;
        }
        p1 = path_in_dir("pin-server");
        p2 = path_in_dir("pin-other");
        env.pin_server = read_file(p1);
        env.pin_other = read_file(p2);
        if (!env.pin_server || !env.pin_other)
                return -1;

        env.closed_port = free_port(&env.closed_fd, true);
        if (env.closed_port < 0)
                return -1;

        if (start_server() < 0 || start_nginx() < 0)
                return -1;
        return 0;
}

static int teardown(void **state) {
        _cleanup_free_ char *cmd = NULL;

        stop(&env.nginx_pid);
        stop(&env.server_pid);
        if (env.closed_fd >= 0)
                close(env.closed_fd);
        free(env.pin_server);
        free(env.pin_other);
        if (env.dir[0] && !getenv("JIT_TEST_KEEP")) {
                cmd = xasprintf("rm -rf -- '%s'", env.dir);
                if (system(cmd) != 0)
                        fprintf(stderr, "test-fetch: could not remove %s\n", env.dir);
        }
        return 0;
}

int main(int argc, char *argv[]) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bundle_url_expand),
                cmocka_unit_test(test_https_etag_cycle),
                cmocka_unit_test(test_file_url),
                cmocka_unit_test(test_http_refused),
                cmocka_unit_test(test_http_allowed),
                cmocka_unit_test(test_redirect_to_http_refused),
                cmocka_unit_test(test_too_big_content_length),
                cmocka_unit_test(test_endless_body),
                cmocka_unit_test(test_stall_timeout),
                cmocka_unit_test(test_headers_then_stall),
                cmocka_unit_test(test_connection_refused),
                cmocka_unit_test(test_untrusted_ca),
                cmocka_unit_test(test_no_system_ca_bundle),
                cmocka_unit_test(test_pinned_key),
                cmocka_unit_test(test_client_cert),
                cmocka_unit_test(test_http_status),
                cmocka_unit_test(test_busy_and_invalid),
                cmocka_unit_test(test_cancel),
        };

        if (argc != 6) {
                fprintf(stderr, "usage: %s PYTHON FETCH_SERVER_PY FETCH_CERTS_SH NGINX OPENSSL\n",
                        argv[0]);
                return 2;
        }
        arg_python = argv[1];
        arg_server_py = argv[2];
        arg_certs_sh = argv[3];
        arg_nginx = argv[4];
        arg_openssl = argv[5];

        return cmocka_run_group_tests(tests, setup, teardown);
}
