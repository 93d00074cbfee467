/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cloud facts: DMI detection (common/host/cloud-detect.c), the rules that
 * turn metadata answers into facts (cloud-facts.c), the last good facts
 * (cloud-facts-file.c), the jit.conf keys cloud and selector_facts, and
 * which facts a selector may name (facts-file.c, host_fact_selectable). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "test-util.h"

#include "cloud-detect.h"
#include "cloud-facts-file.h"
#include "cloud-facts.h"
#include "facts-file.h"
#include "jit-limits.h"
#include "macro.h"

/* ---- the value and name rules ---- */

static void test_value_rule(void **state) {
        static const struct {
                const char *name, *v;
                bool ok;
        } rows[] = {
                {"plain", "db", true},
                {"inner space", "pay db 1", true},
                {"colon and semicolon", "v;x:y", true},
                {"empty", "", false},
                {"comma (selector separator)", "db,env=prod", false},
                {"equals (key=value)", "db=x", false},
                {"newline (a second fact line)", "db\nhost=x", false},
                {"carriage return", "db\r", false},
                {"escape byte", "db\x1b[31m", false},
                {"DEL", "db\x7f", false},
                {"UTF-8", "d\xc3\xa9", false},
                {"leading space", " db", false},
                {"trailing space", "db ", false},
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                print_message("value: %s\n", rows[i].name);
                assert_int_equal(cloud_value_is_valid(rows[i].v, strlen(rows[i].v)), rows[i].ok);
        }
        /* 256 bytes pass, 257 and 10 KB do not. */
        char big[10241];
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        assert_true(cloud_value_is_valid(big, JIT_FACT_VALUE_MAX));
        assert_false(cloud_value_is_valid(big, JIT_FACT_VALUE_MAX + 1));
        assert_false(cloud_value_is_valid(big, strlen(big)));
}

static void test_name_rule(void **state) {
        static const struct {
                const char *name, *v;
                bool ok;
        } rows[] = {
                {"plain", "role", true},
                {"dots, colon, dash, underscore", "app.k8s.io:tier-x_1", true},
                {"upper case kept", "Name", true},
                {"equals (would split key=value)", "role=db", false},
                {"comma", "a,b", false},
                {"slash (a path in the URL)", "a/b", false},
                {"dot", ".", false},
                {"dot dot", "..", false},
                {"space", "my tag", false},
                {"newline", "x\ny", false},
                {"NUL-free control byte", "x\x01", false},
                {"empty", "", false},
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                print_message("name: %s\n", rows[i].name);
                assert_int_equal(cloud_name_is_valid("aws.tag.", rows[i].v, strlen(rows[i].v)),
                                 rows[i].ok);
        }
        /* The key with its prefix at most 128 bytes. */
        char n[200];
        memset(n, 'k', sizeof(n));
        assert_true(cloud_name_is_valid("aws.tag.", n, JIT_FACT_KEY_MAX - 8));
        assert_false(cloud_name_is_valid("aws.tag.", n, JIT_FACT_KEY_MAX - 7));
}

/* ---- AWS ---- */

static const char aws_doc[] =
        "{\"accountId\":\"123456789012\",\"architecture\":\"x86_64\",\"availabilityZone\":"
        "\"eu-west-1a\",\"instanceId\":\"i-0abc\",\"region\":\"eu-west-1\",\"version\":"
        "\"2017-09-30\"}";

static void test_aws_identity(void **state) {
        struct host_facts f = {};
        struct jit_error err = {};

        assert_ok(cloud_facts_aws_identity(aws_doc, strlen(aws_doc), &f, &err), &err);
        assert_int_equal(f.n_facts, 4);
        assert_string_equal(host_facts_get(&f, "aws.account"), "123456789012");
        assert_string_equal(host_facts_get(&f, "aws.region"), "eu-west-1");
        assert_string_equal(host_facts_get(&f, "aws.az"), "eu-west-1a");
        assert_string_equal(host_facts_get(&f, "aws.instance-id"), "i-0abc");
        host_facts_done(&f);
}

static void test_aws_identity_hostile(void **state) {
        static const struct test_text_row rows[] = {
                TEST_ROW("account is a number",
                         "{\"accountId\":123456789012,\"availabilityZone\":\"a\","
                         "\"instanceId\":\"i\",\"region\":\"r\"}",
                         JIT_REASON_CLAIM_TYPE),
                TEST_ROW("region is null",
                         "{\"accountId\":\"1\",\"availabilityZone\":\"a\",\"instanceId\":\"i\","
                         "\"region\":null}",
                         JIT_REASON_CLAIM_TYPE),
                TEST_ROW("no account",
                         "{\"availabilityZone\":\"a\",\"instanceId\":\"i\",\"region\":\"r\"}",
                         JIT_REASON_CLAIM_MISSING),
                TEST_ROW("account with a comma",
                         "{\"accountId\":\"1,env=prod\",\"availabilityZone\":\"a\","
                         "\"instanceId\":\"i\",\"region\":\"r\"}",
                         JIT_REASON_MALFORMED),
                TEST_ROW("account with a newline",
                         "{\"accountId\":\"1\\nhost=x\",\"availabilityZone\":\"a\","
                         "\"instanceId\":\"i\",\"region\":\"r\"}",
                         JIT_REASON_CLAIM_VALUE), /* json.c refuses control bytes first */
                TEST_ROW("an array", "[1]", JIT_REASON_JSON),
                TEST_ROW("not JSON", "<html>", JIT_REASON_JSON),
                TEST_ROW("duplicate account",
                         "{\"accountId\":\"1\",\"accountId\":\"2\",\"availabilityZone\":\"a\","
                         "\"instanceId\":\"i\",\"region\":\"r\"}",
                         JIT_REASON_JSON_DUPLICATE),
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                struct host_facts f = {};
                struct jit_error err = {};
                int r;

                print_message("aws identity: %s\n", rows[i].name);
                r = cloud_facts_aws_identity(rows[i].text, rows[i].len, &f, &err);
                assert_true(r < 0);
                assert_int_equal(err.reason, rows[i].reason);
                host_facts_done(&f);
        }
}

static void test_aws_tags(void **state) {
        static const char listing[] = "role\nName\nrole=db\na,b\n..\nx/y\n\nteam";
        _cleanup_strv_free_ char **names = NULL;
        struct host_facts f = {};
        struct jit_error err = {};
        unsigned left_out = 0;

        assert_ok(cloud_aws_tag_names(listing, strlen(listing), &names, &left_out, &err), &err);
        assert_int_equal(left_out, 4); /* role=db, a,b, .., x/y */
        assert_int_equal(strv_length(names), 3);
        assert_string_equal(names[0], "Name"); /* sorted */
        assert_string_equal(names[1], "role");
        assert_string_equal(names[2], "team");

        /* Values: the injections are left out, never passed through or cut. */
        left_out = 0;
        assert_ok(cloud_fact_add_tag(&f, "aws.tag.", "role", "db", 2, false, &left_out, &err),
                  &err);
        assert_ok(cloud_fact_add_tag(&f, "aws.tag.", "team", "db,env=prod", 11, false, &left_out,
                                     &err),
                  &err);
        assert_ok(
                cloud_fact_add_tag(&f, "aws.tag.", "Name", "db\nhost=x", 9, false, &left_out, &err),
                &err);
        assert_ok(cloud_fact_add_tag(&f, "aws.tag.", "empty", "", 0, false, &left_out, &err), &err);
        assert_int_equal(left_out, 3);
        assert_int_equal(f.n_facts, 1);
        assert_string_equal(host_facts_get(&f, "aws.tag.role"), "db");
        host_facts_done(&f);
}

static void test_cap(void **state) {
        struct host_facts f = {};
        struct jit_error err = {};
        unsigned left_out = 0;
        char name[16];

        for (unsigned i = 0; i < JIT_CLOUD_FACTS_MAX + 10; i++) {
                (void) snprintf(name, sizeof(name), "t%03u", i);
                assert_ok(cloud_fact_add_tag(&f, "aws.tag.", name, "v", 1, false, &left_out, &err),
                          &err);
        }
        assert_int_equal(f.n_facts, JIT_CLOUD_FACTS_MAX);
        assert_int_equal(left_out, 10);
        /* An identity fact past the cap refuses the answer. */
        assert_int_equal(cloud_fact_add(&f, "aws.account", "1", 1, &err), -E2BIG);
        host_facts_done(&f);
}

/* ---- GCP ---- */

static void test_gcp(void **state) {
        static const char attrs[] = "{\"role\":\"db\",\"startup-script\":\"echo hi\\nrm -rf /\","
                                    "\"n\":5,\"o\":{\"a\":\"b\"},\"bad=key\":\"v\"}";
        struct host_facts f = {};
        struct jit_error err = {};
        unsigned left_out = 0;

        assert_ok(cloud_facts_gcp("pay-prod", "4567", "db-1", "projects/123/zones/europe-west1-b",
                                  attrs, strlen(attrs), &f, &left_out, &err),
                  &err);
        assert_string_equal(host_facts_get(&f, "gcp.project"), "pay-prod");
        assert_string_equal(host_facts_get(&f, "gcp.instance-id"), "4567");
        assert_string_equal(host_facts_get(&f, "gcp.instance-name"), "db-1");
        assert_string_equal(host_facts_get(&f, "gcp.zone"), "europe-west1-b");
        assert_string_equal(host_facts_get(&f, "gcp.region"), "europe-west1");
        assert_string_equal(host_facts_get(&f, "gcp.attr.role"), "db");
        /* a newline in the value, a number, an object, a name with '=' */
        assert_int_equal(left_out, 4);
        assert_int_equal(f.n_facts, 6);
        host_facts_done(&f);

        /* A zone without a region, a project with a comma: the answer is refused. */
        assert_int_equal(cloud_facts_gcp("p", "1", "n", "projects/1/zones/nodash", NULL, 0, &f,
                                         &left_out, &err),
                         -EINVAL);
        host_facts_done(&f);
        assert_int_equal(cloud_facts_gcp("p,env=x", "1", "n", "z-a", NULL, 0, &f, &left_out, &err),
                         -EINVAL);
        host_facts_done(&f);
        /* Attributes that are not an object: refused. */
        assert_true(cloud_facts_gcp("p", "1", "n", "z-a", "[\"a\"]", 5, &f, &left_out, &err) < 0);
        host_facts_done(&f);
}

/* ---- Azure ---- */

static void test_azure(void **state) {
        static const char doc[] =
                "{\"subscriptionId\":\"8d10da13-8125-4ba9-a717-bf7490507b3d\","
                "\"resourceGroupName\":\"pay-rg\",\"location\":\"westeurope\",\"vmId\":"
                "\"02aab8a4-74ef-476e-8182-f6d2ba4166a6\","
                "\"tags\":\"Role:db;env:prod;x:a;b\","
                "\"tagsList\":[{\"name\":\"Role\",\"value\":\"db\"},{\"name\":\"x\",\"value\":"
                "\"a;b\"},{\"name\":\"inj\",\"value\":\"db,host=x\"},{\"name\":\"n\",\"value\":5},"
                "\"str\",{\"name\":\"ROLE\",\"value\":\"web\"}]}";
        struct host_facts f = {};
        struct jit_error err = {};
        unsigned left_out = 0;

        assert_ok(cloud_facts_azure_compute(doc, strlen(doc), &f, &left_out, &err), &err);
        assert_string_equal(host_facts_get(&f, "azure.subscription"),
                            "8d10da13-8125-4ba9-a717-bf7490507b3d");
        assert_string_equal(host_facts_get(&f, "azure.resource-group"), "pay-rg");
        assert_string_equal(host_facts_get(&f, "azure.location"), "westeurope");
        assert_string_equal(host_facts_get(&f, "azure.vm-id"),
                            "02aab8a4-74ef-476e-8182-f6d2ba4166a6");
        /* Names folded to lower case; "ROLE" sorts first and wins, "Role" is
         * the same name once folded and is left out. */
        assert_string_equal(host_facts_get(&f, "azure.tag.role"), "web");
        /* From tagsList, not by splitting "tags" (which would give x=a). */
        assert_string_equal(host_facts_get(&f, "azure.tag.x"), "a;b");
        assert_null(host_facts_get(&f, "azure.tag.env"));
        assert_null(host_facts_get(&f, "azure.tag.inj"));
        assert_int_equal(left_out, 4); /* inj, n (number), "str", Role */
        host_facts_done(&f);

        static const char wrong[] = "{\"subscriptionId\":\"s\",\"resourceGroupName\":\"g\","
                                    "\"location\":\"l\",\"vmId\":\"v\",\"tagsList\":\"a:b\"}";
        assert_int_equal(cloud_facts_azure_compute(wrong, strlen(wrong), &f, &left_out, &err),
                         -EINVAL);
        host_facts_done(&f);
        static const char num[] = "{\"subscriptionId\":7,\"resourceGroupName\":\"g\","
                                  "\"location\":\"l\",\"vmId\":\"v\"}";
        assert_true(cloud_facts_azure_compute(num, strlen(num), &f, &left_out, &err) < 0);
        assert_int_equal(err.reason, JIT_REASON_CLAIM_TYPE);
        host_facts_done(&f);
}

/* ---- DMI ---- */

static void dmi_write(const char *root, const char *rel, const char *v) {
        _cleanup_free_ char *p = test_strdupf("%s/%s", root, rel);

        test_write_file(p, v, 0444);
}

static void test_detect(void **state) {
        static const struct {
                const char *name, *file, *value;
                enum cloud want;
        } rows[] = {
                {"sys_vendor Amazon EC2", "class/dmi/id/sys_vendor", "Amazon EC2\n", CLOUD_AWS},
                {"board_vendor Amazon EC2", "class/dmi/id/board_vendor", "Amazon EC2\n", CLOUD_AWS},
                {"bios_vendor Amazon EC2", "class/dmi/id/bios_vendor", "Amazon EC2\n", CLOUD_AWS},
                {"Xen: hypervisor uuid ec2…", "hypervisor/uuid", "ec2e1916-9099-7caf-fd21-0123\n",
                 CLOUD_AWS},
                {"Xen: product_uuid EC2…", "class/dmi/id/product_uuid", "EC2E1916-9099-7CAF\n",
                 CLOUD_AWS},
                {"product_name Google Compute Engine", "class/dmi/id/product_name",
                 "Google Compute Engine\n", CLOUD_GCP},
                {"product_name Google", "class/dmi/id/product_name", "Google\n", CLOUD_GCP},
                {"Azure asset tag", "class/dmi/id/chassis_asset_tag",
                 "7783-7084-3265-9085-8269-3286-77\n", CLOUD_AZURE},
                {"bare metal", "class/dmi/id/sys_vendor", "Dell Inc.\n", CLOUD_NONE},
                {"Amazon, not EC2", "class/dmi/id/sys_vendor", "Amazon\n", CLOUD_NONE},
                {"Google-ish", "class/dmi/id/product_name", "Google Pixel\n", CLOUD_NONE},
                {"another asset tag", "class/dmi/id/chassis_asset_tag", "No Asset Tag\n",
                 CLOUD_NONE},
                {"uuid not ec2", "hypervisor/uuid", "4c4c4544-0042\n", CLOUD_NONE},
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                char root[] = "/tmp/test-dmi-XXXXXX";
                _cleanup_free_ char *cls = NULL, *dmi0 = NULL, *dmi = NULL, *hyp = NULL;

                print_message("dmi: %s\n", rows[i].name);
                test_mkdtemp(root);
                cls = test_strdupf("%s/class", root);
                dmi0 = test_strdupf("%s/class/dmi", root);
                dmi = test_strdupf("%s/class/dmi/id", root);
                hyp = test_strdupf("%s/hypervisor", root);
                assert_int_equal(mkdir(cls, 0755), 0);
                assert_int_equal(mkdir(dmi0, 0755), 0);
                assert_int_equal(mkdir(dmi, 0755), 0);
                assert_int_equal(mkdir(hyp, 0755), 0);
                dmi_write(root, rows[i].file, rows[i].value);
                assert_int_equal(cloud_detect_dmi(root), rows[i].want);
                test_rm_rf(root);
        }
        /* Nothing there at all: none. */
        assert_int_equal(cloud_detect_dmi("/nonexistent-dmi-root"), CLOUD_NONE);
}

/* ---- run_dir/cloud-facts ---- */

static void test_record(void **state) {
        static const char good[] = "cloud aws\nfetched 1764000000\nfact aws.account=1\n"
                                   "fact aws.tag.role=db\n";
        static const struct test_text_row bad[] = {
                TEST_ROW("a fact of another cloud", "cloud aws\nfetched 1\nfact gcp.project=x\n",
                         JIT_REASON_MALFORMED),
                TEST_ROW("a fact without its cloud", "fact aws.account=1\ncloud aws\nfetched 1\n",
                         JIT_REASON_MALFORMED),
                TEST_ROW("no time", "cloud aws\nfact aws.account=1\n", JIT_REASON_MALFORMED),
                TEST_ROW("cloud none", "cloud none\nfetched 1\n", JIT_REASON_MALFORMED),
                TEST_ROW("cloud twice", "cloud aws\ncloud gcp\nfetched 1\n", JIT_REASON_MALFORMED),
                TEST_ROW("a comma in a value", "cloud aws\nfetched 1\nfact aws.account=1,x\n",
                         JIT_REASON_MALFORMED),
        };
        struct cloud_facts_record r = {};
        struct jit_error err = {};
        _cleanup_free_ char *text = NULL;

        assert_ok(cloud_facts_record_parse(good, strlen(good), &r, &err), &err);
        assert_int_equal(r.cloud, CLOUD_AWS);
        assert_int_equal(r.fetched, 1764000000);
        assert_int_equal(r.facts.n_facts, 2);
        assert_int_equal(cloud_facts_record_format(&r, &text), 0);
        assert_string_equal(text, good);
        cloud_facts_record_done(&r);

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                print_message("record: %s\n", bad[i].name);
                assert_true(cloud_facts_record_parse(bad[i].text, bad[i].len, &r, &err) < 0);
                assert_int_equal(err.reason, bad[i].reason);
                assert_null(r.facts.facts);
        }
}

/* ---- jit.conf and who may steer a selector ---- */

static void test_config_keys(void **state) {
        static const struct {
                const char *text;
                bool ok;
        } rows[] = {
                {"cloud = auto\n", true},
                {"cloud = aws\n", true},
                {"cloud = gcp\n", true},
                {"cloud = azure\n", true},
                {"cloud = none\n", true},
                {"cloud = AWS\n", false},
                {"cloud = ec2\n", false},
                {"cloud_refresh = 1m\n", true},
                {"cloud_refresh = 4s\n", false},
                {"cloud_refresh = 2d\n", false},
                {"selector_facts = host, env, aws.account, aws.tag.\n", true},
                {"selector_facts = aws.tag.*\n", false},
                {"selector_facts = a=b\n", false},
                {"selector_facts = env, env\n", false},
                {"selector_facts = env,\n", false},
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                _cleanup_(config_freep) struct jit_config *c = NULL;
                struct jit_error err = {};

                print_message("config: %s", rows[i].text);
                assert_int_equal(config_parse(rows[i].text, strlen(rows[i].text), &c, &err) >= 0,
                                 rows[i].ok);
        }
        _cleanup_(config_freep) struct jit_config *d = NULL;
        struct jit_error err = {};
        assert_ok(config_parse("", 0, &d, &err), &err);
        assert_int_equal(d->cloud, CLOUD_AUTO);
        assert_null(d->selector_facts);
        assert_int_equal(d->cloud_refresh, 300);
}

static void test_selectable(void **state) {
        static const char *const facts[] = {
                "host=db-1",        "env=prod",          "aws.account=1", "aws.tag.role=db",
                "gcp.attr.role=db", "azure.tag.role=db", "gcp.project=p", "azure.subscription=s",
                "aws.tagged=x",
        };
        /* By default: everything but the tags and attributes a tenant may edit. */
        static const bool dflt[] = {true, true, true, false, false, false, true, true, true};
        /* "aws.tag." is a family, "env" one key; host is always selectable. */
        static const bool custom[] = {true, true, false, true, false, false, false, false, false};
        _cleanup_(config_freep) struct jit_config *d = NULL, *c = NULL;
        static const char text[] = "selector_facts = env, aws.tag.\n";
        struct jit_error err = {};
        struct host_facts f = {};

        assert_ok(config_parse("", 0, &d, &err), &err);
        assert_ok(config_parse(text, strlen(text), &c, &err), &err);
        for (size_t i = 0; i < ELEMENTSOF(facts); i++) {
                print_message("selectable: %s\n", facts[i]);
                assert_int_equal(host_fact_selectable(d, facts[i]), dflt[i]);
                assert_int_equal(host_fact_selectable(c, facts[i]), custom[i]);
        }

        /* Restricted facts: a selector naming a dropped one never matches. */
        assert_ok(host_facts_parse(&f, "host=db-1\naws.account=1\naws.tag.role=db\n", 40, &err),
                  &err);
        assert_true(selector_matches("aws.account=1,aws.tag.role=db", &f));
        host_facts_restrict(d, &f);
        assert_false(selector_matches("aws.account=1,aws.tag.role=db", &f));
        assert_true(selector_matches("aws.account=1", &f));
        assert_int_equal(f.n_facts, 2);
        host_facts_done(&f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_value_rule),   cmocka_unit_test(test_name_rule),
                cmocka_unit_test(test_aws_identity), cmocka_unit_test(test_aws_identity_hostile),
                cmocka_unit_test(test_aws_tags),     cmocka_unit_test(test_cap),
                cmocka_unit_test(test_gcp),          cmocka_unit_test(test_azure),
                cmocka_unit_test(test_detect),       cmocka_unit_test(test_record),
                cmocka_unit_test(test_config_keys),  cmocka_unit_test(test_selectable),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
