/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* jit-fetch's options, one parser for its command line (main.c) and for
 * the requests of jit-fetch --serve (serve.c, wire/fetch-request.h): what
 * a one-shot run is asked and what a request to the server asks are the
 * same options, read by the same code. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fetch-run.h"
#include "metadata-client.h"

struct fetch_args {
        struct fetch_options o; /* the strings point into argv */
        /* --metadata=CLOUD: the facts job (metadata-facts.h); m.cloud is
         * CLOUD_NONE otherwise. */
        struct imds_options m;
        bool subscribe; /* --subscribe: the notify_url subscription */
        bool serve;     /* --serve: requests on stdin (serve.c) */
        bool help;
        /* A run of shards (--object=SHA:SIZE …) and its deadline; n_objects
         * 0 for one fetch. */
        struct fetch_run_object objects[JIT_FETCH_OBJECTS_MAX];
        size_t n_objects;
        uint64_t run_timeout_usec;
};

/* Parse argv[1..argc) (argv is reordered). 0, or -EINVAL with msg saying
 * what is wrong (an unknown option, a bad number, options that do not go
 * together). */
int fetch_args_parse(int argc, char **argv, struct fetch_args *ret, char *msg, size_t msg_size);
