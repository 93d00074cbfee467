/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A PAM service's configuration as Linux-PAM reads it (pam.conf(5)): the
 * service's own file and every file it pulls in with "@include", "include"
 * or "substack", each parsed into rules that remember their lines. The
 * parser reads nothing itself: the caller's read function gives it the
 * included files, so tests hand it files from memory. Every refusal names
 * file:line. Sizes and counts are capped. */

#include <stdbool.h>
#include <stddef.h>

#include "lines.h"

#define PAM_DIR "/etc/pam.d"
#define PAM_FILE_MAX (1024u * 1024u) /* bytes of one file (the reader's cap) */
#define PAM_FILE_RULES_MAX 1024u     /* rules in one file */
#define PAM_INCLUDE_DEPTH_MAX 8u     /* includes within includes */
#define PAM_STACK_FILES_MAX 64u      /* files of one service */
#define PAM_CONTROL_JUMP_MAX 1024u   /* a larger "…=N" is refused */

enum {
        PAM_TYPE_AUTH = 1 << 0,
        PAM_TYPE_ACCOUNT = 1 << 1,
        PAM_TYPE_SESSION = 1 << 2,
        PAM_TYPE_PASSWORD = 1 << 3,
        PAM_TYPE_ALL = 0xf,
};

enum pam_include {
        PAM_INCLUDE_NONE,
        PAM_INCLUDE_AT,       /* "@include FILE": every type */
        PAM_INCLUDE_INCLUDE,  /* "TYPE include FILE": inline, jumps and "done" reach out */
        PAM_INCLUDE_SUBSTACK, /* "TYPE substack FILE": "done" and jumps stay inside */
};

/* What a control lets through, as the planner needs to know it. */
struct pam_control {
        bool done;           /* some outcome ends the stack: "sufficient" or "…=done" */
        unsigned jump;       /* the largest N of a "…=N" action, 0 if none */
        bool failure_counts; /* every failure fails the stack: required, requisite, or
                              * "[…]" whose actions for all but success are bad or die */
};

struct pam_rule {
        size_t first, last; /* its physical lines, from 0 (a rule may continue with '\') */
        unsigned type;      /* one PAM_TYPE_; PAM_TYPE_ALL for @include */
        enum pam_include include;
        char *control; /* as written ("required", "[success=1 default=ignore]"); "" for @include */
        char *module;  /* the module, or the included file as written */
        struct pam_control ctl;
        size_t target; /* include: the file's index in pam_stack.files */
};

struct pam_file {
        char *name; /* as the host sees it: /etc/pam.d/sshd */
        struct lines lines;
        struct pam_rule *rules;
        size_t n_rules;
};

struct pam_stack {
        struct pam_file *files; /* [0] is the service's own file */
        size_t n_files;
};

/* Give the lines of host_path, or a negative errno and a message in
 * *ret_error (malloc'd, naming the file). */
typedef int (*pam_read_fn)(void *userdata, const char *host_path, struct lines *ret,
                           char **ret_error);

void pam_file_done(struct pam_file *f);
void pam_stack_done(struct pam_stack *s);

/* Parse one file (the lines are copied). Include targets stay unresolved.
 * A line Linux-PAM would not accept is -EBADMSG with "name:line: …". */
int pam_file_parse(const char *name, const struct lines *l, struct pam_file *ret, char **ret_error);

/* Parse the service file name with lines l and follow its includes through
 * read. Refused: a file that cannot be read (its errno), a parse error
 * (-EBADMSG), an include loop or nesting deeper than PAM_INCLUDE_DEPTH_MAX
 * (-ELOOP), more than PAM_STACK_FILES_MAX files (-E2BIG). */
int pam_stack_load(const char *name, const struct lines *l, pam_read_fn read, void *userdata,
                   struct pam_stack *ret, char **ret_error);

/* The host path an include names: relative names live in PAM_DIR. */
char *pam_include_path(const char *name);

/* Is module (a path or a name) the module called name? */
bool pam_module_is(const char *module, const char *name);
