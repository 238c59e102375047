"""Self-tests of tools/qemu-test, the in-guest TAP harness.

Run: python3 -m unittest discover -s tests/tools -v   (make check-tools)

The harness is run against fake commands (sh -c "printf ...", cat of a TAP
transcript in fixtures/, small fixture scripts) standing in for QEMU.
"""

import os
import re
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
HARNESS = ROOT / "tools" / "qemu-test"
FIXTURES = HERE / "fixtures"
SUMMARY_RE = re.compile(r"^(\d+) passed, (\d+) failed$")


class Result:
    def __init__(self, proc, elapsed):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        self.elapsed = elapsed
        self.lines = self.out.splitlines()

    def summary(self):
        """(passed, failed) from the one summary line, which must be the last."""
        matches = [l for l in self.lines if SUMMARY_RE.match(l)]
        assert len(matches) == 1, f"want one summary line, got {matches!r}:\n{self.out}"
        assert self.lines[-1] == matches[0], f"summary is not last:\n{self.out}"
        m = SUMMARY_RE.match(matches[0])
        return int(m.group(1)), int(m.group(2))

    def failures(self):
        return [l for l in self.lines if " FAIL: " in l]


def harness(*opts, cmd, timeout=20):
    """Run tools/qemu-test OPTS -- CMD; return a Result."""
    argv = [sys.executable, str(HARNESS), *opts]
    if cmd is not None:
        argv += ["--", *cmd]
    t0 = time.monotonic()
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout)
    return Result(proc, time.monotonic() - t0)


def printf(text):
    """A command that prints TEXT (printf-escaped) and exits 0."""
    return ["sh", "-c", 'printf "$1"', "sh", text]


def fixture(name, *args):
    return ["sh", str(FIXTURES / name), *args]


def cat(name):
    return ["cat", str(FIXTURES / name)]


def pid_dead(pid):
    """True if PID no longer runs (gone, or a zombie awaiting its reaper)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state in ("Z", "X")
    except (OSError, IndexError):
        return True


class TempDirCase(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="qemu-test-selftest.")
        self.tmp = Path(self._tmp.name)

    def tearDown(self):
        self._tmp.cleanup()


class TestPassFail(TempDirCase):
    def test_harness_is_executable_and_documents_options(self):
        self.assertTrue(os.access(HARNESS, os.X_OK), f"{HARNESS} is not executable")
        proc = subprocess.run([str(HARNESS), "--help"], capture_output=True, text=True,
                              timeout=20)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        for opt in ("--name", "--timeout", "--log", "--verbose", "--no-plan",
                    "--expect-panic", "--expect", "--reject", "--exit-code",
                    "--results", "--report"):
            self.assertIn(opt, proc.stdout)

    def test_all_pass_with_boot_log_and_crlf(self):
        r = harness("--name", "t", cmd=cat("all_pass_crlf.txt"))
        self.assertEqual(r.summary(), (3, 0), r.out)
        self.assertEqual(r.rc, 0)
        # Results are echoed with the prefix and without the \r; boot log is not.
        self.assertIn("[t] ok 1 - cap/revoke_removes_descendants", r.lines)
        self.assertIn("[t] ok 3 - vmo/cow_fork", r.lines)
        self.assertNotIn("\r", r.out)
        self.assertNotIn("SeaBIOS", r.out)
        self.assertNotIn("a comment line", r.out)

    def test_not_ok(self):
        r = harness("--name", "t", cmd=cat("one_not_ok.txt"))
        self.assertEqual(r.summary(), (1, 1), r.out)
        self.assertEqual(r.rc, 1)
        self.assertEqual(len(r.failures()), 1)
        self.assertIn("ipc/call_reply_badge", r.failures()[0])
        self.assertIn("expected badge 0x2a, got 0", r.failures()[0])
        self.assertTrue(r.failures()[0].startswith("[t] "))

    def test_missing_plan(self):
        r = harness(cmd=printf("ok 1 - a\\nok 2 - b\\n"))
        self.assertEqual(r.summary(), (2, 1), r.out)
        self.assertEqual(r.rc, 1)
        self.assertIn("plan", r.failures()[0])

    def test_no_plan_option(self):
        r = harness("--no-plan", cmd=printf("ok 1 - a\\nok 2 - b\\n"))
        self.assertEqual(r.summary(), (2, 0), r.out)
        self.assertEqual(r.rc, 0)

    def test_plan_at_end(self):
        r = harness(cmd=printf("ok 1 - a\\nok 2 - b\\n1..2\\n"))
        self.assertEqual(r.summary(), (2, 0), r.out)

    def test_plan_mismatch_too_many(self):
        r = harness(cmd=printf("1..2\\nok 1 - a\\nok 2 - b\\nok 3 - c\\n"))
        self.assertEqual(r.summary(), (3, 1), r.out)
        self.assertRegex(r.failures()[0], r"plan 1\.\.2 but 3")

    def test_plan_mismatch_trailing_plan(self):
        r = harness(cmd=printf("ok 1 - a\\nok 2 - b\\n1..3\\n"))
        self.assertEqual(r.summary(), (2, 1), r.out)
        self.assertRegex(r.failures()[0], r"plan 1\.\.3 but 2")

    def test_exit_before_all_planned_tests(self):
        r = harness(cmd=["sh", "-c", "echo 1..3; echo ok 1 - a; exit 7"])
        self.assertEqual(r.summary(), (1, 1), r.out)
        self.assertRegex(r.failures()[0], r"status 7.* 1 of 3")

    def test_duplicate_and_out_of_order_numbers(self):
        r = harness(cmd=printf("1..4\\nok 1\\nok 3\\nok 2\\nok 2\\n"))
        passed, failed = r.summary()
        self.assertEqual(passed, 4, r.out)
        fails = "\n".join(r.failures())
        self.assertIn("out of order", fails)
        self.assertIn("duplicate test number 2", fails)
        self.assertEqual(r.rc, 1)

    def test_unnumbered_tests_are_numbered_in_order(self):
        r = harness(cmd=printf("1..2\\nok - a\\nok\\n"))
        self.assertEqual(r.summary(), (2, 0), r.out)

    def test_bail_out(self):
        r = harness(cmd=printf("1..3\\nok 1 - a\\nBail out! no memory\\n"))
        self.assertEqual(r.summary(), (1, 1), r.out)
        self.assertIn("Bail out! no memory", r.failures()[0])

    def test_skip_and_todo(self):
        r = harness(cmd=cat("skip_todo.txt"))
        # ok 1, ok 2, ok 4 # SKIP, not ok 5 # skip pass; not ok 3 # TODO neither.
        self.assertEqual(r.summary(), (4, 0), r.out)
        self.assertEqual(r.rc, 0)

    def test_hash_inside_description_is_not_a_directive(self):
        r = harness(cmd=printf("1..1\\nnot ok 1 - issue#SKIP\\n"))
        self.assertEqual(r.summary(), (0, 1), r.out)


class TestPanic(TempDirCase):
    def test_panic_line_fails_and_stops_early(self):
        r = harness("--timeout", "30", cmd=fixture("panic_hang.sh"))
        passed, failed = r.summary()
        self.assertEqual(passed, 1, r.out)
        self.assertGreaterEqual(failed, 1)
        self.assertTrue(any("PANIC: page fault" in f for f in r.failures()), r.out)
        self.assertFalse(any("timeout" in f for f in r.failures()), r.out)
        self.assertLess(r.elapsed, 8, "did not stop ~2 s after the panic")

    def test_exception_line_fails(self):
        r = harness(cmd=printf("1..1\\nok 1\\nEXCEPTION #GP at rip=0x1234\\n"))
        self.assertEqual(r.summary(), (1, 1), r.out)
        self.assertIn("EXCEPTION #GP", r.failures()[0])

    def test_expected_panic_present(self):
        r = harness("--expect-panic", "--no-plan",
                    cmd=printf("ok 1 - about to panic\\nPANIC: deliberate\\n"))
        self.assertEqual(r.summary(), (1, 0), r.out)
        self.assertEqual(r.rc, 0)

    def test_expected_panic_absent(self):
        r = harness("--expect-panic", "--no-plan", cmd=printf("ok 1 - survived\\n"))
        self.assertEqual(r.summary(), (1, 1), r.out)
        self.assertIn("PANIC", r.failures()[0])
        self.assertEqual(r.rc, 1)


class TestTimeoutAndKill(TempDirCase):
    def test_timeout_kills_process_group(self):
        pidfile = self.tmp / "child.pid"
        r = harness("--timeout", "2", "--name", "hang",
                    cmd=fixture("plan_then_sleep.sh", str(pidfile)))
        self.assertLess(r.elapsed, 10, r.out)
        self.assertEqual(r.summary(), (1, 1), r.out)
        self.assertEqual(r.rc, 1)
        (fail,) = r.failures()
        self.assertIn("[hang] FAIL: timeout after 2 s", fail)
        self.assertIn("ok 1 - first", fail)  # names the last TAP line
        child = int(pidfile.read_text())
        deadline = time.monotonic() + 3
        while not pid_dead(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(pid_dead(child), f"sleeping child {child} survived")

    def test_complete_plan_then_hang_is_killed_without_failure(self):
        pidfile = self.tmp / "child.pid"
        r = harness("--timeout", "30", cmd=fixture("done_no_exit.sh", str(pidfile)))
        self.assertEqual(r.summary(), (2, 0), r.out)
        self.assertEqual(r.rc, 0)
        self.assertLess(r.elapsed, 10, "did not stop ~5 s after the plan completed")
        child = int(pidfile.read_text())
        deadline = time.monotonic() + 3
        while not pid_dead(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(pid_dead(child), f"sleeping child {child} survived")

    def test_stdin_is_dev_null(self):
        r = harness("--no-plan", cmd=["sh", "-c", "cat; echo ok 1 - stdin closed"])
        self.assertEqual(r.summary(), (1, 0), r.out)


class TestOptions(TempDirCase):
    def test_expect_and_reject(self):
        cmd = printf("weft: 2 CPUs online\\n1..1\\nok 1 - a\\n")
        r = harness("--expect", r"^weft: \d+ CPUs", "--reject", "WARN", cmd=cmd)
        self.assertEqual(r.summary(), (3, 0), r.out)
        r = harness("--expect", "no such line", "--reject", r"CPUs online$", cmd=cmd)
        self.assertEqual(r.summary(), (1, 2), r.out)
        fails = "\n".join(r.failures())
        self.assertIn("expect /no such line/", fails)
        self.assertIn("reject /CPUs online$/", fails)

    def test_expect_spans_multiple_lines(self):
        r = harness("--no-plan", "--expect", r"^a\r?\nb$", cmd=printf("a\\r\\nb\\r\\n"))
        self.assertEqual(r.summary(), (1, 0), r.out)

    def test_exit_code(self):
        cmd = ["sh", "-c", "echo 1..1; echo ok 1; exit 3"]
        self.assertEqual(harness("--exit-code", "3", cmd=cmd).summary(), (1, 0))
        r = harness("--exit-code", "0", cmd=cmd)
        self.assertEqual(r.summary(), (1, 1), r.out)
        self.assertIn("exit status 3", r.failures()[0])
        # Without --exit-code the status is not judged.
        self.assertEqual(harness(cmd=cmd).rc, 0)

    def test_quick_exit_is_never_taken_for_a_kill(self):
        # The console reaches EOF a moment before the process can be reaped;
        # the harness must wait for the real status rather than kill it.
        # The second command closes the console well before it exits.
        quick = ["sh", "-c", "echo 1..2; echo ok 1; exit 3"]
        late = ["sh", "-c", "echo 1..2; echo ok 1; exec >&-; sleep 0.3; exit 3"]
        for cmd in [quick] * 4 + [late]:
            r = harness("--exit-code", "3", cmd=cmd)
            self.assertEqual(r.summary(), (1, 1), r.out)
            self.assertRegex(r.failures()[0], r"exited with status 3 after 1 of 2")

    def test_log_and_verbose(self):
        log = self.tmp / "serial.log"
        text = "boot line\r\n1..1\r\nok 1 - a\r\n"
        r = harness("--log", str(log), cmd=printf(text))
        self.assertEqual(log.read_bytes(), text.encode())
        self.assertNotIn("boot line", r.out)
        r = harness("--verbose", cmd=printf(text))
        self.assertIn("boot line", r.lines)
        self.assertEqual(r.summary(), (1, 0))

    def test_default_name_from_kernel(self):
        r = harness("--no-plan",
                    cmd=["sh", "-c", "echo ok 1", "-kernel", "build/x86_64-c4/weft-test.elf"])
        self.assertIn("[weft-test.elf] ok 1", r.lines)
        r = harness("--no-plan", cmd=["sh", "-c", "echo ok 1"])
        self.assertIn("[run] ok 1", r.lines)

    def test_missing_command(self):
        r = harness("--timeout", "5", cmd=None)
        self.assertEqual(r.rc, 2)
        r = harness(cmd=[str(self.tmp / "no-such-qemu")])
        self.assertEqual(r.summary(), (0, 1))
        self.assertEqual(r.rc, 1)


class TestResultsReport(TempDirCase):
    def test_results_and_report_totals(self):
        results = self.tmp / "results.txt"
        harness("--name", "c0", "--results", str(results), cmd=cat("all_pass_crlf.txt"))
        harness("--name", "c4", "--results", str(results), cmd=cat("one_not_ok.txt"))
        self.assertEqual(results.read_text().splitlines(), ["c0 3 0", "c4 1 1"])
        r = harness("--report", str(results), cmd=None)
        self.assertEqual(r.summary(), (4, 1), r.out)
        self.assertEqual(r.rc, 1)
        self.assertTrue(any(l.split()[:3] == ["c0", "3", "0"] for l in r.lines), r.out)
        self.assertTrue(any(l.split()[:3] == ["c4", "1", "1"] for l in r.lines), r.out)

    def test_report_all_passed(self):
        results = self.tmp / "results.txt"
        results.write_text("a 3 0\nb 5 0\n")
        r = harness("--report", str(results), cmd=None)
        self.assertEqual(r.summary(), (8, 0), r.out)
        self.assertEqual(r.rc, 0)

    def test_report_missing_or_empty(self):
        r = harness("--report", str(self.tmp / "none.txt"), cmd=None)
        self.assertEqual(r.rc, 1)
        empty = self.tmp / "empty.txt"
        empty.write_text("")
        r = harness("--report", str(empty), cmd=None)
        self.assertEqual(r.rc, 1)


if __name__ == "__main__":
    unittest.main()
