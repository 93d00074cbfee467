/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The built pam_jit.so loads with every symbol resolved (RTLD_NOW), offers
 * the five PAM entry points and nothing of libjit: a module that leaked its
 * internals could collide with the host program's own symbols (sshd, sudo)
 * and would be an ABI nobody promised. check-exports.sh lists the whole
 * dynamic symbol table with nm.
 *
 * It also cannot sign: the issuer's code (common/issuer/, libjitissuer) is
 * not linked into it, so neither its functions nor the OpenSSL signing and
 * key-generation calls they make appear in the module's symbol tables
 * (.symtab when not stripped, and .dynsym, which names every import). */

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const entry_points[] = {
        "pam_sm_authenticate", "pam_sm_setcred",       "pam_sm_acct_mgmt",
        "pam_sm_open_session", "pam_sm_close_session",
};

/* Internal functions of the module and of common/ (libjit, linked in
 * statically) that must stay hidden. */
static const char *const hidden[] = {
        "pam_sm_chauthtok",     "grant_verify",       "grant_from_token",  "grant_check_time",
        "jws_verify_raw",       "jws_verify_compact", "trust_store_parse", "trust_store_load",
        "config_load",          "config_parse",       "read_file_secure",  "write_file_atomic",
        "hoststate_apply_head", "user_grants_load",   "host_facts_load",   "session_record_save",
        "session_record_load",  "session_id_of_pid",  "head_from_token",   "base64url_decode",
        "json_parse_strict",    "jit_error_set",      "explicit_wipe",     "strv_free",
        "user_name_is_valid",   "selector_matches",   "audit_log",
};

/* The issuer's side (common/issuer/): absent from the file, not merely
 * hidden; and the OpenSSL calls that only signing and key generation make. */
static const char *const absent[] = {
        "jws_sign",
        "jws_sign_compact",
        "key_generate",
        "key_load_private",
        "key_save_private",
        "key_to_public_jwk",
        "key_thumbprint",
        "EVP_DigestSign",
        "EVP_DigestSignInit",
        "EVP_PKEY_Q_keygen",
        "PEM_read_bio_PrivateKey",
        "PEM_write_bio_PrivateKey",
        "store_build",
        "store_head_claims",
        /* The cloud code is the agent's and its helper's: pam_jit reads
         * run_dir/facts and nothing else about facts. */
        "cloud_detect_dmi",
        "cloud_facts_aws_identity",
        "cloud_facts_azure_compute",
        "cloud_facts_gcp",
        "cloud_facts_record_load",
};

/* Is any name of absent[] in a symbol table of the ELF file at path? Sets
 * *ret_symtab when the file has a .symtab (is not stripped). */
static int check_absent(const char *path, bool *ret_symtab) {
        const Elf64_Ehdr *eh;
        const Elf64_Shdr *sh;
        struct stat st;
        const char *map;
        int fd, found = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
                perror(path);
                return -1;
        }
        map = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        (void) close(fd);
        if (map == MAP_FAILED) {
                perror("mmap");
                return -1;
        }
        eh = (const Elf64_Ehdr *) map;
        if ((size_t) st.st_size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
            eh->e_ident[EI_CLASS] != ELFCLASS64 ||
            eh->e_shoff + (size_t) eh->e_shnum * sizeof(*sh) > (size_t) st.st_size) {
                fprintf(stderr, "%s: not a 64-bit ELF file\n", path);
                (void) munmap((void *) map, (size_t) st.st_size);
                return -1;
        }
        sh = (const Elf64_Shdr *) (map + eh->e_shoff);
        *ret_symtab = false;
        for (unsigned i = 0; i < eh->e_shnum; i++) {
                const Elf64_Sym *sym;
                const char *strtab;
                size_t n;

                if (sh[i].sh_type != SHT_SYMTAB && sh[i].sh_type != SHT_DYNSYM)
                        continue;
                if (sh[i].sh_type == SHT_SYMTAB)
                        *ret_symtab = true;
                sym = (const Elf64_Sym *) (map + sh[i].sh_offset);
                strtab = map + sh[sh[i].sh_link].sh_offset;
                n = sh[i].sh_size / sizeof(Elf64_Sym);
                for (size_t k = 0; k < n; k++) {
                        const char *name = strtab + sym[k].st_name;
                        size_t len = strcspn(name, "@");

                        for (size_t a = 0; a < sizeof(absent) / sizeof(absent[0]); a++)
                                if (strlen(absent[a]) == len &&
                                    strncmp(name, absent[a], len) == 0) {
                                        fprintf(stderr, "%s: %s in %s\n", path, name,
                                                sh[i].sh_type == SHT_SYMTAB ? ".symtab"
                                                                            : ".dynsym");
                                        found++;
                                }
                }
        }
        (void) munmap((void *) map, (size_t) st.st_size);
        return found;
}

int main(int argc, char **argv) {
        bool ok = true;
        void *h;

        if (argc != 2) {
                fprintf(stderr, "usage: %s /path/to/pam_jit.so\n", argv[0]);
                return 2;
        }
        h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                fprintf(stderr, "dlopen(RTLD_NOW): %s\n", dlerror());
                return 1;
        }
        for (size_t i = 0; i < sizeof(entry_points) / sizeof(entry_points[0]); i++) {
                if (!dlsym(h, entry_points[i])) {
                        fprintf(stderr, "missing entry point %s\n", entry_points[i]);
                        ok = false;
                } else
                        printf("ok: %s exported\n", entry_points[i]);
        }
        for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
                if (dlsym(h, hidden[i])) {
                        fprintf(stderr, "internal symbol %s is exported\n", hidden[i]);
                        ok = false;
                } else
                        printf("ok: %s hidden\n", hidden[i]);
        }
        {
                bool symtab = false;
                int n = check_absent(argv[1], &symtab);

                if (n != 0)
                        ok = false;
                else
                        printf("ok: no signing or key generation symbol in %s%s\n",
                               symtab ? ".symtab and .dynsym" : ".dynsym",
                               symtab ? "" : " (stripped: no .symtab to check)");
        }
        if (dlclose(h) != 0) {
                fprintf(stderr, "dlclose: %s\n", dlerror());
                ok = false;
        }
        return ok ? 0 : 1;
}
