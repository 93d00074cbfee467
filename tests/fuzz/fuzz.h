/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Each harness defines LLVMFuzzerTestOneInput. Built with clang
 * -fsanitize=fuzzer it is a libFuzzer target (-Dfuzz=true); built with gcc and
 * fuzz-main.c it replays its corpus as an ordinary test, as systemd's
 * src/fuzz/fuzz-main.c does. */

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
