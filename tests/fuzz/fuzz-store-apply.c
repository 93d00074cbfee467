/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A fetched shard through the agent's path: the input is a shard's bytes,
 * saved under its own digest (hoststate_shard_save(), as jit-agent/poll.c
 * does), named by a head signed here with the RFC 8037 example key (the
 * trust store holds it and the RFC 7515 P-256 key, as fuzz-jws.c), then
 * hoststate_apply_store() into a private state_dir for a host whose facts
 * fall in the head's one bin. Each input starts from a host with no state.
 * Properties: a refused shard writes no state; an accepted one writes a
 * state that loads back with the head's serial and digest, user files that
 * parse, and the same head applied again is "unchanged". */
#include <assert.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "base64url.h"
#include "fuzz.h"
#include "host-state.h"
#include "jit-conf.h"
#include "jit-limits.h"
#include "json.h"
#include "jwk.h"
#include "jws-sign.h"
#include "jws.h"
#include "shard.h"
#include "store-apply.h"
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

/* RFC 8037 A.1's private key: published, so the corpus (make-corpus.py)
 * and this harness sign alike. */
static const char ed_d[] = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";

static struct trust_store *ts;
static EVP_PKEY *ed_key;
static struct host_facts facts;
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

        uint8_t *d = NULL;
        size_t d_len = 0;

        assert(trust_store_parse(trust_jwks, sizeof(trust_jwks) - 1, &ts, NULL) == 0);
        assert(base64url_decode(ed_d, strlen(ed_d), &d, &d_len, NULL) == 0 && d_len == 32);
        assert((ed_key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, d, d_len)));
        free(d);
        assert(host_facts_add(&facts, "host", "pay-db-1", NULL) == 0);
        assert(host_facts_add(&facts, "env", "prod", NULL) == 0);
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

/* A head naming one shard of size bytes and this digest, in bin 0 of 1. */
static char *head_for(size_t size, const char *digest) {
        _cleanup_json_ struct json_object *claims = NULL;
        _cleanup_free_ char *text = NULL;
        char *token = NULL;

        assert(asprintf(&text,
                        "{\"iss\":\"https://jit.example.com\",\"iat\":%d,\"exp\":%d,"
                        "\"serial\":7,\"bins\":1,\"revoked\":[[\"g-0\",%d]],"
                        "\"shards\":[[0,%zu,\"%s\"]]}",
                        NOW, NOW + 900, NOW + 3600, size, digest) > 0);
        assert((claims = json_tokener_parse(text)));
        assert(jws_sign(ed_key, JWS_ALG_EDDSA, "ed", JWS_TYP_HEAD, claims, &token, NULL) == 0);
        return token;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *head = NULL;
        struct apply_result res, again;
        struct host_state st;
        struct head_shard s = {.bin = 0};
        struct jit_error err = {};

        if (!ts)
                setup();
        (void) unlink(state_path);
        if (size < 1 || size > JIT_SHARD_MAX)
                return 0; /* a head cannot name it */
        assert(sha256_hex(data, size, s.digest) == 0);
        s.size = (uint32_t) size;
        assert(hoststate_shard_save(config, &s, data, size, &err) == 0);
        /* One byte off is refused, whatever the bytes. */
        s.size = (uint32_t) size + 1;
        assert(hoststate_shard_save(config, &s, data, size, NULL) < 0);
        head = head_for(size, s.digest);

        if (hoststate_apply_store(config, ts, &facts, head, strlen(head), NOW, false, &res, &err) <
            0) {
                assert(err.reason != JIT_REASON_NONE);
                assert(access(state_path, F_OK) < 0); /* nothing accepted */
                return 0;
        }
        assert(res.serial == 7 && !res.unchanged && res.n_shards == 1);
        assert(host_state_load(config, &st, NULL) == 0);
        assert(st.serial == res.serial && st.accepted == NOW && strlen(st.bundle_sha256) == 64);
        assert(check_user_files() == res.n_users);

        assert(hoststate_apply_store(config, ts, &facts, head, strlen(head), NOW, false, &again,
                                     NULL) == 0);
        assert(again.unchanged && again.serial == res.serial);
        return 0;
}
