"""harness: what the host-driven network tests share (tests/net: sock.py, frames.py,
lxnet.py; tests/system/net.py).

    import harness  (with tests/net on sys.path); not a program of its own.

- Run: a test's command line, the same for every one of them,

      TEST.py [--name NAME] [--log FILE] [--results FILE] [--timeout S]
              -- COMMAND [ARGS...]

  and its test points: one line per point ("[NAME] ok N - ..." / "[NAME] not
  ok N - ..."), then "[NAME] N passed, N failed"; with --results FILE it
  appends "NAME PASSED FAILED"; the exit status is 0 iff nothing failed.
- Guest: COMMAND (QEMU with the serial console on stdio) in a session of its
  own; its console is read into Guest.out (and --log), the shell's prompt
  waited for, commands typed slowly into its UART.
- free_port, http_server, curl: a free port of the host's 127.0.0.1, a quiet
  Python http.server there, and the host's curl; Pages: files in a temporary
  folder served so (random_page: a page of random text for it).
- virtio_net, hostfwd: QEMU's arguments for the guest's virtio-net function
  on a backend, and a user network's forward from the host's 127.0.0.1.

A test's docstring gives its usage line and what it does; Run.main parses
the command line, runs the test and ends it.

Python standard library only (curl is a program the tests that use it check
for: Run's needs).
"""

import argparse
import functools
import http.server
import os
import re
import selectors
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time

PROMPT = "weft> "
PANIC_RE = re.compile(r"^(PANIC|EXCEPTION)", re.M)


class Guest:
    """COMMAND in a session of its own: stdout is the console, stdin types."""

    def __init__(self, cmd, log):
        self.out = ""
        self.mark = 0
        self.log = log
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.p.stdout, selectors.EVENT_READ)

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

    def wait_for(self, regex, timeout, start=None):
        """The first match of regex after start (default: the mark)."""
        rx = re.compile(regex) if isinstance(regex, str) else regex
        end = time.monotonic() + timeout
        pos = self.mark if start is None else start
        while True:
            m = rx.search(self.out, pos)
            if m:
                return m
            left = end - time.monotonic()
            if left <= 0 or (self.p.poll() is not None and not self.sel.select(0)):
                return None
            self.pump(min(left, 0.2))

    def type(self, text):
        # The console's UART has a small FIFO: type slowly.
        for ch in text.encode():
            self.p.stdin.write(bytes([ch]))
            self.p.stdin.flush()
            time.sleep(0.002)

    def command(self, line, timeout):
        """Types line at a prompt; returns the output up to the next prompt
        (None on a timeout)."""
        m = self.wait_for(re.escape(PROMPT), timeout)
        if not m:
            return None
        self.mark = m.end()
        self.type(line + "\r")
        start = self.mark
        m = self.wait_for(re.escape(PROMPT), timeout, start)
        if not m:
            return None
        self.mark = m.start()
        return self.out[start:m.start()]

    def start(self, line, ready, timeout):
        """Types line (a command that runs until ^C) and waits for ready."""
        m = self.wait_for(re.escape(PROMPT), timeout)
        if not m:
            return None
        self.mark = m.end()
        self.type(line + "\r")
        return self.wait_for(ready, timeout)

    def interrupt(self, timeout):
        """^C; returns the output up to the next prompt."""
        start = self.mark
        self.type("\x03")
        m = self.wait_for(re.escape(PROMPT), timeout, start)
        if not m:
            return None
        self.mark = m.start()
        return self.out[start:m.start()]

    def kill(self):
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.p.wait()


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def http_server(root):
    """A Python http.server on the host's 127.0.0.1, serving root."""
    handler = functools.partial(Quiet, directory=root)
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def random_page(nbytes):
    """nbytes random bytes in hex, then a last line "end of page"."""
    return os.urandom(nbytes).hex().encode() + b"\nend of page\n"


class Pages:
    """Files (name -> bytes) in a temporary folder (prefix), served by
    http_server on the host's 127.0.0.1 at port; close() stops the server and
    removes the folder."""

    def __init__(self, prefix, files):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        for name, data in files.items():
            self.add(name, data)
        self.server = http_server(self.dir)
        self.port = self.server.server_address[1]

    def add(self, name, data):
        with open(os.path.join(self.dir, name), "wb") as f:
            f.write(data)

    def close(self):
        self.server.shutdown()
        shutil.rmtree(self.dir, ignore_errors=True)


def virtio_net(backend, *options):
    """QEMU's arguments for a modern virtio-net function on the network backend
    (user, socket, ...) with its options (KEY=VALUE)."""
    return ["-netdev", ",".join((backend, "id=n0") + options),
            "-device", "virtio-net-pci,netdev=n0,disable-legacy=on"]


def hostfwd(proto, host_port, guest_port):
    """A user network's option: the host's 127.0.0.1:host_port forwarded to
    the guest's guest_port (proto tcp or udp)."""
    return f"hostfwd={proto}:127.0.0.1:{host_port}-:{guest_port}"


def curl(url, timeout):
    """(HTTP status, body) through the host's curl; (None, error) on failure."""
    try:
        r = subprocess.run(["curl", "-s", "-S", "--max-time", str(timeout), "-o", "-",
                            "-w", "\n%{http_code}", url],
                           capture_output=True, timeout=timeout + 5)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, str(e)
    if r.returncode != 0:
        return None, r.stderr.decode(errors="replace").strip()
    body, _, code = r.stdout.rpartition(b"\n")
    return int(code), body


class Run:
    """A test's options (Run.parse), its points (point) and its end (finish);
    Run.main does all three around a test function."""

    def __init__(self, name, log, results, timeout, cmd):
        self.name, self.log, self.results, self.timeout, self.cmd = name, log, results, timeout, cmd
        self.n = self.passed = 0

    @classmethod
    def parse(cls, doc, name, needs=(), timeout=60,
              timeout_help="seconds for each step (the boot gets twice as long)"):
        """The options of a test whose docstring is doc and default --name is
        name; None (the usage or what is missing printed) when COMMAND is
        missing or a program of needs is not installed."""
        prog = os.path.basename(sys.argv[0])
        ap = argparse.ArgumentParser(description=doc.split("\n")[0],
                                     usage="%(prog)s [options] -- COMMAND [ARGS...]")
        ap.add_argument("--name", default=name, help="the run's name in its lines (%(default)s)")
        ap.add_argument("--log", help="a copy of the guest's console")
        ap.add_argument("--results", help='appends "NAME PASSED FAILED" to this file')
        ap.add_argument("--timeout", type=float, default=timeout, help=timeout_help)
        ap.add_argument("cmd", nargs=argparse.REMAINDER)
        a = ap.parse_args()
        cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
        if not cmd:
            ap.print_usage(sys.stderr)
            return None
        for tool in needs:
            if not shutil.which(tool):
                print(f"{prog}: {tool} is needed (tools/deps.sh installs it)", file=sys.stderr)
                return None
        log = open(a.log, "w") if a.log else None
        return cls(a.name, log, a.results, a.timeout, cmd)

    @classmethod
    def main(cls, doc, name, test, **options):
        """Parses the command line (Run.parse: doc, name and its options), runs
        test(run) and returns the exit status: 2 when the command line was
        refused, else finish's."""
        run = cls.parse(doc, name, **options)
        if not run:
            return 2
        test(run)
        return run.finish()

    def point(self, ok, what):
        """One test point: ok (anything true) or not, and its name."""
        self.n += 1
        self.passed += bool(ok)
        print(f"[{self.name}] {'ok' if ok else 'not ok'} {self.n} - {what}", flush=True)

    def finish(self):
        """The summary line (and the results file's); the exit status."""
        failed = self.n - self.passed
        print(f"[{self.name}] {self.passed} passed, {failed} failed", flush=True)
        if self.results:
            with open(self.results, "a") as f:
                f.write(f"{self.name} {self.passed} {failed}\n")
        if self.log:
            self.log.close()
        return 0 if failed == 0 else 1
