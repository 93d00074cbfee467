/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A fetched body through the agent's apply path, as jit-agent's
 * on_fetch_done() (jit-agent/poll.c) hands it over: surrounding white space
 * trimmed, then hoststate_apply_bundle() with a fixed trust store (the RFC
 * 8037 and RFC 7515 example keys, as fuzz-jws.c) into a private state_dir.
 * Each input starts from a host that has no state, so inputs do not depend
 * on each other. Properties: a rejected body writes no state; an accepted
 * one writes a state that loads back with its serial and digest, user files
 * that parse, and the same bytes applied again are "unchanged". */
#include <assert.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle-apply.h"
#include "fuzz.h"
#include "host-state.h"
#include "jit-conf.h"
#include "jwk.h"
#include "user-grants.h"

#define NOW 1800000000

static const char trust_jwks[] =
        "{\"keys\":["
        "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_"
        "7TyWQHOg7hcvPapiMlrwIaaPcHURo\","
        "\"kid\":\"ed\",\"alg\":\"EdDSA\"},"
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
        "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\",\"kid\":\"ec\",\"alg\":\"ES256\"}"
        "]}";

static struct trust_store *ts;
static struct jit_config *config;
static char *tmp, *state_path, *users_path;

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) flag;
        (void) ftw;
        (void) remove(path);
        return 0;
}

static void cleanup_tmp(void) {
        /* Our own mkdtemp() folder, nothing else; no symlink is followed. */
        if (tmp)
                (void) nftw(tmp, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup(void) {
        char template[] = "/tmp/jit-fuzz-apply-XXXXXX";
        _cleanup_free_ char *text = NULL, *state_dir = NULL;

        assert(trust_store_parse(trust_jwks, sizeof(trust_jwks) - 1, &ts, NULL) == 0);
        assert((tmp = strdup(mkdtemp(template))));
        atexit(cleanup_tmp);
        assert(asprintf(&state_dir, "%s/state", tmp) > 0);
        assert(mkdir(state_dir, 0700) == 0);
        assert(asprintf(&text,
                        "issuers = https://jit.example.com\n"
                        "trust_store = %s/trust.jwks\n"
                        "state_dir = %s\n"
                        "run_dir = %s/run\n"
                        "max_grant_ttl = 12h\n"
                        "clock_skew = 60s\n",
                        tmp, state_dir, tmp) > 0);
        assert(config_parse(text, strlen(text), &config, NULL) == 0);
        assert(asprintf(&state_path, "%s/state", state_dir) > 0);
        assert(asprintf(&users_path, "%s/users", state_dir) > 0);
}

/* Every users/<user> file the apply wrote parses. */
static size_t check_user_files(void) {
        DIR *d = opendir(users_path);
        struct dirent *de;
        size_t n = 0;

        if (!d)
                return 0;
        while ((de = readdir(d))) {
                _cleanup_(user_grants_freep) struct user_grants *u = NULL;

                if (de->d_name[0] == '.')
                        continue;
                assert(user_grants_load(config, de->d_name, &u, NULL) == 0);
                assert(u->n_grants > 0);
                n++;
        }
        closedir(d);
        return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *body = (const char *) data;
        size_t len = size;
        struct apply_result res, again;
        struct host_state st;
        struct jit_error err = {};

        if (!ts)
                setup();
        (void) unlink(state_path);

        /* Exactly as on_fetch_done() does (strchr() also matches a NUL
         * byte: NULs around a token go too, which no token can miss). */
        while (len > 0 && strchr(" \t\r\n", body[len - 1]))
                len--;
        while (len > 0 && strchr(" \t\r\n", body[0])) {
                body++;
                len--;
        }

        if (hoststate_apply_bundle(config, ts, body, len, NOW, &res, &err) < 0) {
                assert(err.reason != JIT_REASON_NONE);
                assert(access(state_path, F_OK) < 0); /* nothing accepted */
                return 0;
        }
        assert(res.serial >= 1 && !res.unchanged);
        assert(host_state_load(config, &st, NULL) == 0);
        assert(st.serial == res.serial && st.accepted == NOW && strlen(st.bundle_sha256) == 64);
        assert(check_user_files() == res.n_users);

        assert(hoststate_apply_bundle(config, ts, body, len, NOW, &again, NULL) == 0);
        assert(again.unchanged && again.serial == res.serial);
        return 0;
}
