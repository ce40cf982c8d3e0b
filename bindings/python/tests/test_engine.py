"""Engines, Python workers, runs, events: threads, errors and lifetimes."""
from __future__ import annotations

import _thread
import gc
import sys
import threading
import time
import unittest
import weakref
from typing import Any, Dict, List

from support import EXAMPLES, rss_kib, yaml

from symphony import (Builder, Engine, Event, FatalTaskError, Retry, SymphonyError, Task,
                      Workflow, on_engine_thread)


def wide(n: int, worker: str = "w", **task: Any) -> Workflow:
    """n independent tasks of worker."""
    b = Builder("wide")
    for i in range(n):
        b.task(f"t{i}", worker, **task)
    return b.build()


def chain(*workers: str, **task: Any) -> Workflow:
    """One task per worker, each needing the one before."""
    b = Builder("chain")
    for i, w in enumerate(workers):
        b.task(f"s{i}", w, needs=[f"s{i - 1}"] if i else [], **task)
    return b.build()


class Threads(unittest.TestCase):
    def test_workers_run_in_parallel_on_engine_threads(self) -> None:
        # Four calls meet at a barrier: only possible when four engine
        # threads are inside Python at once, each having taken the GIL.
        barrier = threading.Barrier(4, timeout=20)
        seen: List[int] = []
        with Engine(threads=4) as engine:
            @engine.worker("w")
            def work(task: Task) -> None:
                self.assertTrue(on_engine_thread())
                seen.append(threading.get_ident())
                barrier.wait()

            run = engine.run(wide(4), timeout=60)
            self.assertEqual(run.status, "succeeded", run.report())
        self.assertEqual(len(set(seen)), 4)
        self.assertNotIn(threading.get_ident(), seen)
        self.assertFalse(on_engine_thread())

    def test_gil_under_load(self) -> None:
        # Many short callbacks on eight threads that allocate, mutate shared
        # Python objects and collect garbage: any callback without the GIL
        # corrupts the interpreter here.
        counts: Dict[str, int] = {}
        lock = threading.Lock()
        with Engine(threads=8) as engine:
            @engine.worker("w")
            def work(task: Task) -> Dict[str, Any]:
                junk = [{"i": i, "s": str(i) * 3} for i in range(200)]
                if task.id.endswith("7"):
                    gc.collect()
                with lock:
                    counts[task.id] = counts.get(task.id, 0) + len(junk)
                return {"n": len(junk), "inputs": task.inputs}

            runs = [engine.start(wide(200, with_={"k": [1, "x", None, True]})) for _ in range(5)]
            for run in runs:
                self.assertTrue(run.wait(120))
                self.assertEqual(run.status, "succeeded")
                self.assertEqual(run.tasks["t5"].outputs,
                                 {"n": 200, "inputs": {"k": [1, "x", None, True]}})
        self.assertEqual(len(counts), 200)
        self.assertEqual(sum(counts.values()), 5 * 200 * 200)


class Outcomes(unittest.TestCase):
    def setUp(self) -> None:
        self.engine = Engine(threads=2)

    def tearDown(self) -> None:
        self.engine.close()

    def test_retries_then_success(self) -> None:
        attempts: List[int] = []

        @self.engine.worker("flaky")
        def flaky(task: Task) -> None:
            attempts.append(task.attempt)
            if task.attempt < 3:
                raise ConnectionError(f"try {task.attempt}")

        wf = chain("flaky", retry=Retry(attempts=4, backoff="fixed", delay="1ms"))
        run = self.engine.run(wf)
        self.assertEqual(attempts, [1, 2, 3])
        r = run.tasks["s0"]
        self.assertEqual((r.state, r.attempts), ("succeeded", 3))
        self.assertEqual(run.status, "succeeded")

    def test_failure_message_is_the_last_traceback_line(self) -> None:
        @self.engine.worker("bad")
        def bad(task: Task) -> None:
            {}["missing"]

        self.engine.register("ok", lambda t: None)
        run = self.engine.run(chain("bad", "ok", retry=Retry(attempts=2, delay="1ms")))
        self.assertEqual(run.status, "failed")
        self.assertEqual(run.tasks["s0"].state, "failed")
        self.assertEqual(run.tasks["s0"].attempts, 2)
        self.assertEqual(run.tasks["s0"].error, "KeyError: 'missing'")
        self.assertEqual(run.tasks["s1"].state, "upstream_failed")
        report = run.report()
        self.assertEqual(report["tasks"][0]["error"], "KeyError: 'missing'")

    def test_fatal_error_is_not_retried(self) -> None:
        @self.engine.worker("fatal")
        def fatal(task: Task) -> None:
            raise FatalTaskError("disk full")

        run = self.engine.run(chain("fatal", retry=Retry(attempts=5, delay="1ms")))
        r = run.tasks["s0"]
        self.assertEqual((r.state, r.attempts), ("failed", 1))
        self.assertEqual(r.error, "symphony.FatalTaskError: disk full")

    def test_nothing_escapes_into_c(self) -> None:
        # BaseExceptions too, and an exception whose str() itself raises.
        class Nasty(Exception):
            def __str__(self) -> str:
                raise RuntimeError("no str for you")

        errors = iter([SystemExit(3), KeyboardInterrupt(), GeneratorExit(), Nasty()])

        @self.engine.worker("raise")
        def raiser(task: Task) -> None:
            raise next(errors)

        run = self.engine.run(wide(4, "raise"))
        self.assertEqual([r.state for r in run], ["failed"] * 4)
        messages = sorted(r.error or "" for r in run)
        self.assertEqual(messages[:3], ["GeneratorExit", "KeyboardInterrupt", "SystemExit: 3"])
        self.assertIn("Nasty", messages[3])

    def test_outputs(self) -> None:
        @self.engine.worker("out")
        def out(task: Task) -> Dict[str, Any]:
            task.set_output("text", "héllo")
            task.set_output("rows", 42)
            return {"list": [1, 2], "text2": "x"}

        run = self.engine.run(chain("out"))
        # strings stay strings; other values are JSON outputs and keep their type
        self.assertEqual(run.tasks["s0"].outputs,
                         {"text": "héllo", "rows": 42, "list": [1, 2], "text2": "x"})
        self.assertEqual(run.report()["tasks"][0]["outputs"]["rows"], 42)

    def test_output_limit(self) -> None:
        with Engine(threads=1, max_output_bytes=64) as engine:
            @engine.worker("big")
            def big(task: Task) -> None:
                task.set_output("k", "x" * 1000)

            run = engine.run(chain("big"))
        self.assertEqual(run.tasks["s0"].state, "failed")
        self.assertIn("SymphonyError", run.tasks["s0"].error or "")

    def test_params_and_run_id(self) -> None:
        wf = (Builder("p").param("date", "2026-01-01").param("shards", [1, 2])
              .task("a", "w").build())
        self.engine.register("w", lambda t: None)
        run = self.engine.run(wf, params={"date": "2027-02-03"}, run_id="nightly-1")
        self.assertEqual(run.id, "nightly-1")
        self.assertEqual(run.params, {"date": "2027-02-03", "shards": [1, 2]})
        self.assertEqual(run.report()["run_id"], "nightly-1")
        with self.assertRaises(SymphonyError):
            self.engine.start(wf, params={"undeclared": 1})

    def test_inputs_as_python_values(self) -> None:
        got: Dict[str, Any] = {}

        @self.engine.worker("w")
        def w(task: Task) -> None:
            got.update(task.inputs)
            got["id"], got["run"], got["worker"] = task.id, task.run_id, task.worker

        wf = Workflow.from_string(yaml("""
symphony: 1
name: in
tasks:
  t:
    worker: w
    with: { n: 3, f: 0.5, s: text, b: false, z: null, l: [1, [2]], m: { k: v } }
"""))
        self.engine.run(wf, run_id="r1")
        self.assertEqual(got, {"n": 3, "f": 0.5, "s": "text", "b": False, "z": None,
                               "l": [1, [2]], "m": {"k": "v"}, "id": "t", "run": "r1",
                               "worker": "w"})

    def test_missing_workers_named(self) -> None:
        with self.assertRaises(SymphonyError) as cm:
            self.engine.start(chain("nobody", "noone"))
        text = str(cm.exception)
        self.assertIn("nobody", text)
        self.assertIn("noone", text)
        self.assertEqual(len(cm.exception.errors), 2)

    def test_task_is_valid_only_during_its_call(self) -> None:
        kept: List[Task] = []
        self.engine.register("w", kept.append)
        self.engine.run(chain("w"))
        with self.assertRaises(RuntimeError):
            kept[0].id

    def test_register_twice(self) -> None:
        self.engine.register("w", lambda t: None)
        with self.assertRaises(SymphonyError):
            self.engine.register("w", lambda t: None)
        with self.assertRaises(KeyError):
            self.engine.unregister("nope")


class Cancellation(unittest.TestCase):
    def test_cancel_a_running_run(self) -> None:
        started = threading.Event()
        with Engine(threads=2) as engine:
            @engine.worker("slow")
            def slow(task: Task) -> None:
                started.set()
                while not task.cancelled:
                    time.sleep(0.005)
                raise TimeoutError("stopped")

            engine.register("after", lambda t: None)
            run = engine.start(chain("slow", "after"))
            self.assertTrue(started.wait(20))
            self.assertFalse(run.wait(0.05))
            self.assertEqual(run.status, "running")
            self.assertTrue(run.cancel())
            self.assertTrue(run.wait(20))
            self.assertEqual(run.status, "cancelled")
            self.assertFalse(run.cancel())
            self.assertEqual(run.tasks["s1"].state, "cancelled")

    def test_timeout(self) -> None:
        with Engine(threads=2) as engine:
            @engine.worker("slow")
            def slow(task: Task) -> None:
                while not task.cancelled:
                    time.sleep(0.005)

            run = engine.run(chain("slow", timeout="50ms"))
            self.assertEqual(run.tasks["s0"].state, "timed_out")
            self.assertEqual(run.status, "failed")

    def test_run_timeout_cancels(self) -> None:
        with Engine(threads=1) as engine:
            engine.register("slow", lambda t: time.sleep(0.05) if not t.cancelled else None)
            run = engine.run(wide(100, "slow"), timeout=0.1)
            self.assertEqual(run.status, "cancelled")

    def test_engine_close_cancels_runs(self) -> None:
        started = threading.Event()
        engine = Engine(threads=2)

        @engine.worker("slow")
        def slow(task: Task) -> None:
            started.set()
            while not task.cancelled:
                time.sleep(0.005)

        run = engine.start(chain("slow"))
        self.assertTrue(started.wait(20))
        engine.close()
        self.assertEqual(run.status, "cancelled")  # still readable
        with self.assertRaises(ValueError):
            engine.threads


class Events(unittest.TestCase):
    def test_observer_sees_every_change(self) -> None:
        events: List[Event] = []
        lock = threading.Lock()

        def observe(ev: Event) -> None:
            with lock:
                events.append(ev)

        with Engine(threads=2, observer=observe) as engine:
            @engine.worker("flaky")
            def flaky(task: Task) -> None:
                if task.attempt == 1:
                    raise ValueError("first")

            run = engine.run(chain("flaky", retry=Retry(attempts=2, delay="5ms",
                                                        backoff="fixed")), run_id="ev")
        types = [e.type for e in events]
        self.assertEqual(types[0], "run_started")
        self.assertEqual(types[-1], "run_finished")
        self.assertEqual(events[-1].status, "succeeded")
        retry = next(e for e in events if e.type == "task_retrying")
        self.assertEqual((retry.task_id, retry.attempt, retry.delay_ms, retry.error),
                         ("s0", 1, 5, "ValueError: first"))
        self.assertIn("task_succeeded", types)
        self.assertTrue(all(e.run_id == "ev" for e in events))
        self.assertIsNone(events[0].task_id)
        self.assertEqual(run.status, "succeeded")

    def test_observer_exception_is_reported_not_raised(self) -> None:
        seen: List[str] = []
        old = sys.unraisablehook
        sys.unraisablehook = lambda args: seen.append(str(args.exc_value))
        try:
            def observe(ev: Event) -> None:
                raise RuntimeError("observer broke")

            with Engine(threads=1, observer=observe) as engine:
                engine.register("w", lambda t: None)
                run = engine.run(chain("w"))
        finally:
            sys.unraisablehook = old
        self.assertEqual(run.status, "succeeded")
        self.assertIn("observer broke", seen)

    def test_metrics(self) -> None:
        with Engine(threads=3) as engine:
            engine.register("w", lambda t: None)
            engine.register("bad", lambda t: 1 / 0)
            engine.run(wide(10))
            engine.run(wide(2, "bad"))
            m = engine.metrics()
            self.assertEqual(m["threads"], 3)
            self.assertEqual(m["tasks"]["succeeded"], 10)
            self.assertEqual(m["tasks"]["failed"], 2)
            wm = {w.name: w for w in engine.worker_metrics()}
            self.assertEqual((wm["w"].calls, wm["w"].failures), (10, 0))
            self.assertEqual((wm["bad"].calls, wm["bad"].failures), (2, 2))
            engine.threads = 5
            self.assertEqual(engine.threads, 5)


class Lifetimes(unittest.TestCase):
    def test_worker_dropped_after_unregister(self) -> None:
        def make() -> Any:
            return lambda task: None
        engine = Engine(threads=1)
        fn = make()
        ref = weakref.ref(fn)
        engine.register("w", fn)
        del fn
        gc.collect()
        self.assertIsNotNone(ref())
        engine.unregister("w")
        gc.collect()
        self.assertIsNone(ref())
        self.assertEqual(engine._state.slots, {})
        engine.close()

    def test_worker_kept_while_in_flight(self) -> None:
        inside, go = threading.Event(), threading.Event()

        class Blocker:
            def __call__(self, task: Task) -> None:
                inside.set()
                go.wait(20)

        with Engine(threads=2) as engine:
            fn = Blocker()
            ref = weakref.ref(fn)
            engine.register("w", fn)
            del fn
            run = engine.start(chain("w"))
            self.assertTrue(inside.wait(20))
            engine.unregister("w")
            gc.collect()
            self.assertIsNotNone(ref(), "released while a call was in flight")
            go.set()
            self.assertTrue(run.wait(20))
            self.assertEqual(run.status, "succeeded")
            for _ in range(100):  # the release runs as the call returns
                gc.collect()
                if ref() is None:
                    break
                time.sleep(0.01)
            self.assertIsNone(ref())

    def test_unregister_from_inside_a_worker(self) -> None:
        with Engine(threads=2) as engine:
            @engine.worker("once")
            def once(task: Task) -> None:
                engine.unregister("once")

            engine.register("after", lambda t: None)
            run = engine.run(chain("once", "after"))
            self.assertEqual(run.status, "succeeded")
            self.assertEqual(engine.workers, ["after"])

    def test_engine_free_drops_everything(self) -> None:
        refs = []
        engine = Engine(threads=2)
        for i in range(5):
            fn = (lambda i: lambda task: None)(i)
            refs.append(weakref.ref(fn))
            engine.register(f"w{i}", fn)
        del fn
        run = engine.run(wide(3, "w1"))
        engine.close()
        gc.collect()
        self.assertTrue(all(r() is None for r in refs))
        self.assertEqual(run.status, "succeeded")
        run.close()

    def test_dropping_the_engine_in_a_cycle(self) -> None:
        # A worker that refers to its engine makes a cycle, which the
        # collector may finalize on any thread, an engine thread included.
        for _ in range(20):
            engine = Engine(threads=2)
            engine.register("w", lambda t, e=engine: e.metrics() and gc.collect())
            engine.run(wide(4))
            del engine
        gc.collect()

    def test_run_outlives_the_engine_handle(self) -> None:
        engine = Engine(threads=2)
        engine.register("w", lambda t: time.sleep(0.01))
        run = engine.start(wide(5))
        del engine
        gc.collect()
        self.assertTrue(run.wait(20))  # the run kept its engine
        self.assertEqual(run.status, "succeeded")

    def test_close_from_a_worker_refuses_and_keeps_the_engine(self) -> None:
        refusals: List[str] = []
        engine = Engine(threads=2)
        ref = weakref.ref(engine._state)

        @engine.worker("w")
        def work(task: Task) -> None:
            for close in (engine.close, run_holder[0].close):
                try:
                    close()
                except RuntimeError as e:
                    refusals.append(str(e))

        run_holder: List[Any] = []
        go = threading.Event()
        engine.register("gate", lambda t: go.wait(20))
        run = engine.start(chain("gate", "w"))
        run_holder.append(run)
        go.set()
        self.assertTrue(run.wait(20))
        self.assertEqual(len(refusals), 2, refusals)
        self.assertTrue(all("cannot be" in r for r in refusals), refusals)
        # Both handles still work, and close from here frees them.
        self.assertEqual(run.status, "succeeded")
        self.assertEqual(engine.threads, 2)
        self.assertEqual(engine.workers, ["gate", "w"])
        run.close()
        engine.close()
        self.assertEqual(engine._state.slots, {})  # sym_engine_free released every worker
        with self.assertRaises(ValueError):
            engine.threads
        del engine, work, run, run_holder
        gc.collect()
        self.assertIsNone(ref())

    def test_close_a_run_from_the_observer_refuses_and_keeps_it(self) -> None:
        refusals: List[str] = []
        runs: List[Any] = []

        def observe(ev: Event) -> None:
            if ev.type == "task_succeeded":
                try:
                    runs[0].close()
                except RuntimeError as e:
                    refusals.append(str(e))

        go = threading.Event()
        with Engine(threads=2, observer=observe) as engine:
            engine.register("gate", lambda t: go.wait(20))
            run = engine.start(chain("gate"))
            runs.append(run)
            go.set()
            self.assertTrue(run.wait(20))
            self.assertEqual(len(refusals), 1, refusals)
            self.assertEqual(run.status, "succeeded")
            self.assertEqual(run.tasks["s0"].state, "succeeded")
            run.close()
            with self.assertRaises(ValueError):
                run.status

    def test_ctrl_c_in_engine_run_cancels_the_run(self) -> None:
        # Engine.run never hands back its run when interrupted: it cancels it.
        cancelled = threading.Event()

        def slow(task: Task) -> None:
            _thread.interrupt_main()  # a Ctrl-C while the main thread waits
            while not task.cancelled:
                time.sleep(0.005)
            cancelled.set()

        with Engine(threads=2) as engine:
            engine.register("slow", slow)
            kept = None
            try:
                engine.run(chain("slow"))
            except KeyboardInterrupt as e:
                kept = e  # its traceback keeps the frames (and the run) alive
            self.assertIsNotNone(kept)
            self.assertTrue(cancelled.wait(5), "the interrupted run went on")
            del kept

    def test_ctrl_c_in_close_leaves_the_engine_open(self) -> None:
        started = threading.Event()
        stop = threading.Event()

        def slow(task: Task) -> None:
            started.set()
            while not stop.is_set():  # ignores the cancel until told
                time.sleep(0.005)

        engine = Engine(threads=2)
        engine.register("slow", slow)
        run = engine.start(chain("slow"))
        self.assertTrue(started.wait(20))
        threading.Timer(0.3, _thread.interrupt_main).start()
        with self.assertRaises(KeyboardInterrupt):
            engine.close()  # waits for the worker, in slices
        self.assertEqual(engine.threads, 2)  # still open
        stop.set()
        engine.close()
        self.assertEqual(run.status, "cancelled")
        run.close()

    def test_memory_stays_flat(self) -> None:
        # create / load / register / run / free, many times: RSS after a
        # warm-up must not keep growing.
        text = (EXAMPLES / "nightly-etl.yaml").read_text()

        def once() -> None:
            with Engine(threads=2) as engine, Workflow.from_string(text) as wf:
                for w in wf.workers:
                    engine.register(w, lambda t: {"seen": t.inputs})
                with engine.run(wf, params={"date": "2026-12-01"}) as run:
                    assert run.status == "succeeded"
                    run.report()
                    run.tasks

        for _ in range(50):
            once()
        gc.collect()
        before = rss_kib()
        n = 400
        for _ in range(n):
            once()
        gc.collect()
        after = rss_kib()
        sys.stderr.write(f"\nmemory loop: {n} engine create/load/run/free cycles, RSS "
                         f"{before} KiB -> {after} KiB ({after - before:+d} KiB) ... ")
        self.assertLess(after - before, 3 * 1024)


if __name__ == "__main__":
    unittest.main()
