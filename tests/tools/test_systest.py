"""Self-tests of tools/systest.py, the scripted system test of the shell.

Run: python3 -m unittest discover -s tests/tools -v   (make check-tools)

The script parser is tested directly; the runner against a fake shell
(fixtures/fakeshell.py) standing in for QEMU.
"""

import importlib.util
import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SYSTEST = ROOT / "tools" / "systest.py"
FAKE = [sys.executable, str(HERE / "fixtures" / "fakeshell.py")]
SUMMARY_RE = re.compile(r"^(\d+) passed, (\d+) failed$")

spec = importlib.util.spec_from_file_location("systest", SYSTEST)
systest = importlib.util.module_from_spec(spec)
spec.loader.exec_module(systest)


class ParseScript(unittest.TestCase):
    def test_steps_in_order(self):
        steps = systest.parse_script(
            "# a comment\n\nprompt\nsend caps  \nexpect ^slot +type\n"
            "reject PANIC|fault\nsend\nexit 0\n")
        self.assertEqual([(s.kind, s.arg, s.lineno) for s in steps],
                         [("prompt", "", 3), ("send", "caps  ", 4),
                          ("expect", "^slot +type", 5), ("reject", "PANIC|fault", 6),
                          ("send", "", 7), ("exit", "0", 8)])
        self.assertTrue(steps[2].regex.search("x\nslot  type"))

    def test_control_bytes_stay_in_a_send(self):
        # ^\ (0x1c) and its neighbours end a line for str.splitlines; typed
        # by a send, they are part of it
        steps = systest.parse_script("send \x1c\nsend a\x1db\x1e\nexpect x\n")
        self.assertEqual([(s.kind, s.arg) for s in steps],
                         [("send", "\x1c"), ("send", "a\x1db\x1e"), ("expect", "x")])

    def test_errors_name_the_line(self):
        for text, msg in [("prompt\nfrobnicate x\n", "line 2: unknown step 'frobnicate'"),
                          ("expect (\n", "line 1: bad regular expression"),
                          ("expect\n", "line 1: expect needs a regular expression"),
                          ("prompt now\n", "line 1: prompt takes no argument"),
                          ("exit soon\n", "line 1: exit takes a status number"),
                          ("# nothing\n\n", "no steps")]:
            with self.assertRaises(systest.ScriptError) as cm:
                systest.parse_script(text)
            self.assertIn(msg, str(cm.exception))

    def test_the_shell_script_parses(self):
        steps = systest.parse_script((ROOT / "tests" / "system" / "shell.script").read_text())
        kinds = {s.kind for s in steps}
        self.assertTrue({"prompt", "send", "expect", "exit"} <= kinds)


def run(script, *opts, timeout=60):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "t.script"
        path.write_text(script)
        results = Path(d) / "results.txt"
        proc = subprocess.run([sys.executable, str(SYSTEST), str(path), "--results",
                               str(results), *opts, "--", *FAKE],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)
        lines = proc.stdout.splitlines()
        m = SUMMARY_RE.match(lines[-1]) if lines else None
        assert m, f"no summary line last:\n{proc.stdout}\n{proc.stderr}"
        return proc.returncode, lines, (int(m.group(1)), int(m.group(2))), results.read_text()


class Runner(unittest.TestCase):
    def test_all_pass(self):
        rc, lines, (p, f), res = run(
            "prompt\nsend echo hello world\nexpect ^hello world$\nreject unknown\nprompt\n"
            "send nosuch\nexpect unknown command 'nosuch'\nprompt\n"
            "send later after the prompt\nexpect after the prompt\nprompt\n"
            "send poweroff\nexpect powering off\nexit 0\n", "--name", "fake")
        self.assertEqual((rc, p, f), (0, 10, 0), "\n".join(lines))
        self.assertEqual(res, "fake 10 0\n")
        self.assertTrue(lines[0].startswith("ok 1 - t.script:1 prompt"))

    def test_missing_output_times_out_and_stops(self):
        rc, lines, (p, f), _ = run(
            "prompt\nsend echo hi\nexpect ^bye$\nprompt\nsend echo x\nexpect x\n",
            "--timeout", "1")
        self.assertEqual((rc, p, f), (1, 1, 3), "\n".join(lines))
        self.assertIn("# no match: timed out", "\n".join(lines))
        self.assertIn("not run: an earlier step failed", "\n".join(lines))

    def test_reject_that_matches_fails(self):
        rc, lines, (p, f), _ = run("prompt\nsend nosuch\nreject unknown\nprompt\n")
        self.assertEqual((rc, p, f), (1, 2, 1), "\n".join(lines))
        self.assertIn("matched 'unknown'", "\n".join(lines))

    def test_panic_fails_the_run(self):
        rc, lines, (p, f), _ = run("prompt\nsend panic\nprompt\n", "--timeout", "20")
        self.assertEqual(rc, 1)
        self.assertGreaterEqual(f, 1)
        self.assertIn("panic or exception", "\n".join(lines))

    def test_wrong_exit_status_fails(self):
        rc, lines, (p, f), _ = run("prompt\nsend poweroff\nexit 3\n")
        self.assertEqual((rc, p, f), (1, 1, 1), "\n".join(lines))
        self.assertIn("exit status 0", "\n".join(lines))

    def test_check_and_usage(self):
        proc = subprocess.run([sys.executable, str(SYSTEST), "--check",
                               str(ROOT / "tests" / "system" / "shell.script")],
                              capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertRegex(proc.stdout, r"\d+ steps, \d+ test points")
        proc = subprocess.run([sys.executable, str(SYSTEST), "--help"],
                              capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0)
        self.assertIn("SCRIPT -- COMMAND", proc.stdout)
        with tempfile.NamedTemporaryFile("w", suffix=".script") as t:
            t.write("bogus\n")
            t.flush()
            proc = subprocess.run([sys.executable, str(SYSTEST), t.name, "--", "true"],
                                  capture_output=True, text=True)
            self.assertEqual(proc.returncode, 2)
            self.assertIn("unknown step 'bogus'", proc.stderr)


if __name__ == "__main__":
    unittest.main()
