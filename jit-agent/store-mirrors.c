/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "store-mirrors.h"

unsigned store_mirrors_next(struct store_mirrors *m, unsigned n, uint64_t now) {
        if (n == 0)
                return 0;
        if (m->tried == 0) {
                if (m->preferred != 0 && now - m->left_first >= MIRRORS_RETURN_USEC)
                        m->preferred = 0; /* the first may be back: it is the one preferred */
                if (m->preferred >= n)
                        m->preferred = 0; /* fewer mirrors since a reload */
                m->current = m->preferred;
        }
        if (m->current >= n)
                m->current = 0;
        return m->current;
}

bool store_mirrors_failed(struct store_mirrors *m, unsigned n) {
        m->tried++;
        if (m->tried >= n) {
                m->tried = 0;
                return false;
        }
        m->current = (m->current + 1) % n;
        return true;
}

void store_mirrors_answered(struct store_mirrors *m, uint64_t now) {
        if (m->current != 0 && m->preferred == 0)
                m->left_first = now;
        m->preferred = m->current;
        m->tried = 0;
}
