/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cloud metadata answers to facts (common/host/cloud-facts.c) and
 * run_dir/cloud-facts (cloud-facts-file.c). The first byte picks the
 * parser: 0 the AWS identity document, 1 Azure's compute document, 2 GCP's
 * attributes, 3 the AWS tag listing, 4 the record file. Properties: every
 * fact kept is a valid fact under its cloud's prefix, with a value the
 * selector grammar cannot misread (no ',', no '='), at most
 * JIT_CLOUD_FACTS_MAX; the record file parses → formats → parses equal. */
#include <assert.h>
#include <string.h>

#include "cloud-facts-file.h"
#include "cloud-facts.h"
#include "fuzz.h"
#include "jit-limits.h"
#include "macro.h"

static void check_facts(const struct host_facts *f, const char *prefix) {
        assert(f->n_facts <= JIT_CLOUD_FACTS_MAX);
        for (size_t i = 0; i < f->n_facts; i++) {
                const char *fact = f->facts[i], *eq = strchr(fact, '=');

                assert(eq);
                assert(strncmp(fact, prefix, strlen(prefix)) == 0);
                assert(fact_key_is_valid(fact, (size_t) (eq - fact)));
                assert(cloud_value_is_valid(eq + 1, strlen(eq + 1)));
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *text = (const char *) data + 1;
        struct host_facts f = {};
        struct jit_error err = {};
        unsigned left_out = 0;

        if (size < 1)
                return 0;
        size--;
        switch (data[0] % 5) {
        case 0:
                if (cloud_facts_aws_identity(text, size, &f, &err) >= 0)
                        check_facts(&f, "aws.");
                break;
        case 1:
                if (cloud_facts_azure_compute(text, size, &f, &left_out, &err) >= 0)
                        check_facts(&f, "azure.");
                break;
        case 2:
                if (cloud_facts_gcp("p", "1", "n", "projects/1/zones/europe-west1-b", text, size,
                                    &f, &left_out, &err) >= 0)
                        check_facts(&f, "gcp.");
                break;
        case 3: {
                _cleanup_strv_free_ char **names = NULL;

                if (cloud_aws_tag_names(text, size, &names, &left_out, &err) >= 0) {
                        assert(strv_length(names) <= JIT_CLOUD_FACTS_MAX);
                        for (size_t i = 0; names && names[i]; i++) {
                                assert(cloud_name_is_valid("aws.tag.", names[i], strlen(names[i])));
                                assert(cloud_fact_add_tag(&f, "aws.tag.", names[i], "v", 1, false,
                                                          &left_out, &err) == 0);
                        }
                        check_facts(&f, "aws.tag.");
                }
                break;
        }
        default: {
                struct cloud_facts_record r = {}, again = {};
                _cleanup_free_ char *t1 = NULL, *t2 = NULL;

                if (cloud_facts_record_parse(text, size, &r, &err) < 0) {
                        assert(err.reason != JIT_REASON_NONE);
                        break;
                }
                check_facts(&r.facts, cloud_fact_prefix(r.cloud));
                assert(cloud_facts_record_format(&r, &t1) == 0);
                assert(cloud_facts_record_parse(t1, strlen(t1), &again, NULL) == 0);
                assert(cloud_facts_record_format(&again, &t2) == 0);
                assert(streq(t1, t2));
                cloud_facts_record_done(&r);
                cloud_facts_record_done(&again);
                break;
        }
        }
        host_facts_done(&f);
        return 0;
}
