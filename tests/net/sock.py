#!/usr/bin/env python3
"""sock: the socket protocol and the shell's network commands, driven from the host.

    tests/net/sock.py [--name NAME] [--log FILE] [--results FILE]
                      [--timeout S] -- COMMAND [ARGS...]

COMMAND boots the production kernel and initramfs (qemu-system-x86_64 ...
-serial stdio -kernel weft.elf -initrd initramfs.cpio); the test adds a
virtio-net function on QEMU's user network and types into the shell over
the serial console (its stdin). Two boots:

1. A user network without restrict (the guest could reach out; the test only
   lets it talk to 10.0.2.2, which QEMU maps to the host's loopback, and to
   itself), with forwards from free ports of 127.0.0.1 to the guest's TCP
   port 8080, UDP port 5555 and TCP port 7 (the network server's echo):
   - the shell's `ifconfig` shows en0 with 10.0.2.15 and lo0 with 127.0.0.1;
   - `ping 127.0.0.1` and `ping 10.0.2.2` get replies; `resolve localhost`;
   - `fetch` gets a page from a Python http.server the test runs on the
     host's 127.0.0.1 (reached at 10.0.2.2), the body intact, and 4 MiB of
     random bytes (`fetch -c`: their size and CRC-32 match);
   - `serve /boot 8080`: the host's curl fetches a file of the initramfs
     through the forward and gets it byte for byte, and a 404 for a missing
     one; then 200 connections opened at once and closed; the server still
     answers curl, net was not restarted and its pool did not grow;
   - DNS: a tiny DNS server on the host's loopback (UDP) answers A records
     for test.weft (10.0.2.2) and far.weft, NXDOMAIN otherwise; the shell's
     `dns 10.0.2.2:PORT` points net's resolver at it: `resolve` gets both
     addresses, `fetch http://test.weft:PORT/...` gets the host's page by
     name, an unknown name is "no such host"; bad `dns` arguments refused;
   - UDP echo both ways: the host's datagram to the forward comes back from
     `udpecho`; `udpsend 10.0.2.2 PORT` gets the reply of a UDP echo the
     test runs on the host's loopback;
   - `sockcheck`: the errors over the loopback, an ICMP socket (an echo
     request through SendTo, lwIP's reply through RecvFrom), the limits;
   - `sockfuzz 3000`: random requests (bad handles, absurd lengths and
     offsets) get errors, and the server still serves;
   - the driver server killed mid-transfer: a host thread echoes 16 MiB
     through port 7, the shell types `kill vnet` once 256 KiB came back; the
     transfer must fail, net must say the driver went and came back, and a
     new 1 MiB echo must be intact (net not restarted, no panic).
2. A restricted user network (restrict=on: QEMU drops the guest's DNS
   queries): `resolve` of a name ends with "no such host" (the resolver's
   error path; a real DNS answer would need the outside).

Its command line, output and exit status: harness.Run (tests/net/harness.py).
Needs curl; otherwise only the Python standard library.
"""

import os
import re
import socket
import sys
import threading
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (PANIC_RE, Guest, Pages, Run, curl, free_port, hostfwd,  # noqa: E402
                     random_page, virtio_net)

def udp_echo_host():
    """A UDP echo on the host's 127.0.0.1; returns (socket, port)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))

    def run():
        while True:
            try:
                data, addr = s.recvfrom(65536)
            except OSError:
                return
            s.sendto(b"echo:" + data, addr)

    threading.Thread(target=run, daemon=True).start()
    return s, s.getsockname()[1]


def dns_server(names):
    """A tiny DNS server on the host's 127.0.0.1 (UDP): an A record for each
    name of names (name -> dotted address), NXDOMAIN for anything else.
    Returns (socket, port, the names asked, in order)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    asked = []

    def answer(q):
        if len(q) < 12 or q[2] & 0x80:  # short, or a response
            return None
        i, labels = 12, []
        while i < len(q) and q[i]:
            n = q[i]
            if n & 0xc0 or i + 1 + n > len(q):
                return None
            labels.append(q[i + 1:i + 1 + n].decode("ascii", "replace"))
            i += 1 + n
        if i + 5 > len(q):
            return None
        qtype = int.from_bytes(q[i + 1:i + 3], "big")
        question = q[12:i + 5]
        name = ".".join(labels).lower()
        asked.append(name)
        addr = names.get(name)
        found = addr is not None and qtype == 1
        flags = 0x8180 if addr is not None else 0x8183  # QR RD RA, NXDOMAIN
        head = q[:2] + flags.to_bytes(2, "big") + b"\0\1" + (b"\0\1" if found else b"\0\0") \
            + b"\0\0\0\0"
        rr = b""
        if found:
            rr = b"\xc0\x0c\0\1\0\1" + (60).to_bytes(4, "big") + b"\0\4" \
                + socket.inet_aton(addr)
        return head + question + rr

    def run():
        while True:
            try:
                q, peer = s.recvfrom(2048)
            except OSError:
                return
            r = answer(q)
            if r:
                s.sendto(r, peer)

    threading.Thread(target=run, daemon=True).start()
    return s, s.getsockname()[1], asked


def net_pool(g, timeout):
    """(restarts, pool bytes used, the lines) of the net server, from the
    shell's `servers` and `mem`."""
    restarts = used = None
    lines = []
    for line in (g.command("servers", timeout) or "").splitlines():
        m = re.match(r"\s*\d+\s+net\s+\S+\s+(\d+)", line)
        if m:
            restarts = int(m.group(1))
            lines.append(line.strip())
    for line in (g.command("mem", timeout) or "").splitlines():
        m = re.match(r"\s*\d+\s+net\s+pool used (\d+) of", line)
        if m:
            used = int(m.group(1))
            lines.append(line.strip())
    return restarts, used, "; ".join(lines)


def flood(port, n, timeout):
    """Opens n connections at once, then closes them; returns how many opened."""
    socks = []
    opened = 0
    for _ in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
            socks.append(s)
            opened += 1
        except OSError:
            pass
    for s in socks:
        try:
            s.close()
        except OSError:
            pass
    return opened


class EchoTransfer:
    """total random bytes through the guest's TCP echo (port 7) forwarded at
    port, sent and read back in a thread; error holds what ended it early
    (None: all echoed intact), echoed the bytes that came back."""

    def __init__(self, port, total, timeout):
        self.total, self.echoed, self.error = total, 0, None
        self.data = os.urandom(total)
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self.run, args=(port, timeout), daemon=True)
        self.thread.start()

    def run(self, port, timeout):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
                sent = 0
                while self.echoed < self.total:
                    if sent < self.total and sent - self.echoed < (256 << 10):
                        sent += s.send(self.data[sent:sent + (64 << 10)])
                        continue
                    got = s.recv(1 << 16)
                    if not got:
                        raise ConnectionError("closed early")
                    if got != self.data[self.echoed:self.echoed + len(got)]:
                        raise ValueError("bytes differ")
                    with self.cond:
                        self.echoed += len(got)
                        self.cond.notify_all()
        except (OSError, ValueError) as e:
            self.error = e
        with self.cond:
            self.cond.notify_all()

    def echoed_at_least(self, n, timeout):
        with self.cond:
            return self.cond.wait_for(lambda: self.echoed >= n or not self.thread.is_alive(),
                                      timeout) and self.echoed >= n


def test(run):
    cmd, log, t, point = run.cmd, run.log, run.timeout, run.point

    page, bulk = random_page(3000), os.urandom(4 << 20)
    web = Pages("weft-net-", {"page.txt": page, "bulk.bin": bulk})
    echo_sock, echo_port = udp_echo_host()
    dns_sock, dns_port, dns_asked = dns_server({"test.weft": "10.0.2.2",
                                                "far.weft": "192.0.2.77"})
    tcp_fwd, udp_fwd = free_port(), free_port(socket.SOCK_DGRAM)
    echo_fwd = free_port()
    dev = virtio_net("user", hostfwd("tcp", tcp_fwd, 8080), hostfwd("udp", udp_fwd, 5555),
                     hostfwd("tcp", echo_fwd, 7))
    g = Guest(cmd + dev, log)
    try:
        lease = g.wait_for(r"net: address (\S+) netmask", 2 * t, 0)
        point(lease and lease.group(1) == "10.0.2.15", "sock/dhcp_lease_before_the_tests")

        out = g.command("ifconfig", t) or ""
        point(re.search(r"en0: up dhcp\s+inet 10\.0\.2\.15 netmask 255\.255\.255\.0 "
                        r"gateway 10\.0\.2\.2", out)
              and re.search(r"lo0: up loopback\s+inet 127\.0\.0\.1", out)
              and re.search(r"rx \d+ frames, tx \d+ frames, dropped \d+, malformed \d+", out),
              "sock/ifconfig_shows_en0_and_lo0_with_counters")

        out = g.command("ping 127.0.0.1 2", t) or ""
        point("2 of 2 replies" in out, "sock/ping_loopback")
        out = g.command("ping 10.0.2.2 1", t) or ""
        point("1 of 1 replies" in out, "sock/ping_the_gateway")
        out = g.command("resolve localhost", t) or ""
        point("localhost is 127.0.0.1" in out, "sock/resolve_localhost")

        out = g.command(f"fetch http://10.0.2.2:{web.port}/page.txt", t) or ""
        body = out.split("\n", 1)[1] if "\n" in out else ""
        point(page.decode() in body.replace("\r\n", "\n"),
              "sock/fetch_gets_a_page_from_the_host_http_server")
        out = g.command(f"fetch -c http://10.0.2.2:{web.port}/bulk.bin", 3 * t) or ""
        want = f"fetch: status 200, {len(bulk)} bytes, crc32 {zlib.crc32(bulk):08x}"
        point(want in out, f"sock/fetch_4MiB_intact ({out.strip()[-70:]!r})")
        out = g.command(f"fetch http://10.0.2.2:{web.port}/missing", t) or ""
        point("HTTP status 404" in out, "sock/fetch_reports_a_404")
        out = g.command("fetch http://127.0.0.1:9/", t) or ""
        point("Connection refused" in out, "sock/fetch_refused_on_loopback")

        g.command("mkdir /www", t)
        g.command("write /www/hello.txt weft serves this page", t)
        restarts0, pool0, line0 = net_pool(g, t)
        m = g.start("serve /www 8080", r"serve: /www on port 8080", t)
        point(m, "sock/serve_starts")
        code, body = curl(f"http://127.0.0.1:{tcp_fwd}/hello.txt", t)
        point(code == 200 and body == b"weft serves this page\n",
              f"sock/host_curl_gets_a_page_from_serve ({code} {body[:60]!r})")
        code, body = curl(f"http://127.0.0.1:{tcp_fwd}/missing.html", t)
        point(code == 404, f"sock/curl_gets_404_from_serve ({code})")
        opened = flood(tcp_fwd, 200, 10)
        time.sleep(1)
        code2, _ = curl(f"http://127.0.0.1:{tcp_fwd}/missing.html", 2 * t)
        point(opened == 200 and code2 == 404,
              f"sock/200_connections_opened_and_closed_then_serve_answers ({opened} {code2})")
        out = g.interrupt(t) or ""
        point(re.search(r"serve: \d+ requests answered", out), "sock/serve_ends_on_ctrl_c")
        restarts1, pool1, line1 = net_pool(g, t)
        point(pool0 is not None and pool1 is not None and pool1 <= pool0 and restarts1 == restarts0,
              f"sock/net_pool_did_not_grow_not_restarted ({line0!r} -> {line1!r})")

        m = g.start("udpecho 5555 1", r"udpecho: port 5555", t)
        got = None
        if m:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.settimeout(2)
                for _ in range(int(t / 2)):
                    u.sendto(b"hello weft", ("127.0.0.1", udp_fwd))
                    try:
                        got = u.recvfrom(2048)[0]
                        break
                    except socket.timeout:
                        pass
        point(got == b"hello weft", f"sock/udp_echo_host_to_guest ({got!r})")
        g.wait_for(r"udpecho: \d+ datagrams echoed", t)
        out = g.command(f"udpsend 10.0.2.2 {echo_port} hi there", t) or ""
        point(f"reply from 10.0.2.2:{echo_port}: echo:hi there" in out,
              "sock/udp_echo_guest_to_host")

        # The resolver pointed at a DNS server on the host's loopback (QEMU
        # forwards no UDP to the host for its own DNS address 10.0.2.3).
        out = g.command("dns 10.0.2.2:70000", t) or ""
        point("dns: usage:" in out, "sock/dns_refuses_a_port_out_of_range")
        out = g.command("dns 10.0.2.300", t) or ""
        point("dns: 10.0.2.300: not an IPv4 address" in out, "sock/dns_refuses_a_bad_address")
        out = g.command(f"dns 10.0.2.2:{dns_port}", t) or ""
        point(f"dns: server 10.0.2.2 port {dns_port}" in out, "sock/dns_points_the_resolver_at_the_host")
        out = g.command("resolve test.weft", 2 * t) or ""
        point("test.weft is 10.0.2.2" in out and "test.weft" in dns_asked,
              f"sock/resolve_gets_the_answer_of_the_host_dns_server ({out.strip()[-60:]!r})")
        out = g.command("resolve far.weft", 2 * t) or ""
        point("far.weft is 192.0.2.77" in out, "sock/resolve_a_second_name")
        out = g.command(f"fetch http://test.weft:{web.port}/page.txt", 2 * t) or ""
        body = out.split("\n", 1)[1] if "\n" in out else ""
        point(page.decode() in body.replace("\r\n", "\n"),
              "sock/fetch_by_name_gets_the_page_from_the_host_http_server")
        out = g.command("resolve nothere.weft", 2 * t) or ""
        point("nothere.weft: no such host" in out and "nothere.weft" in dns_asked,
              "sock/resolve_NXDOMAIN_is_no_such_host")
        out = g.command(f"fetch http://nothere.weft:{web.port}/page.txt", 2 * t) or ""
        point("nothere.weft: no such host" in out, "sock/fetch_of_an_unknown_name_is_no_such_host")

        out = g.command("sockfuzz 3000 7", 3 * t) or ""
        point(re.search(r"sockfuzz: 3000 requests: .*server still serves", out),
              "sock/fuzz_gets_errors_server_still_serves")
        out = g.command("ifconfig", t) or ""
        point("en0: up" in out, "sock/ifconfig_after_the_fuzz")
        out = g.command("sockcheck", 2 * t) or ""
        point("sockcheck: bind to a port in use: Address in use" in out,
              "sock/bind_to_a_port_in_use_is_EADDRINUSE")
        point("sockcheck: options: keepalive 1 nodelay 1 type 1, option 99: Protocol not available, "
              "peer of an unconnected socket: Socket not connected" in out.replace("\r", ""),
              "sock/options_read_back_ENOPROTOOPT_ENOTCONN")
        point("sockcheck: a peer that closes with data unread: Connection reset by peer" in out,
              "sock/a_reset_is_ECONNRESET")
        point("sockcheck: send after shutdown: Broken pipe" in out,
              "sock/send_after_shutdown_is_EPIPE")
        point("sockcheck: icmp socket: bind Invalid argument, send Destination address required, "
              "echo reply from 127.0.0.1 with its IPv4 header, id, seq and data intact" in out,
              "sock/icmp_socket_echo_through_the_loopback_bind_EINVAL_send_EDESTADDRREQ")
        point("sockcheck: 32 sockets, then No file descriptors available" in out,  # EMFILE (musl)
              "sock/a_client_gets_EMFILE_after_32_sockets")
        point("SO_RCVBUF 262144 with every socket open: No buffer space available" in out
              and "after closing two: ok, SO_RCVBUF 262144" in out,
              "sock/a_client_gets_ENOBUFS_beyond_its_buffer_bytes")
        point(not PANIC_RE.search(g.out) and "net restarted" not in g.out,
              "sock/no_panic_no_restart")

        # The driver server killed mid-transfer (decision 156): a transfer
        # through the server's TCP echo fails, net survives, attaches to the
        # restarted driver, and a new transfer is intact.
        xfer = EchoTransfer(echo_fwd, 16 << 20, t)
        started = xfer.echoed_at_least(256 << 10, t)
        point(started, f"sock/a_transfer_runs_before_the_kill ({xfer.echoed} bytes echoed)")
        out = g.command("kill vnet", t) or ""
        gone = g.wait_for(r"net: the driver \(vnet\) is gone; connections dropped", t, 0)
        back = g.wait_for(r"net: attached to the driver \(vnet\) again", 2 * t, 0)
        point("killed vnet" in out and gone and g.wait_for(r"init: vnet restarted", t, 0),
              "sock/kill_vnet_the_driver_is_restarted_and_net_sees_it")
        xfer.thread.join(2 * t)
        point(not xfer.thread.is_alive() and xfer.error is not None
              and xfer.echoed < xfer.total,
              f"sock/the_transfer_during_the_kill_fails ({xfer.error!r}, "
              f"{xfer.echoed} of {xfer.total} bytes)")
        ok = False
        deadline = time.monotonic() + 2 * t
        while back and not ok and time.monotonic() < deadline:
            retry = EchoTransfer(echo_fwd, 1 << 20, t)
            retry.thread.join(2 * t)
            ok = retry.error is None and retry.echoed == retry.total
            if not ok:
                time.sleep(1)
        point(back and ok, "sock/net_reattaches_and_a_retried_1MiB_transfer_is_intact")
        out = g.command("ifconfig", t) or ""
        point("en0: up" in out and not PANIC_RE.search(g.out)
              and not re.search(r"init: net restarted", g.out),
              "sock/after_the_driver_kill_no_panic_net_not_restarted")
    finally:
        g.kill()
        web.close()
        echo_sock.close()
        dns_sock.close()

    dev = virtio_net("user", "restrict=on")
    g = Guest(cmd + dev, log)
    try:
        g.wait_for(r"net: address", 2 * t, 0)
        out = g.command("resolve no-such-host.invalid", 2 * t) or ""
        point("no-such-host.invalid: no such host" in out,
              "sock/resolve_error_path_without_an_answer")
    finally:
        g.kill()


if __name__ == "__main__":
    sys.exit(Run.main(__doc__, "net-sock", test, needs=("curl",)))
