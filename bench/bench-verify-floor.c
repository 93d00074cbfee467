/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-verify-floor TRUST BUNDLE: the least memory any process needs to
 * check a bundle's signature, measured with the agent's own libraries.
 *
 * A bundle is one JWS over all its grants: at 10 000 grants 6.2 MB. An
 * Ed25519 signature (JOSE EdDSA is PureEdDSA, RFC 8032) is checked over the
 * whole message at once (OpenSSL has no streaming EdDSA), so those bytes are
 * resident while it runs, on top of the libraries. This program does only
 * that: libsystemd's event loop and json-c mapped as in jit-agent, the trust
 * store loaded, the bundle mmap()ed read-only (no copy), one jws_verify_raw()
 * over its signing input. It prints VmHWM and the resident split before and
 * after, in kB: the floor under the agent's peak RSS for that bundle. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "base64url.h"
#include "jws.h"
#include "macro.h"

static long status_kb(const char *key) {
        char line[256];
        long v = -1;
        FILE *f = fopen("/proc/self/status", "re");

        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, key, strlen(key)) == 0 && line[strlen(key)] == ':')
                        v = strtol(line + strlen(key) + 1, NULL, 10);
        fclose(f);
        return v;
}

static void report(const char *when) {
        printf("%-28s VmHWM %6ld  VmRSS %6ld  RssAnon %6ld  RssFile %6ld\n", when,
               status_kb("VmHWM"), status_kb("VmRSS"), status_kb("RssAnon"), status_kb("RssFile"));
}

int main(int argc, char *argv[]) {
        _cleanup_(trust_store_freep) struct trust_store *ts = NULL;
        _cleanup_free_ uint8_t *sig = NULL;
        struct jit_error err = {};
        sd_event *event = NULL;
        struct stat st;
        const char *dot;
        size_t sig_len;
        char *msg;
        int fd, r;

        if (argc != 3) {
                fprintf(stderr, "usage: bench-verify-floor TRUST.jwks BUNDLE.jwt\n");
                return 2;
        }
        if (sd_event_default(&event) < 0)
                return 1;
        if (trust_store_load(argv[1], geteuid(), &ts, &err) < 0 || ts->n_keys == 0) {
                fprintf(stderr, "bench-verify-floor: %s: %s\n", argv[1], err.message);
                return 1;
        }
        report("libraries, trust store:");

        fd = open(argv[2], O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0) {
                fprintf(stderr, "bench-verify-floor: %s: %m\n", argv[2]);
                return 1;
        }
        msg = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (msg == MAP_FAILED)
                return 1;
        close(fd);
        /* The signing input is everything before the last '.'; the bundle
         * file may end in a newline. */
        size_t len = (size_t) st.st_size;
        while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
                len--;
        dot = memrchr(msg, '.', len);
        if (!dot)
                return 1;
        r = base64url_decode(dot + 1, len - (size_t) (dot - msg) - 1, &sig, &sig_len, &err);
        if (r < 0)
                return 1;
        r = jws_verify_raw(&ts->keys[0], (const uint8_t *) msg, (size_t) (dot - msg), sig, sig_len,
                           &err);
        report("after one signature check:");
        printf("signature: %s (%zu bytes signed)\n", r < 0 ? err.message : "valid",
               (size_t) (dot - msg));
        munmap(msg, (size_t) st.st_size);
        sd_event_unref(event);
        return r < 0 ? 1 : 0;
}
