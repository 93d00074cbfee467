/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cloud detection from DMI, after cloud-init's ds-identify (dscheck_Ec2,
 * dscheck_GCE, dscheck_Azure) and systemd's detect_vm_dmi(). The rules and
 * their sources are in docs/admin-guide.md, "Cloud facts". */

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cloud-detect.h"
#include "macro.h"

/* DMI strings are short (SMBIOS limits them to 64 bytes or so); more is
 * not a DMI string, and is read no further. */
#define DMI_VALUE_MAX 256

/* root/rel, its first line without trailing white space, into buf ("" when
 * missing or unreadable). */
static void dmi_read(const char *root, const char *rel, char *buf, size_t size) {
        char path[4096];
        ssize_t n;
        int fd;

        buf[0] = '\0';
        if (snprintf(path, sizeof(path), "%s/%s", root, rel) >= (int) sizeof(path))
                return;
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return;
        n = read(fd, buf, size - 1);
        close(fd);
        if (n <= 0) {
                buf[0] = '\0';
                return;
        }
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        for (size_t l = strlen(buf); l > 0 && (buf[l - 1] == ' ' || buf[l - 1] == '\t'); l--)
                buf[l - 1] = '\0';
}

static bool starts_with(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool dmi_is_aws(const char *root) {
        static const char *const vendors[] = {
                "class/dmi/id/sys_vendor", "class/dmi/id/board_vendor", "class/dmi/id/bios_vendor"};
        char v[DMI_VALUE_MAX];

        for (size_t i = 0; i < ELEMENTSOF(vendors); i++) {
                dmi_read(root, vendors[i], v, sizeof(v));
                if (starts_with(v, "Amazon EC2"))
                        return true;
        }
        /* Older Xen instances: the hypervisor's UUID, or the product UUID
         * (root's only), starts with "ec2", in either case. */
        dmi_read(root, "hypervisor/uuid", v, sizeof(v));
        if (strncasecmp(v, "ec2", 3) == 0)
                return true;
        dmi_read(root, "class/dmi/id/product_uuid", v, sizeof(v));
        return strncasecmp(v, "ec2", 3) == 0;
}

static bool dmi_is_gcp(const char *root) {
        char v[DMI_VALUE_MAX];

        dmi_read(root, "class/dmi/id/product_name", v, sizeof(v));
        return streq(v, "Google Compute Engine") || streq(v, "Google");
}

static bool dmi_is_azure(const char *root) {
        char v[DMI_VALUE_MAX];

        dmi_read(root, "class/dmi/id/chassis_asset_tag", v, sizeof(v));
        return streq(v, "7783-7084-3265-9085-8269-3286-77");
}

enum cloud cloud_detect_dmi(const char *sys_root) {
        const char *root = sys_root && *sys_root ? sys_root : "/sys";

        if (dmi_is_aws(root))
                return CLOUD_AWS;
        if (dmi_is_gcp(root))
                return CLOUD_GCP;
        if (dmi_is_azure(root))
                return CLOUD_AZURE;
        return CLOUD_NONE;
}
