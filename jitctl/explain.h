/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What jitctl verify found, and its two renderings: plain words for people,
 * one JSON object for scripts. */

#include <json.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "grant.h"
#include "head.h"
#include "jwk.h"

struct grant_report {
        char *kid, *alg;       /* from the (unverified) header, for explaining */
        const struct jwk *key; /* the trusted key the kid names, if any */
        struct grant *grant;   /* NULL when it did not parse or verify */
        bool valid;
        struct jit_error err; /* why not, when !valid */
        bool facts_checked;   /* whether aud was matched against facts */
        bool applies;
};

struct head_report {
        char *kid, *alg;
        const struct jwk *key;
        struct head *head; /* NULL when it did not parse or verify */
        bool valid, fresh;
        struct jit_error err;
        size_t n_host_shards; /* of the facts given, with their bytes */
        uint64_t host_bytes;
        bool facts_checked;
};

void grant_report_done(struct grant_report *r);
void head_report_done(struct head_report *r);

void explain_grant(const struct grant_report *r, int64_t now);
void explain_head(const struct head_report *r, int64_t now);

/* NULL on allocation failure. */
struct json_object *grant_report_to_json(const struct grant_report *r);
struct json_object *head_report_to_json(const struct head_report *r);
