"""python3 -m symphony validate|graph|run, as the CLI does them."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
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
