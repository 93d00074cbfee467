/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Built with every object of libagent (link_whole) and no jit-agent/main.c:
 * that it links at all is the test. A room of the agent that calls into
 * main.c (as enforce.c once called agent_status() there) leaves an
 * undefined symbol and fails the build of this test. */

#include <stdio.h>

int main(void) {
        printf("1..1\nok 1 - libagent links without jit-agent/main.c\n");
        return 0;
}
