/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* jit-fetch --serve: the long-lived fetch helper of a store reached with
 * the instance's credentials (jit-agent/fetch-server.c owns it). Requests
 * come on in_fd (wire/fetch-request.h), one at a time; each is parsed by
 * the one-shot run's option parser (fetch-args.h) and carried out by its
 * code (fetch-run.h), its answer on out_fd exactly what a one-shot run
 * writes. Between requests the credentials stay in memory
 * (credentials.c), until near their end or until the store refuses them,
 * and the connection stays open. A malformed request ends the server with
 * one line on stderr (the agent is its only writer); end of input ends it
 * quietly. Returns the exit status. */

int fetch_serve(int in_fd, int out_fd);
