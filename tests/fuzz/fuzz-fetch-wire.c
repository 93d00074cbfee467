/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fetch_wire_parse_header(): what jit-fetch, the unprivileged helper that
 * talks to the network, writes to jit-agent on a pipe. The input is the
 * whole stream (header and whatever follows), parsed with a few body caps.
 * Properties: only 0, -EAGAIN, -EBADMSG and -EFBIG (-ENOMEM aside); a header
 * ends at its first blank line, within FETCH_WIRE_HEADER_MAX bytes, and
 * nothing after it changes the outcome (the agent parses as it reads); a
 * parsed header is an error with a message or a status of 0, 200 or 304
 * with a length within the cap; and fetch_wire_write() of what was parsed,
 * with the body that followed it (or zeros), parses back to the same fields
 * (an etag of FETCH_WIRE_HEADER_MAX / 2 or more is left out by the writer)
 * with the body right behind the header. A run of several shards is a
 * sequence of such frames, each naming its object: what follows a whole
 * frame (its header and body) is parsed as the next, a few frames deep. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetch-wire.h"
#include "fuzz.h"
#include "macro.h"

/* The body written when the input holds less than the announced length. */
#define ZEROS_MAX (64u * 1024u)
static const char zeros[ZEROS_MAX];

static bool printable(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || (unsigned char) *s > 0x7e)
                        return false;
        return true;
}

/* Where the first "\n\n" ends (its length, blank line included), or 0. */
static size_t blank_line_end(const char *buf, size_t len) {
        for (size_t i = 0; i + 1 < len; i++)
                if (buf[i] == '\n' && buf[i + 1] == '\n')
                        return i + 2;
        return 0;
}

/* Write w (and body) with fetch_wire_write(), read it back, parse it again. */
static void round_trip(const struct fetch_wire *w, const char *body, uint64_t max_size) {
        static int fd = -1;
        struct fetch_result res = {
                .status = w->status,
                .body = (char *) body,
                .body_len = (size_t) w->length,
                .etag = w->etag,
                .server_date = w->server_date,
        };
        _cleanup_free_ char *out = NULL;
        struct fetch_wire again;
        size_t header_len = 0, len = 0;
        struct stat st;
        int r;

        if (fd < 0) {
                fd = memfd_create("fuzz-fetch-wire", MFD_CLOEXEC);
                assert(fd >= 0);
        }
        assert(ftruncate(fd, 0) == 0);
        assert(lseek(fd, 0, SEEK_SET) == 0);
        const char *object = w->object[0] ? w->object : NULL;
        if (w->error < 0)
                r = fetch_wire_write_object(fd, object, w->error, w->message, NULL);
        else
                r = fetch_wire_write_object(fd, object, 0, NULL, &res);
        assert(r == 0);

        assert(fstat(fd, &st) == 0);
        out = malloc((size_t) st.st_size + 1);
        assert(out);
        while (len < (size_t) st.st_size) {
                ssize_t n = pread(fd, out + len, (size_t) st.st_size - len, (off_t) len);
                assert(n > 0);
                len += (size_t) n;
        }

        r = fetch_wire_parse_header(out, len, max_size, &again, &header_len);
        assert(r == 0);
        assert(header_len == blank_line_end(out, len));
        assert(again.error == w->error);
        assert(strcmp(again.object, w->object) == 0);
        assert(strcmp(again.message, w->message) == 0); /* already printable: unchanged */
        assert(again.status == w->status);
        /* The writer leaves out an etag of half the header or more. */
        if (w->etag && strlen(w->etag) < FETCH_WIRE_HEADER_MAX / 2)
                assert(again.etag && strcmp(again.etag, w->etag) == 0);
        else
                assert(!again.etag);
        assert(again.server_date == w->server_date);
        assert(again.length == w->length);
        if (w->error < 0 || w->status == 304)
                assert(len == header_len);
        else {
                assert(len == header_len + w->length);
                assert(memcmp(out + header_len, body, (size_t) w->length) == 0);
        }
        fetch_wire_done(&again);
}

static bool is_object_name(const char *s) {
        return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static void check(const char *buf, size_t size, uint64_t max_size, unsigned depth) {
        struct fetch_wire w;
        size_t header_len = 0, end = blank_line_end(buf, size);
        int r;

        r = fetch_wire_parse_header(buf, size, max_size, &w, &header_len);
        assert(r == 0 || r == -EAGAIN || r == -EBADMSG || r == -EFBIG || r == -ENOMEM);

        /* More is needed only while there is no blank line and the header may grow. */
        if (r == -EAGAIN) {
                assert(size < FETCH_WIRE_HEADER_MAX);
                assert(end == 0 && (size == 0 || buf[0] != '\n'));
                assert(!w.etag);
                return;
        }
        if (r == -ENOMEM) {
                fetch_wire_done(&w);
                return;
        }
        if (r == -EBADMSG || r == -EFBIG) {
                assert(w.message[0] != '\0');
                assert(memchr(w.message, '\0', sizeof(w.message)));
                if (r == -EFBIG)
                        assert(strncmp(w.message, "body larger than ", 17) == 0);
                fetch_wire_done(&w);
                assert(!w.etag);
                /* Decided by the header alone: what follows it changes nothing. */
                if (end > 0 && end <= FETCH_WIRE_HEADER_MAX)
                        assert(fetch_wire_parse_header(buf, end, max_size, &w, &header_len) == r);
                fetch_wire_done(&w);
                return;
        }

        assert(header_len >= 2 && header_len <= size && header_len <= FETCH_WIRE_HEADER_MAX);
        assert(header_len == end);
        assert(buf[header_len - 2] == '\n' && buf[header_len - 1] == '\n');
        assert(memchr(w.message, '\0', sizeof(w.message)) && printable(w.message));
        assert(w.object[0] == '\0' || is_object_name(w.object));
        if (w.error < 0) {
                assert(w.error >= -4095);
                assert(!w.etag && w.status == 0 && w.server_date == 0 && w.length == 0);
        } else {
                assert(w.error == 0 && w.message[0] == '\0');
                assert(w.status == 0 || w.status == 200 || w.status == 304);
                assert(w.length <= max_size);
                assert(w.status != 304 || w.length == 0);
                assert(w.server_date >= 0);
                assert(!w.etag || (w.etag[0] != '\0' && printable(w.etag)));
        }

        /* The header alone parses the same. */
        {
                struct fetch_wire again;
                size_t again_len = 0;

                assert(fetch_wire_parse_header(buf, header_len, max_size, &again, &again_len) == 0);
                assert(again_len == header_len && again.status == w.status &&
                       again.length == w.length && again.error == w.error);
                fetch_wire_done(&again);
        }

        /* Written again, with the body that followed or zeros. */
        if (w.error < 0 || w.status == 304)
                round_trip(&w, NULL, max_size);
        else if (size - header_len >= w.length)
                round_trip(&w, buf + header_len, max_size);
        else if (w.length <= ZEROS_MAX)
                round_trip(&w, zeros, max_size);

        /* The next frame of a run starts right after this one's body. */
        bool whole = w.error < 0 || w.status == 304 || size - header_len >= w.length;
        size_t next = header_len + (w.error < 0 || w.status == 304 ? 0 : (size_t) w.length);
        bool more = w.object[0] != '\0' && whole && next < size && depth < 4;
        fetch_wire_done(&w);
        if (more)
                check(buf + next, size - next, max_size, depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const uint64_t caps[] = {0, 16, 1000, ZEROS_MAX, UINT64_MAX};
        _cleanup_free_ char *buf = NULL;

        /* An exact-size copy, so ASan sees any read past the end. */
        buf = malloc(size > 0 ? size : 1);
        if (!buf)
                return 0;
        memcpy(buf, data, size);
        for (size_t i = 0; i < ELEMENTSOF(caps); i++)
                check(buf, size, caps[i], 0);
        return 0;
}
