"""Built-in workers, as the `symphony run` command has them: noop, sleep
and exec. register_builtins(engine) adds them to any engine.

exec runs `with: {argv: [prog, arg...]}` directly, or `with: {shell: "..."}`
through /bin/sh -c, with optional `env` (a mapping added to the environment)
and `cwd`. The child sees SYMPHONY_RUN_ID, SYMPHONY_TASK_ID,
SYMPHONY_ATTEMPT and SYMPHONY_OUTPUT, a file where lines `key=value` become
the task's outputs. A non-zero exit fails the attempt, and so does an
ignored SIGCHLD (the status would be lost). Its output is printed as it
comes, each line prefixed by the task id. `${{ }}` in `shell` text is
refused when the workflow loads: values reach a script through `env`.

The child leads a process group of its own, and nothing of that group
outlives the attempt, as in the C tool's exec worker (tools/worker_exec.c):
a timeout or cancel sends the group SIGTERM, then SIGKILL after
CANCEL_GRACE; once the child has exited, what it left in the group gets
SIGTERM (and SIGCONT), then SIGKILL after EXIT_GRACE. The attempt waits for
the child's exit, not for the end of its output, so a leftover holding the
pipe does not keep it. The child is waited for with waitid(WNOWAIT) and
reaped only after its group is gone: its pid, the group's id, cannot be
reused while the group is signalled.
"""
from __future__ import annotations

import errno
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import IO, Any, Dict, Iterable, List, Optional, TextIO, Tuple

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


# The C exec worker's timings, in seconds.
CANCEL_GRACE = 2.0   # cancel or timeout: SIGTERM to SIGKILL
EXIT_GRACE = 0.5     # what the child leaves: SIGTERM to SIGKILL
KILL_WAIT = 1.0      # how long SIGKILLed processes may take to go
POLL = 0.01          # how often a running child is checked on
LINE_MAX_BYTES = 4096  # longer output lines are split


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except OSError:  # nothing left in it, or a member we may not signal
        pass


def _zombie(pid: int) -> bool:
    """True when pid is a zombie (dead, not reaped yet) or gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read(512)
    except OSError:
        return True
    # "pid (comm) state ...": comm may hold ')' and spaces
    paren = stat.rfind(b")")
    return paren >= 0 and stat[paren + 1:paren + 3] in (b" Z", b" X")


def _group_has_others(pgid: int) -> int:
    """1 when a live process other than its leader is in process group
    pgid, 0 when none is, -1 when that cannot be told (no /proc). Linux
    lists no group's members, and signalling it cannot tell (the unreaped
    leader is a member), so every process is asked for its group."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return -1
    for name in names:
        if not name.isdigit() or int(name) == pgid:
            continue
        try:
            if os.getpgid(int(name)) != pgid:
                continue
        except OSError:  # gone meanwhile
            continue
        if not _zombie(int(name)):
            return 1
    return 0


class _Lines:
    """The child's output, read from the pipe without blocking and printed
    line by line with the task id in front."""

    def __init__(self, out: TextIO, lock: threading.Lock, task_id: str,
                 pipe: Optional[IO[bytes]]) -> None:
        self.out, self.lock, self.prefix = out, lock, f"[{task_id}] "
        self.pipe = pipe
        self.pending = b""
        self.poller = select.poll()
        if pipe is not None:
            os.set_blocking(pipe.fileno(), False)
            self.poller.register(pipe.fileno(), select.POLLIN)

    def relay(self, seconds: float) -> None:
        """Relays what the child writes for up to seconds (or sleeps)."""
        if self.pipe is None:
            time.sleep(seconds)
        elif self.poller.poll(seconds * 1000):
            self.read()

    def read(self) -> None:
        """Prints every complete line the pipe holds now; closes it at end
        of file."""
        lines: List[bytes] = []
        while self.pipe is not None:
            try:
                data = os.read(self.pipe.fileno(), 65536)
            except BlockingIOError:
                break
            if not data:
                self._close_pipe()
                break
            *done, self.pending = (self.pending + data).split(b"\n")
            for line in done:
                lines += self._split(line)
            *full, self.pending = self._split(self.pending)
            lines += full
        self._print(lines)

    @staticmethod
    def _split(line: bytes) -> List[bytes]:
        """line in pieces of LINE_MAX_BYTES, the last one perhaps shorter:
        a child that never writes a newline cannot fill our memory."""
        return [line[i:i + LINE_MAX_BYTES] for i in range(0, len(line), LINE_MAX_BYTES)] or [b""]

    def close(self) -> None:
        """Prints what the pipe still holds, and a last line without a
        newline, without waiting for end of file: a process that left the
        group may hold the pipe open."""
        self.read()
        self._close_pipe()
        if self.pending:
            self._print([self.pending])
            self.pending = b""

    def _close_pipe(self) -> None:
        if self.pipe is not None:
            self.poller.unregister(self.pipe.fileno())
            self.pipe.close()
            self.pipe = None

    def _print(self, lines: List[bytes]) -> None:
        if not lines:
            return
        with self.lock:
            for line in lines:
                self.out.write(self.prefix + line.decode("utf-8", "replace") + "\n")
            self.out.flush()


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
            # The kernel would reap the child itself and its status would be
            # lost: a failure must not pass for a success.
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
                # A session of its own: its pid is its process group's id.
                child = subprocess.Popen(argv, cwd=inputs.get("cwd"), env=env,
                                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, start_new_session=True)
            except OSError as e:
                raise FatalTaskError(f"exec: cannot run {argv[0]}: {e.strerror}") from None
            info, cancelled = self._run(task, child)
            if cancelled:
                raise TimeoutError(f"exec: cancelled (process group {child.pid} killed)")
            if info.si_code in (os.CLD_KILLED, os.CLD_DUMPED):
                raise RuntimeError(f"exec: {argv[0]}: killed by signal {info.si_status}")
            if info.si_code != os.CLD_EXITED or info.si_status != 0:
                raise RuntimeError(f"exec: {argv[0]}: exit status {info.si_status}")
            return self._outputs(outfile)

    def _run(self, task: Task, child: "subprocess.Popen[bytes]") -> Tuple[Any, bool]:
        """Relays the child's output until it has exited, ends its group,
        then reaps it. Returns its waitid result and whether the attempt
        was cancelled. A wait that fails raises RuntimeError."""
        lines = _Lines(self.out, self.lock, task.id, child.stdout)
        pid = child.pid
        reap, ended = True, False
        try:
            try:
                info, cancelled, kill_sent = self._wait_child(task, pid, lines)
            except OSError as e:
                reap = False  # reaped already: its pid may be another's now
                hint = " (SIGCHLD is ignored?)" if e.errno == errno.ECHILD else ""
                raise RuntimeError(f"exec: lost the exit status of process {pid}: "
                                   f"{e.strerror}{hint}") from None
            self._end_group(pid, lines, kill_sent)
            ended = True
            return info, cancelled
        finally:
            if reap and not ended:  # interrupted: the group goes all the same
                _signal_group(pid, signal.SIGKILL)
            if reap:
                child.wait()
            lines.close()

    @staticmethod
    def _wait_child(task: Task, pid: int, lines: _Lines) -> Tuple[Any, bool, bool]:
        """Waits until the child has exited, relaying its output, and ends
        its group when the attempt is cancelled (or times out). WNOWAIT
        leaves the child a zombie, so its pid stays its group's. Returns
        its waitid result, whether the attempt was cancelled and whether
        SIGKILL was sent; OSError when the wait fails."""
        cancelled = kill_sent = False
        kill_at = 0.0
        while True:
            if not cancelled and task.cancelled:
                _signal_group(pid, signal.SIGTERM)
                cancelled = True
                kill_at = time.monotonic() + CANCEL_GRACE
            if cancelled and not kill_sent and time.monotonic() >= kill_at:
                _signal_group(pid, signal.SIGKILL)
                kill_sent = True
            info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            if info is not None and info.si_pid == pid:
                return info, cancelled, kill_sent
            lines.relay(POLL)

    @staticmethod
    def _wait_group(pgid: int, lines: _Lines, seconds: float) -> int:
        """Relays output until nothing alive but the leader is left in the
        group or seconds have passed; returns what _group_has_others said
        last (-1 at once: cannot tell)."""
        until = time.monotonic() + seconds
        others = _group_has_others(pgid)
        while others > 0 and time.monotonic() < until:
            lines.relay(POLL)
            others = _group_has_others(pgid)
        return others

    def _end_group(self, pid: int, lines: _Lines, kill_sent: bool) -> None:
        """The child (pid, its group's leader) has exited, not reaped yet:
        what it left in its group gets SIGTERM, then SIGKILL after
        EXIT_GRACE. Straight to SIGKILL when a cancel had come to that."""
        others = 1
        if not kill_sent:
            _signal_group(pid, signal.SIGTERM)
            _signal_group(pid, signal.SIGCONT)  # a stopped process acts on SIGTERM once continued
            others = self._wait_group(pid, lines, EXIT_GRACE)
            until = time.monotonic() + EXIT_GRACE
            while others < 0 and time.monotonic() < until:
                lines.relay(POLL)  # cannot tell: the whole grace period
        _signal_group(pid, signal.SIGKILL)  # what is left, and anything started meanwhile
        if others != 0:
            self._wait_group(pid, lines, KILL_WAIT)

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


def register_builtins(engine: Engine, out: TextIO = sys.stdout,
                      only: Optional[List[str]] = None) -> None:
    """Registers noop, sleep and exec (or those of them in only)."""
    for name, fn in (("noop", noop), ("sleep", sleep), ("exec", Exec(out))):
        if only is None or name in only:
            engine.register(name, fn)
