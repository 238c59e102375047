#!/usr/bin/env python3
"""systest: drive Weft's shell over the serial console from a script.

    tools/systest.py [options] SCRIPT -- COMMAND [ARGS...]
    tools/systest.py --check SCRIPT

COMMAND is normally `qemu-system-x86_64 ... -serial stdio -display none
-monitor none -kernel weft.elf -initrd initramfs.cpio`: its stdout is the
serial console (read as it arrives), its stdin is a pipe the script types
into (the guest's console server gets the bytes through the UART interrupt).
It runs in a session (process group) of its own and is always killed at the
end.

SCRIPT: one step per line; blank lines and lines starting with '#' are
skipped. The console output is one stream; a position in it, "the mark",
starts at 0.

  prompt          wait for the shell's prompt ("weft> ") after the mark,
                  then move the mark past it
  send LINE       type LINE and the Enter key (--enter), at once
  expect REGEX    wait for REGEX (Python syntax) to match the output after
                  the mark; the mark stays, so several expects after one
                  send may match in any order
  reject REGEX    REGEX must not match the output between the mark and the
                  next prompt (judged when that prompt arrives)
  exit [STATUS]   wait for COMMAND to exit (with STATUS if given)

Each prompt, expect, reject and exit is one test point. Test points are
printed as TAP-like lines ("ok N - script:LINE expect REGEX") as they are
judged. A line of the console starting with PANIC or EXCEPTION fails the
run. Once a step times out (--timeout seconds, --boot-timeout for the first
prompt), the steps left are not run and each counts as failed. At the end
exactly one summary line "N passed, N failed" is printed, and with
--results FILE the line "NAME PASSED FAILED" is appended to FILE (the
format of tools/qemu-test --results, so `tools/qemu-test --report FILE`
totals both). Exit status 0 iff nothing failed, 1 otherwise, 2 on a usage
error or a malformed SCRIPT (--check only parses SCRIPT).

Only the Python standard library is used.
"""

import argparse
import errno
import os
import re
import selectors
import signal
import subprocess
import sys
import time

PROMPT = "weft> "
PANIC_RE = re.compile(r"^(PANIC|EXCEPTION)", re.M)
KILL_WAIT_S = 3.0
ENTER = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n"}


class ScriptError(Exception):
    pass


class Step:
    def __init__(self, kind, arg, lineno, regex=None):
        self.kind = kind
        self.arg = arg
        self.lineno = lineno
        self.regex = regex

    def describe(self):
        return f"{self.kind} {self.arg}".rstrip()

    def __repr__(self):
        return f"Step({self.kind!r}, {self.arg!r}, {self.lineno})"


def parse_script(text):
    """The steps of a script; raises ScriptError naming the first bad line."""
    steps = []
    # lines end at "\n" only: a send may type ^\ (0x1c), a line break to splitlines
    for n, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip("\r\n")
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        word, _, rest = stripped.partition(" ")
        rest = rest.strip()
        if word == "prompt":
            if rest:
                raise ScriptError(f"line {n}: prompt takes no argument")
            steps.append(Step("prompt", "", n))
        elif word == "send":
            # The line typed is everything after "send " as written (it may be
            # empty: an empty line).
            typed = line.lstrip()[len("send"):]
            steps.append(Step("send", typed[1:] if typed.startswith(" ") else typed, n))
        elif word in ("expect", "reject"):
            if not rest:
                raise ScriptError(f"line {n}: {word} needs a regular expression")
            try:
                rx = re.compile(rest, re.M)
            except re.error as e:
                raise ScriptError(f"line {n}: bad regular expression {rest!r}: {e}")
            steps.append(Step(word, rest, n, rx))
        elif word == "exit":
            if rest and not re.fullmatch(r"\d+", rest):
                raise ScriptError(f"line {n}: exit takes a status number")
            steps.append(Step("exit", rest, n))
        else:
            raise ScriptError(f"line {n}: unknown step {word!r} "
                              "(prompt, send, expect, reject, exit)")
    if not steps:
        raise ScriptError("the script has no steps")
    return steps


class Console:
    """COMMAND's console: what it printed so far, and its stdin."""

    def __init__(self, command, log, verbose):
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     start_new_session=True)
        self.fd = self.proc.stdout.fileno()
        os.set_blocking(self.fd, False)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.fd, selectors.EVENT_READ)
        self.text = ""
        self.eof = False
        self.log = log
        self.verbose = verbose
        self.partial = b""

    def pump(self, wait):
        """Reads what has arrived, waiting up to wait seconds for something."""
        if self.eof:
            if wait > 0:
                time.sleep(min(wait, 0.05))
            return
        if not self.sel.select(wait):
            return
        try:
            data = os.read(self.fd, 65536)
        except OSError as e:
            if e.errno in (errno.EAGAIN, errno.EINTR):
                return
            raise
        if not data:
            self.eof = True
            self.sel.unregister(self.fd)
            return
        if self.log:
            self.log.write(data)
            self.log.flush()
        if self.verbose:
            sys.stdout.write(data.decode("utf-8", errors="replace"))
            sys.stdout.flush()
        self.partial += data
        # Decode whole UTF-8 sequences only.
        try:
            s = self.partial.decode("utf-8")
            self.partial = b""
        except UnicodeDecodeError as e:
            if e.start < len(self.partial) - 3:
                s = self.partial.decode("utf-8", errors="replace")
                self.partial = b""
            else:
                s = self.partial[:e.start].decode("utf-8")
                self.partial = self.partial[e.start:]
        self.text += s.replace("\r", "")

    def type(self, data):
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError):
            return False

    def exited(self):
        return self.proc.poll() is not None

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=KILL_WAIT_S)
            except (ProcessLookupError, PermissionError, subprocess.TimeoutExpired):
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        status = self.proc.wait()
        self.sel.close()
        return status


class Runner:
    def __init__(self, steps, console, args, script_name):
        self.steps = steps
        self.con = console
        self.args = args
        self.script = script_name
        self.mark = 0
        self.number = 0
        self.passed = 0
        self.failed = 0
        self.rejects = []  # (step, mark) judged at the next prompt
        self.first_prompt = True
        self.panic_seen = False

    def point(self, ok, step, why=""):
        self.number += 1
        what = f"{self.script}:{step.lineno} {step.describe()}"
        if ok:
            self.passed += 1
            print(f"ok {self.number} - {what}", flush=True)
        else:
            self.failed += 1
            print(f"not ok {self.number} - {what} # {why}", flush=True)

    def wait_for(self, cond, timeout):
        """Pumps the console until cond() is true (returns its value), COMMAND
        exits, a panic is printed, or timeout seconds pass (returns None)."""
        deadline = time.monotonic() + timeout
        while True:
            v = cond()
            if v:
                return v
            if not self.panic_seen and PANIC_RE.search(self.con.text):
                self.panic_seen = True
                return None
            now = time.monotonic()
            if now >= deadline or (self.con.eof and self.con.exited()):
                return None
            self.con.pump(min(0.1, deadline - now))

    def why_not(self, what):
        if self.panic_seen:
            return f"{what}: the kernel reported a panic or exception"
        if self.con.eof and self.con.exited():
            return f"{what}: COMMAND exited (status {self.con.proc.returncode})"
        return f"{what}: timed out"

    def run(self):
        for i, step in enumerate(self.steps):
            ok = self.run_step(step)
            if not ok and step.kind in ("prompt", "expect", "exit"):
                # The console is out of step with the script: the rest cannot
                # be judged.
                for rest in self.steps[i + 1:]:
                    if rest.kind != "send":
                        self.point(False, rest, "not run: an earlier step failed")
                for rej, _ in self.rejects:
                    self.point(False, rej, "not judged: no prompt followed")
                self.rejects = []
                break
        for rej, _ in self.rejects:
            self.point(False, rej, "not judged: no prompt followed")
        # A panic printed after the last step still fails the run.
        self.con.pump(0)
        if not self.panic_seen and PANIC_RE.search(self.con.text):
            self.panic_seen = True
        if self.panic_seen:
            self.failed += 1
            print("# FAIL: the console shows a PANIC or EXCEPTION line", flush=True)

    def run_step(self, step):
        con = self.con
        if step.kind == "send":
            if not con.type(step.arg.encode() + ENTER[self.args.enter]):
                self.point(False, step, "COMMAND's stdin is closed")
                return False
            return True
        if step.kind == "prompt":
            timeout = self.args.boot_timeout if self.first_prompt else self.args.timeout
            at = self.wait_for(lambda: con.text.find(PROMPT, self.mark) + 1, timeout)
            self.first_prompt = False
            if not at:
                self.point(False, step, self.why_not("no prompt"))
                return False
            start = at - 1
            for rej, mark in self.rejects:
                m = rej.regex.search(con.text, mark, start)
                self.point(m is None, rej, f"matched {m.group(0)!r}" if m else "")
            self.rejects = []
            self.mark = start + len(PROMPT)
            self.point(True, step)
            return True
        if step.kind == "expect":
            m = self.wait_for(lambda: step.regex.search(con.text, self.mark), self.args.timeout)
            self.point(m is not None, step, self.why_not("no match") if m is None else "")
            return m is not None
        if step.kind == "reject":
            self.rejects.append((step, self.mark))
            return True
        if step.kind == "exit":
            deadline = time.monotonic() + self.args.timeout
            while not con.exited() and time.monotonic() < deadline:
                con.pump(0.1)
            if not con.exited():
                self.point(False, step, "COMMAND did not exit: timed out")
                return False
            status = con.proc.returncode
            ok = not step.arg or int(step.arg) == status
            self.point(ok, step, "" if ok else f"exit status {status}")
            return ok
        raise AssertionError(step.kind)


def positive_float(s):
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {s!r}")
    if v <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0: {s!r}")
    return v


def parser():
    p = argparse.ArgumentParser(
        prog="systest.py",
        usage="%(prog)s [options] SCRIPT -- COMMAND [ARGS...]\n"
              "       %(prog)s --check SCRIPT",
        description="Drive Weft's shell over the serial console from a script: type "
                    "lines into COMMAND's stdin, match its console output.",
        epilog="Script steps: prompt, send LINE, expect REGEX, reject REGEX, exit [STATUS] "
               "(the module's documentation has the details).")
    p.add_argument("script", metavar="SCRIPT", help="the script file")
    p.add_argument("--name", metavar="NAME",
                   help="the run's name in the output and in --results (default: the "
                        "script's file name without extension)")
    p.add_argument("--timeout", metavar="SECONDS", type=positive_float, default=30.0,
                   help="how long each step waits (default 30)")
    p.add_argument("--boot-timeout", metavar="SECONDS", type=positive_float, default=120.0,
                   help="how long the first prompt step waits (default 120)")
    p.add_argument("--enter", choices=sorted(ENTER), default="cr",
                   help="what the Enter key sends after each line (default cr, as a "
                        "terminal does)")
    p.add_argument("--log", metavar="FILE", help="write the raw console output to FILE")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="echo the console output as it arrives")
    p.add_argument("--results", metavar="FILE",
                   help="append 'NAME PASSED FAILED' to FILE (tools/qemu-test's format)")
    p.add_argument("--check", action="store_true",
                   help="only parse SCRIPT and report its steps")
    return p


def main(argv):
    if "--" in argv:
        i = argv.index("--")
        opts, command = argv[:i], argv[i + 1:]
    else:
        opts, command = argv, []
    p = parser()
    args = p.parse_args(opts)
    try:
        with open(args.script, encoding="utf-8") as f:
            steps = parse_script(f.read())
    except OSError as e:
        print(f"systest: {args.script}: {e.strerror}", file=sys.stderr)
        return 2
    except ScriptError as e:
        print(f"systest: {args.script}: {e}", file=sys.stderr)
        return 2
    if args.check:
        if command:
            p.error("--check takes no COMMAND")
        points = sum(1 for s in steps if s.kind != "send")
        print(f"{args.script}: {len(steps)} steps, {points} test points")
        return 0
    if not command:
        p.error("no COMMAND given (put it after --)")
    name = args.name or os.path.splitext(os.path.basename(args.script))[0]
    name = re.sub(r"\s", "_", name)

    log = open(args.log, "wb") if args.log else None
    try:
        try:
            con = Console(command, log, args.verbose)
        except OSError as e:
            print(f"systest: cannot start {command[0]}: {e.strerror}", file=sys.stderr)
            passed, failed = 0, 1
        else:

            def on_signal(signum, frame):
                try:
                    os.killpg(con.proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                signal.signal(signum, signal.SIG_DFL)
                os.kill(os.getpid(), signum)

            for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                signal.signal(s, on_signal)
            runner = Runner(steps, con, args, os.path.basename(args.script))
            try:
                runner.run()
            finally:
                con.stop()
            passed, failed = runner.passed, runner.failed
    finally:
        if log:
            log.close()
    print(f"{passed} passed, {failed} failed", flush=True)
    if args.results:
        with open(args.results, "a", encoding="utf-8") as f:
            f.write(f"{name} {passed} {failed}\n")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
