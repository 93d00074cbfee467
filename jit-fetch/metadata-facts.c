/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The facts job: which paths of each metadata service give which facts. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud-facts.h"
#include "fetch-wire.h"
#include "jit-limits.h"
#include "macro.h"
#include "metadata-facts.h"

#define AWS_IDENTITY "/latest/dynamic/instance-identity/document"
#define AWS_TAGS "/latest/meta-data/tags/instance/"
#define GCP_BASE "/computeMetadata/v1/"
#define AZURE_COMPUTE "/metadata/instance/compute"

struct job {
        struct imds_client *client;
        struct host_facts facts;
        unsigned left_out;
        char message[IMDS_MESSAGE_MAX + 64];
};

static int get(struct job *j, const char *path, char **ret, size_t *ret_len) {
        return imds_get(j->client, path, ret, ret_len, j->message);
}

static int from_error(struct job *j, const struct jit_error *err, int r) {
        (void) snprintf(j->message, sizeof(j->message), "%s", err->message);
        return r;
}

static int aws(struct job *j) {
        _cleanup_free_ char *doc = NULL, *list = NULL;
        _cleanup_strv_free_ char **names = NULL;
        struct jit_error err = {};
        size_t len = 0;
        int r;

        r = get(j, AWS_IDENTITY, &doc, &len);
        if (r < 0)
                return r;
        r = cloud_facts_aws_identity(doc, len, &j->facts, &err);
        if (r < 0)
                return from_error(j, &err, r);
        /* 404: the instance does not allow tags in its metadata, or has none. */
        r = get(j, AWS_TAGS, &list, &len);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        r = cloud_aws_tag_names(list, len, &names, &j->left_out, &err);
        if (r < 0)
                return from_error(j, &err, r);
        for (size_t i = 0; names && names[i]; i++) {
                _cleanup_free_ char *path = NULL, *value = NULL;

                if (asprintf(&path, AWS_TAGS "%s", names[i]) < 0)
                        return -ENOMEM;
                r = get(j, path, &value, &len);
                if (r == -ENOENT) { /* removed between the listing and now */
                        j->left_out++;
                        continue;
                }
                if (r < 0)
                        return r;
                r = cloud_fact_add_tag(&j->facts, "aws.tag.", names[i], value, len, false,
                                       &j->left_out, &err);
                if (r < 0)
                        return from_error(j, &err, r);
        }
        return 0;
}

static int gcp(struct job *j) {
        _cleanup_free_ char *project = NULL, *id = NULL, *name = NULL, *zone = NULL, *attrs = NULL;
        struct jit_error err = {};
        size_t len = 0, attrs_len = 0;
        int r;

        if ((r = get(j, GCP_BASE "project/project-id", &project, &len)) < 0 ||
            (r = get(j, GCP_BASE "instance/id", &id, &len)) < 0 ||
            (r = get(j, GCP_BASE "instance/name", &name, &len)) < 0 ||
            (r = get(j, GCP_BASE "instance/zone", &zone, &len)) < 0)
                return r;
        r = get(j, GCP_BASE "instance/attributes/?recursive=true", &attrs, &attrs_len);
        if (r < 0 && r != -ENOENT)
                return r;
        r = cloud_facts_gcp(project, id, name, zone, attrs, attrs_len, &j->facts, &j->left_out,
                            &err);
        return r < 0 ? from_error(j, &err, r) : 0;
}

static int azure(struct job *j) {
        _cleanup_free_ char *doc = NULL;
        struct jit_error err = {};
        size_t len = 0;
        int r;

        r = get(j, AZURE_COMPUTE, &doc, &len);
        if (r < 0)
                return r;
        r = cloud_facts_azure_compute(doc, len, &j->facts, &j->left_out, &err);
        return r < 0 ? from_error(j, &err, r) : 0;
}

int metadata_facts_job(const struct imds_options *o, int fd) {
        _cleanup_free_ char *facts = NULL, *body = NULL;
        struct job j = {};
        int r, w;

        r = imds_client_new(o, &j.client);
        if (r >= 0) {
                switch (o->cloud) {
                case CLOUD_AWS:
                        r = aws(&j);
                        break;
                case CLOUD_GCP:
                        r = gcp(&j);
                        break;
                default:
                        r = azure(&j);
                        break;
                }
        }
        if (r >= 0 && (host_facts_format(&j.facts, &facts) < 0 ||
                       asprintf(&body, "# left-out %u\n%s", j.left_out, facts) < 0))
                r = -ENOMEM;
        if (r < 0) {
                if (j.message[0] == '\0')
                        (void) snprintf(j.message, sizeof(j.message), "%s",
                                        strerror_r(-r, (char[128]){}, 128));
                w = fetch_wire_write(fd, r, j.message, NULL);
        } else
                w = fetch_wire_write(fd, 0, NULL,
                                     &(struct fetch_result){.status = 200,
                                                            .body = body,
                                                            .body_len = strlen(body)});
        host_facts_done(&j.facts);
        imds_client_free(j.client);
        return w;
}
