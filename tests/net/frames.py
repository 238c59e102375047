#!/usr/bin/env python3
"""frames: malformed Ethernet frames reach the network server through vnet.

    tests/net/frames.py [--name NAME] [--log FILE] [--results FILE]
                        [--timeout S] -- COMMAND [ARGS...]

COMMAND boots the production kernel and initramfs (qemu-system-x86_64 ...
-serial stdio -kernel weft.elf -initrd initramfs.cpio); the test adds a
virtio-net function whose other end is this script: QEMU's socket backend
(-netdev socket,udp=...) carries each Ethernet frame as one UDP datagram
between 127.0.0.1 ports, so the test writes frames byte for byte onto the
guest's wire and reads what the guest sends. On that wire the test plays
the gateway 10.0.2.2: it answers DHCP (10.0.2.15/24) and ARP, and sends
ICMP echo requests. Then it sends frames the stack must refuse: shorter
than an Ethernet header, a truncated IPv4 header, a header length below 20,
a total length beyond the frame, a bad IPv4 checksum, bad ICMP, UDP and TCP
checksums, a TCP header truncated or with a data offset beyond the segment,
a frame beyond 1,514 bytes, and 300 frames of random bytes behind a valid
Ethernet header. Test points:

  frames/dhcp_lease_from_the_test_wire
  frames/a_valid_ping_is_answered
  frames/each_malformed_frame_is_counted_in_ifconfig   (malformed rises by
      exactly the frames lwIP or net refuses, one each)
  frames/the_frame_beyond_1514_bytes_is_dropped_by_vnet_and_counted
      (ifconfig's dropped: the driver's refusals with net's own)
  frames/random_frames_are_dropped_and_counted
  frames/a_ping_after_them_is_answered
  frames/no_panic_net_not_restarted

Its command line, output and exit status: harness.Run (tests/net/harness.py).
Python standard library only.
"""

import os
import random
import re
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import PANIC_RE, Guest, Run, free_port, virtio_net  # noqa: E402

HOST_MAC = bytes.fromhex("525500000202")
HOST_IP = socket.inet_aton("10.0.2.2")
GUEST_IP = socket.inet_aton("10.0.2.15")
MASK = socket.inet_aton("255.255.255.0")
BCAST_MAC = b"\xff" * 6


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(dst, payload, etype=0x0800):
    return dst + HOST_MAC + struct.pack("!H", etype) + payload


def ipv4(proto, payload, src=HOST_IP, dst=GUEST_IP, ident=1, bad_sum=False, tot=None, ihl=5):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tot if tot is not None else 20 + len(payload),
                      ident, 0, 64, proto, 0, src, dst)
    s = csum(hdr)
    if bad_sum:
        s ^= 0x5A5A
    return hdr[:10] + struct.pack("!H", s) + hdr[12:] + payload


def pseudo(proto, seg, src=HOST_IP, dst=GUEST_IP):
    return src + dst + struct.pack("!BBH", 0, proto, len(seg))


def icmp_echo(ident, seq, bad_sum=False):
    body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"weft-frames-test" * 2
    s = csum(body) ^ (0x1111 if bad_sum else 0)
    return body[:2] + struct.pack("!H", s) + body[4:]


def udp(sport, dport, data, bad_sum=False, src=HOST_IP, dst=GUEST_IP):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    s = csum(pseudo(17, seg, src, dst) + seg) or 0xFFFF
    if bad_sum:
        s ^= 0x0F0F
    return seg[:6] + struct.pack("!H", s) + seg[8:]


def tcp(sport, dport, flags=0x02, offset=5, bad_sum=False, data=b""):
    seg = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, offset << 4, flags, 8192, 0, 0) + data
    s = csum(pseudo(6, seg) + seg)
    if bad_sum:
        s ^= 0x3C3C
    return seg[:16] + struct.pack("!H", s) + seg[18:]


def dhcp_reply(req, kind):
    """An OFFER (2) or ACK (5) for a BOOTP request from the guest."""
    xid, chaddr = req[4:8], req[28:44]
    bootp = struct.pack("!BBBB", 2, 1, 6, 0) + xid + b"\0" * 8 + GUEST_IP + HOST_IP + b"\0" * 4 \
        + chaddr + b"\0" * 192 + b"\x63\x82\x53\x63"
    opts = bytes([53, 1, kind, 54, 4]) + HOST_IP + bytes([51, 4]) + struct.pack("!I", 3600) \
        + bytes([1, 4]) + MASK + bytes([3, 4]) + HOST_IP + bytes([255])
    payload = bootp + opts
    return ipv4(17, udp(67, 68, payload, src=HOST_IP, dst=b"\xff" * 4), dst=b"\xff" * 4)


class Wire:
    """The other end of the guest's virtio-net: DHCP, ARP and pings."""

    def __init__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))
        self.port = self.s.getsockname()[1]
        self.guest_port = free_port(socket.SOCK_DGRAM)
        self.guest_mac = None
        self.replies = set()
        self.lock = threading.Lock()
        threading.Thread(target=self.run, daemon=True).start()

    def send(self, frame):
        self.s.sendto(frame, ("127.0.0.1", self.guest_port))

    def run(self):
        while True:
            try:
                f, _ = self.s.recvfrom(65536)
            except OSError:
                return
            if len(f) < 14:
                continue
            src, etype = f[6:12], struct.unpack("!H", f[12:14])[0]
            if etype == 0x0806 and len(f) >= 42 and f[20:22] == b"\0\1" and f[38:42] == HOST_IP:
                self.guest_mac = src
                arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + HOST_MAC + HOST_IP + src + f[28:32]
                self.send(eth(src, arp, 0x0806))
            elif etype == 0x0800 and len(f) >= 34:
                ip = f[14:]
                hl = (ip[0] & 15) * 4
                proto = ip[9]
                if proto == 17 and len(ip) >= hl + 8 + 240:
                    sport, dport = struct.unpack("!HH", ip[hl:hl + 4])
                    bootp = ip[hl + 8:]
                    if sport == 68 and dport == 67:
                        self.guest_mac = src
                        opts = bootp[240:]
                        kind = None
                        i = 0
                        while i + 1 < len(opts) and opts[i] != 255:
                            if opts[i] == 0:
                                i += 1
                                continue
                            if opts[i] == 53:
                                kind = opts[i + 2]
                            i += 2 + opts[i + 1]
                        if kind in (1, 3):
                            self.send(eth(src, dhcp_reply(bootp, 2 if kind == 1 else 5)))
                elif proto == 1 and len(ip) >= hl + 8 and ip[hl] == 0:
                    ident, seq = struct.unpack("!HH", ip[hl + 4:hl + 8])
                    with self.lock:
                        self.replies.add((ident, seq))

    def ping(self, seq, timeout):
        """An echo request to the guest; True when its reply came back."""
        if not self.guest_mac:
            return False
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.send(eth(self.guest_mac, ipv4(1, icmp_echo(0x77, seq), ident=seq)))
            for _ in range(20):
                with self.lock:
                    if (0x77, seq) in self.replies:
                        return True
                time.sleep(0.1)
        return False


def malformed(mac):
    """(name, frame, counted): counted says the stack must count it as malformed."""
    ping = ipv4(1, icmp_echo(0x99, 1))
    return [
        ("shorter than an Ethernet header", mac + HOST_MAC[:4], True),
        ("IPv4 header truncated to 12 bytes", eth(mac, ping[:12]), True),
        ("IPv4 header length 12 (below 20)", eth(mac, ipv4(1, icmp_echo(0x99, 2), ihl=3)), True),
        ("IPv4 total length beyond the frame", eth(mac, ipv4(1, icmp_echo(0x99, 3), tot=1200)), True),
        ("bad IPv4 header checksum", eth(mac, ipv4(1, icmp_echo(0x99, 4), bad_sum=True)), True),
        ("bad ICMP checksum", eth(mac, ipv4(1, icmp_echo(0x99, 5, bad_sum=True))), True),
        ("bad UDP checksum", eth(mac, ipv4(17, udp(4000, 5555, b"x" * 20, bad_sum=True))), True),
        ("UDP length beyond the packet", eth(mac, ipv4(17, udp(4000, 5555, b"y" * 20)[:4]
                                                        + struct.pack("!H", 200)
                                                        + udp(4000, 5555, b"y" * 20)[6:])), True),
        ("bad TCP checksum", eth(mac, ipv4(6, tcp(4000, 7, bad_sum=True))), True),
        ("TCP header truncated to 10 bytes", eth(mac, ipv4(6, tcp(4000, 7)[:10])), True),
        ("TCP data offset beyond the segment", eth(mac, ipv4(6, tcp(4000, 7, offset=15))), True),
        ("a frame of 1,600 bytes (beyond 1,514)", eth(mac, ipv4(17, udp(4000, 5555, b"z" * 1558))),
         False),
    ]


def counters(g, t):
    out = g.command("ifconfig", t) or ""
    m = re.search(r"en0:.*?rx (\d+) frames, tx (\d+) frames, dropped (\d+), malformed (\d+)", out,
                  re.S)
    return tuple(int(x) for x in m.groups()) if m else None


def test(run):
    cmd, log, t, point = run.cmd, run.log, run.timeout, run.point

    wire = Wire()
    dev = virtio_net("socket", f"udp=127.0.0.1:{wire.port}",
                     f"localaddr=127.0.0.1:{wire.guest_port}")
    g = Guest(cmd + dev, log)
    try:
        lease = g.wait_for(r"net: address (\S+) netmask (\S+) gateway (\S+)", 2 * t, 0)
        point(lease and lease.groups() == ("10.0.2.15", "255.255.255.0", "10.0.2.2"),
              "frames/dhcp_lease_from_the_test_wire")
        point(wire.ping(1, t), "frames/a_valid_ping_is_answered")
        mac = wire.guest_mac or BCAST_MAC
        before = counters(g, t)
        cases = malformed(mac)
        for _, frame, _ in cases:
            wire.send(frame)
            time.sleep(0.05)
        time.sleep(1)
        after = counters(g, t)
        want = sum(1 for c in cases if c[2])
        got = after[3] - before[3] if before and after else None
        point(got == want, f"frames/each_malformed_frame_is_counted_in_ifconfig "
                           f"(malformed +{got}, want +{want}; {before} -> {after})")
        drops = after[2] - before[2] if before and after else None
        point(drops == len(cases) - want, f"frames/the_frame_beyond_1514_bytes_is_dropped_by_vnet_and_counted "
                                          f"(dropped +{drops})")
        rnd = random.Random(158)
        for i in range(300):
            body = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 200)))
            if i % 3 == 0 and len(body) >= 20:  # a plausible IPv4 start
                body = bytes([0x45]) + body[1:]
            wire.send(eth(mac, body, 0x0800 if i % 2 == 0 else rnd.choice([0x0800, 0x0806])))
            if i % 20 == 0:
                time.sleep(0.02)
        time.sleep(1)
        last = counters(g, t)
        point(last and after and last[3] > after[3] and last[0] > after[0],
              f"frames/random_frames_are_dropped_and_counted ({after} -> {last})")
        point(wire.ping(2, t), "frames/a_ping_after_them_is_answered")
        out = g.command("servers", t) or ""
        point(not PANIC_RE.search(g.out) and not re.search(r"init: net restarted", g.out)
              and re.search(r"^\s*\d+\s+net\s+\S+\s+0\b", out, re.M),
              "frames/no_panic_net_not_restarted")
    finally:
        g.kill()
        wire.s.close()


if __name__ == "__main__":
    sys.exit(Run.main(__doc__, "net-frames", test))
