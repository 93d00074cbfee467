/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "diff.h"
#include "macro.h"

enum diff_op { DIFF_EQ, DIFF_DEL, DIFF_ADD };

struct diff_step {
        enum diff_op op;
        size_t a, b; /* lines of each side before this step */
};

static int diff_compute(const struct lines *a, const struct lines *b, struct diff_step **ret,
                        size_t *ret_n) {
        _cleanup_free_ struct diff_step *steps = NULL;
        _cleanup_free_ uint32_t *lcs = NULL;
        size_t pre = 0, suf = 0, na, nb, n = 0, i, j;

        while (pre < a->n && pre < b->n && line_eq(a->v + pre, b->v + pre))
                pre++;
        while (suf < a->n - pre && suf < b->n - pre &&
               line_eq(a->v + a->n - 1 - suf, b->v + b->n - 1 - suf))
                suf++;
        na = a->n - pre - suf;
        nb = b->n - pre - suf;

        steps = calloc(a->n + b->n + 1, sizeof(*steps));
        if (!steps)
                return -ENOMEM;
        /* lcs[i][j]: longest common subsequence of the middles from i and j
         * on. A middle too large for the table is shown as replaced whole:
         * still a correct diff, only a longer one. */
        if ((na + 1) * (nb + 1) <= DIFF_CELLS_MAX) {
                lcs = calloc((na + 1) * (nb + 1), sizeof(*lcs));
                if (!lcs)
                        return -ENOMEM;
                for (i = na; i-- > 0;)
                        for (j = nb; j-- > 0;) {
                                uint32_t *c = lcs + i * (nb + 1) + j;

                                if (line_eq(a->v + pre + i, b->v + pre + j))
                                        *c = lcs[(i + 1) * (nb + 1) + j + 1] + 1;
                                else {
                                        uint32_t down = lcs[(i + 1) * (nb + 1) + j],
                                                 right = lcs[i * (nb + 1) + j + 1];
                                        *c = down >= right ? down : right;
                                }
                        }
        }

        for (i = 0; i < pre; i++)
                steps[n++] = (struct diff_step){DIFF_EQ, i, i};
        for (i = 0, j = 0; i < na || j < nb;) {
                enum diff_op op;

                if (i < na && j < nb && lcs && line_eq(a->v + pre + i, b->v + pre + j))
                        op = DIFF_EQ;
                else if (i < na && (j >= nb || !lcs ||
                                    lcs[(i + 1) * (nb + 1) + j] >= lcs[i * (nb + 1) + j + 1]))
                        op = DIFF_DEL;
                else
                        op = DIFF_ADD;
                steps[n++] = (struct diff_step){op, pre + i, pre + j};
                if (op != DIFF_ADD)
                        i++;
                if (op != DIFF_DEL)
                        j++;
        }
        for (i = 0; i < suf; i++)
                steps[n++] = (struct diff_step){DIFF_EQ, pre + na + i, pre + nb + i};
        steps[n] = (struct diff_step){DIFF_EQ, a->n, b->n}; /* end marker */

        *ret = TAKE_PTR(steps);
        *ret_n = n;
        return 0;
}

static void diff_print_line(FILE *f, char sign, const struct line *l) {
        (void) fprintf(f, "%c%s\n", sign, l->text);
        if (!l->nl)
                (void) fputs("\\ No newline at end of file\n", f);
}

int diff_print(FILE *f, const char *label_a, const char *label_b, const struct lines *a,
               const struct lines *b) {
        _cleanup_free_ struct diff_step *s = NULL;
        size_t n, k = 0;
        bool header = false;
        int r;

        r = diff_compute(a, b, &s, &n);
        if (r < 0)
                return r;

        for (;;) {
                size_t c = k, e, start, end, a_len = 0, b_len = 0;

                while (c < n && s[c].op == DIFF_EQ)
                        c++;
                if (c >= n)
                        break;
                /* Extend the hunk over changes closer than twice the context. */
                e = c;
                for (;;) {
                        size_t next;

                        while (e < n && s[e].op != DIFF_EQ)
                                e++;
                        next = e;
                        while (next < n && s[next].op == DIFF_EQ)
                                next++;
                        if (next < n && next - e <= 2 * DIFF_CONTEXT)
                                e = next;
                        else
                                break;
                }
                start = c - k > DIFF_CONTEXT ? c - DIFF_CONTEXT : k;
                end = n - e > DIFF_CONTEXT ? e + DIFF_CONTEXT : n;
                for (size_t i = start; i < end; i++) {
                        a_len += s[i].op != DIFF_ADD;
                        b_len += s[i].op != DIFF_DEL;
                }
                if (!header) {
                        fprintf(f, "--- %s\n+++ %s\n", label_a, label_b);
                        header = true;
                }
                fprintf(f, "@@ -%zu,%zu +%zu,%zu @@\n", s[start].a + (a_len > 0), a_len,
                        s[start].b + (b_len > 0), b_len);
                for (size_t i = start; i < end; i++)
                        switch (s[i].op) {
                        case DIFF_EQ:
                                diff_print_line(f, ' ', a->v + s[i].a);
                                break;
                        case DIFF_DEL:
                                diff_print_line(f, '-', a->v + s[i].a);
                                break;
                        case DIFF_ADD:
                                diff_print_line(f, '+', b->v + s[i].b);
                                break;
                        }
                k = end;
        }
        return 0;
}
