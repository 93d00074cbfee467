/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base64url.h"
#include "jit-limits.h"
#include "json.h"
#include "jws.h"
#include "store-build.h"
#include "store-layout.h"
#include "test-store.h"

#define TEST_BINS 8
#define STORE_TEST_CHUNK 4096 /* small: a few grants already make chunks */

char *test_head_claims(int64_t now, const struct test_member *overrides) {
        static const struct test_member defaults[] = {
                {"iss", "\"" TEST_ISSUER "\""},
                {"iat", "@-10"},
                {"exp", "@900"},
                {"serial", "7"},
                {"bins", "8"},
                {"revoked", "[]"},
                {"shards", "[]"},
                {},
        };

        return test_json_object(defaults, overrides, now);
}

char *test_head_token(const struct test_key *k, int64_t now, const struct test_member *overrides) {
        _cleanup_free_ char *claims = test_head_claims(now, overrides);
        _cleanup_free_ char *header = test_header(jws_alg_to_string(k->alg), JWS_TYP_HEAD, k->kid);

        return test_sign(k, header, claims);
}

/* jti and aud from a token's payload, unverified: tests place invalid
 * tokens too, so that hosts see (and count) them. */
static void peek(const char *token, struct json_object **ret) {
        const char *a = strchr(token, '.'), *b = a ? strchr(a + 1, '.') : NULL;
        size_t len = 0;
        uint8_t *raw;

        *ret = NULL;
        if (!a || !b || base64url_decode(a + 1, (size_t) (b - a - 1), &raw, &len, NULL) < 0)
                return;
        (void) json_parse_object_strict((const char *) raw, len, 16, ret, NULL);
        free(raw);
}

static char *save_shards(const struct jit_config *c, const char *objects_dir,
                         const struct host_facts *facts, char *const *tokens, size_t n,
                         uint32_t bins) {
        struct store_grant *g = calloc(n ? n : 1, sizeof(*g));
        struct json_object **payloads = calloc(n ? n : 1, sizeof(*payloads));
        char ***auds = calloc(n ? n : 1, sizeof(*auds));
        char **jtis = calloc(n ? n : 1, sizeof(*jtis));
        struct store_build b = {};
        struct jit_error err = {};
        const char *host = host_facts_get(facts, "host");
        char *s = test_strdupf("[");

        assert_non_null(g);
        assert_non_null(payloads);
        assert_non_null(auds);
        assert_non_null(jtis);
        for (size_t i = 0; i < n; i++) {
                struct json_object *v;

                peek(tokens[i], &payloads[i]);
                if (payloads[i] && json_object_object_get_ex(payloads[i], "aud", &v) &&
                    json_object_is_type(v, json_type_array)) {
                        size_t k = json_object_array_length(v), w = 0;

                        auds[i] = calloc(k + 1, sizeof(char *));
                        assert_non_null(auds[i]);
                        for (size_t j = 0; j < k; j++) {
                                struct json_object *e = json_object_array_get_idx(v, j);

                                if (json_object_is_type(e, json_type_string) &&
                                    selector_validate(json_object_get_string(e),
                                                      strlen(json_object_get_string(e)), NULL) >= 0)
                                        auds[i][w++] = strdup(json_object_get_string(e));
                        }
                }
                if (!auds[i] || !auds[i][0]) {
                        strv_free(auds[i]);
                        auds[i] = calloc(2, sizeof(char *));
                        assert_non_null(auds[i]);
                        auds[i][0] = test_strdupf("host=%s", host ? host : "none");
                }
                if (payloads[i] && json_object_object_get_ex(payloads[i], "jti", &v) &&
                    json_object_is_type(v, json_type_string))
                        jtis[i] = strdup(json_object_get_string(v));
                else
                        jtis[i] = test_strdupf("#%zu", i);
                g[i] = (struct store_grant){tokens[i], jtis[i], auds[i]};
        }
        assert_ok(store_build(g, n, bins, STORE_TEST_CHUNK, &b, &err), &err);
        for (size_t i = 0; i < b.n_shards; i++) {
                struct head_shard hs = {.bin = b.shards[i].bin, .size = (uint32_t) b.shards[i].len};
                char *t;

                memcpy(hs.digest, b.shards[i].digest, 65);
                if (c)
                        assert_ok(hoststate_shard_save(c, &hs, b.shards[i].bytes, b.shards[i].len,
                                                       &err),
                                  &err);
                if (objects_dir) {
                        _cleanup_free_ char *path = test_strdupf("%s/%s", objects_dir, hs.digest);
                        FILE *f = fopen(path, "we");

                        assert_non_null(f);
                        assert_int_equal(fwrite(b.shards[i].bytes, 1, b.shards[i].len, f),
                                         b.shards[i].len);
                        assert_int_equal(fclose(f), 0);
                }
                t = test_strdupf("%s%s[%u,%zu,\"%s\"]", s, i ? "," : "", b.shards[i].bin,
                                 b.shards[i].len, b.shards[i].digest);
                free(s);
                s = t;
        }
        store_build_done(&b);
        for (size_t i = 0; i < n; i++) {
                json_object_put(payloads[i]);
                strv_free(auds[i]);
                free(jtis[i]);
        }
        free(payloads);
        free(auds);
        free(jtis);
        free(g);
        {
                char *t = test_strdupf("%s]", s);

                free(s);
                return t;
        }
}

/* The bins an override list sets, else TEST_BINS. */
static uint32_t bins_of(const struct test_member *o) {
        for (; o && o->name; o++)
                if (streq(o->name, "bins"))
                        return (uint32_t) strtoul(o->value, NULL, 10);
        return TEST_BINS;
}

char *test_store_save_shards(const struct jit_config *c, const struct host_facts *facts,
                             char *const *tokens, size_t n) {
        return save_shards(c, NULL, facts, tokens, n, TEST_BINS);
}

void test_store_write(const char *dir, const struct test_key *k, const struct host_facts *facts,
                      char *const *tokens, size_t n, const struct test_member *head_overrides,
                      int64_t now) {
        _cleanup_free_ char *objects = test_strdupf("%s/objects", dir), *shards = NULL,
                            *head = NULL, *path = test_strdupf("%s/head.jwt", dir);
        struct test_member over[16] = {};
        size_t m = 0;
        FILE *f;

        assert_true(mkdir(objects, 0755) == 0 || errno == EEXIST);
        shards = save_shards(NULL, objects, facts, tokens, n, bins_of(head_overrides));
        over[m++] = (struct test_member){"shards", shards};
        for (const struct test_member *o = head_overrides; o && o->name; o++) {
                assert_true(m + 1 < ELEMENTSOF(over));
                over[m++] = *o;
        }
        head = test_head_token(k, now, over);
        f = fopen(path, "we");
        assert_non_null(f);
        assert_true(fprintf(f, "%s\n", head) > 0);
        assert_int_equal(fclose(f), 0);
}

/* ["a","b"] into [["a",now+86400],["b",now+86400]]. */
char *test_revoked_pairs(const char *json, int64_t now) {
        struct json_object *a = NULL;
        char *s = test_strdupf("[");

        a = json_tokener_parse(json ? json : "[]");
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                struct json_object *e = json_object_array_get_idx(a, i);
                char *t;

                if (json_object_is_type(e, json_type_array))
                        t = test_strdupf("%s%s%s", s, i ? "," : "", json_object_to_json_string(e));
                else
                        t = test_strdupf("%s%s[%s,%lld]", s, i ? "," : "",
                                         json_object_to_json_string(e), (long long) (now + 86400));
                free(s);
                s = t;
        }
        json_object_put(a);
        {
                char *t = test_strdupf("%s]", s);

                free(s);
                return t;
        }
}

int test_store_apply(const struct test_key *k, const struct jit_config *c,
                     const struct trust_store *ts, const struct host_facts *facts,
                     char *const *tokens, size_t n, const char *revoked_json,
                     const struct test_member *head_overrides, int64_t now,
                     struct apply_result *res, char **ret_head, struct jit_error *err) {
        _cleanup_free_ char *shards =
                save_shards(c, NULL, facts, tokens, n, bins_of(head_overrides));
        _cleanup_free_ char *revoked = test_revoked_pairs(revoked_json, now), *head = NULL;
        struct test_member over[16] = {};
        size_t m = 0;
        int r;

        over[m++] = (struct test_member){"shards", shards};
        over[m++] = (struct test_member){"revoked", revoked};
        for (const struct test_member *o = head_overrides; o && o->name; o++) {
                assert_true(m + 1 < ELEMENTSOF(over));
                over[m++] = *o;
        }
        head = test_head_token(k, now, over);
        r = hoststate_apply_store(c, ts, facts, head, strlen(head), now, false, res, err);
        if (ret_head)
                *ret_head = TAKE_PTR(head);
        return r;
}

char **test_json_strv(const char *json_array, size_t *ret_n) {
        struct json_object *a = json_tokener_parse(json_array);
        size_t n = a ? json_object_array_length(a) : 0;
        char **l = calloc(n + 1, sizeof(char *));

        assert_non_null(a);
        assert_non_null(l);
        for (size_t i = 0; i < n; i++) {
                l[i] = strdup(json_object_get_string(json_object_array_get_idx(a, i)));
                assert_non_null(l[i]);
        }
        json_object_put(a);
        if (ret_n)
                *ret_n = n;
        return l;
}
