"""Loading, building and reading workflows; the library loader; errors."""
from __future__ import annotations

import os
import subprocess
import sys
import unittest

from support import DATA, EXAMPLES, PACKAGE_ROOT, yaml

import symphony
from symphony import Builder, Retry, Workflow, WorkflowError


class LibraryLoading(unittest.TestCase):
    def run_python(self, code: str, **env: str) -> subprocess.CompletedProcess:
        e = dict(os.environ)
        e.update(env)
        return subprocess.run([sys.executable, "-c", code], cwd=PACKAGE_ROOT, env=e,
                              capture_output=True, text=True, timeout=60)

    def test_env_var_names_the_library(self) -> None:
        p = self.run_python("import symphony; print(symphony.library_version())")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), "0.1.0")

    def test_release_memory_returns_what_was_kept(self) -> None:
        # A 200,000-task chain's arrays (2 MiB and up) are kept once freed.
        code = ("import symphony\n"
                "symphony.release_memory()\n"
                "b = symphony.Builder('big')\n"
                "for i in range(200000):\n"
                "    b.task(f't{i}', 'w', needs=[f't{i - 1}'] if i else [])\n"
                "b.build().close(); b.close()\n"
                "print(symphony.release_memory(), symphony.release_memory())\n")
        p = self.run_python(code)
        self.assertEqual(p.returncode, 0, p.stderr)
        kept, again = map(int, p.stdout.split())
        self.assertGreaterEqual(kept, 2 << 20)
        self.assertEqual(again, 0)

    def test_bad_env_var_is_a_clear_error(self) -> None:
        p = self.run_python("import symphony\n"
                            "try:\n    symphony.library_version()\n"
                            "except symphony.LibraryNotFoundError as e:\n    print(e)\n",
                            SYMPHONY_LIBRARY="/nonexistent/libsymphony.so")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("SYMPHONY_LIBRARY=/nonexistent/libsymphony.so", p.stdout)

    def test_not_found_lists_where_it_looked(self) -> None:
        e = {k: v for k, v in os.environ.items() if k != "SYMPHONY_LIBRARY"}
        code = ("import ctypes.util, symphony\n"
                "ctypes.util.find_library = lambda name: None\n"
                "try:\n    symphony.library_version()\n"
                "except symphony.LibraryNotFoundError as e:\n    print(e)\n")
        p = subprocess.run([sys.executable, "-c", code], cwd=PACKAGE_ROOT, env=e,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("libsymphony not found", p.stdout)
        self.assertIn(str(PACKAGE_ROOT / "symphony" / "libsymphony.so.0"), p.stdout)
        self.assertIn("find_library", p.stdout)
        self.assertIn("SYMPHONY_LIBRARY", p.stdout)

    def test_importing_does_not_load(self) -> None:
        p = self.run_python("import symphony, symphony._lib as l; print(l._lib is None)",
                            SYMPHONY_LIBRARY="/nonexistent")
        self.assertEqual(p.stdout.strip(), "True", p.stderr)


class Loading(unittest.TestCase):
    def test_load_file(self) -> None:
        with Workflow.load(EXAMPLES / "nightly-etl.yaml") as wf:
            self.assertEqual(wf.name, "nightly-etl")
            self.assertEqual(len(wf), 8)
            self.assertEqual(wf.params, {"date": "2026-11-27", "shards": [1, 2, 3, 4]})
            self.assertEqual(wf.worker_limits, {"db.load": 2})
            self.assertEqual(wf.concurrency, 16)
            self.assertEqual(wf.deadline_ms, 3600000)
            load = wf.task("load")
            self.assertEqual(load.needs, [f"transform[shard={i}]" for i in range(1, 5)])
            self.assertEqual(load.policy.attempts, 5)
            self.assertEqual(load.policy.timeout_ms, 30000)
            self.assertEqual((load.line, load.column), (28, 3))
            self.assertEqual(wf.task("transform[shard=2]").matrix, {"shard": 2})
            self.assertIn("digraph", wf.to_dot())
            self.assertEqual(wf.to_json()["name"], "nightly-etl")
        self.assertIn("closed", repr(wf))
        with self.assertRaises(ValueError):
            wf.name

    def test_every_error_with_position(self) -> None:
        with self.assertRaises(WorkflowError) as cm:
            Workflow.load(DATA / "invalid" / "many-errors.yaml")
        errors = cm.exception.errors
        self.assertGreaterEqual(len(errors), 5)
        for e in errors:
            self.assertTrue(e.file and e.file.endswith("many-errors.yaml"))
            self.assertGreater(e.line, 0)
            self.assertGreater(e.column, 0)
            self.assertEqual(e.text, f"{e.file}:{e.line}:{e.column}: {e.message}")
        self.assertEqual(cm.exception.code, errors[0].code)
        self.assertIn("did you mean 'timeout'", str(cm.exception))

    def test_from_string_and_codes(self) -> None:
        with self.assertRaises(WorkflowError) as cm:
            Workflow.from_string("symphony: 1\nname: b\ntasks:\n  a: { worker: w, needs: [b\n", name="broken.yaml")
        self.assertEqual(cm.exception.code, -4)  # SYM_ESYNTAX
        self.assertEqual(cm.exception.errors[0].file, "broken.yaml")
        with self.assertRaises(WorkflowError) as cm:
            Workflow.from_string(yaml("""
symphony: 1
name: c
tasks:
  a: { worker: w, needs: b }
  b: { worker: w, needs: a }
"""))
        self.assertEqual(cm.exception.errors[0].line, 0)  # a cycle has no position
        self.assertIn("cycle", str(cm.exception))

    def test_missing_file(self) -> None:
        with self.assertRaises(WorkflowError) as cm:
            Workflow.load("/nonexistent/w.yaml")
        self.assertEqual(cm.exception.code, -3)  # SYM_EIO

    def test_limits(self) -> None:
        text = yaml("""
symphony: 1
name: m
tasks:
  t: { worker: w, matrix: { i: [1, 2, 3, 4, 5] } }
""")
        self.assertEqual(len(Workflow.from_string(text)), 5)
        with self.assertRaises(WorkflowError):
            Workflow.from_string(text, max_matrix=4)
        with self.assertRaises(TypeError):
            Workflow.from_string(text, max_matrices=4)

    def test_max_tasks_refuses_more_tasks(self) -> None:
        text = yaml("""
symphony: 1
name: three
tasks:
  a: { worker: w }
  b: { worker: w }
  c: { worker: w }
""")
        self.assertEqual(len(Workflow.from_string(text, max_tasks=3)), 3)
        with self.assertRaises(WorkflowError) as cm:
            Workflow.from_string(text, max_tasks=2)
        self.assertEqual(cm.exception.code, -6)  # SYM_ELIMIT
        self.assertIn("max_tasks", str(cm.exception))

    def test_max_matrix_limits_instances_of_one_task(self) -> None:
        # Six tasks in all, three instances of each matrix: max_matrix=3
        # allows it (a limit on tasks in all would not), 2 does not.
        text = yaml("""
symphony: 1
name: two-matrices
tasks:
  a: { worker: w, matrix: { i: [1, 2, 3] } }
  b: { worker: w, matrix: { i: [1, 2, 3] } }
""")
        self.assertEqual(len(Workflow.from_string(text, max_matrix=3)), 6)
        with self.assertRaises(WorkflowError) as cm:
            Workflow.from_string(text, max_matrix=2)
        self.assertEqual(cm.exception.code, -6)  # SYM_ELIMIT
        self.assertIn("max_matrix", str(cm.exception))

    def test_every_load_limit_reaches_its_own_field(self) -> None:
        # Each limit set from Python is the one C reads: a limit too low
        # for this file names itself in the error.
        text = yaml("""
symphony: 1
name: limits
tasks:
  a: { worker: w, with: &in { s: "0123456789", l: [[1]] }, matrix: { i: [1, 2] } }
  b: { worker: w, with: *in }
""")
        for key, low in (("max_file_bytes", 10), ("max_depth", 2), ("max_nodes", 5),
                         ("max_alias_nodes", 2), ("max_scalar_bytes", 5), ("max_tasks", 1), ("max_matrix", 1)):
            with self.subTest(key=key):
                with self.assertRaises(WorkflowError) as cm:
                    Workflow.from_string(text, **{key: low})
                self.assertIn(key, str(cm.exception))


class ShellInjection(unittest.TestCase):
    """`${{ }}` in exec's `shell` text is refused by the shared loader, so a
    Python load (and the Python exec worker) gets the C tool's error."""

    FIX = ("'${{ }}' in exec's 'shell' text would run data as shell code; pass the value "
           "through 'env:' (env: { NAME: \"${{ params.x }}\" }) and use \"$NAME\" in the script")

    def test_refused_at_load_with_position(self) -> None:
        with self.assertRaises(WorkflowError) as cm:
            Workflow.from_string(yaml("""
symphony: 1
name: inj
params: { x: hi }
tasks:
  greet:
    worker: exec
    with: { shell: 'echo ${{ params.x }}' }
"""), name="wf.yaml")
        e = cm.exception.errors
        self.assertEqual(len(e), 1)
        self.assertEqual(e[0].text, "wf.yaml:7:21: task 'greet': " + self.FIX)
        self.assertEqual(cm.exception.code, -5)  # SYM_ESCHEMA

    def test_data_stays_allowed(self) -> None:
        wf = Workflow.from_string(yaml("""
symphony: 1
name: ok
params: { x: hi }
tasks:
  greet:
    worker: exec
    with: { shell: 'echo "$X"', env: { X: '${{ params.x }}' }, cwd: '${{ params.x }}' }
  argv: { worker: exec, with: { argv: [echo, '${{ params.x }}'] } }
  other: { worker: script, with: { shell: 'echo ${{ params.x }}' } }
"""))
        self.assertEqual(len(wf), 3)

    def test_refused_in_builder(self) -> None:
        b = (Builder("inj").param("x", "hi")
             .task("greet", "exec", with_={"shell": "echo ${{ params.x }}"}))
        with self.assertRaises(WorkflowError) as cm:
            b.build()
        self.assertEqual([e.message for e in cm.exception.errors], ["task 'greet': " + self.FIX])


class Building(unittest.TestCase):
    def test_builder(self) -> None:
        b = (Builder("etl-in-code").description("built").param("date", "2026-01-01")
             .defaults(timeout="30s").worker_limit("db.load", 2).concurrency(4).deadline(60)
             .task("extract", "http.get", with_={"url": "https://x", "opts": {"n": [1, 2.5]}})
             .task("transform", "transform", needs="extract", matrix={"shard": [1, 2]})
             .task("load", "db.load", needs=["transform"], retry=Retry(attempts=5, delay="10ms"),
                   trigger="all_done", condition="${{ params.date != '' }}"))
        wf = b.build()
        self.assertEqual(wf.source, "<builder>")
        self.assertEqual([t.id for t in wf], ["extract", "transform[shard=1]",
                                              "transform[shard=2]", "load"])
        self.assertEqual(wf.task("extract").inputs, {"url": "https://x", "opts": {"n": [1, 2.5]}})
        load = wf.task("load").policy
        self.assertEqual((load.attempts, load.delay_ms, load.timeout_ms, load.trigger),
                         (5, 10, 30000, "all_done"))
        self.assertEqual(wf.task("load").condition, "${{ params.date != '' }}")
        self.assertEqual(wf.deadline_ms, 60000)
        self.assertEqual(wf.worker_limits, {"db.load": 2})

    def test_builder_reports_every_error(self) -> None:
        b = Builder("bad").task("a", "w", needs="nope").task("a", "w").task("9x", "w")
        with self.assertRaises(WorkflowError) as cm:
            b.build()
        self.assertGreaterEqual(len(cm.exception.errors), 3)

    def test_bad_values(self) -> None:
        with self.assertRaises(TypeError):
            Builder("x").param("p", object())
        with self.assertRaises(ValueError):
            Builder("x").task("a", "w", timeout="10 parsecs")
        with self.assertRaises(ValueError):
            Builder("x").task("a", "w", trigger="sometimes")


if __name__ == "__main__":
    unittest.main()
