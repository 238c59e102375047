#!/usr/bin/env python3
"""net: the network server's system test (docs/networking.md).

    tests/system/net.py [--name NAME] [--log FILE] [--results FILE]
                        [--timeout S] -- COMMAND [ARGS...]

COMMAND boots the production kernel and initramfs (qemu-system-x86_64 ...
-serial stdio -kernel weft.elf -initrd initramfs.cpio). It is run twice:

1. With a virtio-net function on QEMU's user network (restrict=on: the guest
   reaches nothing outside) and a forward of a free TCP port of 127.0.0.1 to
   the guest's port 7. The server must print its DHCP lease, 10.0.2.15/24 (no
   gateway: QEMU's DHCP server offers the router 10.0.2.2 only when the
   network is not restricted); then three connections at once each send 1 MiB of
   random bytes to the echo service and must get them back intact, in order;
   a fourth sends nothing and closes, and the server must still echo after.
2. Without the device: the server says there is nothing to drive, exits with
   status 69, and init does not restart it.

Prints one line per test point ("ok N - ..." / "not ok N - ..."), then
"N passed, N failed"; with --results FILE appends "NAME PASSED FAILED".
Exit status 0 iff nothing failed. Only the Python standard library is used.
"""

import argparse
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time

# Not anchored at the start: the shell's prompt may come first on the same
# line; up to its end: the console may deliver the line in pieces.
LEASE_RE = re.compile(r"net: address (\S+) netmask (\S+) gateway (\S+)\r?\n")
PANIC_RE = re.compile(r"^(PANIC|EXCEPTION)", re.M)
ECHO_BYTES = 1024 * 1024


class Guest:
    """COMMAND in a session of its own, its stdout (the console) collected."""

    def __init__(self, cmd, log):
        self.out = ""
        self.log = log
        self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.p.stdout, selectors.EVENT_READ)

    def wait_for(self, regex, timeout):
        """The first match of regex in the output, waiting up to timeout s."""
        end = time.monotonic() + timeout
        while True:
            m = regex.search(self.out)
            if m:
                return m
            left = end - time.monotonic()
            if left <= 0 or self.p.poll() is not None and not self.sel.select(0):
                return None
            self.pump(min(left, 0.5))

    def pump(self, timeout):
        for _ in self.sel.select(timeout):
            data = os.read(self.p.stdout.fileno(), 65536)
            if not data:
                self.sel.unregister(self.p.stdout)
                return
            text = data.decode("utf-8", "replace")
            self.out += text
            if self.log:
                self.log.write(text)
                self.log.flush()

    def kill(self):
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.p.wait()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def echo(port, payload, timeout, result, i):
    """Sends payload to the echo service and checks what comes back."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            got = bytearray()
            sender = threading.Thread(target=s.sendall, args=(payload,))
            sender.start()
            while len(got) < len(payload):
                b = s.recv(65536)
                if not b:
                    break
                got += b
            sender.join()
            result[i] = bytes(got) == payload
    except OSError as e:
        result[i] = f"{e}"


def echo_ready(port, deadline):
    """Waits until a connection through the forward is echoed (the forward
    accepts before the guest does: a connection may end at once early on).
    True, or what the last try got."""
    r = [None]
    while time.monotonic() < deadline:
        echo(port, b"ready?", 5, r, 0)
        if r[0] is True:
            return True
        time.sleep(1)
    return r[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 usage="%(prog)s [options] -- COMMAND [ARGS...]")
    ap.add_argument("--name", default="net")
    ap.add_argument("--log")
    ap.add_argument("--results")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    if not cmd:
        ap.print_usage(sys.stderr)
        return 2
    log = open(a.log, "w") if a.log else None
    n = passed = 0

    def point(ok, what):
        nonlocal n, passed
        n += 1
        passed += bool(ok)
        print(f"[{a.name}] {'ok' if ok else 'not ok'} {n} - {what}", flush=True)

    port = free_port()
    dev = ["-netdev", f"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-:7",
           "-device", "virtio-net-pci,netdev=n0,disable-legacy=on"]
    g = Guest(cmd + dev, log)
    try:
        m = g.wait_for(LEASE_RE, a.timeout)
        # QEMU's DHCP server leaves the router option out under restrict=on:
        # the gateway is 10.0.2.2 only on an unrestricted network.
        point(m and m.groups() == ("10.0.2.15", "255.255.255.0", "0.0.0.0"),
              "net/dhcp_lease_10.0.2.15_netmask_255.255.255.0" +
              (f" (got {' '.join(m.groups())})" if m else " (no lease printed)"))
        ready = echo_ready(port, time.monotonic() + a.timeout / 2) if m else "no lease"
        point(ready is True, "net/tcp_echo_answers_through_the_forward" +
              ("" if ready is True else f" ({ready})"))
        ready = ready is True
        res = [None] * 4
        if ready:
            ts = [threading.Thread(target=echo, args=(port, os.urandom(ECHO_BYTES), 60, res, i))
                  for i in range(3)]
            for t in ts:
                t.start()
            with socket.create_connection(("127.0.0.1", port), timeout=10):
                pass  # a client that sends nothing and goes
            for t in ts:
                t.join()
            echo(port, os.urandom(1000), 30, res, 3)
        point(all(r is True for r in res[:3]),
              f"net/tcp_echo_three_connections_of_1MiB_each_intact {res[:3]}")
        point(res[3] is True, "net/tcp_echo_after_a_silent_client")
        point(not PANIC_RE.search(g.out) and "net: cannot" not in g.out
              and "net restarted" not in g.out, "net/no_panic_no_restart")
    finally:
        g.kill()

    g = Guest(cmd, log)
    try:
        m = g.wait_for(re.compile(r"init: net has nothing to serve: not restarted", re.M),
                       a.timeout)
        point(m and re.search(r"net: .*nothing to drive", g.out),
              "net/absent_device_exits_69_not_restarted")
    finally:
        g.kill()

    failed = n - passed
    print(f"[{a.name}] {passed} passed, {failed} failed", flush=True)
    if a.results:
        with open(a.results, "a") as f:
            f.write(f"{a.name} {passed} {failed}\n")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
