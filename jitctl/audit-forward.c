/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jitctl audit forward: the host's journal to a systemd-journal-remote
 * receiver over TLS with a client certificate, by systemd-journal-upload
 * (no shipper of our own). It writes one drop-in for
 * systemd-journal-upload.service and starts the service: the key and
 * certificates are handed over as credentials (LoadCredential=), so the key
 * stays root's 0600 file although the uploader runs as a dynamic user; the
 * cursor of the last entry delivered is kept with --save-state, so delivery
 * resumes where it stopped (docs/admin-guide.md, "The audit trail off the
 * host"). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "jitctl.h"
#include "journal-audit.h"

#define UPLOAD_DROPIN_DIR "/etc/systemd/system/systemd-journal-upload.service.d"
#define UPLOAD_DROPIN_FILE "50-jit-access.conf"
/* /usr/lib: Debian 12 (merged /usr) and Fedora alike. */
#define UPLOAD_BINARY "/usr/lib/systemd/systemd-journal-upload"

static void help(void) {
        printf("Usage: jitctl audit forward --to URL --key FILE --cert FILE --trust FILE\n"
               "                            [--root DIR] [--no-start]\n"
               "       jitctl audit forward --off [--root DIR] [--no-start]\n\n"
               "Send this host's journal, jit-access audit entries included, to a\n"
               "systemd-journal-remote receiver over HTTPS with a client certificate, through\n"
               "systemd-journal-upload. Writes " UPLOAD_DROPIN_DIR "/" UPLOAD_DROPIN_FILE "\n"
               "and enables and (re)starts systemd-journal-upload.service. Delivery resumes\n"
               "after the last entry sent (--save-state).\n\n"
               "Options:\n"
               "  --to URL       the receiver, e.g. https://logs.example.com:19532\n"
               "  --key FILE     this host's TLS key (PEM), read as a credential by systemd\n"
               "  --cert FILE    this host's certificate (PEM)\n"
               "  --trust FILE   the CA certificate that signed the receiver's (PEM)\n"
               "  --off          remove the drop-in (and stop the uploader)\n"
               "  --root DIR     write under DIR instead of /, start nothing (tests, images)\n"
               "  --no-start     write the drop-in only\n"
               "  -h, --help     show this help\n\n" EXIT_CODES_HELP);
}

/* A value on a unit file line: absolute, printable, no space, quote, '%' or
 * backslash (each would change what systemd reads). */
static bool unit_value_ok(const char *s, bool path) {
        if (!s || !s[0] || strlen(s) > 1024 || (path && s[0] != '/'))
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p <= 0x20 || *p == 0x7f || strchr("\"'\\%;", *p))
                        return false;
        return true;
}

static int run(char *const argv[]) {
        pid_t pid = fork();
        int status;

        if (pid < 0)
                return -errno;
        if (pid == 0) {
                execv(argv[0], argv);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static int systemctl(const char *a, const char *b, const char *c) {
        char *argv[] = {(char *) "/bin/systemctl", (char *) a, (char *) b, (char *) c, NULL};

        if (run(argv) < 0) {
                ctl_error("systemctl %s %s%s%s failed", a, strempty(b), c ? " " : "", strempty(c));
                return -EIO;
        }
        return 0;
}

static int mkdir_parents(const char *root, const char *dir) {
        _cleanup_free_ char *p = NULL;

        if (asprintf(&p, "%s%s", root, dir) < 0)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++)
                if (*s == '/') {
                        *s = '\0';
                        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                                return -errno;
                        *s = '/';
                }
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int verb_audit_forward(int argc, char *argv[]) {
        enum { OPT_TO = 0x100, OPT_KEY, OPT_CERT, OPT_TRUST, OPT_ROOT, OPT_NO_START, OPT_OFF };
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"to", required_argument, NULL, OPT_TO},
                {"key", required_argument, NULL, OPT_KEY},
                {"cert", required_argument, NULL, OPT_CERT},
                {"trust", required_argument, NULL, OPT_TRUST},
                {"root", required_argument, NULL, OPT_ROOT},
                {"no-start", no_argument, NULL, OPT_NO_START},
                {"off", no_argument, NULL, OPT_OFF},
                {},
        };
        const char *to = NULL, *key = NULL, *cert = NULL, *trust = NULL, *root = "";
        _cleanup_free_ char *path = NULL, *text = NULL;
        struct jit_error err = {};
        bool start = true, off = false;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_OK;
                case OPT_TO:
                        to = optarg;
                        break;
                case OPT_KEY:
                        key = optarg;
                        break;
                case OPT_CERT:
                        cert = optarg;
                        break;
                case OPT_TRUST:
                        trust = optarg;
                        break;
                case OPT_ROOT:
                        root = optarg;
                        start = false;
                        break;
                case OPT_NO_START:
                        start = false;
                        break;
                case OPT_OFF:
                        off = true;
                        break;
                default:
                        ctl_error("run 'jitctl audit forward --help' for usage");
                        return EXIT_USAGE;
                }
        if (optind < argc) {
                ctl_error("unexpected argument '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        if (asprintf(&path, "%s" UPLOAD_DROPIN_DIR "/" UPLOAD_DROPIN_FILE, root) < 0)
                return EXIT_SYSTEM;

        if (off) {
                if (unlink(path) < 0 && errno != ENOENT) {
                        ctl_error("cannot remove %s: %m", path);
                        return EXIT_SYSTEM;
                }
                printf("removed %s\n", path);
                if (start && (systemctl("disable", "--now", "systemd-journal-upload.service") < 0 ||
                              systemctl("daemon-reload", NULL, NULL) < 0))
                        return EXIT_SYSTEM;
                return EXIT_OK;
        }

        if (!to || !key || !cert || !trust) {
                ctl_error("--to, --key, --cert and --trust are required");
                return EXIT_USAGE;
        }
        if (strncmp(to, "https://", 8) != 0 || !unit_value_ok(to, false)) {
                ctl_error("--to: '%s' is not an https:// URL (the trail goes over TLS only)", to);
                return EXIT_USAGE;
        }
        {
                const char *files[][2] = {{"--key", key}, {"--cert", cert}, {"--trust", trust}};

                for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                        _cleanup_free_ char *full = NULL;
                        struct stat st;

                        if (!unit_value_ok(files[i][1], true)) {
                                ctl_error("%s: '%s' must be an absolute path without spaces, "
                                          "quotes, '%%' or ';'",
                                          files[i][0], files[i][1]);
                                return EXIT_USAGE;
                        }
                        if (asprintf(&full, "%s%s", root, files[i][1]) < 0)
                                return EXIT_SYSTEM;
                        if (stat(full, &st) < 0 || !S_ISREG(st.st_mode)) {
                                ctl_error("%s: %s is not a file", files[i][0], full);
                                return EXIT_USAGE;
                        }
                }
        }

        /* ExecStart= is replaced whole: the URL and the credentials on its
         * command line win over any journal-upload.conf, and --save-state
         * keeps the cursor in the unit's StateDirectory. */
        if (asprintf(&text,
                     "# Written by jitctl audit forward: this host's journal, jit-access audit\n"
                     "# entries included, to %s. Remove with jitctl audit forward --off.\n"
                     "[Service]\n"
                     "LoadCredential=jit-upload.key:%s\n"
                     "LoadCredential=jit-upload.crt:%s\n"
                     "LoadCredential=jit-upload-ca.crt:%s\n"
                     "ExecStart=\n"
                     "ExecStart=" UPLOAD_BINARY " --save-state --url=%s"
                     " --key=%%d/jit-upload.key --cert=%%d/jit-upload.crt"
                     " --trust=%%d/jit-upload-ca.crt\n"
                     "Restart=always\n"
                     "RestartSec=5s\n",
                     to, key, cert, trust, to) < 0)
                return EXIT_SYSTEM;
        r = mkdir_parents(root, UPLOAD_DROPIN_DIR);
        if (r < 0) {
                ctl_error("cannot create %s" UPLOAD_DROPIN_DIR ": %s", root, strerror(-r));
                return EXIT_SYSTEM;
        }
        if (write_file_atomic(path, text, strlen(text), 0644, &err) < 0) {
                ctl_file_error(path, &err);
                return EXIT_SYSTEM;
        }
        printf("wrote %s\n", path);
        if (start) {
                if (systemctl("daemon-reload", NULL, NULL) < 0 ||
                    systemctl("enable", "systemd-journal-upload.service", NULL) < 0 ||
                    systemctl("restart", "systemd-journal-upload.service", NULL) < 0)
                        return EXIT_SYSTEM;
                printf("systemd-journal-upload.service enabled and started: forwarding to %s\n",
                       to);
        }
        return EXIT_OK;
}
