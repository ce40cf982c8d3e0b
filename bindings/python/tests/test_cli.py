"""python3 -m symphony validate|graph|run, as the CLI does them."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

from support import DATA, EXAMPLES, PACKAGE_ROOT, yaml


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symphony", *args], cwd=PACKAGE_ROOT,
                          input=stdin, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ))


class Cli(unittest.TestCase):
    def test_validate(self) -> None:
        p = cli("validate", "-v", *map(str, sorted(EXAMPLES.glob("*.yaml"))))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("nightly-etl.yaml: ok", p.stdout)
        p = cli("validate", str(DATA / "invalid" / "many-errors.yaml"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("many-errors.yaml:7:5: unknown key 'timout'", p.stderr)

    def test_graph(self) -> None:
        p = cli("graph", str(EXAMPLES / "nightly-etl.yaml"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.startswith("digraph"))
        p = cli("graph", "--format", "json", "-", stdin="symphony: 1\nname: s\ntasks: {a: {worker: w}}\n")
        self.assertEqual(json.loads(p.stdout)["name"], "s")
        self.assertEqual(cli("graph", "--format", "svg", "x").returncode, 2)

    def test_run_with_exec_outputs_and_params(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            wf = Path(tmp, "w.yaml")
            wf.write_text(yaml("""
symphony: 1
name: cli-run
params: { n: 1 }
tasks:
  a: { worker: exec, with: { shell: 'echo hi; echo rows=7 >> "$SYMPHONY_OUTPUT"' } }
  b: { worker: sleep, needs: a, with: { duration: 10ms } }
  c: { worker: noop, needs: b }
"""))
            report = Path(tmp, "r.json")
            p = cli("run", str(wf), "--param", "n=5", "--report", str(report))
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("[a] hi", p.stdout)
            r = json.loads(report.read_text())
            self.assertEqual(r["status"], "succeeded")
            self.assertEqual(r["tasks"][0]["outputs"], {"rows": "7"})
            wf.write_text(wf.read_text().replace("echo hi;", "exit 4;"))
            p = cli("run", str(wf), "-q")
            self.assertEqual(p.returncode, 1)
            self.assertIn("failed", p.stderr)
            self.assertEqual(cli("run", str(wf), "--param", "undeclared=1").returncode, 2)


    def test_run_refuses_templates_in_shell(self) -> None:
        """A param pasted into shell text would run as code: the load stops it
        and nothing runs; the same value through env is only data."""
        with tempfile.TemporaryDirectory() as tmp:
            wf = Path(tmp, "w.yaml")
            pwned = Path(tmp, "pwned")
            wf.write_text(yaml("""
symphony: 1
name: inj
params: { x: hi }
tasks:
  a: { worker: exec, with: { shell: 'echo ${{ params.x }}' } }
"""))
            p = cli("run", str(wf), "--param", f"x=; touch {pwned}")
            self.assertEqual(p.returncode, 2)
            self.assertIn(f"{wf}:5:38: task 'a': '${{{{ }}}}' in exec's 'shell' text would run "
                          "data as shell code", p.stderr)
            self.assertFalse(pwned.exists())
            wf.write_text(wf.read_text().replace(
                "shell: 'echo ${{ params.x }}'", "shell: 'echo \"$X\"', env: { X: '${{ params.x }}' }"))
            p = cli("run", str(wf), "--param", f"x=; touch {pwned}")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn(f"[a] ; touch {pwned}", p.stdout)
            self.assertFalse(pwned.exists())

    def test_exit_status_with_sigchld_ignored(self) -> None:
        """A parent that ignores SIGCHLD passes it on; exit 3 must still fail
        (it used to pass for a success), in the tool and in the worker alone."""
        ignore = lambda: signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # noqa: E731
        with tempfile.TemporaryDirectory() as tmp:
            wf = Path(tmp, "w.yaml")
            wf.write_text("symphony: 1\nname: chld\ntasks:\n"
                          "  three: { worker: exec, with: { shell: 'exit 3' } }\n"
                          "  zero: { worker: exec, with: { shell: 'exit 0' } }\n")
            report = Path(tmp, "r.json")
            p = subprocess.run([sys.executable, "-m", "symphony", "run", str(wf), "-q",
                                "--report", str(report)], cwd=PACKAGE_ROOT, capture_output=True,
                               text=True, timeout=120, preexec_fn=ignore)
            self.assertEqual(p.returncode, 1, p.stderr)
            tasks = {t["id"]: t for t in json.loads(report.read_text())["tasks"]}
            self.assertEqual(tasks["three"]["status"], "failed")
            self.assertIn("exit status 3", tasks["three"]["error"])
            self.assertEqual(tasks["zero"]["status"], "succeeded")
            code = ("import sys, symphony\n"
                    "from symphony.workers import register_builtins\n"
                    "wf = symphony.Workflow.load(sys.argv[1])\n"
                    "with symphony.Engine(threads=1) as e:\n"
                    "    register_builtins(e)\n"
                    "    with e.start(wf) as run:\n"
                    "        run.wait()\n"
                    "        for t in run.report()['tasks']: print(t['id'], t['status'], t['error'])\n")
            p = subprocess.run([sys.executable, "-c", code, str(wf)], cwd=PACKAGE_ROOT,
                               capture_output=True, text=True, timeout=120, preexec_fn=ignore)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("three failed RuntimeError: exec: SIGCHLD is ignored", p.stdout)
            self.assertIn("zero failed RuntimeError: exec: SIGCHLD is ignored", p.stdout)


def dead(pid: int) -> bool:
    """True when process pid is gone or a zombie (dead, not reaped yet)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] in "ZX"


class ExecProcessGroup(unittest.TestCase):
    """What an exec child leaves in its process group ends with the attempt,
    as in the C tool: TERM, a grace period, then KILL."""

    def run_exec(self, task: str) -> "tuple[subprocess.CompletedProcess, dict, float, int]":
        """Runs a one-task workflow whose exec task writes a pid to
        "$PIDFILE"; returns the CLI's result, the report, the seconds the
        run took and that pid (killed afterwards if still alive)."""
        with tempfile.TemporaryDirectory() as tmp:
            pidfile = Path(tmp, "pid")
            wf = Path(tmp, "w.yaml")
            wf.write_text(f"symphony: 1\nname: group\ntasks:\n  a: {task}\n"
                          .replace("PIDFILE_PATH", str(pidfile)))
            report = Path(tmp, "r.json")
            start = time.monotonic()
            p = cli("run", str(wf), "--report", str(report))
            took = time.monotonic() - start
            self.assertTrue(report.exists(), p.stderr)
            pid = int(pidfile.read_text()) if pidfile.exists() else 0
            if pid and not dead(pid):
                self.addCleanup(os.kill, pid, signal.SIGKILL)
            return p, json.loads(report.read_text()), took, pid

    def test_leftover_ignoring_term_is_killed(self) -> None:
        """A background process that ignores TERM gets KILL after the grace
        period (it used to outlive the run)."""
        p, report, took, pid = self.run_exec(
            "{ worker: exec, with: { env: { PIDFILE: PIDFILE_PATH }, shell: 'echo started; "
            "trap \"\" TERM; sleep 30 >/dev/null 2>&1 & echo $! > \"$PIDFILE\"' } }")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(report["tasks"][0]["status"], "succeeded")
        self.assertIn("[a] started", p.stdout)
        self.assertGreater(pid, 0)
        self.assertTrue(dead(pid), "the grandchild outlived its task")
        self.assertLess(took, 10)

    def test_leftover_holding_stdout_does_not_keep_the_task(self) -> None:
        """The attempt ends with the child, not with the end of its output
        (it used to wait for the background sleep to close stdout)."""
        p, report, took, pid = self.run_exec(
            "{ worker: exec, with: { env: { PIDFILE: PIDFILE_PATH }, shell: 'echo before; "
            "trap \"\" TERM; sleep 20 & echo $! > \"$PIDFILE\"; echo after' } }")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(report["tasks"][0]["status"], "succeeded")
        self.assertLess(took, 10, "the task waited for the grandchild's end of file")
        self.assertIn("[a] before\n", p.stdout)
        self.assertIn("[a] after\n", p.stdout)
        self.assertTrue(dead(pid), "the grandchild outlived its task")

    def test_timeout_sends_term_first_and_never_succeeds(self) -> None:
        """The group gets TERM, so the script can clean up; having been
        cancelled, the attempt fails even though the script exits 0."""
        p, report, took, pid = self.run_exec(
            "{ worker: exec, timeout: 300ms, with: { env: { PIDFILE: PIDFILE_PATH }, shell: "
            "'trap \"echo got TERM; exit 0\" TERM; sleep 30 & echo $! > \"$PIDFILE\"; wait' } }")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(report["tasks"][0]["status"], "timed_out")
        self.assertIn("[a] got TERM", p.stdout)
        self.assertTrue(dead(pid), "the grandchild outlived its task")
        self.assertLess(took, 10)

    def test_timeout_kills_a_child_ignoring_term(self) -> None:
        """TERM, then KILL 2 s later, as the C tool does (it used to be KILL
        at once)."""
        p, report, took, pid = self.run_exec(
            "{ worker: exec, timeout: 200ms, with: { env: { PIDFILE: PIDFILE_PATH }, shell: "
            "'trap \"\" TERM; sleep 30 & echo $! > \"$PIDFILE\"; wait' } }")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(report["tasks"][0]["status"], "timed_out")
        self.assertTrue(dead(pid))
        self.assertGreaterEqual(took, 2.2, "no grace period between SIGTERM and SIGKILL")
        self.assertLess(took, 10)

    def test_all_output_is_relayed(self) -> None:
        """Output still in the pipe when the child exits is printed, and so
        is a last line without a newline; longer lines than 4096 bytes are
        split, as the C tool splits them."""
        p, report, _, _ = self.run_exec(
            "{ worker: exec, with: { shell: 'seq 1 20000; head -c 10000 /dev/zero | tr \"\\\\0\" x;"
            " echo; printf tail' } }")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = [line for line in p.stdout.splitlines() if line.startswith("[a] ")]
        long = ["[a] " + "x" * 4096, "[a] " + "x" * 4096, "[a] " + "x" * 1808]
        self.assertEqual(lines, [f"[a] {i}" for i in range(1, 20001)] + long + ["[a] tail"])


class ExecLostStatus(unittest.TestCase):
    def test_sigchld_ignored_behind_pythons_back(self) -> None:
        """SIGCHLD ignored where signal.getsignal cannot see it (set by C
        code): the wait fails, and so does the attempt (subprocess would
        report the lost status as 0, a success)."""
        code = ("import ctypes, signal, sys, symphony\n"
                "from symphony.workers import register_builtins\n"
                "libc = ctypes.CDLL(None)\n"
                "libc.signal.argtypes = [ctypes.c_int, ctypes.c_void_p]\n"
                "libc.signal(signal.SIGCHLD, 1)  # SIG_IGN\n"
                "wf = symphony.Workflow.from_string(sys.argv[1])\n"
                "with symphony.Engine(threads=1) as e:\n"
                "    register_builtins(e)\n"
                "    with e.start(wf) as run:\n"
                "        run.wait()\n"
                "        for t in run.report()['tasks']: print(t['id'], t['status'], t['error'])\n")
        wf = ("symphony: 1\nname: chld\ntasks:\n"
              "  three: { worker: exec, with: { shell: 'exit 3' } }\n"
              "  zero: { worker: exec, with: { argv: ['true'] } }\n")
        p = subprocess.run([sys.executable, "-c", code, wf], cwd=PACKAGE_ROOT,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        for task in ("three", "zero"):
            self.assertRegex(p.stdout, f"{task} failed RuntimeError: exec: lost the exit status "
                             r"of process \d+: No child processes \(SIGCHLD is ignored\?\)")


class ExecOutputs(unittest.TestCase):
    """SYMPHONY_OUTPUT lines as the Python exec worker reads them."""

    def test_strings_and_json(self) -> None:
        from symphony.workers import Exec
        got = Exec._outputs(["path=/tmp/x=y\n", "rows:json=1200\n", "\n",
                             "meta:json={\"a\": [1, null]}\n"])
        self.assertEqual(got, {"path": "/tmp/x=y", "rows": 1200, "meta": {"a": [1, None]}})

    def test_bad_lines_fail_for_good(self) -> None:
        from symphony import FatalTaskError
        from symphony.workers import Exec
        with self.assertRaisesRegex(FatalTaskError, "no '='"):
            Exec._outputs(["oops\n"])
        with self.assertRaisesRegex(FatalTaskError, "'rows' is not valid JSON"):
            Exec._outputs(["rows:json=12,\n"])


if __name__ == "__main__":
    unittest.main()
