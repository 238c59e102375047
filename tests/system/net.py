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
Exit status 0 iff nothing failed. Only the Python standard library is used
(and tests/net/harness.py).
"""

import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "net"))
from harness import PANIC_RE, Guest, Run, free_port  # noqa: E402

# Not anchored at the start: the shell's prompt may come first on the same
# line; up to its end: the console may deliver the line in pieces.
LEASE_RE = re.compile(r"net: address (\S+) netmask (\S+) gateway (\S+)\r?\n")
ECHO_BYTES = 1024 * 1024


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
    run = Run.parse(__doc__, "net", timeout=120,
                    timeout_help="seconds for the boot and each wait")
    if not run:
        return 2
    cmd, log, point = run.cmd, run.log, run.point

    port = free_port()
    dev = ["-netdev", f"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-:7",
           "-device", "virtio-net-pci,netdev=n0,disable-legacy=on"]
    g = Guest(cmd + dev, log)
    try:
        m = g.wait_for(LEASE_RE, run.timeout)
        # QEMU's DHCP server leaves the router option out under restrict=on:
        # the gateway is 10.0.2.2 only on an unrestricted network.
        point(m and m.groups() == ("10.0.2.15", "255.255.255.0", "0.0.0.0"),
              "net/dhcp_lease_10.0.2.15_netmask_255.255.255.0" +
              (f" (got {' '.join(m.groups())})" if m else " (no lease printed)"))
        ready = echo_ready(port, time.monotonic() + run.timeout / 2) if m else "no lease"
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
                       run.timeout)
        point(m and re.search(r"net: .*nothing to drive", g.out),
              "net/absent_device_exits_69_not_restarted")
    finally:
        g.kill()

    return run.finish()


if __name__ == "__main__":
    sys.exit(main())
