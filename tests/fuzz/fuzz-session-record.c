/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* run_dir/sessions/<id>, written by pam_jit and read by sudo's account hook
 * and by jit-agent. Property: a parsed record formats to text that parses to
 * an equal record, and formats to the same text again. */
#include <assert.h>
#include <string.h>

#include "fuzz.h"
#include "macro.h"
#include "session-record.h"

static bool streq_null(const char *a, const char *b) {
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void assert_equal(const struct session_record *a, const struct session_record *b) {
        size_t i;

        assert(strcmp(a->id, b->id) == 0);
        assert(streq_null(a->grant, b->grant) && streq_null(a->user, b->user));
        assert(streq_null(a->service, b->service) && streq_null(a->tty, b->tty));
        assert(streq_null(a->rhost, b->rhost));
        assert(streq_null(a->logind_session, b->logind_session));
        assert(a->leader == b->leader && a->uid == b->uid);
        assert(a->audit_session == b->audit_session && a->exp == b->exp);
        assert(a->bound == b->bound);
        assert(a->elevated && b->elevated);
        for (i = 0; a->elevated[i]; i++)
                assert(b->elevated[i] && strcmp(a->elevated[i], b->elevated[i]) == 0);
        assert(!b->elevated[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        /* Both id forms: an audit session id and a logind one. */
        static const char *const ids[] = {"42", "logind-c7"};
        struct jit_error err = {};

        for (size_t k = 0; k < ELEMENTSOF(ids); k++) {
                _cleanup_(session_record_freep) struct session_record *r = NULL, *again = NULL;
                _cleanup_free_ char *text = NULL, *text2 = NULL;

                if (session_record_parse(ids[k], (const char *) data, size, &r, &err) < 0) {
                        assert(err.reason != JIT_REASON_NONE);
                        assert(k == 0); /* the id does not change what the text means */
                        return 0;
                }
                assert(r->grant && r->user && r->service && r->leader > 0 && r->elevated);
                assert(session_record_format(r, &text) == 0);
                assert(session_record_parse(ids[k], text, strlen(text), &again, NULL) == 0);
                assert_equal(r, again);
                assert(session_record_format(again, &text2) == 0);
                assert(strcmp(text, text2) == 0);
        }
        /* An invalid id is refused whatever the text. */
        {
                _cleanup_(session_record_freep) struct session_record *r = NULL;
                assert(session_record_parse("../x", (const char *) data, size, &r, NULL) < 0);
        }
        return 0;
}
