/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "jit-limits.h"
#include "macro.h"
#include "parse.h"

#define MINUTE INT64_C(60)
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)
#define WEEK (7 * DAY)

static void test_duration_valid(void **state) {
        static const struct {
                const char *s;
                int64_t want;
        } t[] = {
                {"0", 0},
                {"90", 90},
                {"90s", 90},
                {"30m", 30 * MINUTE},
                {"12h", 12 * HOUR},
                {"7d", 7 * DAY},
                {"2w", 2 * WEEK},
                {"1h30m", HOUR + 30 * MINUTE},
                {"1w2d3h4m5s", WEEK + 2 * DAY + 3 * HOUR + 4 * MINUTE + 5},
                {"007s", 7},
                {"0s", 0},
                {"9223372036854775807", INT64_MAX},
                {"9223372036854775807s", INT64_MAX},
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                int64_t v = -1;

                printf("duration '%s'\n", t[i].s);
                assert_int_equal(parse_duration(t[i].s, INT64_MAX, &v), 0);
                assert_true(v == t[i].want);
        }
}

static void test_duration_invalid(void **state) {
        static const struct {
                const char *name;
                const char *s;
                int64_t max;
                int want;
        } t[] = {
                {"empty", "", INT64_MAX, -EINVAL},
                {"space inside", "1h 30m", INT64_MAX, -EINVAL},
                {"leading space", " 5m", INT64_MAX, -EINVAL},
                {"trailing space", "5m ", INT64_MAX, -EINVAL},
                {"minus sign", "-5m", INT64_MAX, -EINVAL},
                {"plus sign", "+5m", INT64_MAX, -EINVAL},
                {"unit without number", "m", INT64_MAX, -EINVAL},
                {"unit without number after sum", "1hm", INT64_MAX, -EINVAL},
                {"unknown unit", "5y", INT64_MAX, -EINVAL},
                {"upper-case unit", "5M", INT64_MAX, -EINVAL},
                {"long unit name", "5min", INT64_MAX, -EINVAL},
                {"units out of order", "30m1h", INT64_MAX, -EINVAL},
                {"unit repeated", "1m1m", INT64_MAX, -EINVAL},
                {"bare number after unit", "1h30", INT64_MAX, -EINVAL},
                {"decimal", "1.5h", INT64_MAX, -EINVAL},
                {"hex", "0x10", INT64_MAX, -EINVAL},
                {"garbage", "soon", INT64_MAX, -EINVAL},
                {"number overflows", "99999999999999999999s", INT64_MAX, -ERANGE},
                {"multiply overflows", "9223372036854775807d", INT64_MAX, -ERANGE},
                {"weeks overflow", "15250284452472w", INT64_MAX, -ERANGE},
                {"sum overflows in order", "1w9223372036854775000s", INT64_MAX, -ERANGE},
                {"over max", "31d", 30 * DAY, -ERANGE},
                {"one second over max", "1h1s", HOUR, -ERANGE},
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                int64_t v = 12345;

                printf("duration: %s\n", t[i].name);
                assert_int_equal(parse_duration(t[i].s, t[i].max, &v), t[i].want);
                assert_true(v == 12345); /* untouched on failure */
        }

        /* The limit is inclusive. */
        int64_t v;
        assert_int_equal(parse_duration("1h", HOUR, &v), 0);
        assert_true(v == HOUR);
}

static void test_boolean(void **state) {
        static const struct {
                const char *s;
                int want_r;
                bool want;
        } t[] = {
                {"yes", 0, true},         {"true", 0, true},
                {"on", 0, true},          {"1", 0, true},
                {"no", 0, false},         {"false", 0, false},
                {"off", 0, false},        {"0", 0, false},
                {"Yes", -EINVAL, false},  {"TRUE", -EINVAL, false},
                {"y", -EINVAL, false},    {"", -EINVAL, false},
                {"yes ", -EINVAL, false}, {" no", -EINVAL, false},
                {"2", -EINVAL, false},    {"enable", -EINVAL, false},
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                bool b = !t[i].want;

                printf("boolean '%s'\n", t[i].s);
                assert_int_equal(parse_boolean(t[i].s, &b), t[i].want_r);
                if (t[i].want_r == 0)
                        assert_true(b == t[i].want);
        }
}

static void test_user_name(void **state) {
        static const char *const good[] = {
                "alice", "Alice", "_svc",     "a",  "a.b",
                "a-b",   "a_b",   "deploy01", "x1", "abcdefghijklmnopqrstuvwxyz012345", /* 32 */
        };
        static const struct {
                const char *name;
                const char *s;
        } bad[] = {
                {"empty", ""},
                {"path traversal", "../x"},
                {"slash", "a/b"},
                {"leading dash (option)", "-rf"},
                {"all digits", "123"},
                {"33 characters", "abcdefghijklmnopqrstuvwxyz0123456"},
                {"space", "ali ce"},
                {"trailing newline", "root\n"},
                {"dot", "."},
                {"dot dot", ".."},
                {"leading dot", ".hidden"},
                {"leading digit", "1abc"},
                {"colon (passwd field)", "a:b"},
                {"dollar (machine account)", "host$"},
                {"at sign", "alice@example.com"},
                {"tab", "a\tb"},
                {"non-ascii", "al\xc3\xa9"},
                {"shell metachar", "a;rm"},
                {"backslash", "a\\b"},
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                printf("user ok '%s'\n", good[i]);
                assert_true(user_name_is_valid(good[i], strlen(good[i])));
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                printf("user bad: %s\n", bad[i].name);
                assert_false(user_name_is_valid(bad[i].s, strlen(bad[i].s)));
        }
        /* The length is authoritative: a NUL inside it is refused, and
         * bytes past it are ignored. */
        assert_false(user_name_is_valid("root\0x", 6));
        assert_true(user_name_is_valid("rootXYZ", 4));
        assert_false(user_name_is_valid(NULL, 0));
}

#define KEY_ED25519                                                                                \
        "ssh-ed25519 "                                                                             \
        "AAAAC3NzaC1lZDI1NTE5AAAAIDMnp90rTZViB00Q/uKnlnI0tD7/J36pwIhIH+UEpDWw"
#define KEY_ED25519_BLOB "AAAAC3NzaC1lZDI1NTE5AAAAIDMnp90rTZViB00Q/uKnlnI0tD7/J36pwIhIH+UEpDWw"
#define KEY_RSA                                                                                    \
        "ssh-rsa "                                                                                 \
        "AAAAB3NzaC1yc2EAAAADAQABAAABgQDAlV/"                                                      \
        "LACtBGjoGRvSSJSn4B2eEBfalEdUqhnc02TE3QaN7b8zKRyfOjv3iZGx"                                 \
        "6Io6XES/b8JRmsJqi0WmKfoJwgWq0kFCbIpXL2pz1O87bGT5bxAOW/"                                   \
        "LeGa8JzezvOfo9oaA9JGfxOGTqrhOm2QjnMP"                                                     \
        "y7wWywaTb53Zfn6QUvS/Y88G7l9rZPnSd84zPnCfV3sAa8wA/I+cpaIHJp0pC7/"                          \
        "g5ehCnQy+LCYGegt0h+OvpB2cwV"                                                              \
        "Bwk24SdJDVgou00UK9P4g/lRZ9m4BeCeMpW5zpVA0I951HHJlvRRpesWrDOWcL0Aj1z6bUwuh71e1nb/"         \
        "DYD0oEE8WU"                                                                               \
        "R1AbKHuofmrDx1WFiyOWNea51OctPx7wC9cqGkeIYTUbpHvowTf0Z4yl6tz0w9Ji2pyhSEXLr88/"             \
        "wKgDYxK35mjOvg"                                                                           \
        "DHfC3mkFXDUrvi6thBXyNfeF5gPtTLNAIcZuWH3lE5bvJ1jdrrgo2v7PAPHClRG9E/"                       \
        "rGC4yuyuhIRPPRbnjUrACaTy"                                                                 \
        "aM="
#define KEY_P256                                                                                   \
        "ecdsa-sha2-nistp256 "                                                                     \
        "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBIZqjzV4ogriWKX5K65GWSQ+"             \
        "Y5dfOFYWiomgxg"                                                                           \
        "VHw3mWueRIxI7f7Pz2/y7X40vhpQR2z24D3AWc7VyOJoN8Mmc="
#define KEY_P384                                                                                   \
        "ecdsa-sha2-nistp384 "                                                                     \
        "AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBKYSj0qxmANXhA0x1lm73jea1Gc1+fETyct/" \
        "U+"                                                                                       \
        "n3Q8voNj4vr9rApgDv75mhqV/JnWd0SdY8vEz/"                                                   \
        "Mj5q7mqaSi997Sahyfv2jj9swXBiMYIXcNAv4ofyNd0Ff2QSFIZ1"                                     \
        "4A=="
#define KEY_P521                                                                                   \
        "ecdsa-sha2-nistp521 "                                                                     \
        "AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAGkmggCU3yNrlS+if9m1Q85Ycgw8Kr2Zonw" \
        "KMjY92AhhJMYihmOzvIXb2tEuTpkLWtQY0bOiAIHedaF5r8muYt8WAHup0j4DgDWMDhq2sNvYqRiEFV6fdaoLIvO" \
        "4"                                                                                        \
        "4ujs4AZjMO4bRCVhzJmnnUX/MXeCR8yrKCyxiZEWhTXgrt2uzOnHw=="
/* Security-key types, built with their wire format (no hardware here). */
#define KEY_SK_ED25519                                                                             \
        "sk-ssh-ed25519@openssh.com "                                                              \
        "AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f" \
        "AAAABHNzaDo="
#define KEY_SK_P256                                                                                \
        "sk-ecdsa-sha2-nistp256@openssh.com "                                                      \
        "AAAAInNrLWVjZHNhLXNoYTItbmlzdHAyNTZAb3BlbnNzaC5jb20AAAAIbmlzdHAyNTYAAABBBAABAgMEBQYHCAkK" \
        "CwwNDg8QERITFBUWFxgZGhscHR4fICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8AAAAEc3NoOg=="
#define KEY_DSA                                                                                    \
        "ssh-dss "                                                                                 \
        "AAAAB3NzaC1kc3MAAACBAIUwo2mY0pnRijR3y6THUMoQ6qUcGA8mWV7vKs6/"                             \
        "Cpu0MhS8VZlWGk2hIliFWiL4BVXCr"                                                            \
        "7bM8IOvnqlZFYe1xxFIfOC+D00mElrJwHWDsyCy8LRcMHTV/"                                         \
        "tQ5KcOW9gXuKzQCO+s7EhGWzTRrCEyhaTKSnnzjBd"                                                \
        "y9rWzdpYJt0ntlAAAAFQCng7m9biz9peLfyRB5I0oci2amSQAAAIBmQn61XJUHcnPlNzVWbDWwltmqoVbTmHB1Ix" \
        "y"                                                                                        \
        "MNnx3NSUUp3oC7jB0hQQPsADrvlonmEuFLCP4T2OIX3HwKfGVwrZi3fumw+"                              \
        "hs03divGNlOO5wYY68RhIX9cfGDdHo"                                                           \
        "2A2CIDUTWgk2LooGbx2gCA39ADYS13nubMrMvOuMdkNmvQAAAIA7nGKJ+WOPXx5XrZSI9UDvA5NQZ/"           \
        "nbmYUl8a9+m"                                                                              \
        "V1zDYX3aJJq1/lEhhwtrIAthCSa35QAs2pTGMJkp3+AgLZPrMmX+fzie7nohDOW192rBc00kZdDWWR/"          \
        "0r6BJjmSzJ"                                                                               \
        "JNViJibBkVbami/wseXFEIq6rHC4hBnBpH7TrvAiJnvQ== root@vm"

static void test_ssh_key_valid(void **state) {
        static const char *const good[] = {
                KEY_ED25519,
                KEY_ED25519 " alice@laptop",
                KEY_ED25519 " a comment with spaces and !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
                KEY_ED25519 " ", /* ssh-keygen writes an empty comment so */
                KEY_RSA " alice@laptop",
                KEY_P256 " bob",
                KEY_P384 " ",
                KEY_P521 " x y z",
                KEY_SK_ED25519 " yubi",
                KEY_SK_P256,
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                printf("key ok #%zu\n", i);
                assert_true(ssh_public_key_is_valid(good[i], strlen(good[i])));
        }
}

static void test_ssh_key_invalid(void **state) {
        static const struct {
                const char *name;
                const char *s;
        } bad[] = {
                {"empty", ""},
                {"type only", "ssh-ed25519"},
                {"type and space only", "ssh-ed25519 "},
                {"options before type", "command=\"/bin/sh\" " KEY_ED25519},
                {"no-pty option before type", "no-pty " KEY_ED25519},
                {"newline then second key", KEY_ED25519 " a\n" KEY_RSA},
                {"newline injection of options", KEY_ED25519 "\ncommand=\"id\" " KEY_ED25519},
                {"trailing newline", KEY_ED25519 "\n"},
                {"carriage return in comment", KEY_ED25519 " a\rb"},
                {"tab in comment", KEY_ED25519 " a\tb"},
                {"tab as separator", "ssh-ed25519\t" KEY_ED25519_BLOB},
                {"two spaces after type", "ssh-ed25519  " KEY_ED25519_BLOB},
                {"leading space", " " KEY_ED25519},
                {"non-ASCII in comment", KEY_ED25519 " caf\xc3\xa9"},
                {"DEL in comment", KEY_ED25519 " a\x7f"},
                {"escape sequence in comment", KEY_ED25519 " \x1b[2J"},
                {"mismatched blob type", "ssh-rsa " KEY_ED25519_BLOB},
                {"blob of other type (p256 as p384)",
                 "ecdsa-sha2-nistp384 "
                 "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBIZqjzV4ogriWKX5K65GWSQ+"
                 "Y5dfOFYWiomgxgVHw3mWueRIxI7f7Pz2/y7X40vhpQR2z24D3AWc7VyOJoN8Mmc="},
                {"embedded length wrong", "ssh-ed25519 AAAADHNzaC1lZDI1NTE5eAAAAAAAAAAA"},
                {"blob shorter than its type", "ssh-ed25519 AAAAC3NzaC1lZDI="},
                {"bad base64 character",
                 "ssh-ed25519 "
                 "AAAAC3NzaC1lZDI1NTE5AAAAIDMnp90rTZViB00Q_uKnlnI0tD7/J36pwIhIH+UEpDWw"},
                {"base64url alphabet",
                 "ssh-ed25519 "
                 "AAAAC3NzaC1lZDI1NTE5AAAAIDMnp90rTZViB00Q-uKnlnI0tD7_J36pwIhIH+UEpDWw"},
                {"base64 length not multiple of 4",
                 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDMnp90rTZViB00Q/uKnlnI0tD7/J36pwIhIH+UEpDW"},
                {"missing padding",
                 "ecdsa-sha2-nistp256 "
                 "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBIZqjzV4ogriWKX5K65GWSQ+"
                 "Y5dfOFYWiomgxgVHw3mWueRIxI7f7Pz2/y7X40vhpQR2z24D3AWc7VyOJoN8Mmc"},
                {"non-canonical padding bits",
                 "ecdsa-sha2-nistp256 "
                 "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBIZqjzV4ogriWKX5K65GWSQ+"
                 "Y5dfOFYWiomgxgVHw3mWueRIxI7f7Pz2/y7X40vhpQR2z24D3AWc7VyOJoN8Mmd="},
                {"padding in the middle",
                 "ssh-ed25519 "
                 "AAAA=3NzaC1lZDI1NTE5AAAAIDMnp90rTZViB00Q/uKnlnI0tD7/J36pwIhIH+UEpDWw"},
                {"unknown type", "ssh-foo " KEY_ED25519_BLOB},
                {"ssh-dss (DSA)", KEY_DSA},
                {"certificate type", "ssh-ed25519-cert-v01@openssh.com " KEY_ED25519_BLOB},
                {"upper-case type", "SSH-ED25519 " KEY_ED25519_BLOB},
                {"type prefix only", "ssh-ed2551 " KEY_ED25519_BLOB},
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                printf("key bad: %s\n", bad[i].name);
                assert_false(ssh_public_key_is_valid(bad[i].s, strlen(bad[i].s)));
        }
}

static void test_ssh_key_length(void **state) {
        static const char good[] = KEY_ED25519 " x";
        char buf[JIT_SSH_KEY_MAX + 2];
        size_t l = strlen(good);

        /* NUL inside the given length. */
        assert_false(ssh_public_key_is_valid(KEY_ED25519 " a\0b", strlen(KEY_ED25519) + 4));
        /* Only len bytes count: a valid key followed by more text. */
        assert_true(ssh_public_key_is_valid(KEY_ED25519 "\ncommand", strlen(KEY_ED25519)));

        /* A comment padded up to exactly the limit, then one byte over. */
        memcpy(buf, good, l);
        memset(buf + l, 'c', sizeof(buf) - l);
        assert_true(ssh_public_key_is_valid(buf, JIT_SSH_KEY_MAX));
        assert_false(ssh_public_key_is_valid(buf, JIT_SSH_KEY_MAX + 1));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_duration_valid), cmocka_unit_test(test_duration_invalid),
                cmocka_unit_test(test_boolean),        cmocka_unit_test(test_user_name),
                cmocka_unit_test(test_ssh_key_valid),  cmocka_unit_test(test_ssh_key_invalid),
                cmocka_unit_test(test_ssh_key_length),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
