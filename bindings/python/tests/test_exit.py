"""A script that leaves engines and runs open still exits, whichever way it
ends: each way out runs in a child process, and a hang is a failure."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import unittest
from typing import List

from support import PACKAGE_ROOT

LIMIT_S = 10

# Leaves open: an engine with a run in flight (its worker stops only when
# cancelled), an ended run and an idle engine. With "cycle", a worker also
# holds the run in flight, so the engine, the worker and the run form a
# cycle that only the collector frees. With "at-once", the script goes on
# without waiting for the worker to start. With "stubborn", the worker
# ignores the cancel. With "fork", a child made by os.fork() (which has
# copies of the handles but none of the engine's threads) exits first.
SCRIPT = r"""
import sys, threading, time
import symphony
from symphony import Builder, Engine

how = sys.argv[1]
cycle = "cycle" in sys.argv[2:]
at_once = "at-once" in sys.argv[2:]
stubborn = "stubborn" in sys.argv[2:]
fork = "fork" in sys.argv[2:]
started = threading.Event()

def slow(task):
    started.set()
    while stubborn or not task.cancelled:
        time.sleep(0.005)
    print("slow: cancelled", flush=True)
    raise TimeoutError("stopped")

def observe(event):
    if event.type == "run_finished":
        print(f"run {event.run_id}: {event.status}", flush=True)

def workflow(name, worker):
    b = Builder(name)
    b.task("t", worker)
    return b.build()

engine = Engine(threads=2, observer=observe)
idle = Engine(threads=1)
holder = []
engine.register("slow", slow)
engine.register("quick", lambda task, holder=holder: None)
ended = engine.run(workflow("quick", "quick"), run_id="ended")
run = engine.start(workflow("long", "slow"), run_id="long")
if cycle:
    holder.append(run)
if not at_once and not started.wait(20):
    sys.exit("the worker never started")
print("started", flush=True)
if fork:
    import os
    pid = os.fork()
    if pid == 0:
        sys.exit(0)
    for _ in range(500):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            print(f"child exited {status}", flush=True)
            break
        time.sleep(0.01)
    else:
        os.kill(pid, 9)
        print("child hung", flush=True)
if how == "return":
    pass
elif how == "raise":
    raise RuntimeError("uncaught")
elif how == "exit":
    sys.exit(0)
elif how == "wait":
    run.wait()
"""


class WaysOut(unittest.TestCase):
    def child(self, how: str, *extra: str) -> "subprocess.Popen[str]":
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(PACKAGE_ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        proc = subprocess.Popen([sys.executable, "-c", SCRIPT, how, *extra], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(self.reap, proc)
        return proc

    @staticmethod
    def reap(proc: "subprocess.Popen[str]") -> None:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()

    def finish(self, proc: "subprocess.Popen[str]", how: str,
               started: bool = True) -> List[str]:
        try:
            out, err = proc.communicate(timeout=LIMIT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            self.fail(f"{how}: still running after {LIMIT_S} s (hung at exit)\n"
                      f"stdout: {out}\nstderr: {err}")
        lines = out.splitlines()
        # The run in flight was cancelled (its worker saw it and returned)
        # before the process went away; the ended run stayed as it was.
        if started:
            self.assertIn("slow: cancelled", lines, f"{how}: {out}{err}")
        self.assertIn("run long: cancelled", lines, f"{how}: {out}{err}")
        self.assertNotIn("run ended: cancelled", lines, f"{how}: {out}{err}")
        self.assertNotIn("Exception ignored", err, f"{how}: {err}")
        return lines + err.splitlines()

    def test_return(self) -> None:
        proc = self.child("return")
        self.finish(proc, "return")
        self.assertEqual(proc.returncode, 0)

    def test_return_with_a_cycle(self) -> None:
        proc = self.child("return", "cycle")
        self.finish(proc, "return (cycle)")
        self.assertEqual(proc.returncode, 0)

    def test_return_at_once(self) -> None:
        for _ in range(3):
            proc = self.child("return", "at-once")
            self.finish(proc, "return (at once)", started=False)
            self.assertEqual(proc.returncode, 0)

    @unittest.skipUnless(hasattr(os, "fork"), "no os.fork")
    def test_forked_child_leaves_the_handles_alone(self) -> None:
        proc = self.child("return", "fork")
        lines = self.finish(proc, "return (fork)")
        self.assertIn("child exited 0", lines)
        self.assertEqual(proc.returncode, 0)

    def test_uncaught_exception(self) -> None:
        proc = self.child("raise")
        lines = self.finish(proc, "raise")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("RuntimeError: uncaught", lines)

    def test_sys_exit(self) -> None:
        proc = self.child("exit")
        self.finish(proc, "exit")
        self.assertEqual(proc.returncode, 0)

    def test_ctrl_c_while_waiting(self) -> None:
        proc = self.child("wait")
        assert proc.stdout is not None
        while proc.stdout.readline().strip() != "started":
            pass
        proc.send_signal(signal.SIGINT)
        lines = self.finish(proc, "SIGINT")
        self.assertIn("KeyboardInterrupt", lines)
        # An uncaught KeyboardInterrupt ends the process by SIGINT.
        self.assertEqual(proc.returncode, -signal.SIGINT)

    def test_second_ctrl_c_gives_up_on_a_stubborn_worker(self) -> None:
        # The first Ctrl-C ends the wait; at exit the hook waits for the
        # worker, which never returns; the second Ctrl-C stops that wait.
        proc = self.child("wait", "stubborn")
        assert proc.stdout is not None
        while proc.stdout.readline().strip() != "started":
            pass
        proc.send_signal(signal.SIGINT)
        time.sleep(1)
        self.assertIsNone(proc.poll(), "exited without waiting for the worker")
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=LIMIT_S)
        except subprocess.TimeoutExpired:
            self.fail(f"still running {LIMIT_S} s after the second Ctrl-C")
        self.assertIn("KeyboardInterrupt", err)
        self.assertNotIn("slow: cancelled", out)
        self.assertEqual(proc.returncode, -signal.SIGINT, err)


if __name__ == "__main__":
    unittest.main()
