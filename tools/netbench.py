#!/usr/bin/env python3
"""Boots a network benchmark guest and drives it from the host (docs/perf/network.md).

  netbench.py --qemu "QEMU ARGS..." --json OUT [--params "mib=64 runs=3 ..."]
              [--timeout S] [--log-dir DIR] [--quiet] --boot "LABEL|CPU|KERNEL|INITRD|APPEND" ...
  netbench.py --self-test      the log checks and the pattern on canned input (no QEMU)
  netbench.py --help

Each --boot is one boot: QEMU ARGS (the machine, -icount) with its -cpu value
replaced by CPU, a virtio-net function on QEMU's user network (restrict=on) with
one forward, from a free port of the host's 127.0.0.1 to the guest's port 5001,
and -kernel KERNEL -initrd INITRD -append APPEND. The guest program (Weft's
user/nbench, or the Linux guest's bench/linux/net.c) listens on 5001 and says
"nbench: listening on 5001"; this script then plays the host's side of every
phase through the forward, in the guest's order:

  control  one line, the parameters (--params; default the full benchmark:
           mib=64 runs=3 trans=2000 conns=500 idle=24)
  rx       runs times: wait for the guest's byte, send mib MiB of the pattern
           (byte o is (o ^ o >> 8 ^ 0x5a) & 0xff), close, wait for its close
  tx       runs times: receive to the end, check every byte of the pattern and
           the length (mib MiB)
  rr       runs times: trans transactions of a 100-byte request and a 1 KiB
           answer on one connection (TCP_NODELAY)
  conn     runs times: conns connections, each shut at once and read to its end
  idle     idle connections held open while the guest measures its memory

The guest prints one JSON line per figure ("bench": "net") and "nbench: done"
(the Linux guest's init adds an "info" line: kernel, command line, modules).
A boot fails on a "FAIL" line of the guest ("nbench: FAIL", "linux-bench: FAIL"),
a host-side error (a short or wrong stream), a missing figure, no "nbench: done",
or the time limit. Rows go to OUT as JSON lines, each with "boot" and "cpu" added,
and a table is printed. Python standard library only.
"""
import argparse
import json
import os
import queue
import re
import shlex
import socket
import subprocess
import sys
import threading
import time

GUEST_PORT = 5001
REQ, ANSWER = 100, 1024
BLOCK = 65536
DEFAULT_PARAMS = "mib=64 runs=3 trans=2000 conns=500 idle=24"
METRICS = [
    "rx_instructions_per_mib",
    "tx_instructions_per_mib",
    "rr_instructions_per_transaction",
    "accept_close_instructions_per_connection",
    "memory_per_idle_connection_bytes",
]
PREFIX = '{"bench": "net"'


def pattern_block():
    """The pattern's period: 64 KiB, byte o is (o ^ o >> 8 ^ 0x5a) & 0xff."""
    return bytes(((o ^ (o >> 8) ^ 0x5A) & 0xFF) for o in range(BLOCK))


PATTERN = pattern_block()


def parse_params(text):
    p = {}
    for w in text.split():
        k, _, v = w.partition("=")
        if k not in ("mib", "runs", "trans", "conns", "idle") or not v.isdigit():
            raise ValueError(f"bad parameter '{w}'")
        p[k] = int(v)
    full = dict(w.split("=") for w in DEFAULT_PARAMS.split())
    return {k: p.get(k, int(full[k])) for k in full}


def parse(log, label):
    """(rows, failures) of one boot's serial log."""
    rows, fails, done = [], [], False
    for line in log.splitlines():
        line = line.strip()
        if line.startswith(PREFIX):
            try:
                row = json.loads(line)
            except ValueError as e:
                fails.append(f"{label}: a bad JSON line ({e}): {line[:80]}")
                continue
            row["boot"] = label
            rows.append(row)
        elif line.startswith('{"bench": "info"'):
            try:  # the Linux guest's kernel, command line and modules, kept with the rows
                row = json.loads(line)
                row["boot"] = label
                rows.append(row)
            except ValueError as e:
                fails.append(f"{label}: a bad JSON line ({e}): {line[:80]}")
        elif "FAIL" in line and (line.startswith("nbench:") or line.startswith("linux-bench:")):
            fails.append(f"{label}: {line}")
        elif line == "nbench: done":
            done = True
        elif line.startswith("init: test run done:") and "all exited 0" not in line:
            fails.append(f"{label}: {line}")
    got = {r["metric"] for r in rows if "metric" in r}
    fails += [f"{label}: no figure {m}" for m in METRICS if m not in got]
    if not done:
        fails.append(f"{label}: no 'nbench: done' (the guest did not finish)")
    return rows, fails


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Host:
    """The host's side of the phases, through the forward to the guest's port."""

    def __init__(self, port, timeout):
        self.port, self.timeout = port, timeout

    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
        s.settimeout(self.timeout)
        return s

    @staticmethod
    def read_to_end(s):
        n = 0
        while True:
            b = s.recv(BLOCK)
            if not b:
                return n
            n += len(b)

    @staticmethod
    def read_exactly(s, n):
        data = bytearray()
        while len(data) < n:
            b = s.recv(n - len(data))
            if not b:
                raise RuntimeError(f"the guest closed after {len(data)} of {n} bytes")
            data += b
        return bytes(data)

    def control(self, params):
        with self.connect() as s:
            s.sendall(" ".join(f"{k}={v}" for k, v in params.items()).encode() + b"\n")
            s.shutdown(socket.SHUT_WR)
            self.read_to_end(s)

    def rx(self, mib):
        with self.connect() as s:
            if self.read_exactly(s, 1) != b"G":
                raise RuntimeError("rx: the guest's start byte is not 'G'")
            for _ in range(mib * 1024 * 1024 // BLOCK):
                s.sendall(PATTERN)
            s.shutdown(socket.SHUT_WR)
            if self.read_to_end(s):
                raise RuntimeError("rx: the guest sent bytes after its start byte")

    def tx(self, mib):
        with self.connect() as s:
            n = 0
            while True:
                b = s.recv(BLOCK)
                if not b:
                    break
                o = n % BLOCK
                i = 0
                while i < len(b):
                    k = min(len(b) - i, BLOCK - o)
                    if b[i:i + k] != PATTERN[o:o + k]:
                        raise RuntimeError(f"tx: the stream differs from the pattern near byte {n + i}")
                    i += k
                    o = 0
                n += len(b)
        if n != mib * 1024 * 1024:
            raise RuntimeError(f"tx: {n} bytes received, not {mib} MiB")

    def rr(self, trans):
        with self.connect() as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            req = bytes(range(REQ))
            for _ in range(trans):
                s.sendall(req)
                self.read_exactly(s, ANSWER)

    def conn(self, conns):
        for _ in range(conns):
            with self.connect() as s:
                s.shutdown(socket.SHUT_WR)
                if self.read_to_end(s):
                    raise RuntimeError("conn: the guest sent bytes")

    def idle(self, count):
        held = []
        try:
            for _ in range(count):
                s = self.connect()
                held.append(s)
                if self.read_exactly(s, 1) != b"I":
                    raise RuntimeError("idle: the guest's byte is not 'I'")
        finally:
            for s in held:
                s.close()

    def run(self, p):
        self.control(p)
        for _ in range(p["runs"]):
            self.rx(p["mib"])
        for _ in range(p["runs"]):
            self.tx(p["mib"])
        for _ in range(p["runs"]):
            self.rr(p["trans"])
        for _ in range(p["runs"]):
            self.conn(p["conns"])
        self.idle(p["idle"])


def with_cpu(args, cpu):
    if "-cpu" not in args:
        return args + ["-cpu", cpu]
    i = args.index("-cpu")
    return args[:i + 1] + [cpu] + args[i + 2:]


def boot(a, spec, params):
    try:
        label, cpu, kernel, initrd, append = spec.split("|")
    except ValueError:
        sys.exit(f"netbench: --boot wants LABEL|CPU|KERNEL|INITRD|APPEND, not {spec!r}")
    port = free_port()
    cmd = with_cpu(shlex.split(a.qemu), cpu) + [
        "-netdev", f"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-:{GUEST_PORT}",
        "-device", "virtio-net-pci,netdev=n0,disable-legacy=on",
        "-kernel", kernel, "-initrd", initrd, "-append", append]
    q = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    lines, ready = [], queue.Queue()

    def reader():
        for raw in q.stdout:
            line = raw.decode("utf-8", "replace")
            lines.append(line)
            if "nbench: listening on" in line:
                ready.put(True)
            if "FAIL" in line:
                ready.put(False)
        ready.put(False)

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    problems = []
    start = time.monotonic()
    try:
        ok = ready.get(timeout=a.timeout)
    except queue.Empty:
        ok = False
    if ok:
        try:
            Host(port, a.timeout).run(params)
        except (OSError, RuntimeError) as e:
            problems.append(f"{label}: host side: {e}")
    left = max(1.0, a.timeout - (time.monotonic() - start))
    try:
        q.wait(timeout=left)
    except subprocess.TimeoutExpired:
        q.kill()
        q.wait()
        problems.append(f"{label}: timed out after {a.timeout} s")
    t.join(timeout=5)
    log = "".join(lines)
    if a.log_dir:
        os.makedirs(a.log_dir, exist_ok=True)
        name = "netbench-" + re.sub(r"[^A-Za-z0-9]+", "-", label) + ".log"
        with open(os.path.join(a.log_dir, name), "w", encoding="utf-8") as f:
            f.write(log)
    rows, fails = parse(log, label)
    problems += fails
    for r in rows:
        r["cpu"] = cpu
    if problems:
        tail = "\n".join(log.splitlines()[-30:])
        sys.exit("netbench: " + "; ".join(problems) + "\n--- serial log, end:\n" + tail)
    if not a.quiet:
        print(f"  {label}: {time.monotonic() - start:.0f} s", file=sys.stderr)
    return rows


def table(rows):
    labels = list(dict.fromkeys(r["boot"] for r in rows))
    fig = {(r["boot"], r["metric"]): r["value"] for r in rows if "metric" in r}
    print(f"  {'figure (guest instructions)':<44}" + "".join(f"{b:>22}" for b in labels))
    for m in METRICS + ["net_pool_bytes"]:
        if any((b, m) in fig for b in labels):
            print(f"  {m:<44}" + "".join(f"{fig.get((b, m), '-'):>22,}" if (b, m) in fig
                                          else f"{'-':>22}" for b in labels))


def self_test():
    fails = 0

    def expect(what, cond):
        nonlocal fails
        if not cond:
            fails += 1
            print(f"netbench self-test: FAIL {what}")

    good = "\n".join(
        ["nbench: listening on 5001"] +
        [PREFIX + f', "metric": "{m}", "value": 7}}' for m in METRICS] + ["nbench: done"])
    rows, f = parse(good, "t")
    expect("a good log passes", not f and len(rows) == len(METRICS))
    expect("rows carry the boot", all(r["boot"] == "t" for r in rows))
    rows, f = parse(good + '\n{"bench": "info", "release": "6.1"}', "t")
    expect("the info line is kept", not f and any(r.get("release") == "6.1" for r in rows))
    _, f = parse(good.replace("nbench: done", ""), "t")
    expect("an unfinished guest fails", any("did not finish" in x for x in f))
    _, f = parse(good + "\nnbench: FAIL rx: bytes received: 3", "t")
    expect("a FAIL line fails", any("FAIL" in x for x in f))
    _, f = parse(good + "\nlinux-bench: FAIL module virtio_net (errno 2)", "t")
    expect("the Linux guest's FAIL fails", any("virtio_net" in x for x in f))
    _, f = parse(good.replace("tx_instructions_per_mib", "other"), "t")
    expect("a missing figure fails", any("no figure tx_" in x for x in f))
    _, f = parse(good + '\n' + PREFIX + ', "metric": broken', "t")
    expect("a broken line fails", any("bad JSON" in x for x in f))
    _, f = parse(good + "\ninit: test run done: nbench exited 1", "t")
    expect("a failed program fails", any("test run done" in x for x in f))
    expect("the pattern", PATTERN[0] == 0x5A and PATTERN[0x101] == (0x101 ^ 1 ^ 0x5A) & 0xFF)
    expect("parameters", parse_params("mib=4 trans=200")["mib"] == 4 and
           parse_params("")["conns"] == 500)
    try:
        parse_params("mb=4")
        expect("a bad parameter is refused", False)
    except ValueError:
        pass
    print(f"netbench self-test: {'ok' if not fails else f'{fails} failed'}")
    return 1 if fails else 0


def main():
    ap = argparse.ArgumentParser(description="boot a network benchmark guest and drive it")
    ap.add_argument("--qemu")
    ap.add_argument("--boot", action="append", default=[])
    ap.add_argument("--params", default=DEFAULT_PARAMS)
    ap.add_argument("--json")
    ap.add_argument("--log-dir")
    ap.add_argument("--timeout", type=int, default=1200)
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return self_test()
    if not (a.qemu and a.json and a.boot):
        ap.error("--qemu, --json and at least one --boot are needed (or --self-test)")
    try:
        params = parse_params(a.params)
    except ValueError as e:
        ap.error(str(e))
    rows = []
    for spec in a.boot:
        rows += boot(a, spec, params)
    with open(a.json, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, sort_keys=True) + "\n")
    if not a.quiet:
        table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
