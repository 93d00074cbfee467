#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Real PAM transactions from a test script: libpam through ctypes,
pam_start_confdir() on a test stack folder (docs/testing.md), so the built
pam_jit.so is exercised as sshd would, without touching /etc.

pam-txn.py CONFDIR SERVICE USER account
    pam_acct_mgmt(): exit 0 when it admits, 1 when it refuses; the
    messages the stack sends and the result are printed.
pam-txn.py CONFDIR SERVICE USER session PIDFILE
    pam_acct_mgmt() then pam_open_session() (pam_loginuid.so in the stack
    gives this process an audit session of its own), then "PID SESSIONID"
    into PIDFILE and sleep until a signal ends the process: a login session
    for jit-agent to end. Exit 1 at once if either step refuses.

The user must resolve (getpwnam) where the stack needs it: the test runs
this in a mount namespace with a passwd file of its own."""

import ctypes
import os
import signal
import sys

PAM_TTY = 3
PAM_RHOST = 4


class PamMessage(ctypes.Structure):
    _fields_ = [("msg_style", ctypes.c_int), ("msg", ctypes.c_char_p)]


class PamResponse(ctypes.Structure):
    _fields_ = [("resp", ctypes.c_void_p), ("resp_retcode", ctypes.c_int)]


CONV = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int,
                        ctypes.POINTER(ctypes.POINTER(PamMessage)),
                        ctypes.POINTER(ctypes.POINTER(PamResponse)), ctypes.c_void_p)


class PamConv(ctypes.Structure):
    _fields_ = [("conv", CONV), ("appdata_ptr", ctypes.c_void_p)]


libc = ctypes.CDLL(None)
libc.calloc.restype = ctypes.c_void_p
libc.calloc.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
libpam = ctypes.CDLL("libpam.so.0")
libpam.pam_start_confdir.argtypes = [ctypes.c_char_p, ctypes.c_char_p,
                                     ctypes.POINTER(PamConv), ctypes.c_char_p,
                                     ctypes.POINTER(ctypes.c_void_p)]
libpam.pam_set_item.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p]
libpam.pam_acct_mgmt.argtypes = [ctypes.c_void_p, ctypes.c_int]
libpam.pam_open_session.argtypes = [ctypes.c_void_p, ctypes.c_int]
libpam.pam_strerror.argtypes = [ctypes.c_void_p, ctypes.c_int]
libpam.pam_strerror.restype = ctypes.c_char_p


def conv(n, msgs, resp, _data):
    # Messages only (pam_info, pam_error): every answer is empty.
    for i in range(n):
        print("pam message: %s" % msgs[i].contents.msg.decode(errors="replace"), flush=True)
    p = libc.calloc(n if n > 0 else 1, ctypes.sizeof(PamResponse))
    if not p:
        return 5  # PAM_BUF_ERR
    resp[0] = ctypes.cast(p, ctypes.POINTER(PamResponse))
    return 0


def main():
    if len(sys.argv) < 5 or sys.argv[4] not in ("account", "session"):
        sys.exit(__doc__)
    confdir, service, user, what = sys.argv[1:5]
    cb = CONV(conv)
    pc = PamConv(cb, None)
    pamh = ctypes.c_void_p()
    r = libpam.pam_start_confdir(service.encode(), user.encode(), ctypes.byref(pc),
                                 confdir.encode(), ctypes.byref(pamh))
    if r != 0:
        print("pam_start_confdir: %d" % r, flush=True)
        sys.exit(2)
    libpam.pam_set_item(pamh, PAM_RHOST, b"127.0.0.1")
    libpam.pam_set_item(pamh, PAM_TTY, b"ssh")
    r = libpam.pam_acct_mgmt(pamh, 0)
    print("account %s: %s" % (user, libpam.pam_strerror(pamh, r).decode()), flush=True)
    if r != 0:
        sys.exit(1)
    if what == "account":
        sys.exit(0)
    r = libpam.pam_open_session(pamh, 0)
    print("session %s: %s" % (user, libpam.pam_strerror(pamh, r).decode()), flush=True)
    if r != 0:
        sys.exit(1)
    with open("/proc/self/sessionid") as f:
        sid = f.read().strip()
    with open(sys.argv[5] + ".tmp", "w") as f:
        f.write("%d %s\n" % (os.getpid(), sid))
    os.rename(sys.argv[5] + ".tmp", sys.argv[5])
    # SIGTERM's default action ends the process: what jit-agent sends.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
