/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The wire format between jit-fetch and jit-agent (fetch-wire.h). To the
 * agent the helper's stdout is untrusted input: every hostile header must be
 * refused with the right error and a message that says why, a valid one must
 * parse to exactly what it says, and what fetch_wire_write() writes must parse
 * back to the same fields with the body right behind the header. Over 600
 * lines because the hostile headers are one row each, named by the defect. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fetch-wire.h"
#include "macro.h"

/* The max_size of the rows that do not name one. */
#define MAX_SIZE 1000

/* An exact-size heap copy of len bytes, so ASan sees any read past the end. */
static char *dup_exact(const char *s, size_t len) {
        char *p = malloc(len > 0 ? len : 1);

        assert_non_null(p);
        memcpy(p, s, len);
        return p;
}

/* A heap buffer: prefix, n copies of c, suffix (not NUL-terminated). */
static char *build(const char *prefix, char c, size_t n, const char *suffix, size_t *ret_len) {
        size_t a = strlen(prefix), b = strlen(suffix);
        char *p = malloc(a + n + b);

        assert_non_null(p);
        memcpy(p, prefix, a);
        memset(p + a, c, n);
        memcpy(p + a + n, suffix, b);
        *ret_len = a + n + b;
        return p;
}

/* Parse buf[0..len) (copied to an exact-size buffer) and check the outcome:
 * the error, and for -EBADMSG/-EFBIG that w.message contains want_message;
 * a success (want 0) must take all of buf as the header.
 * Prints what went wrong and returns false; always frees w. */
static bool check_refused(const char *name, const char *buf, size_t len, uint64_t max_size,
                          int want, const char *want_message) {
        struct fetch_wire w;
        size_t header_len = 12345;
        char *copy = dup_exact(buf, len);
        bool ok = true;
        int r;

        memset(&w, 0x5a, sizeof(w)); /* the parser must not trust what it is given */
        r = fetch_wire_parse_header(copy, len, max_size, &w, &header_len);
        if (r != want) {
                print_error("%s: expected %d (%s), got %d (%s) message '%s'\n", name, want,
                            strerror(-want), r, r < 0 ? strerror(-r) : "success",
                            r == -EBADMSG || r == -EFBIG ? w.message : "");
                ok = false;
        } else if (want_message && !strstr(w.message, want_message)) {
                print_error("%s: expected a message with '%s', got '%s'\n", name, want_message,
                            w.message);
                ok = false;
        } else if (r == 0 ? header_len != len : header_len != 12345) {
                print_error("%s: header length %zu\n", name, header_len);
                ok = false;
        }
        fetch_wire_done(&w);
        assert_null(w.etag);
        free(copy);
        return ok;
}

/* The length is explicit so embedded NULs count. */
#define ROW(name, s, want, msg)                                                                    \
        { name, s, sizeof(s) - 1, MAX_SIZE, want, msg }
#define ROW_MAX(name, s, max, want, msg)                                                           \
        { name, s, sizeof(s) - 1, max, want, msg }
#define BAD(name, s, msg) ROW(name, s, -EBADMSG, msg)

static const struct {
        const char *name;
        const char *in;
        size_t len;
        uint64_t max_size;
        int want;
        const char *message;
} hostile[] = {
        /* The shape of the header. */
        BAD("empty header: a blank line", "\n\n", "empty header"),
        BAD("empty header: one newline", "\n", "empty header"),
        BAD("blank line before the keys", "\nstatus=304\n\n", "empty header"),
        BAD("line without '='", "status 200\n\n", "without '='"),
        BAD("line without '=' after a valid one", "status=304\netag\n\n", "without '='"),
        BAD("line without '=' before a valid one", "x\nstatus=304\n\n", "without '='"),
        BAD("CRLF line endings", "status=304\r\n\n", "control or non-ASCII"),
        BAD("unknown key", "status=304\nfoo=bar\n\n", "unknown header key"),
        BAD("unknown key only", "foo=bar\n\n", "unknown header key"),
        /* The object a frame of a run answers: a sha256 in lowercase hex. */
        BAD("object too short", "object=abc\nstatus=304\n\n", "object is not a sha256"),
        BAD("object in upper case",
            "object=9D496C3B9D496C3B9D496C3B9D496C3B9D496C3B9D496C3B9D496C3B9D496C3B\nstatus="
            "304\n\n",
            "object is not a sha256"),
        BAD("object 65 digits",
            "object=9d496c3b9d496c3b9d496c3b9d496c3b9d496c3b9d496c3b9d496c3b9d496c3b0\nstatus="
            "304\n\n",
            "object is not a sha256"),
        BAD("object twice",
            "object=9d496c3b9d496c3b9d496c3b9d496c3b9d496c3b9d496c3b9d496c3b9d496c3b\n"
            "object=9d496c3b9d496c3b9d496c3b9d496c3b9d496c3b9d496c3b9d496c3b9d496c3b\nstatus="
            "304\n\n",
            "repeated header key"),
        BAD("object alone",
            "object=9d496c3b9d496c3b9d496c3b9d496c3b9d496c3b9d496c3b9d496c3b9d496c3b\n\n",
            "neither status nor error"),
        BAD("key in upper case", "STATUS=304\n\n", "unknown header key"),
        BAD("key with a space before '='", "status =304\n\n", "unknown header key"),
        BAD("key with a leading space", " status=304\n\n", "unknown header key"),
        BAD("key with a CR", "status\r=304\n\n", "unknown header key"),
        BAD("empty key", "=304\n\n", "unknown header key"),
        BAD("NUL in a key", "sta\0tus=304\n\n", "unknown header key"),
        BAD("key prefix", "stat=304\n\n", "unknown header key"),
        BAD("key with a suffix", "statuss=304\n\n", "unknown header key"),

        /* Each key at most once. */
        BAD("repeated status", "status=304\nstatus=304\n\n", "repeated header key"),
        BAD("repeated status, other value", "status=200\nlength=0\nstatus=304\n\n",
            "repeated header key"),
        BAD("repeated etag", "status=304\netag=\"a\"\netag=\"b\"\n\n", "repeated header key"),
        BAD("repeated date", "status=304\ndate=1\ndate=1\n\n", "repeated header key"),
        BAD("repeated length", "status=200\nlength=1\nlength=1\n\n", "repeated header key"),
        BAD("repeated error", "error=-5\nerror=-5\nmessage=x\n\n", "repeated header key"),
        BAD("repeated message", "error=-5\nmessage=x\nmessage=y\n\n", "repeated header key"),

        /* status */
        BAD("status 1000", "status=1000\nlength=0\n\n", "status out of range"),
        BAD("status 2^64", "status=18446744073709551616\n\n", "status out of range"),
        BAD("status 21 digits", "status=999999999999999999999\n\n", "status out of range"),
        BAD("status not a number", "status=ok\n\n", "status out of range"),
        BAD("status empty", "status=\nlength=0\n\n", "status out of range"),
        BAD("status negative", "status=-200\nlength=0\n\n", "status out of range"),
        BAD("status -1", "status=-1\n\n", "status out of range"),
        BAD("status -0", "status=-0\nlength=0\n\n", "status out of range"),
        BAD("status leading zero", "status=0200\nlength=0\n\n", "status out of range"),
        BAD("status 00", "status=00\nlength=0\n\n", "status out of range"),
        BAD("status 0304", "status=0304\n\n", "status out of range"),
        BAD("status +200", "status=+200\nlength=0\n\n", "status out of range"),
        BAD("status leading space", "status= 200\nlength=0\n\n", "status out of range"),
        BAD("status trailing space", "status=200 \nlength=0\n\n", "status out of range"),
        BAD("status inner space", "status=2 00\nlength=0\n\n", "status out of range"),
        BAD("status hex", "status=0xc8\nlength=0\n\n", "status out of range"),
        BAD("status with a fraction", "status=200.0\nlength=0\n\n", "status out of range"),
        BAD("status with a unit", "status=200OK\nlength=0\n\n", "status out of range"),
        BAD("status tab", "status=\t200\nlength=0\n\n", "control or non-ASCII"),
        BAD("status NUL", "status=200\0\nlength=0\n\n", "control or non-ASCII"),
        BAD("status 404", "status=404\nlength=0\n\n", "status 404 is not 0, 200 or 304"),
        BAD("status 404 without length", "status=404\n\n", "status 404 is not 0, 200 or 304"),
        BAD("status 500", "status=500\nlength=3\n\n", "status 500 is not 0, 200 or 304"),
        BAD("status 206", "status=206\nlength=3\n\n", "status 206 is not 0, 200 or 304"),
        BAD("status 1", "status=1\nlength=0\n\n", "status 1 is not 0, 200 or 304"),
        BAD("status 999", "status=999\nlength=0\n\n", "status 999 is not 0, 200 or 304"),
        BAD("neither status nor error", "etag=\"a\"\ndate=1\n\n", "neither status nor error"),
        BAD("length only", "length=5\n\n", "neither status nor error"),

        /* error and message */
        BAD("error positive", "error=5\nmessage=x\n\n", "error is not a negative errno"),
        BAD("error zero", "error=0\nmessage=x\n\n", "error is not a negative errno"),
        BAD("error -0", "error=-0\nmessage=x\n\n", "error is not a negative errno"),
        BAD("error -4096", "error=-4096\nmessage=x\n\n", "error is not a negative errno"),
        BAD("error INT_MIN", "error=-2147483648\nmessage=x\n\n", "error is not a negative errno"),
        BAD("error -2^63", "error=-9223372036854775808\nmessage=x\n\n",
            "error is not a negative errno"),
        BAD("error -2^64", "error=-18446744073709551616\nmessage=x\n\n",
            "error is not a negative errno"),
        BAD("error leading zero", "error=-05\nmessage=x\n\n", "error is not a negative errno"),
        BAD("error --5", "error=--5\nmessage=x\n\n", "error is not a negative errno"),
        BAD("error '-'", "error=-\nmessage=x\n\n", "error is not a negative errno"),
        BAD("error empty", "error=\nmessage=x\n\n", "error is not a negative errno"),
        BAD("error +5", "error=+5\nmessage=x\n\n", "error is not a negative errno"),
        BAD("error name", "error=ETIMEDOUT\nmessage=x\n\n", "error is not a negative errno"),
        BAD("error with status", "error=-5\nmessage=x\nstatus=200\n\n", "an error with"),
        BAD("status with error", "status=304\nerror=-5\nmessage=x\n\n", "an error with"),
        BAD("error with etag", "error=-5\nmessage=x\netag=\"a\"\n\n", "an error with"),
        BAD("error with date", "error=-5\nmessage=x\ndate=1\n\n", "an error with"),
        BAD("error with length", "error=-5\nmessage=x\nlength=0\n\n", "an error with"),
        BAD("error without message", "error=-5\n\n", "an error with"),
        BAD("message without error", "message=timed out\n\n", "neither status nor error"),
        BAD("message with status 304", "status=304\nmessage=x\n\n", "neither status nor error"),
        BAD("message with status 200", "status=200\nlength=0\nmessage=x\n\n",
            "neither status nor error"),
        BAD("message with \\x01", "error=-5\nmessage=a\x01z\n\n", "control or non-ASCII"),
        BAD("message with DEL", "error=-5\nmessage=a\x7fz\n\n", "control or non-ASCII"),
        BAD("message with a tab", "error=-5\nmessage=a\tz\n\n", "control or non-ASCII"),
        BAD("message with ESC", "error=-5\nmessage=\x1b[31mred\n\n", "control or non-ASCII"),
        BAD("message with CR", "error=-5\nmessage=a\rz\n\n", "control or non-ASCII"),
        BAD("message with 0xc3", "error=-5\nmessage=caf\xc3\xa9\n\n", "control or non-ASCII"),
        BAD("message with 0xff", "error=-5\nmessage=\xff\n\n", "control or non-ASCII"),
        BAD("message with a NUL", "error=-5\nmessage=a\0z\n\n", "control or non-ASCII"),
        BAD("message NUL at the end", "error=-5\nmessage=abc\0\n\n", "control or non-ASCII"),

        /* etag, date */
        BAD("etag empty", "status=304\netag=\n\n", "empty etag"),
        BAD("etag with a NUL", "status=304\netag=\"a\0b\"\n\n", "control or non-ASCII"),
        BAD("etag with 0x80", "status=304\netag=\"\x80\"\n\n", "control or non-ASCII"),
        BAD("etag with a tab", "status=304\netag=\"a\tb\"\n\n", "control or non-ASCII"),
        BAD("date 0", "status=304\ndate=0\n\n", "date out of range"),
        BAD("date negative", "status=304\ndate=-1\n\n", "date out of range"),
        BAD("date -0", "status=304\ndate=-0\n\n", "date out of range"),
        BAD("date above INT64_MAX/2", "status=304\ndate=4611686018427387904\n\n",
            "date out of range"),
        BAD("date INT64_MAX", "status=304\ndate=9223372036854775807\n\n", "date out of range"),
        BAD("date 2^64", "status=304\ndate=18446744073709551616\n\n", "date out of range"),
        BAD("date as text", "status=304\ndate=Tue, 15 Nov 1994 08:12:31 GMT\n\n",
            "date out of range"),
        BAD("date leading zero", "status=304\ndate=01\n\n", "date out of range"),
        BAD("date empty", "status=304\ndate=\n\n", "date out of range"),

        /* length */
        BAD("length missing for 200", "status=200\netag=\"a\"\n\n", "no body length"),
        BAD("length missing for 0", "status=0\n\n", "no body length"),
        BAD("length with 304", "status=304\nlength=0\n\n", "304 with a body length"),
        BAD("length not a number", "status=200\nlength=many\n\n", "length is not a number"),
        BAD("length empty", "status=200\nlength=\n\n", "length is not a number"),
        BAD("length negative", "status=200\nlength=-1\n\n", "length is not a number"),
        BAD("length -0", "status=200\nlength=-0\n\n", "length is not a number"),
        BAD("length leading zero", "status=200\nlength=010\n\n", "length is not a number"),
        BAD("length +1", "status=200\nlength=+1\n\n", "length is not a number"),
        BAD("length 1e3", "status=200\nlength=1e3\n\n", "length is not a number"),
        BAD("length above INT64_MAX", "status=200\nlength=9223372036854775808\n\n",
            "length is not a number"),
        BAD("length UINT64_MAX", "status=200\nlength=18446744073709551615\n\n",
            "length is not a number"),
        BAD("length NUL", "status=200\nlength=1\0\n\n", "control or non-ASCII"),
        ROW("length max_size + 1", "status=200\nlength=1001\n\n", -EFBIG,
            "body larger than 1000 bytes"),
        ROW("length max_size + 1 with etag", "status=200\netag=\"x\"\nlength=1001\n\n", -EFBIG,
            "body larger than 1000 bytes"),
        ROW("length max_size + 1, status 0", "status=0\nlength=1001\n\n", -EFBIG,
            "body larger than 1000 bytes"),
        ROW_MAX("length 1, max_size 0", "status=200\nlength=1\n\n", 0, -EFBIG,
                "body larger than 0 bytes"),
        ROW_MAX("length INT64_MAX, max_size 2^32", "status=200\nlength=9223372036854775807\n\n",
                UINT64_C(4294967296), -EFBIG, "body larger than 4294967296 bytes"),

        /* No blank line yet: read more. */
        ROW("nothing yet", "", -EAGAIN, NULL),
        ROW("one key, no newline", "status=200", -EAGAIN, NULL),
        ROW("one line", "status=200\n", -EAGAIN, NULL),
        ROW("two lines", "status=200\nlength=5\n", -EAGAIN, NULL),
        ROW("garbage without a blank line", "\x01\x02\xff=\n", -EAGAIN, NULL),
        ROW("CRLF blank line is not one", "status=304\r\n\r\n", -EAGAIN, NULL),
        ROW("newline, NUL, newline", "status=304\n\0\n", -EAGAIN, NULL),
};

static void test_hostile(void **state) {
        unsigned failed = 0;

        for (size_t i = 0; i < ELEMENTSOF(hostile); i++)
                if (!check_refused(hostile[i].name, hostile[i].in, hostile[i].len,
                                   hostile[i].max_size, hostile[i].want, hostile[i].message))
                        failed++;
        if (failed > 0)
                fail_msg("%u of %zu hostile headers not refused as expected", failed,
                         ELEMENTSOF(hostile));
}

/* The size limits, at and just past each bound. */
static void test_limits(void **state) {
        char *buf;
        size_t len;

        /* A message of 511 bytes fits, 512 does not. */
        buf = build("error=-5\nmessage=", 'm', FETCH_WIRE_MESSAGE_MAX - 1, "\n\n", &len);
        assert_true(check_refused("message 511", buf, len, MAX_SIZE, 0, NULL));
        free(buf);
        buf = build("error=-5\nmessage=", 'm', FETCH_WIRE_MESSAGE_MAX, "\n\n", &len);
        assert_true(check_refused("message 512", buf, len, MAX_SIZE, -EBADMSG, "message too long"));
        free(buf);
        buf = build("error=-5\nmessage=", 'm', 3000, "\n\n", &len);
        assert_true(
                check_refused("message 3000", buf, len, MAX_SIZE, -EBADMSG, "message too long"));
        free(buf);

        /* A header of exactly FETCH_WIRE_HEADER_MAX bytes, blank line included. */
        buf = build("status=304\netag=", 'e', FETCH_WIRE_HEADER_MAX - 18, "\n\n", &len);
        assert_int_equal(len, FETCH_WIRE_HEADER_MAX);
        assert_true(check_refused("header of 4096 bytes", buf, len, MAX_SIZE, 0, NULL));
        /* … and without its last byte, it is incomplete but not too long yet. */
        assert_true(check_refused("header of 4096 bytes, 4095 read", buf, len - 1, MAX_SIZE,
                                  -EAGAIN, NULL));
        free(buf);

        /* One byte more is too long, whether more follows or not. */
        buf = build("status=304\netag=", 'e', FETCH_WIRE_HEADER_MAX - 17, "\n\nbody", &len);
        assert_true(check_refused("header of 4097 bytes", buf, len, MAX_SIZE, -EBADMSG,
                                  "header too long"));
        assert_true(check_refused("header of 4097 bytes, 4097 read", buf, len - 4, MAX_SIZE,
                                  -EBADMSG, "header too long"));
        assert_true(check_refused("header of 4097 bytes, 4096 read", buf, len - 5, MAX_SIZE,
                                  -EBADMSG, "header too long"));
        assert_true(check_refused("header of 4097 bytes, 4095 read", buf, len - 6, MAX_SIZE,
                                  -EAGAIN, NULL));
        free(buf);

        /* No blank line at all. */
        buf = build("", 'x', FETCH_WIRE_HEADER_MAX - 1, "", &len);
        assert_true(check_refused("4095 bytes, no newline", buf, len, MAX_SIZE, -EAGAIN, NULL));
        free(buf);
        buf = build("", 'x', FETCH_WIRE_HEADER_MAX, "", &len);
        assert_true(check_refused("4096 bytes, no newline", buf, len, MAX_SIZE, -EBADMSG,
                                  "header too long"));
        free(buf);
        buf = build("status=200\netag=", 'x', 2 * FETCH_WIRE_HEADER_MAX, "\nlength=0\n\n", &len);
        assert_true(
                check_refused("8 KiB of lines", buf, len, MAX_SIZE, -EBADMSG, "header too long"));
        free(buf);
        /* Many short lines add up the same. */
        {
                char *p = malloc(FETCH_WIRE_HEADER_MAX * 2);

                assert_non_null(p);
                for (size_t i = 0; i < FETCH_WIRE_HEADER_MAX; i++)
                        memcpy(p + 2 * i, "x\n", 2);
                assert_true(check_refused("4096 lines 'x'", p, FETCH_WIRE_HEADER_MAX * 2, MAX_SIZE,
                                          -EBADMSG, "header too long"));
                free(p);
        }
}

/* Valid headers, some followed by what comes after them. */
#define VALID(name, s, max, ...)                                                                   \
        { name, s, sizeof(s) - 1, max, __VA_ARGS__ }
static const struct {
        const char *name;
        const char *in;
        size_t len;
        uint64_t max_size;
        int error;
        const char *message;
        long status;
        const char *etag;
        int64_t date;
        uint64_t length;
} valid[] = {
        VALID("200 with etag, date, length",
              "status=200\netag=\"abc\"\ndate=1764000000\nlength=4\n\nBODY", MAX_SIZE, 0, "", 200,
              "\"abc\"", 1764000000, 4),
        VALID("200, keys in another order", "length=3\ndate=1\netag=W/\"x\"\nstatus=200\n\nabc",
              MAX_SIZE, 0, "", 200, "W/\"x\"", 1, 3),
        VALID("200 whose body is blank lines", "status=200\nlength=4\n\n\n\n\n\n", MAX_SIZE, 0, "",
              200, NULL, 0, 4),
        VALID("200, length = max_size", "status=200\nlength=1000\n\n", MAX_SIZE, 0, "", 200, NULL,
              0, 1000),
        VALID("200, length INT64_MAX, no cap", "status=200\nlength=9223372036854775807\n\n",
              UINT64_MAX, 0, "", 200, NULL, 0, INT64_MAX),
        VALID("200, empty body, max_size 0", "status=200\nlength=0\n\n", 0, 0, "", 200, NULL, 0, 0),
        VALID("304 with etag", "status=304\netag=\"abc\"\n\n", MAX_SIZE, 0, "", 304, "\"abc\"", 0,
              0),
        VALID("304 with date and an etag with '=' and space",
              "status=304\ndate=4611686018427387903\netag=a=b c\n\n", 0, 0, "", 304, "a=b c",
              INT64_MAX / 2, 0),
        VALID("304 bare", "status=304\n\n", MAX_SIZE, 0, "", 304, NULL, 0, 0),
        VALID("status 0 (file://) with length 0", "status=0\nlength=0\n\n", MAX_SIZE, 0, "", 0,
              NULL, 0, 0),
        VALID("status 0 with a body", "status=0\nlength=2\n\nhi", MAX_SIZE, 0, "", 0, NULL, 0, 2),
        VALID("error and message", "error=-110\nmessage=timed out after 30 s\n\n", MAX_SIZE, -110,
              "timed out after 30 s", 0, NULL, 0, 0),
        VALID("message, then error", "message=HTTP 503\nerror=-5\n\n", MAX_SIZE, -EIO, "HTTP 503",
              0, NULL, 0, 0),
        VALID("error -4095, empty message", "error=-4095\nmessage=\n\n", MAX_SIZE, -4095, "", 0,
              NULL, 0, 0),
        VALID("error -1, message with '=' and punctuation, then more",
              "error=-1\nmessage= a=b ~!\"#\n\nrest", MAX_SIZE, -1, " a=b ~!\"#", 0, NULL, 0, 0),
};

static void test_valid(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(valid); i++) {
                struct fetch_wire w;
                size_t header_len = 0;
                char *copy;
                size_t want_len;

                printf("valid: %s\n", valid[i].name);
                assert_int_equal(strnlen(valid[i].in, valid[i].len), valid[i].len);
                /* The header length is what lies up to and including the blank line. */
                assert_non_null(strstr(valid[i].in, "\n\n"));
                want_len = (size_t) (strstr(valid[i].in, "\n\n") + 2 - valid[i].in);

                copy = dup_exact(valid[i].in, valid[i].len);
                memset(&w, 0x5a, sizeof(w));
                assert_int_equal(fetch_wire_parse_header(copy, valid[i].len, valid[i].max_size, &w,
                                                         &header_len),
                                 0);
                assert_int_equal(header_len, want_len);
                assert_int_equal(w.error, valid[i].error);
                assert_string_equal(w.message, valid[i].message);
                assert_int_equal(w.status, valid[i].status);
                if (valid[i].etag)
                        assert_string_equal(w.etag, valid[i].etag);
                else
                        assert_null(w.etag);
                assert_true(w.server_date == valid[i].date);
                assert_true(w.length == valid[i].length);
                fetch_wire_done(&w);
                assert_null(w.etag);

                /* Nothing after the header changes it, and any prefix
                 * without the last byte of the blank line is incomplete. */
                assert_int_equal(
                        fetch_wire_parse_header(copy, want_len, valid[i].max_size, &w, &header_len),
                        0);
                assert_int_equal(header_len, want_len);
                fetch_wire_done(&w);
                for (size_t k = 0; k < want_len; k++) {
                        assert_int_equal(fetch_wire_parse_header(copy, k, valid[i].max_size, &w,
                                                                 &header_len),
                                         -EAGAIN);
                        fetch_wire_done(&w);
                }
                free(copy);
        }
}

/* Everything fetch_wire_write() wrote to a pipe; *ret_len bytes. */
static char *write_and_read(int error, const char *message, const struct fetch_result *res,
                            int want, size_t *ret_len) {
        size_t size = 64 * 1024, len = 0;
        char *buf = malloc(size);
        int fds[2];

        assert_non_null(buf);
        assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
        assert_int_equal(fetch_wire_write(fds[1], error, message, res), want);
        assert_int_equal(close(fds[1]), 0);
        for (;;) {
                ssize_t n = read(fds[0], buf + len, size - len);

                assert_true(n >= 0);
                if (n == 0)
                        break;
                len += (size_t) n;
                assert_true(len < size);
        }
        assert_int_equal(close(fds[0]), 0);
        *ret_len = len;
        return buf;
}

/* Parse what was written: complete, header_len bytes. */
static size_t parse_written(const char *buf, size_t len, struct fetch_wire *w) {
        size_t header_len = 0;
        char *copy = dup_exact(buf, len);
        int r;

        r = fetch_wire_parse_header(copy, len, UINT64_MAX, w, &header_len);
        if (r != 0)
                print_error("cannot parse what was written (%d: %s): '%.*s'\n", r,
                            r == -EBADMSG ? w->message : "", (int) len, buf);
        assert_int_equal(r, 0);
        assert_true(header_len <= len);
        assert_true(header_len >= 2);
        assert_memory_equal(buf + header_len - 2, "\n\n", 2);
        free(copy);
        return header_len;
}

static void test_round_trip_error(void **state) {
        struct fetch_wire w;
        size_t len, header_len;
        char *buf, *message;

        /* Control characters and non-ASCII bytes come back as '?'. */
        buf = write_and_read(-ETIMEDOUT, "timed out\n\nafter\t30 s\x01\x7f caf\xc3\xa9\r", NULL, 0,
                             &len);
        header_len = parse_written(buf, len, &w);
        assert_int_equal(header_len, len);
        assert_int_equal(w.error, -ETIMEDOUT);
        assert_string_equal(w.message, "timed out??after?30 s?? caf???");
        assert_null(w.etag);
        fetch_wire_done(&w);
        free(buf);

        /* No message: a generic one. An error of 0 without a result is -EIO. */
        buf = write_and_read(-ECONNREFUSED, NULL, NULL, 0, &len);
        assert_int_equal(parse_written(buf, len, &w), len);
        assert_int_equal(w.error, -ECONNREFUSED);
        assert_string_equal(w.message, "fetch failed");
        fetch_wire_done(&w);
        free(buf);
        buf = write_and_read(0, "no result", NULL, 0, &len);
        assert_int_equal(parse_written(buf, len, &w), len);
        assert_int_equal(w.error, -EIO);
        assert_string_equal(w.message, "no result");
        fetch_wire_done(&w);
        free(buf);

        /* An error wins over a result. */
        {
                struct fetch_result res = {.status = 200, .body = (char *) "x", .body_len = 1};

                buf = write_and_read(-EFBIG, "body larger than 16 bytes", &res, 0, &len);
                assert_int_equal(parse_written(buf, len, &w), len);
                assert_int_equal(w.error, -EFBIG);
                assert_string_equal(w.message, "body larger than 16 bytes");
                assert_int_equal(w.status, 0);
                assert_true(w.length == 0);
                fetch_wire_done(&w);
                free(buf);
        }

        /* A long message is cut to what the parser takes. */
        message = malloc(2000);
        assert_non_null(message);
        memset(message, 'z', 1999);
        message[1999] = '\0';
        buf = write_and_read(-EPROTO, message, NULL, 0, &len);
        assert_int_equal(parse_written(buf, len, &w), len);
        assert_int_equal(w.error, -EPROTO);
        assert_int_equal(strlen(w.message), FETCH_WIRE_MESSAGE_MAX - 1);
        assert_memory_equal(w.message, message, FETCH_WIRE_MESSAGE_MAX - 1);
        fetch_wire_done(&w);
        free(buf);
        free(message);
}

static void test_round_trip_200(void **state) {
        /* A binary body: blank lines, NULs, something that looks like a header. */
        static const char body[] = "\n\nstatus=304\n\n\0\0\0error=-5\nmessage=x\n\n\xff\xfe\x01"
                                   "\r\n\r\n\0end";
        char etag[] = "\"v1-abc\"";
        struct fetch_result res = {
                .status = 200,
                .body = (char *) body,
                .body_len = sizeof(body) - 1,
                .etag = etag,
                .server_date = 1764000000,
        };
        struct fetch_wire w;
        size_t len, header_len;
        char *buf;

        buf = write_and_read(0, NULL, &res, 0, &len);
        header_len = parse_written(buf, len, &w);
        assert_int_equal(w.error, 0);
        assert_string_equal(w.message, "");
        assert_int_equal(w.status, 200);
        assert_string_equal(w.etag, etag);
        assert_true(w.server_date == 1764000000);
        assert_true(w.length == sizeof(body) - 1);
        /* The body follows the header, byte for byte, and nothing else. */
        assert_int_equal(len, header_len + sizeof(body) - 1);
        assert_memory_equal(buf + header_len, body, sizeof(body) - 1);
        fetch_wire_done(&w);
        free(buf);

        /* An etag with control characters is sanitized, not an injection. */
        res.etag = (char *) "\"a\"\nlength=0\n\nstatus=304\x80";
        res.server_date = 0;
        buf = write_and_read(0, NULL, &res, 0, &len);
        header_len = parse_written(buf, len, &w);
        assert_int_equal(w.status, 200);
        assert_string_equal(w.etag, "\"a\"?length=0??status=304?");
        assert_true(w.server_date == 0);
        assert_true(w.length == sizeof(body) - 1);
        assert_int_equal(len, header_len + sizeof(body) - 1);
        assert_memory_equal(buf + header_len, body, sizeof(body) - 1);
        fetch_wire_done(&w);
        free(buf);

        /* file://: status 0, no etag, no date, an empty body. */
        res = (struct fetch_result){.status = 0, .body = (char *) "", .body_len = 0};
        buf = write_and_read(0, NULL, &res, 0, &len);
        header_len = parse_written(buf, len, &w);
        assert_int_equal(header_len, len);
        assert_int_equal(w.status, 0);
        assert_null(w.etag);
        assert_true(w.server_date == 0);
        assert_true(w.length == 0);
        fetch_wire_done(&w);
        free(buf);

        /* An empty etag is no etag. */
        res = (struct fetch_result){
                .status = 200, .body = (char *) "ab", .body_len = 2, .etag = (char *) ""};
        buf = write_and_read(0, NULL, &res, 0, &len);
        header_len = parse_written(buf, len, &w);
        assert_int_equal(w.status, 200);
        assert_null(w.etag);
        assert_true(w.length == 2);
        assert_int_equal(len, header_len + 2);
        assert_memory_equal(buf + header_len, "ab", 2);
        fetch_wire_done(&w);
        free(buf);
}

/* A run's frames: each names its object, one after another on the pipe. */
static void test_object_frames(void **state) {
        const char *o1 = "9d496c3b9d496c3b9d496c3b9d496c3b9d496c3b9d496c3b9d496c3b9d496c3b";
        const char *o2 = "0da740080da740080da740080da740080da740080da740080da740080da74008";
        struct fetch_result res = {.status = 200, .body = (char *) "abc", .body_len = 3};
        struct fetch_wire w;
        size_t header_len = 0, len = 0;
        char buf[1024];
        int fds[2];

        assert_int_equal(pipe(fds), 0);
        assert_int_equal(fetch_wire_write_object(fds[1], o1, 0, NULL, &res), 0);
        assert_int_equal(fetch_wire_write_object(fds[1], o2, -EBADMSG, "bad\nshard", NULL), 0);
        assert_int_equal(fetch_wire_write_object(fds[1], "ABC", 0, NULL, &res), -EINVAL);
        close(fds[1]);
        for (ssize_t n; (n = read(fds[0], buf + len, sizeof(buf) - len)) > 0;)
                len += (size_t) n;
        close(fds[0]);

        assert_int_equal(fetch_wire_parse_header(buf, len, 3, &w, &header_len), 0);
        assert_string_equal(w.object, o1);
        assert_int_equal(w.status, 200);
        assert_true(w.length == 3);
        assert_memory_equal(buf + header_len, "abc", 3);
        fetch_wire_done(&w);

        size_t next = header_len + 3;
        assert_int_equal(fetch_wire_parse_header(buf + next, len - next, 3, &w, &header_len), 0);
        assert_string_equal(w.object, o2);
        assert_int_equal(w.error, -EBADMSG);
        assert_string_equal(w.message, "bad?shard");
        assert_int_equal(next + header_len, len);
        fetch_wire_done(&w);
}

static void test_round_trip_304(void **state) {
        struct fetch_result res = {
                .status = 304,
                .etag = (char *) "W/\"bundle-7\"",
                .server_date = 1800000000,
        };
        struct fetch_wire w;
        size_t len;
        char *buf;

        buf = write_and_read(0, NULL, &res, 0, &len);
        assert_int_equal(parse_written(buf, len, &w), len); /* no body */
        assert_int_equal(w.error, 0);
        assert_int_equal(w.status, 304);
        assert_string_equal(w.etag, "W/\"bundle-7\"");
        assert_true(w.server_date == 1800000000);
        assert_true(w.length == 0);
        fetch_wire_done(&w);
        free(buf);

        /* A 304 without etag or date. */
        res = (struct fetch_result){.status = 304};
        buf = write_and_read(0, NULL, &res, 0, &len);
        assert_int_equal(len, strlen("status=304\n\n"));
        assert_memory_equal(buf, "status=304\n\n", len);
        assert_int_equal(parse_written(buf, len, &w), len);
        assert_int_equal(w.status, 304);
        assert_null(w.etag);
        fetch_wire_done(&w);
        free(buf);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hostile),        cmocka_unit_test(test_limits),
                cmocka_unit_test(test_valid),          cmocka_unit_test(test_round_trip_error),
                cmocka_unit_test(test_round_trip_200), cmocka_unit_test(test_round_trip_304),
                cmocka_unit_test(test_object_frames),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
