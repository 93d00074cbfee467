/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What jitctl verify found, and its two renderings: plain words for people,
 * one JSON object for scripts. */

#include <json.h>
#include <stdbool.h>
#include <stdint.h>

#include "bundle.h"
#include "error.h"
#include "grant.h"
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

struct bundle_report {
        char *kid, *alg;
        const struct jwk *key;
        struct bundle *bundle; /* NULL when it did not parse or verify */
        bool valid, fresh;
        struct jit_error err;
        struct grant_report *grants; /* one per bundle->grants entry */
        size_t n_grants;
};

void grant_report_done(struct grant_report *r);
void bundle_report_done(struct bundle_report *r);

void explain_grant(const struct grant_report *r, int64_t now);
void explain_bundle(const struct bundle_report *r, int64_t now);

/* NULL on allocation failure. */
struct json_object *grant_report_to_json(const struct grant_report *r);
struct json_object *bundle_report_to_json(const struct bundle_report *r);
