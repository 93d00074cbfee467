/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The -Wl,--wrap layer of the test-only pam_jit-faults.so (as libfido2's
 * fuzz/wrap.c): every allocation, file, NSS, PAM, json-c, OpenSSL and
 * journald call that pam_jit's and libjit's code makes goes through a
 * __wrap_X here, which asks the controller (fault.c) whether this is the
 * call to fail. A failed call returns what the real API returns on failure
 * (NULL, -1 with errno, 0 for OpenSSL's "1 is success", a PAM error code)
 * and has no side effect. Only calls made by the module's own objects are
 * wrapped: libpam's, json-c's and OpenSSL's internal calls are not.
 *
 * The list of wrapped symbols is WRAPPED in meson.build; a name listed
 * there needs its __wrap_ here (and the reverse), or the link fails: that
 * pairing is why this file is over 600 lines and not split. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <pwd.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fault.h"

#define CALLER __builtin_return_address(0)
/* Count the call; when it is the one to fail, set errno and return v. */
#define FAIL_WITH(fn, err, v)                                                                      \
        do {                                                                                       \
                if (fault_hit(fn, CALLER)) {                                                       \
                        errno = (err);                                                             \
                        return v;                                                                  \
                }                                                                                  \
        } while (0)

/* Declarations of both sides (-Wmissing-prototypes). */
#define DECL(ret, name, ...)                                                                       \
        ret __real_##name(__VA_ARGS__);                                                            \
        ret __wrap_##name(__VA_ARGS__)

/* ---- allocation ---- */

DECL(void *, malloc, size_t);
DECL(void *, calloc, size_t, size_t);
DECL(void *, realloc, void *, size_t);
DECL(void *, reallocarray, void *, size_t, size_t);
DECL(char *, strdup, const char *);
DECL(char *, strndup, const char *, size_t);
DECL(void, free, void *);
DECL(FILE *, open_memstream, char **, size_t *);
DECL(int, fclose, FILE *);
int __wrap_asprintf(char **strp, const char *fmt, ...);
int __wrap___asprintf_chk(char **strp, int flag, const char *fmt, ...);
int __vasprintf_chk(char **strp, int flag, const char *fmt, va_list ap);

void *__wrap_malloc(size_t n) {
        void *p;

        FAIL_WITH("malloc", ENOMEM, NULL);
        p = __real_malloc(n);
        fault_track_alloc(p, "malloc", CALLER);
        return p;
}

void *__wrap_calloc(size_t n, size_t size) {
        void *p;

        FAIL_WITH("calloc", ENOMEM, NULL);
        p = __real_calloc(n, size);
        fault_track_alloc(p, "calloc", CALLER);
        return p;
}

void *__wrap_realloc(void *old, size_t n) {
        void *p;

        FAIL_WITH("realloc", ENOMEM, NULL); /* old stays the caller's */
        p = __real_realloc(old, n);
        if (p) {
                fault_track_free(old);
                fault_track_alloc(p, "realloc", CALLER);
        }
        return p;
}

void *__wrap_reallocarray(void *old, size_t n, size_t size) {
        void *p;

        FAIL_WITH("reallocarray", ENOMEM, NULL);
        p = __real_reallocarray(old, n, size);
        if (p) {
                fault_track_free(old);
                fault_track_alloc(p, "reallocarray", CALLER);
        }
        return p;
}

char *__wrap_strdup(const char *s) {
        char *p;

        FAIL_WITH("strdup", ENOMEM, NULL);
        p = __real_strdup(s);
        fault_track_alloc(p, "strdup", CALLER);
        return p;
}

char *__wrap_strndup(const char *s, size_t n) {
        char *p;

        FAIL_WITH("strndup", ENOMEM, NULL);
        p = __real_strndup(s, n);
        fault_track_alloc(p, "strndup", CALLER);
        return p;
}

void __wrap_free(void *p) {
        fault_track_free(p);
        __real_free(p);
}

int __wrap_asprintf(char **strp, const char *fmt, ...) {
        va_list ap;
        int r;

        FAIL_WITH("asprintf", ENOMEM, -1);
        va_start(ap, fmt);
        r = vasprintf(strp, fmt, ap);
        va_end(ap);
        if (r >= 0)
                fault_track_alloc(*strp, "asprintf", CALLER);
        return r;
}

int __wrap___asprintf_chk(char **strp, int flag, const char *fmt, ...) {
        va_list ap;
        int r;

        FAIL_WITH("asprintf", ENOMEM, -1);
        va_start(ap, fmt);
        r = __vasprintf_chk(strp, flag, fmt, ap);
        va_end(ap);
        if (r >= 0)
                fault_track_alloc(*strp, "asprintf", CALLER);
        return r;
}

/* The buffer belongs to libc until fclose(); the module frees it then. */
FILE *__wrap_open_memstream(char **buf, size_t *size) {
        FAIL_WITH("open_memstream", ENOMEM, NULL);
        return __real_open_memstream(buf, size);
}

/* A failing fclose() still closes (and frees) the stream: as a write error
 * found at close. */
int __wrap_fclose(FILE *f) {
        bool fail = fault_hit("fclose", CALLER);
        int r = __real_fclose(f);

        if (fail) {
                errno = ENOSPC;
                return EOF;
        }
        return r;
}

/* ---- files ---- */

DECL(ssize_t, read, int, void *, size_t);
DECL(ssize_t, __read_chk, int, void *, size_t, size_t);
DECL(ssize_t, write, int, const void *, size_t);
DECL(int, fstat, int, struct stat *);
DECL(int, fstat64, int, struct stat *);
DECL(int, fstatat, int, const char *, struct stat *, int);
DECL(int, fstatat64, int, const char *, struct stat *, int);
DECL(int, fsync, int);
DECL(int, fchmod, int, mode_t);
DECL(int, renameat, int, const char *, int, const char *);
DECL(int, mkdirat, int, const char *, mode_t);
DECL(int, unlinkat, int, const char *, int);
DECL(int, flock, int, int);
DECL(DIR *, fdopendir, int);
DECL(DIR *, opendir, const char *);
DECL(struct dirent *, readdir, DIR *);
DECL(struct dirent *, readdir64, DIR *);
DECL(ssize_t, getrandom, void *, size_t, unsigned);
DECL(int, gethostname, char *, size_t);
DECL(int, open, const char *, int, ...);
DECL(int, open64, const char *, int, ...);
DECL(int, openat, int, const char *, int, ...);
DECL(int, openat64, int, const char *, int, ...);
DECL(int, fcntl, int, int, ...);
DECL(int, fcntl64, int, int, ...);

#define OPEN_MODE(flags, mode)                                                                     \
        do {                                                                                       \
                if ((flags) & (O_CREAT | __O_TMPFILE)) {                                           \
                        va_list ap;                                                                \
                        va_start(ap, flags);                                                       \
                        mode = (mode_t) va_arg(ap, int);                                           \
                        va_end(ap);                                                                \
                }                                                                                  \
        } while (0)

int __wrap_open(const char *path, int flags, ...) {
        mode_t mode = 0;

        OPEN_MODE(flags, mode);
        FAIL_WITH("open", EMFILE, -1);
        return __real_open(path, flags, mode);
}

int __wrap_open64(const char *path, int flags, ...) {
        mode_t mode = 0;

        OPEN_MODE(flags, mode);
        FAIL_WITH("open", EMFILE, -1);
        return __real_open64(path, flags, mode);
}

int __wrap_openat(int dfd, const char *path, int flags, ...) {
        mode_t mode = 0;

        OPEN_MODE(flags, mode);
        FAIL_WITH("openat", EMFILE, -1);
        return __real_openat(dfd, path, flags, mode);
}

int __wrap_openat64(int dfd, const char *path, int flags, ...) {
        mode_t mode = 0;

        OPEN_MODE(flags, mode);
        FAIL_WITH("openat", EMFILE, -1);
        return __real_openat64(dfd, path, flags, mode);
}

int __wrap_fcntl(int fd, int cmd, ...) {
        va_list ap;
        long arg;

        va_start(ap, cmd);
        arg = va_arg(ap, long);
        va_end(ap);
        FAIL_WITH("fcntl", EMFILE, -1);
        return __real_fcntl(fd, cmd, arg);
}

int __wrap_fcntl64(int fd, int cmd, ...) {
        va_list ap;
        long arg;

        va_start(ap, cmd);
        arg = va_arg(ap, long);
        va_end(ap);
        FAIL_WITH("fcntl", EMFILE, -1);
        return __real_fcntl64(fd, cmd, arg);
}

ssize_t __wrap_read(int fd, void *buf, size_t n) {
        FAIL_WITH("read", EIO, -1);
        return __real_read(fd, buf, n);
}

ssize_t __wrap___read_chk(int fd, void *buf, size_t n, size_t buflen) {
        FAIL_WITH("read", EIO, -1);
        return __real___read_chk(fd, buf, n, buflen);
}

ssize_t __wrap_write(int fd, const void *buf, size_t n) {
        FAIL_WITH("write", ENOSPC, -1);
        return __real_write(fd, buf, n);
}

int __wrap_fstat(int fd, struct stat *st) {
        FAIL_WITH("fstat", EIO, -1);
        return __real_fstat(fd, st);
}

int __wrap_fstat64(int fd, struct stat *st) {
        FAIL_WITH("fstat", EIO, -1);
        return __real_fstat64(fd, st);
}

int __wrap_fstatat(int dfd, const char *name, struct stat *st, int flags) {
        FAIL_WITH("fstatat", EIO, -1);
        return __real_fstatat(dfd, name, st, flags);
}

int __wrap_fstatat64(int dfd, const char *name, struct stat *st, int flags) {
        FAIL_WITH("fstatat", EIO, -1);
        return __real_fstatat64(dfd, name, st, flags);
}

int __wrap_fsync(int fd) {
        FAIL_WITH("fsync", EIO, -1);
        return __real_fsync(fd);
}

int __wrap_fchmod(int fd, mode_t mode) {
        FAIL_WITH("fchmod", EIO, -1);
        return __real_fchmod(fd, mode);
}

int __wrap_renameat(int a, const char *an, int b, const char *bn) {
        FAIL_WITH("renameat", EIO, -1);
        return __real_renameat(a, an, b, bn);
}

int __wrap_mkdirat(int dfd, const char *name, mode_t mode) {
        FAIL_WITH("mkdirat", EIO, -1);
        return __real_mkdirat(dfd, name, mode);
}

int __wrap_unlinkat(int dfd, const char *name, int flags) {
        FAIL_WITH("unlinkat", EIO, -1);
        return __real_unlinkat(dfd, name, flags);
}

int __wrap_flock(int fd, int op) {
        FAIL_WITH("flock", ENOLCK, -1);
        return __real_flock(fd, op);
}

DIR *__wrap_fdopendir(int fd) {
        FAIL_WITH("fdopendir", ENOMEM, NULL);
        return __real_fdopendir(fd);
}

DIR *__wrap_opendir(const char *path) {
        FAIL_WITH("opendir", EMFILE, NULL);
        return __real_opendir(path);
}

struct dirent *__wrap_readdir(DIR *d) {
        FAIL_WITH("readdir", EIO, NULL);
        return __real_readdir(d);
}

struct dirent *__wrap_readdir64(DIR *d) {
        FAIL_WITH("readdir", EIO, NULL);
        return __real_readdir64(d);
}

ssize_t __wrap_getrandom(void *buf, size_t n, unsigned flags) {
        FAIL_WITH("getrandom", EIO, -1);
        return __real_getrandom(buf, n, flags);
}

int __wrap_gethostname(char *name, size_t len) {
        FAIL_WITH("gethostname", EIO, -1);
        return __real_gethostname(name, len);
}

/* ---- NSS: the error number is returned, *res is NULL ---- */

DECL(int, getpwnam_r, const char *, struct passwd *, char *, size_t, struct passwd **);
DECL(int, getpwuid_r, uid_t, struct passwd *, char *, size_t, struct passwd **);
DECL(int, getgrnam_r, const char *, struct group *, char *, size_t, struct group **);

int __wrap_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t size,
                      struct passwd **res) {
        if (fault_hit("getpwnam_r", CALLER)) {
                *res = NULL;
                return EIO;
        }
        return __real_getpwnam_r(name, pw, buf, size, res);
}

int __wrap_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t size, struct passwd **res) {
        if (fault_hit("getpwuid_r", CALLER)) {
                *res = NULL;
                return EIO;
        }
        return __real_getpwuid_r(uid, pw, buf, size, res);
}

int __wrap_getgrnam_r(const char *name, struct group *gr, char *buf, size_t size,
                      struct group **res) {
        if (fault_hit("getgrnam_r", CALLER)) {
                *res = NULL;
                return EIO;
        }
        return __real_getgrnam_r(name, gr, buf, size, res);
}

/* ---- PAM ---- */

DECL(int, pam_get_item, const pam_handle_t *, int, const void **);
DECL(int, pam_get_data, const pam_handle_t *, const char *, const void **);
DECL(int, pam_set_data, pam_handle_t *, const char *, void *,
     void (*)(pam_handle_t *, void *, int));
DECL(int, pam_putenv, pam_handle_t *, const char *);
int __wrap_pam_prompt(pam_handle_t *pamh, int style, char **response, const char *fmt, ...);

int __wrap_pam_get_item(const pam_handle_t *pamh, int item, const void **ret) {
        FAIL_WITH("pam_get_item", EINVAL, PAM_SYSTEM_ERR);
        return __real_pam_get_item(pamh, item, ret);
}

int __wrap_pam_get_data(const pam_handle_t *pamh, const char *name, const void **ret) {
        FAIL_WITH("pam_get_data", EINVAL, PAM_SYSTEM_ERR);
        return __real_pam_get_data(pamh, name, ret);
}

int __wrap_pam_set_data(pam_handle_t *pamh, const char *name, void *data,
                        void (*cleanup)(pam_handle_t *, void *, int)) {
        FAIL_WITH("pam_set_data", ENOMEM, PAM_BUF_ERR);
        return __real_pam_set_data(pamh, name, data, cleanup);
}

int __wrap_pam_putenv(pam_handle_t *pamh, const char *nv) {
        FAIL_WITH("pam_putenv", ENOMEM, PAM_BUF_ERR);
        return __real_pam_putenv(pamh, nv);
}

/* pam_error() and pam_info() are pam_prompt() too (pam_ext.h). */
int __wrap_pam_prompt(pam_handle_t *pamh, int style, char **response, const char *fmt, ...) {
        va_list ap;
        int r;

        FAIL_WITH("pam_prompt", ENOMEM, PAM_BUF_ERR);
        va_start(ap, fmt);
        r = pam_vprompt(pamh, style, response, fmt, ap);
        va_end(ap);
        return r;
}

/* ---- journald (common/host/audit.c speaks its protocol on a socket) ---- */

DECL(int, socket, int, int, int);
DECL(ssize_t, sendmsg, int, const struct msghdr *, int);

int __wrap_socket(int domain, int type, int proto) {
        FAIL_WITH("socket", EMFILE, -1);
        return __real_socket(domain, type, proto);
}

ssize_t __wrap_sendmsg(int fd, const struct msghdr *mh, int flags) {
        FAIL_WITH("sendmsg", ENOBUFS, -1);
        return __real_sendmsg(fd, mh, flags);
}

/* ---- json-c ---- */

DECL(struct json_tokener *, json_tokener_new_ex, int);
DECL(struct json_object *, json_tokener_parse_ex, struct json_tokener *, const char *, int);
DECL(struct json_object *, json_object_new_object, void);
DECL(struct json_object *, json_object_new_string, const char *);
DECL(int, json_object_object_add, struct json_object *, const char *, struct json_object *);
DECL(const char *, json_object_to_json_string_ext, struct json_object *, int);

struct json_tokener *__wrap_json_tokener_new_ex(int depth) {
        FAIL_WITH("json_tokener_new_ex", ENOMEM, NULL);
        return __real_json_tokener_new_ex(depth);
}

struct json_object *__wrap_json_tokener_parse_ex(struct json_tokener *tok, const char *s, int n) {
        FAIL_WITH("json_tokener_parse_ex", ENOMEM, NULL);
        return __real_json_tokener_parse_ex(tok, s, n);
}

struct json_object *__wrap_json_object_new_object(void) {
        FAIL_WITH("json_object_new_object", ENOMEM, NULL);
        return __real_json_object_new_object();
}

struct json_object *__wrap_json_object_new_string(const char *s) {
        FAIL_WITH("json_object_new_string", ENOMEM, NULL);
        return __real_json_object_new_string(s);
}

/* On failure json-c does not take val: the caller still owns it. */
int __wrap_json_object_object_add(struct json_object *o, const char *k, struct json_object *v) {
        FAIL_WITH("json_object_object_add", ENOMEM, -1);
        return __real_json_object_object_add(o, k, v);
}

const char *__wrap_json_object_to_json_string_ext(struct json_object *o, int flags) {
        FAIL_WITH("json_object_to_json_string_ext", ENOMEM, NULL);
        return __real_json_object_to_json_string_ext(o, flags);
}

/* ---- OpenSSL: anything but 1 (or a pointer) is failure ---- */

DECL(EVP_MD_CTX *, EVP_MD_CTX_new, void);
DECL(int, EVP_DigestVerifyInit, EVP_MD_CTX *, EVP_PKEY_CTX **, const EVP_MD *, ENGINE *,
     EVP_PKEY *);
DECL(int, EVP_DigestVerify, EVP_MD_CTX *, const unsigned char *, size_t, const unsigned char *,
     size_t);
DECL(int, EVP_DigestSignInit, EVP_MD_CTX *, EVP_PKEY_CTX **, const EVP_MD *, ENGINE *, EVP_PKEY *);
DECL(int, EVP_DigestSign, EVP_MD_CTX *, unsigned char *, size_t *, const unsigned char *, size_t);
DECL(int, EVP_Digest, const void *, size_t, unsigned char *, unsigned int *, const EVP_MD *,
     ENGINE *);
DECL(EVP_PKEY *, EVP_PKEY_new_raw_public_key, int, ENGINE *, const unsigned char *, size_t);
DECL(int, EVP_PKEY_fromdata_init, EVP_PKEY_CTX *);
DECL(int, EVP_PKEY_fromdata, EVP_PKEY_CTX *, EVP_PKEY **, int, OSSL_PARAM *);
DECL(EVP_PKEY_CTX *, EVP_PKEY_CTX_new_from_name, OSSL_LIB_CTX *, const char *, const char *);
DECL(EVP_PKEY_CTX *, EVP_PKEY_CTX_new_from_pkey, OSSL_LIB_CTX *, EVP_PKEY *, const char *);
DECL(int, EVP_PKEY_CTX_set_rsa_padding, EVP_PKEY_CTX *, int);
DECL(int, EVP_PKEY_CTX_set_rsa_pss_saltlen, EVP_PKEY_CTX *, int);
DECL(int, EVP_PKEY_CTX_set_rsa_mgf1_md, EVP_PKEY_CTX *, const EVP_MD *);
DECL(int, EVP_PKEY_public_check, EVP_PKEY_CTX *);
DECL(int, EVP_PKEY_get_size, const EVP_PKEY *);
DECL(BIGNUM *, BN_bin2bn, const unsigned char *, int, BIGNUM *);
DECL(int, BN_bn2binpad, const BIGNUM *, unsigned char *, int);
DECL(OSSL_PARAM_BLD *, OSSL_PARAM_BLD_new, void);
DECL(int, OSSL_PARAM_BLD_push_BN, OSSL_PARAM_BLD *, const char *, const BIGNUM *);
DECL(int, OSSL_PARAM_BLD_push_octet_string, OSSL_PARAM_BLD *, const char *, const void *, size_t);
DECL(int, OSSL_PARAM_BLD_push_utf8_string, OSSL_PARAM_BLD *, const char *, const char *, size_t);
DECL(OSSL_PARAM *, OSSL_PARAM_BLD_to_param, OSSL_PARAM_BLD *);
DECL(ECDSA_SIG *, ECDSA_SIG_new, void);
DECL(int, ECDSA_SIG_set0, ECDSA_SIG *, BIGNUM *, BIGNUM *);
DECL(ECDSA_SIG *, d2i_ECDSA_SIG, ECDSA_SIG **, const unsigned char **, long);
DECL(int, i2d_ECDSA_SIG, const ECDSA_SIG *, unsigned char **);

EVP_MD_CTX *__wrap_EVP_MD_CTX_new(void) {
        FAIL_WITH("EVP_MD_CTX_new", ENOMEM, NULL);
        return __real_EVP_MD_CTX_new();
}

int __wrap_EVP_DigestVerifyInit(EVP_MD_CTX *c, EVP_PKEY_CTX **pc, const EVP_MD *md, ENGINE *e,
                                EVP_PKEY *k) {
        FAIL_WITH("EVP_DigestVerifyInit", ENOMEM, 0);
        return __real_EVP_DigestVerifyInit(c, pc, md, e, k);
}

/* -1, not 0: "not 1" must be the test, not "not 0". */
int __wrap_EVP_DigestVerify(EVP_MD_CTX *c, const unsigned char *sig, size_t sl,
                            const unsigned char *m, size_t ml) {
        FAIL_WITH("EVP_DigestVerify", ENOMEM, -1);
        return __real_EVP_DigestVerify(c, sig, sl, m, ml);
}

int __wrap_EVP_DigestSignInit(EVP_MD_CTX *c, EVP_PKEY_CTX **pc, const EVP_MD *md, ENGINE *e,
                              EVP_PKEY *k) {
        FAIL_WITH("EVP_DigestSignInit", ENOMEM, 0);
        return __real_EVP_DigestSignInit(c, pc, md, e, k);
}

int __wrap_EVP_DigestSign(EVP_MD_CTX *c, unsigned char *sig, size_t *sl, const unsigned char *m,
                          size_t ml) {
        FAIL_WITH("EVP_DigestSign", ENOMEM, 0);
        return __real_EVP_DigestSign(c, sig, sl, m, ml);
}

int __wrap_EVP_Digest(const void *d, size_t n, unsigned char *md, unsigned int *s, const EVP_MD *t,
                      ENGINE *e) {
        FAIL_WITH("EVP_Digest", ENOMEM, 0);
        return __real_EVP_Digest(d, n, md, s, t, e);
}

EVP_PKEY *__wrap_EVP_PKEY_new_raw_public_key(int type, ENGINE *e, const unsigned char *k,
                                             size_t n) {
        FAIL_WITH("EVP_PKEY_new_raw_public_key", ENOMEM, NULL);
        return __real_EVP_PKEY_new_raw_public_key(type, e, k, n);
}

int __wrap_EVP_PKEY_fromdata_init(EVP_PKEY_CTX *c) {
        FAIL_WITH("EVP_PKEY_fromdata_init", ENOMEM, 0);
        return __real_EVP_PKEY_fromdata_init(c);
}

int __wrap_EVP_PKEY_fromdata(EVP_PKEY_CTX *c, EVP_PKEY **k, int sel, OSSL_PARAM *p) {
        FAIL_WITH("EVP_PKEY_fromdata", ENOMEM, 0);
        return __real_EVP_PKEY_fromdata(c, k, sel, p);
}

EVP_PKEY_CTX *__wrap_EVP_PKEY_CTX_new_from_name(OSSL_LIB_CTX *l, const char *n, const char *q) {
        FAIL_WITH("EVP_PKEY_CTX_new_from_name", ENOMEM, NULL);
        return __real_EVP_PKEY_CTX_new_from_name(l, n, q);
}

EVP_PKEY_CTX *__wrap_EVP_PKEY_CTX_new_from_pkey(OSSL_LIB_CTX *l, EVP_PKEY *k, const char *q) {
        FAIL_WITH("EVP_PKEY_CTX_new_from_pkey", ENOMEM, NULL);
        return __real_EVP_PKEY_CTX_new_from_pkey(l, k, q);
}

int __wrap_EVP_PKEY_CTX_set_rsa_padding(EVP_PKEY_CTX *c, int p) {
        FAIL_WITH("EVP_PKEY_CTX_set_rsa_padding", EINVAL, -2);
        return __real_EVP_PKEY_CTX_set_rsa_padding(c, p);
}

int __wrap_EVP_PKEY_CTX_set_rsa_pss_saltlen(EVP_PKEY_CTX *c, int s) {
        FAIL_WITH("EVP_PKEY_CTX_set_rsa_pss_saltlen", EINVAL, 0);
        return __real_EVP_PKEY_CTX_set_rsa_pss_saltlen(c, s);
}

int __wrap_EVP_PKEY_CTX_set_rsa_mgf1_md(EVP_PKEY_CTX *c, const EVP_MD *md) {
        FAIL_WITH("EVP_PKEY_CTX_set_rsa_mgf1_md", EINVAL, 0);
        return __real_EVP_PKEY_CTX_set_rsa_mgf1_md(c, md);
}

int __wrap_EVP_PKEY_public_check(EVP_PKEY_CTX *c) {
        FAIL_WITH("EVP_PKEY_public_check", ENOMEM, -1);
        return __real_EVP_PKEY_public_check(c);
}

int __wrap_EVP_PKEY_get_size(const EVP_PKEY *k) {
        FAIL_WITH("EVP_PKEY_get_size", EINVAL, 0);
        return __real_EVP_PKEY_get_size(k);
}

BIGNUM *__wrap_BN_bin2bn(const unsigned char *s, int n, BIGNUM *r) {
        FAIL_WITH("BN_bin2bn", ENOMEM, NULL);
        return __real_BN_bin2bn(s, n, r);
}

int __wrap_BN_bn2binpad(const BIGNUM *a, unsigned char *to, int n) {
        FAIL_WITH("BN_bn2binpad", EINVAL, -1);
        return __real_BN_bn2binpad(a, to, n);
}

OSSL_PARAM_BLD *__wrap_OSSL_PARAM_BLD_new(void) {
        FAIL_WITH("OSSL_PARAM_BLD_new", ENOMEM, NULL);
        return __real_OSSL_PARAM_BLD_new();
}

int __wrap_OSSL_PARAM_BLD_push_BN(OSSL_PARAM_BLD *b, const char *k, const BIGNUM *bn) {
        FAIL_WITH("OSSL_PARAM_BLD_push_BN", ENOMEM, 0);
        return __real_OSSL_PARAM_BLD_push_BN(b, k, bn);
}

int __wrap_OSSL_PARAM_BLD_push_octet_string(OSSL_PARAM_BLD *b, const char *k, const void *v,
                                            size_t n) {
        FAIL_WITH("OSSL_PARAM_BLD_push_octet_string", ENOMEM, 0);
        return __real_OSSL_PARAM_BLD_push_octet_string(b, k, v, n);
}

int __wrap_OSSL_PARAM_BLD_push_utf8_string(OSSL_PARAM_BLD *b, const char *k, const char *v,
                                           size_t n) {
        FAIL_WITH("OSSL_PARAM_BLD_push_utf8_string", ENOMEM, 0);
        return __real_OSSL_PARAM_BLD_push_utf8_string(b, k, v, n);
}

OSSL_PARAM *__wrap_OSSL_PARAM_BLD_to_param(OSSL_PARAM_BLD *b) {
        FAIL_WITH("OSSL_PARAM_BLD_to_param", ENOMEM, NULL);
        return __real_OSSL_PARAM_BLD_to_param(b);
}

ECDSA_SIG *__wrap_ECDSA_SIG_new(void) {
        FAIL_WITH("ECDSA_SIG_new", ENOMEM, NULL);
        return __real_ECDSA_SIG_new();
}

/* On failure r and s stay the caller's. */
int __wrap_ECDSA_SIG_set0(ECDSA_SIG *sig, BIGNUM *r, BIGNUM *s) {
        FAIL_WITH("ECDSA_SIG_set0", EINVAL, 0);
        return __real_ECDSA_SIG_set0(sig, r, s);
}

ECDSA_SIG *__wrap_d2i_ECDSA_SIG(ECDSA_SIG **a, const unsigned char **pp, long n) {
        FAIL_WITH("d2i_ECDSA_SIG", ENOMEM, NULL);
        return __real_d2i_ECDSA_SIG(a, pp, n);
}

int __wrap_i2d_ECDSA_SIG(const ECDSA_SIG *sig, unsigned char **pp) {
        FAIL_WITH("i2d_ECDSA_SIG", ENOMEM, -1);
        return __real_i2d_ECDSA_SIG(sig, pp);
}
