#!/usr/bin/env python3
"""lxnet: Linux programs' AF_INET sockets under lx, driven from the host.

    tests/net/lxnet.py [--name NAME] [--log FILE] [--results FILE]
                       [--timeout S] -- COMMAND [ARGS...]

COMMAND boots the production kernel and an initramfs with busybox and
data/lxnet.sh (qemu-system-x86_64 ... -serial stdio -kernel weft.elf -initrd
lxnet-initramfs.cpio); the test adds a virtio-net function on QEMU's user
network with a forward from a free port of 127.0.0.1 to the guest's TCP port
8080, runs a Python http.server on the host's 127.0.0.1 (10.0.2.2 in the
guest) and types `linux /bin/busybox sh /data/lxnet.sh 10.0.2.2:PORT` into
the shell. Under lx:
  - busybox wget fetches page.txt from the host (its MD5 must match) and
    fails on a missing page;
  - busybox httpd serves /data/www: the host's curl gets index.html through
    the forward byte for byte, and a 404 for a missing page;
  - the script stops when the host's /stop appears, httpd is killed, lx ends
    with status 0 and the shell's prompt comes back.
Before it, `linux /bin/busybox sh /data/lxnc.sh 10.0.2.2 PORT` (a forward of
another free port to the guest's 8081): busybox nc sends a line to a
listener of the test's on the host's loopback and prints its answer; busybox
ping 10.0.2.2 gets its reply (lx's raw ICMP socket over the network server's
ICMP socket); busybox nc -l on 8081 is reached by the host through the
forward, each side's line arrives, nc exits 0.

Its command line, output and exit status: harness.Run (tests/net/harness.py).
Needs curl; otherwise only the Python standard library.
"""

import hashlib
import os
import re
import socket
import sys
import threading
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (PANIC_RE, PROMPT, Guest, Pages, Run, curl, free_port, hostfwd,  # noqa: E402
                     random_page, virtio_net)

INDEX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lxnet-index.html")


def line_listener():
    """A TCP listener on the host's 127.0.0.1 for one connection: reads a
    line, answers one, closes. Returns (socket, port, what it read)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    got = []

    def run():
        try:
            c, _ = s.accept()
        except OSError:
            return
        with c:
            c.settimeout(30)
            data = b""
            try:
                while b"\n" not in data:
                    more = c.recv(256)
                    if not more:
                        break
                    data += more
                got.append(data)
                c.sendall(b"hello from the host listener\n")
            except OSError:
                pass

    threading.Thread(target=run, daemon=True).start()
    return s, s.getsockname()[1], got


def nc_listen_exchange(port, timeout):
    """Connects to the guest's nc -l through the forward at port (retrying
    while the guest is not yet listening: QEMU then closes at once), reads
    its line, sends one and closes; returns the line read (b"" if none)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
                data = b""
                while b"\n" not in data:
                    more = c.recv(256)
                    if not more:
                        break
                    data += more
                if data:
                    c.sendall(b"hello from the host to nc -l\n")
                    return data
        except OSError:
            pass
        time.sleep(1)
    return b""


def test(run):
    cmd, log, t, point = run.cmd, run.log, run.timeout, run.point

    page = random_page(20000)
    web = Pages("weft-lxnet-", {"page.txt": page})
    fwd, nc_fwd = free_port(), free_port()
    lsock, nc_port, nc_got = line_listener()
    dev = virtio_net("user", hostfwd("tcp", fwd, 8080), hostfwd("tcp", nc_fwd, 8081))
    with open(INDEX, "rb") as f:
        index = f.read()
    g = Guest(cmd + dev, log)
    try:
        lease = g.wait_for(r"net: address (\S+) netmask", 2 * t, 0)
        point(lease and lease.group(1) == "10.0.2.15", "lxnet/dhcp_lease")
        # nc and ping (tests/net/lxnc.sh), one lx of their own
        m = g.start(f"linux /bin/busybox sh /data/lxnc.sh 10.0.2.2 {nc_port}",
                    r"lxnc: nc -l on 8081", 2 * t)
        point(nc_got == [b"hello from nc under lx\n"]
              and "lxnc: nc got [hello from the host listener]" in g.out,
              f"lxnet/busybox_nc_under_lx_sends_and_receives_a_line ({nc_got})")
        ping = re.search(r"lxnc: ping status (\d+)", g.out)
        point(ping and ping.group(1) == "0"
              and re.search(r"64 bytes from 10\.0\.2\.2: seq=0", g.out)
              and re.search(r"1 packets transmitted, 1 packets received", g.out),
              f"lxnet/busybox_ping_under_lx_gets_a_reply ({ping and ping.group(0)})")
        line = nc_listen_exchange(nc_fwd, t) if m else b""
        point(line == b"hello from nc -l under lx\n",
              f"lxnet/host_reaches_busybox_nc_l_under_lx_through_the_forward ({line!r})")
        point(g.wait_for(r"lxnc: nc -l status 0 got \[hello from the host to nc -l\]", t),
              "lxnet/busybox_nc_l_under_lx_receives_the_host_line_and_exits_0")
        m = g.wait_for(r"linux: /bin/busybox exited with status (\d+)", t)
        point(m and m.group(1) == "0", f"lxnet/lxnc_exits_0 ({m and m.group(0)})")
        g.mark = m.end() if m else g.mark

        m = g.start(f"linux /bin/busybox sh /data/lxnet.sh 10.0.2.2:{web.port}",
                    r"lxnet: serving", 2 * t)
        point(m, "lxnet/script_under_lx_reaches_serving")
        got = re.search(r"lxnet: wget md5 ([0-9a-f]{32})", g.out)
        want = hashlib.md5(page).hexdigest()
        point(got and got.group(1) == want,
              f"lxnet/busybox_wget_under_lx_gets_the_host_page ({got and got.group(1)} {want})")
        point("lxnet: wget of a missing page failed" in g.out,
              "lxnet/busybox_wget_fails_on_a_404")
        code, body = curl(f"http://127.0.0.1:{fwd}/index.html", t)
        point(code == 200 and body == index,
              f"lxnet/host_curl_gets_a_page_from_busybox_httpd ({code} {body[:60]!r})")
        code, body = curl(f"http://127.0.0.1:{fwd}/missing.html", t)
        point(code == 404, f"lxnet/host_curl_gets_404_from_busybox_httpd ({code} {body!r:.60})")
        code, body = curl(f"http://127.0.0.1:{fwd}/index.html", t)
        point(code == 200 and body == index, f"lxnet/httpd_serves_again ({code} {body!r:.60})")
        web.add("stop", b"stop\n")
        m = g.wait_for(r"lxnet: done after (\d+) tries", 2 * t)
        point(m, "lxnet/script_stops_httpd_and_ends")
        m = g.wait_for(r"linux: /bin/busybox exited with status (\d+)", t, g.mark)
        point(m and m.group(1) == "0", f"lxnet/lx_exits_0 ({m and m.group(0)})")
        point(g.wait_for(re.escape(PROMPT), t), "lxnet/shell_prompt_after")
        # lx was the shell's client of net: the shell's own fetch sets up again
        out = g.command(f"fetch -c http://10.0.2.2:{web.port}/page.txt", t) or ""
        want = f"fetch: status 200, {len(page)} bytes, crc32 {zlib.crc32(page):08x}"
        point(want in out, f"lxnet/the_shell_fetches_after_lx_used_sockets ({out.strip()[-70:]!r})")
        point(not PANIC_RE.search(g.out) and "net restarted" not in g.out,
              "lxnet/no_panic_no_restart")
    finally:
        g.kill()
        web.close()
        lsock.close()


if __name__ == "__main__":
    sys.exit(Run.main(__doc__, "lx-net", test, needs=("curl",)))
