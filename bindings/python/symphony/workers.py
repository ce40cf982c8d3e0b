"""Built-in workers, as the `symphony run` command has them: noop, sleep
and exec. register_builtins(engine) adds them to any engine.

exec runs `with: {argv: [prog, arg...]}` directly, or `with: {shell: "..."}`
through /bin/sh -c, with optional `env` (a mapping added to the environment)
and `cwd`. The child sees SYMPHONY_RUN_ID, SYMPHONY_TASK_ID,
SYMPHONY_ATTEMPT and SYMPHONY_OUTPUT, a file where lines `key=value` become
the task's outputs. A non-zero exit fails the attempt, and so does an
ignored SIGCHLD (the status would be lost); a timeout or cancel kills the
child's whole process group. Its output is printed with each line prefixed
by the task id. `${{ }}` in `shell` text is refused when the workflow
loads: values reach a script through `env`.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Dict, Iterable, List, Optional, TextIO

from .engine import Engine, Task
from .errors import FatalTaskError
from .workflow import duration_ms


def noop(task: Task) -> None:
    """Does nothing, successfully."""


def sleep(task: Task) -> None:
    """Sleeps `with: {duration: 100ms}`, stopping early when cancelled."""
    end = time.monotonic() + duration_ms(task.inputs.get("duration", "0ms")) / 1000
    while time.monotonic() < end:
        if task.cancelled:
            raise TimeoutError("cancelled")
        time.sleep(min(0.01, max(0.0, end - time.monotonic())))


class Exec:
    """The exec worker; out receives the children's output lines."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out
        self.lock = threading.Lock()

    def _command(self, inputs: Dict[str, Any]) -> List[str]:
        if "argv" in inputs:
            argv = inputs["argv"]
            if not isinstance(argv, list) or not argv or not all(isinstance(a, (str, int, float)) for a in argv):
                raise FatalTaskError("exec: 'argv' must be a non-empty list of strings")
            return [str(a) for a in argv]
        if isinstance(inputs.get("shell"), str):
            return ["/bin/sh", "-c", inputs["shell"]]
        raise FatalTaskError("exec: needs 'argv' (a list) or 'shell' (a string) in 'with'")

    def __call__(self, task: Task) -> Dict[str, str]:
        inputs = task.inputs
        argv = self._command(inputs)
        if signal.getsignal(signal.SIGCHLD) == signal.SIG_IGN:
            # The kernel would reap the child itself and subprocess would
            # report its lost status as 0: a failure must not pass for a success.
            raise RuntimeError("exec: SIGCHLD is ignored, so the child's exit status would be "
                               "lost; set it to SIG_DFL in the host")
        env = dict(os.environ)
        extra = inputs.get("env") or {}
        if not isinstance(extra, dict):
            raise FatalTaskError("exec: 'env' must be a mapping")
        env.update({str(k): "" if v is None else str(v) for k, v in extra.items()})
        with tempfile.NamedTemporaryFile("r", prefix="symphony-out-", encoding="utf-8",
                                         errors="replace") as outfile:
            env.update(SYMPHONY_RUN_ID=task.run_id, SYMPHONY_TASK_ID=task.id,
                       SYMPHONY_ATTEMPT=str(task.attempt), SYMPHONY_OUTPUT=outfile.name)
            try:
                child = subprocess.Popen(argv, cwd=inputs.get("cwd"), env=env,
                                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, start_new_session=True)
            except OSError as e:
                raise FatalTaskError(f"exec: cannot run {argv[0]}: {e.strerror}") from None
            output = self._wait(task, child)
            self._print(task.id, output)
            if child.returncode < 0 and task.cancelled:
                raise TimeoutError("exec: cancelled; the process group was killed")
            if child.returncode != 0:
                how = (f"killed by signal {-child.returncode}" if child.returncode < 0
                       else f"exit status {child.returncode}")
                raise RuntimeError(f"exec: {argv[0]}: {how}")
            return self._outputs(outfile)

    @staticmethod
    def _outputs(lines: Iterable[str]) -> Dict[str, Any]:
        """SYMPHONY_OUTPUT lines: `key=value` a string, `key:json=VALUE` a
        JSON value, as the C exec worker reads them."""
        outputs: Dict[str, Any] = {}
        for line in lines:
            line = line.rstrip("\n")
            if not line:
                continue
            if "=" not in line:
                raise FatalTaskError(f"exec: output line {line!r} has no '='")
            key, value = line.split("=", 1)
            if key.endswith(":json"):
                key = key[:-len(":json")]
                try:
                    outputs[key] = json.loads(value)
                except ValueError as e:
                    raise FatalTaskError(f"exec: output {key!r} is not valid JSON: {e}") from None
            else:
                outputs[key] = value
        return outputs

    def _wait(self, task: Task, child: "subprocess.Popen[bytes]") -> bytes:
        chunks: List[bytes] = []
        while True:
            try:
                out, _ = child.communicate(timeout=0.05)
                chunks.append(out or b"")
                return b"".join(chunks)
            except subprocess.TimeoutExpired:
                if task.cancelled:
                    try:
                        os.killpg(child.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass

    def _print(self, task_id: str, output: bytes) -> None:
        text = output.decode("utf-8", "replace")
        if not text:
            return
        with self.lock:
            for line in text.splitlines():
                self.out.write(f"[{task_id}] {line}\n")
            self.out.flush()


def register_builtins(engine: Engine, out: TextIO = sys.stdout,
                      only: Optional[List[str]] = None) -> None:
    """Registers noop, sleep and exec (or those of them in only)."""
    for name, fn in (("noop", noop), ("sleep", sleep), ("exec", Exec(out))):
        if only is None or name in only:
            engine.register(name, fn)
