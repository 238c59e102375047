#!/usr/bin/env python3
"""Tests of bench/linux/collect.py on a canned serial log (no network, no boot):
make check-bench-linux, part of make check.

testdata/serial-cpu-max.log is the serial console of one real boot of the Linux
guest (make bench-linux, -cpu max), testdata/serial-storage-cpu-max.log one of
the storage boot (make bench-linux-storage, -cpu max). The tests check that
every figure is taken from them with its value, and that each way a boot can go
wrong (a benchmark program failing, a module not loading, the guest not
finishing, a figure missing or garbled, a log of the other suite) makes the boot
fail instead of leaving a figure out silently.

  test_collect.py [--results FILE]    appends "check-bench-linux PASSED FAILED"
"""

import hashlib
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import collect  # noqa: E402

with open(os.path.join(HERE, "testdata", "serial-cpu-max.log"), encoding="utf-8") as f:
    GOOD = f.read()
with open(os.path.join(HERE, "testdata", "serial-storage-cpu-max.log"), encoding="utf-8") as f:
    STORAGE = f.read()


def without(text, needle):
    return "\n".join(l for l in text.splitlines() if needle not in l)


class ParseLog(unittest.TestCase):
    def test_good_log_gives_every_figure(self):
        rows, problems = collect.parse_log(GOOD, "max")
        self.assertEqual(problems, [])
        self.assertEqual(len(rows), 1 + len(collect.EXPECTED))
        keys = {collect.key(r) for r in rows}
        self.assertTrue(set(collect.EXPECTED) <= keys)
        self.assertTrue(all(r["cpu"] == "max" and r["system"] == "linux" for r in rows))

    def test_values_are_the_logged_ones(self):
        rows, _ = collect.parse_log(GOOD, "max")
        fig = {collect.key(r): r for r in rows}
        self.assertEqual(collect.value(fig[("ipc", "getppid")]), 327.0)
        self.assertEqual(fig[("ipc", "getppid")]["iterations"], 1000)
        self.assertEqual(collect.value(fig[("vm", "first_touch_4k_faults_per_mib")]), 256)
        self.assertEqual(collect.value(fig[("vm", "first_touch_faults_64mib")]), 32)
        self.assertEqual(fig[("info", "")]["release"], "6.1.0-56-cloud-amd64")

    def test_a_failed_program_fails_the_boot(self):
        log = GOOD.replace("linux-bench: done 5 run, 0 failed",
                           "linux-bench: FAIL pipe (status 256)\nlinux-bench: done 5 run, 1 failed")
        _, problems = collect.parse_log(log, "max")
        self.assertIn("linux-bench: FAIL pipe (status 256)", problems)
        self.assertIn("1 of 5 benchmark programs failed", problems)

    def test_an_unfinished_guest_fails_the_boot(self):
        _, problems = collect.parse_log(without(GOOD, "linux-bench: done"), "max")
        self.assertEqual(len(problems), 1)
        self.assertIn("did not finish", problems[0])

    def test_a_missing_figure_fails_the_boot(self):
        _, problems = collect.parse_log(without(GOOD, '"fork_exit_wait_0mib_instructions"'), "max")
        self.assertEqual(problems, ["missing figure vm/fork_exit_wait_0mib_instructions"])

    def test_a_garbled_line_is_a_missing_figure(self):
        log = GOOD.replace('"case": "getppid"', '"case": "getp[   1.5] printk\nid"')
        _, problems = collect.parse_log(log, "max")
        self.assertEqual(problems, ["missing figure ipc/getppid"])

    def test_lines_of_other_systems_are_ignored(self):
        log = GOOD + '\n{"bench": "ipc", "case": "getppid", "cluster_order": 4}\n'
        rows, problems = collect.parse_log(log, "max")
        self.assertEqual(problems, [])
        self.assertEqual(len(rows), 1 + len(collect.EXPECTED))

    def test_an_empty_log_fails(self):
        _, problems = collect.parse_log("", "max")
        self.assertGreater(len(problems), len(collect.EXPECTED))


class ParseStorageLog(unittest.TestCase):
    def test_good_log_gives_every_figure(self):
        rows, problems = collect.parse_log(STORAGE, "max", "storage")
        self.assertEqual(problems, [])
        self.assertEqual(len(rows), 1 + len(collect.EXPECTED_STORAGE))
        self.assertTrue(set(collect.EXPECTED_STORAGE) <= {collect.key(r) for r in rows})
        self.assertTrue(all(r["cpu"] == "max" and r["system"] == "linux" for r in rows))

    def test_values_are_the_logged_ones(self):
        rows, _ = collect.parse_log(STORAGE, "max", "storage")
        fig = {collect.key(r): r for r in rows}
        cold = fig[("storage", "seq_read_cold_instructions_per_mib")]
        self.assertEqual(collect.value(cold), 2804780)
        self.assertEqual(cold["runs"], 9)
        self.assertEqual(collect.value(fig[("storage", "stat_instructions_per_file")]), 9225)
        self.assertEqual(collect.value(fig[("storage", "page_cache_64mib_cached_kib")]), 65660)
        self.assertIn("virtio_blk", fig[("info", "")]["modules"])
        self.assertIn("idle=poll", fig[("info", "")]["cmdline"])

    def test_a_failed_check_fails_the_boot(self):
        log = STORAGE.replace(
            "linux-bench: done 1 run, 0 failed",
            "linux-bench: FAIL cold read: bytes read, not 64 MiB (4096)\n"
            "linux-bench: FAIL storage (status 256)\nlinux-bench: done 1 run, 1 failed")
        _, problems = collect.parse_log(log, "max", "storage")
        self.assertIn("linux-bench: FAIL cold read: bytes read, not 64 MiB (4096)", problems)
        self.assertIn("1 of 1 benchmark programs failed", problems)

    def test_a_module_that_did_not_load_fails_the_boot(self):
        log = "linux-bench: FAIL module virtio_blk (errno 2)\n" + STORAGE.replace(
            "linux-bench: done 1 run, 0 failed", "linux-bench: done 1 run, 1 failed")
        _, problems = collect.parse_log(log, "max", "storage")
        self.assertIn("linux-bench: FAIL module virtio_blk (errno 2)", problems)

    def test_a_missing_figure_fails_the_boot(self):
        for metric in ("seq_read_warm_instructions_per_mib", "unlink_instructions_per_file"):
            _, problems = collect.parse_log(without(STORAGE, f'"{metric}"'), "max", "storage")
            self.assertEqual(problems, [f"missing figure storage/{metric}"])

    def test_an_unfinished_guest_fails_the_boot(self):
        _, problems = collect.parse_log(without(STORAGE, "linux-bench: done"), "max", "storage")
        self.assertEqual(len(problems), 1)
        self.assertIn("did not finish", problems[0])

    def test_the_suites_do_not_stand_in_for_each_other(self):
        _, problems = collect.parse_log(GOOD, "max", "storage")
        self.assertEqual(len(problems), len(collect.EXPECTED_STORAGE))
        _, problems = collect.parse_log(STORAGE, "max")
        self.assertEqual(len(problems), len(collect.EXPECTED))

    def test_the_default_suite_is_unchanged(self):
        self.assertEqual(collect.parse_log(GOOD, "max"), collect.parse_log(GOOD, "max", "linux"))


@unittest.skipUnless(shutil.which("mke2fs") or os.path.exists("/sbin/mke2fs"), "no mke2fs")
class MkStorage(unittest.TestCase):
    """bench/linux/mkstorage.py: the image both systems read is ext2, holds the
    pattern storage.c checks, and is the same bytes every time it is made."""

    def make(self, path):
        subprocess.run([sys.executable, os.path.join(HERE, "mkstorage.py"), path], check=True)
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()

    def test_image(self):
        with tempfile.TemporaryDirectory() as tmp:
            a, b = os.path.join(tmp, "a.img"), os.path.join(tmp, "b.img")
            self.assertEqual(self.make(a), self.make(b))
            fsck = shutil.which("e2fsck") or "/sbin/e2fsck"
            r = subprocess.run([fsck, "-fn", a], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            self.assertEqual(r.returncode, 0, r.stdout.decode())
            debugfs = shutil.which("debugfs") or "/sbin/debugfs"
            out = os.path.join(tmp, "read64")
            subprocess.run([debugfs, "-R", f"dump /read64 {out}", a], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            with open(out, "rb") as f:
                data = f.read()
            self.assertEqual(len(data), 64 << 20)
            for off in (0, 8, 4096, (64 << 20) - 8):
                self.assertEqual(struct.unpack_from("<Q", data, off)[0], 0x52454144 << 32 | off)


ROOT = os.path.dirname(os.path.dirname(HERE))


@unittest.skipUnless(shutil.which("dpkg-deb") and shutil.which("clang"), "no dpkg-deb or clang")
class LinuxGuestModules(unittest.TestCase):
    """tools/linux-guest.sh --modules on a made-up kernel package: each module
    named comes out with what its .modinfo says it depends on, dependencies
    first; a missing module or a loop is an error and leaves no half list."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)
        tree = os.path.join(self.tmp, "pkg")
        kdir = os.path.join(tree, "lib", "modules", "6.1.0-9-test", "kernel")
        os.makedirs(os.path.join(tree, "DEBIAN"))
        os.makedirs(os.path.join(tree, "boot"))
        with open(os.path.join(tree, "DEBIAN", "control"), "w", encoding="utf-8") as f:
            f.write("Package: linux-image-6.1.0-9-test\nVersion: 6.1.1-1\n"
                    "Architecture: amd64\nMaintainer: test <t@example.org>\nDescription: test\n")
        for name in ("vmlinuz-6.1.0-9-test", "config-6.1.0-9-test"):
            with open(os.path.join(tree, "boot", name), "w", encoding="utf-8") as f:
                f.write(name)
        # c needs a and b, b needs a; loop1 and loop2 need each other; lone needs nothing.
        mods = {"drivers/a": "", "drivers/sub/b": "a", "c-dash": "a,b", "lone": "",
                "loop1": "loop2", "loop2": "loop1"}
        for path, deps in mods.items():
            src = os.path.join(self.tmp, "m.c")
            with open(src, "w", encoding="utf-8") as f:
                f.write('__attribute__((section(".modinfo"), used)) static const char info[] = '
                        f'"license=GPL\\0depends={deps}\\0vermagic=6.1\\0";\n')
            out = os.path.join(kdir, path + ".ko")
            os.makedirs(os.path.dirname(out), exist_ok=True)
            subprocess.run(["clang", "-c", "-o", out, src], check=True)
        self.deb = os.path.join(self.tmp, "test.deb")
        subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", tree, self.deb],
                       check=True, stdout=subprocess.DEVNULL)
        self.dir = os.path.join(self.tmp, "out")

    def guest(self, modules):
        return subprocess.run([os.path.join(ROOT, "tools", "linux-guest.sh"), "--dir", self.dir,
                               "--deb", self.deb, "--modules", modules],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)

    def order(self):
        with open(os.path.join(self.dir, "modules", "order"), encoding="utf-8") as f:
            return f.read().split()

    def test_dependencies_come_first(self):
        r = self.guest("c_dash lone")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(self.order(), ["a", "b", "c_dash", "lone"])
        self.assertEqual(sorted(os.listdir(os.path.join(self.dir, "modules"))),
                         ["a.ko", "b.ko", "c_dash.ko", "lone.ko", "order", "stamp"])
        with open(os.path.join(self.dir, "vmlinuz"), encoding="utf-8") as f:
            self.assertEqual(f.read(), "vmlinuz-6.1.0-9-test")

    def test_a_missing_module_fails_and_keeps_the_old_list(self):
        self.assertEqual(self.guest("b").returncode, 0)
        r = self.guest("b nosuch")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"no module 'nosuch'", r.stderr)
        self.assertEqual(self.order(), ["a", "b"])

    def test_a_loop_fails(self):
        r = self.guest("loop1")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"loop", r.stderr)


class QemuCommand(unittest.TestCase):
    def test_cpu_is_replaced(self):
        cmd = collect.with_cpu("qemu -machine pc -cpu max -smp 1", "max,erms=off")
        self.assertEqual(cmd, ["qemu", "-machine", "pc", "-cpu", "max,erms=off", "-smp", "1"])

    def test_cpu_is_added_when_absent(self):
        self.assertEqual(collect.with_cpu("qemu -smp 1", "max"), ["qemu", "-smp", "1", "-cpu", "max"])


def main():
    results = None
    if len(sys.argv) == 3 and sys.argv[1] == "--results":
        results = sys.argv[2]
    elif len(sys.argv) != 1:
        sys.exit("usage: test_collect.py [--results FILE]")
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    res = unittest.TextTestRunner(stream=sys.stdout, verbosity=0).run(suite)
    failed = len(res.failures) + len(res.errors)
    passed = res.testsRun - failed
    print(f"check-bench-linux: {passed} passed, {failed} failed")
    if results:
        with open(results, "a", encoding="utf-8") as f:
            f.write(f"check-bench-linux {passed} {failed}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
