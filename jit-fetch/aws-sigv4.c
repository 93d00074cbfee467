/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws-sigv4.h"
#include "macro.h"

static int append(struct curl_slist **headers, const char *line) {
        struct curl_slist *l = curl_slist_append(*headers, line);
        if (!l)
                return -ENOMEM;
        *headers = l;
        return 0;
}

int aws_sigv4_apply(CURL *e, const char *region, const struct credentials *c,
                    struct curl_slist **headers) {
        _cleanup_free_ char *provider = NULL;
        _cleanup_strfreezero_ char *token = NULL;
        int r;

        if (!region || !*region || !c || !c->access_key_id || !c->secret_access_key)
                return -EINVAL;
        /* "aws:amz:REGION:SERVICE": the x-amz-* header names, the
         * AWS4-HMAC-SHA256 algorithm, the credential scope. */
        if (asprintf(&provider, "aws:amz:%s:s3", region) < 0)
                return -ENOMEM;
        if (curl_easy_setopt(e, CURLOPT_AWS_SIGV4, provider) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_USERNAME, c->access_key_id) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_PASSWORD, c->secret_access_key) != CURLE_OK)
                return -EIO;
        r = append(headers, "x-amz-content-sha256: " AWS_EMPTY_PAYLOAD_SHA256);
        if (r < 0)
                return r;
        if (c->session_token) {
                if (asprintf(&token, "x-amz-security-token: %s", c->session_token) < 0)
                        return -ENOMEM;
                r = append(headers, token);
        }
        return r;
}
