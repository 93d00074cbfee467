/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The agent's key schedule (jit-agent/key-files.c): a full sync learns when
 * each user's key file changes next; at that second only the users due are
 * read and synced again, and the schedule moves on. */

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-util.h"

#include "agent.h"
#include "key-files.h"
#include "snapshot.h"

#define NOW TEST_NOW

static char dir[64];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static void write_text(const char *path, const char *text, mode_t mode) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        assert_int_equal(close(fd), 0);
}

#define KEY_D "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIQ8qo3ojYrfpIPa5IwfADUCtn2dKm4+Ay16fuE7pT9q d@x"
#define KEY_E "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICoVIJDh7RHVUQNswT0/Rn2rh1ClpwS3FRG0odZKe0Cr e@x"

/* A grant for user with keys (a JSON array, or NULL for none). */
static void stage_user_keys(const struct test_key *k, const char *user, const char *jti,
                            int64_t nbf, int64_t exp, const char *keys) {
        _cleanup_free_ char *sub = test_strdupf("\"%s\"", user), *j = test_strdupf("\"%s\"", jti);
        _cleanup_free_ char *n = test_strdupf("%lld", (long long) nbf);
        _cleanup_free_ char *e = test_strdupf("%lld", (long long) exp);
        _cleanup_free_ char *tok =
                test_grant_token(k, NOW,
                                 (const struct test_member[]){{"sub", sub},
                                                              {"jti", j},
                                                              {"nbf", n},
                                                              {"exp", e},
                                                              {keys ? "keys" : NULL, keys},
                                                              {}});
        _cleanup_free_ char *path = test_strdupf("%s/state/users/%s", dir, user);
        _cleanup_free_ char *text =
                test_strdupf("serial 7\nbundle-exp %lld\ngrant %s\n", (long long) (NOW + 900), tok);

        write_text(path, text, 0600);
}

static void stage_user(const struct test_key *k, const char *user, const char *jti, int64_t nbf,
                       int64_t exp) {
        stage_user_keys(k, user, jti, nbf, exp, NULL);
}

/* Does run_dir/SUB exist, and (when prefix) does its second line start so? */
static bool run_file_has(const char *sub, const char *prefix) {
        _cleanup_free_ char *path = test_strdupf("%s/run/%s", dir, sub);
        char line[512] = "";
        FILE *f = fopen(path, "re");

        if (!f)
                return false;
        (void) !fgets(line, sizeof(line), f); /* the header */
        if (!fgets(line, sizeof(line), f))
                line[0] = 0;
        fclose(f);
        return !prefix || strncmp(line, prefix, strlen(prefix)) == 0;
}

/* Sync the users due at now (or every user when full) as a reconcile does. */
static void sync_at(struct agent *a, int64_t now, bool full, const char *expect_due) {
        _cleanup_strv_free_ char **due = NULL;
        _cleanup_(snapshot_done) struct host_snapshot s = {};
        _cleanup_free_ char *got = NULL;
        struct jit_error err = {};

        if (!full) {
                assert_int_equal(key_schedule_due(&a->keys, a->ctx.config->state_dir, now, &due),
                                 0);
                assert_non_null(due);
                got = test_strdupf("%s%s%s", due[0] ? due[0] : "", due[0] && due[1] ? "," : "",
                                   due[0] && due[1] ? due[1] : "");
                assert_string_equal(got, expect_due);
        }
        assert_ok(snapshot_load(&a->ctx,
                                &(struct snapshot_load){.users = due ? due : (char *[]){NULL},
                                                        .all_users = full,
                                                        .verified = &a->verified},
                                &s, &err),
                  &err);
        assert_int_equal(keys_sync(a, &s, full ? NULL : due, now), 0);
}

static void test_schedule(void **state) {
        _cleanup_free_ char *conf = NULL, *text = NULL, *jwks = NULL, *path = NULL;
        struct test_key key;
        const struct test_key *keys[1] = {&key};
        struct agent a = AGENT_INIT(NULL);
        struct jit_error err = {};
        _cleanup_strv_free_ char **due = NULL;

        test_key_init(&key, JWS_ALG_EDDSA, "k1");
        strcpy(dir, "/tmp/jit-test-keys-XXXXXX");
        assert_non_null(mkdtemp(dir));
        assert_int_equal(chmod(dir, 0755), 0);
        path = test_strdupf("%s/state", dir);
        assert_int_equal(mkdir(path, 0700), 0);
        free(path);
        path = test_strdupf("%s/state/users", dir);
        assert_int_equal(mkdir(path, 0700), 0);
        free(path);
        path = test_strdupf("%s/run", dir);
        assert_int_equal(mkdir(path, 0755), 0);
        jwks = test_jwks_text(keys, 1);
        free(path);
        path = test_strdupf("%s/trust.jwks", dir);
        write_text(path, jwks, 0644);
        conf = test_strdupf("%s/jit.conf", dir);
        text = test_strdupf("state_dir = %s/state\nrun_dir = %s/run\ntrust_store = %s\n"
                            "issuers = " TEST_ISSUER "\nhost_id = h\nlabels = env=prod\n"
                            "clock_skew = 0\n",
                            dir, dir, path);
        write_text(conf, text, 0644);
        assert_ok(context_load(conf, &a.ctx, &err), &err);

        stage_user(&key, "alice", "g-1", NOW - 10, NOW + 100);
        stage_user(&key, "bob", "g-2", NOW - 10, NOW + 200);
        stage_user(&key, "carol", "g-3", NOW + 50, NOW + 300);

        /* Full: alice and bob usable, carol starts at +50. */
        sync_at(&a, NOW, true, NULL);
        assert_int_equal(a.n_grants, 2);
        assert_int_equal(key_schedule_next(&a.keys), NOW + 50);
        assert_int_equal(key_schedule_due(&a.keys, a.ctx.config->state_dir, NOW + 49, &due), 0);
        assert_null(due); /* nothing due yet: no listing */

        sync_at(&a, NOW + 50, false, "carol");
        assert_int_equal(a.n_grants, 3);
        assert_int_equal(key_schedule_next(&a.keys), NOW + 100);

        sync_at(&a, NOW + 100, false, "alice");
        assert_int_equal(a.n_grants, 2);
        assert_int_equal(key_schedule_next(&a.keys), NOW + 200);

        /* A late reconcile: both due at once (listed in directory order). */
        free(path);
        path = test_strdupf("%s/state/users/carol", dir);
        assert_int_equal(unlink(path), 0);
        sync_at(&a, NOW + 1000, false, "bob");
        assert_int_equal(a.n_grants, 0);
        assert_int_equal(key_schedule_next(&a.keys), 0); /* carol's file gone: her entry too */

        /* Keys of ended or future grants: run_dir/keys-ended, restricted, kept
         * a day after the grant's end (jit-agent(8), "Keys"). */
        stage_user_keys(&key, "dave", "g-4", NOW + 990, NOW + 1100, "[\"" KEY_D "\"]");
        stage_user_keys(&key, "erin", "g-5", NOW + 1500, NOW + 3000, "[\"" KEY_E "\"]");
        sync_at(&a, NOW + 1000, true, NULL);
        assert_true(run_file_has("keys/dave", "expiry-time="));
        assert_false(run_file_has("keys-ended/dave", NULL));
        assert_true(
                run_file_has("keys-ended/erin", "restrict,command=\"echo 'jit: access refused"));
        assert_int_equal(key_schedule_next(&a.keys), NOW + 1100);

        sync_at(&a, NOW + 1100, false, "dave");
        assert_false(run_file_has("keys/dave", NULL));
        assert_true(run_file_has("keys-ended/dave", "restrict,command="));
        assert_int_equal(key_schedule_next(&a.keys), NOW + 1500);

        sync_at(&a, NOW + 1500, false, "erin");
        assert_true(run_file_has("keys/erin", "expiry-time="));
        assert_false(run_file_has("keys-ended/erin", NULL));
        assert_int_equal(key_schedule_next(&a.keys), NOW + 3000);

        sync_at(&a, NOW + 3000, false, "erin");
        assert_true(run_file_has("keys-ended/erin", "restrict,command="));
        assert_int_equal(key_schedule_next(&a.keys), NOW + 1100 + 24 * 3600);

        sync_at(&a, NOW + 1100 + 24 * 3600, false, "dave");
        assert_false(run_file_has("keys-ended/dave", NULL)); /* a day after its end */
        assert_true(run_file_has("keys-ended/erin", "restrict,command="));
        assert_int_equal(key_schedule_next(&a.keys), NOW + 3000 + 24 * 3600);

        agent_done(&a);
        test_key_done(&key);
        (void) nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_schedule),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
