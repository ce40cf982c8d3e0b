"""The engine: Python workers, runs, events and metrics.

Threads. The engine calls workers, the observer and release callbacks on
its own threads. ctypes takes the GIL for each such call (PyGILState), and
releases it around every call into the library, so workers of one engine
run their Python code one at a time but wait (I/O, sleep, subprocesses)
in parallel. A Python exception never reaches C: each callback catches
everything.

Lifetimes. A registered callable, its ctypes trampoline and its options
live in the engine's slot table from register() until the library's
release callback says it is done with them (after unregister() and the
last call in flight, or when the engine is freed). The observer and
release trampolines live until sym_engine_free has returned. Runs hold
their engine, so an engine is never freed under a run that is still
going; freeing that would wait for an engine thread is never done from
an engine thread (it is handed to a short-lived helper thread instead).

Closing. close() (or the end of a `with` block) must come from a thread
that is not inside a callback: from a worker, observer or release
callback it raises RuntimeError and the handle stays open, to be closed
later from elsewhere. It waits in short slices, so Ctrl-C gets through;
an interrupted close leaves the handle open too.

Exit. Once the interpreter starts finalizing, engine threads can no longer
enter Python: a run in flight could then never end, and freeing its engine
would wait forever. So an atexit hook (registered with the first Engine)
cancels every open run, waits for the workers in flight to return, and
closes every engine and run while the interpreter is still whole. A script
that returns, raises, calls sys.exit() or gets Ctrl-C with handles open
therefore exits once its workers return (long workers should poll
task.cancelled). A second Ctrl-C during that wait gives up: what is still
open is left to the operating system. Finalizers (__del__) that run while
the interpreter finalizes never free, wait or start threads; they leave
the handle to the operating system, as they do for an engine made after
the hook has run.

Fork. A child made by os.fork() has copies of the engines and runs, but
none of their threads: there close() forgets the handle without freeing
it (freeing would wait for threads that are not there), and neither the
exit hook nor a finalizer touches it.
"""
from __future__ import annotations

import atexit
import ctypes
import itertools
import json
import os
import sys
import threading
import time
import traceback
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Set, TypeVar

from . import _lib, _values
from .errors import FatalTaskError, SymphonyError, _ErrorList, check
from .workflow import Workflow

TASK_STATES = ("pending", "ready", "running", "retrying", "succeeded", "failed", "timed_out",
               "skipped", "upstream_failed", "cancelled")
RUN_STATUSES = ("running", "succeeded", "failed", "cancelled")
EVENT_TYPES = ("run_started", "run_finished", "task_ready", "task_started", "task_retrying",
               "task_succeeded", "task_failed", "task_timed_out", "task_skipped",
               "task_upstream_failed", "task_cancelled")

_engine_thread = threading.local()  # .depth > 0 inside a callback from the engine


def on_engine_thread() -> bool:
    """True inside a worker, observer or release callback."""
    return getattr(_engine_thread, "depth", 0) > 0


class _InCallback:
    def __enter__(self) -> None:
        _engine_thread.depth = getattr(_engine_thread, "depth", 0) + 1

    def __exit__(self, *exc: object) -> None:
        _engine_thread.depth -= 1


class _Open:
    """Weak references to open handles (engines or runs), so the exit hook
    can close them without keeping any of them alive."""

    def __init__(self) -> None:
        # Reentrant: a finalizer run by the collector in the middle of add()
        # on this thread may discard().
        self._lock = threading.RLock()
        self._refs: Dict[int, "weakref.ref[Any]"] = {}

    def add(self, obj: Any) -> None:
        ref = weakref.ref(obj)
        with self._lock:
            self._refs[id(obj)] = ref

    def discard(self, obj: Any) -> None:
        with self._lock:
            ref = self._refs.get(id(obj))
            target = ref() if ref is not None else obj
            if target is obj or target is None:
                self._refs.pop(id(obj), None)

    def items(self) -> List[Any]:
        with self._lock:
            refs = list(self._refs.values())
        return [o for o in (r() for r in refs) if o is not None]


_engines = _Open()                   # every Engine not yet closed
_runs = _Open()                      # every Run not yet closed
_helpers: Set[threading.Thread] = set()   # frees handed off an engine thread
_helpers_lock = threading.Lock()
_take_lock = threading.RLock()       # guards handles' _ptr, and the hook's install
_hook_installed = False
_kept: List[Any] = []

# Bound now: finalizers that run while the interpreter finalizes may find
# module globals already cleared.
_finalizing = sys.is_finalizing
try:
    _incref: Optional[Callable[[Any], None]] = ctypes.pythonapi.Py_IncRef
    _incref.argtypes = [ctypes.py_object]  # type: ignore[union-attr]
    _incref.restype = None  # type: ignore[union-attr]
except (AttributeError, OSError):  # not CPython
    _incref = None


def _keep_forever(obj: Any, _incref: Optional[Callable[[Any], None]] = _incref,
                  _kept: List[Any] = _kept) -> None:
    """Never frees obj: for what a still-running engine may call into (its
    trampolines) when the process is about to end without freeing it."""
    if _incref is not None:
        _incref(obj)
    else:
        _kept.append(obj)


def _take(handle: Any) -> Optional[int]:
    """handle._ptr, cleared: one of several racing closers gets it."""
    with _take_lock:
        ptr, handle._ptr = handle._ptr, None
    return ptr


def _off_engine_thread(fn: Callable[[], None]) -> None:
    """Runs fn here, or on a helper thread when here is an engine thread
    (where freeing an engine or a run would wait for itself). The exit
    hook waits for helpers still going."""
    if not on_engine_thread():
        fn()
        return

    def helper() -> None:
        try:
            fn()
        finally:
            with _helpers_lock:
                _helpers.discard(threading.current_thread())

    t = threading.Thread(target=helper, name="symphony-free", daemon=True)
    with _helpers_lock:
        _helpers.add(t)
    try:
        t.start()
    except RuntimeError:  # no new threads (the interpreter is going away)
        with _helpers_lock:
            _helpers.discard(t)
        _keep_forever(fn)  # and what its engine may still call


def _join_slices(t: threading.Thread) -> None:
    """Joins t in short slices, so that Ctrl-C gets through."""
    while t.is_alive():
        t.join(0.2)


def _install_exit_hook() -> None:
    global _hook_installed
    with _take_lock:
        if not _hook_installed:
            atexit.register(_close_all_at_exit)
            _hook_installed = True


def _close_all_at_exit() -> None:
    """Cancels every open run, then closes every engine (which waits for
    its runs to end: their workers must return) and every run, while engine
    threads can still enter Python. Never raises; a Ctrl-C here stops
    waiting and leaves the rest to the operating system."""
    try:
        for run in _runs.items():
            if not run._engine._forked():
                run._cancel_quietly()
        for engine in _engines.items():
            try:
                engine.close()
            except Exception:  # noqa: BLE001 - the others still get closed
                pass
        for run in _runs.items():
            try:
                run.close()
            except Exception:  # noqa: BLE001
                pass
        with _helpers_lock:
            helpers = list(_helpers)
        for t in helpers:
            _join_slices(t)
    except KeyboardInterrupt:
        pass
    # Left running (interrupted above, or opened meanwhile): its threads may
    # still call its trampolines until the process is gone.
    for engine in _engines.items():
        _keep_forever(engine)


def _error_line(exc: BaseException) -> str:
    """The last line of the exception's traceback: "ValueError: bad row"."""
    try:
        return traceback.format_exception_only(type(exc), exc)[-1].strip() or type(exc).__name__
    except BaseException:  # a __str__ that raises
        return type(exc).__name__


class Task:
    """The task an engine hands a worker. Valid only during that call:
    keep what you need, not the Task."""

    __slots__ = ("_ptr", "_inputs")

    def __init__(self, ptr: int) -> None:
        self._ptr: Optional[int] = ptr
        self._inputs: Optional[Dict[str, Any]] = None

    @property
    def _t(self) -> int:
        if not self._ptr:
            raise RuntimeError("a Task is valid only during its worker call")
        return self._ptr

    @property
    def id(self) -> str:
        """The task id ("transform[shard=1]" for a matrix instance)."""
        return _lib.text(_lib.lib().sym_task_id(self._t)) or ""

    @property
    def worker(self) -> str:
        return _lib.text(_lib.lib().sym_task_worker(self._t)) or ""

    @property
    def run_id(self) -> str:
        return _lib.text(_lib.lib().sym_task_run_id(self._t)) or ""

    @property
    def attempt(self) -> int:
        """1 for the first attempt, 2 for the first retry, ..."""
        return _lib.lib().sym_task_attempt(self._t)

    @property
    def inputs(self) -> Dict[str, Any]:
        """The task's inputs (its `with:`) as Python values."""
        if self._inputs is None:
            self._inputs = _values.to_python(_lib.lib().sym_task_inputs(self._t)) or {}
        return self._inputs

    def input(self, key: str, default: Any = None) -> Any:
        """inputs.get(key, default)."""
        return self.inputs.get(key, default)

    @property
    def cancelled(self) -> bool:
        """True once this attempt should stop (its timeout passed, or the run
        was cancelled). Long workers poll it."""
        return bool(_lib.lib().sym_task_cancelled(self._t))

    def set_output(self, key: str, value: Any) -> None:
        """Sets output key. A str is a string output; a number, bool, None,
        list or dict a JSON output that stays typed downstream (in
        expressions and the report). SymphonyError past the engine's
        max_output_bytes."""
        lib = _lib.lib()
        if isinstance(value, str):
            rc = lib.sym_task_set_output(self._t, key.encode(), value.encode("utf-8", "replace"))
        else:
            with _values.Owned(value) as owned:
                rc = lib.sym_task_set_output_value(self._t, key.encode(), owned.ptr)
        check(rc, f"output {key!r} of task {self.id!r}")

    def __repr__(self) -> str:
        return f"<Task {self.id!r} attempt {self.attempt}>" if self._ptr else "<Task (ended)>"


Worker = Callable[[Task], Optional[Mapping[str, Any]]]
W = TypeVar("W", bound=Worker)


@dataclass(frozen=True)
class Event:
    """One state change, as the observer gets it."""
    type: str                 # "run_started", "task_succeeded", ... (EVENT_TYPES)
    run_id: str
    task_id: Optional[str]    # None for run events
    task_index: Optional[int]
    attempt: int              # 1-based; 0 where none applies
    time_ns: int              # the engine clock
    delay_ms: int             # task_retrying: the backoff before the next try
    error: Optional[str]      # failures: the message
    status: Optional[str]     # run_finished: how the run ended


@dataclass(frozen=True)
class TaskResult:
    """What became of one task of a run."""
    id: str
    worker: str
    state: str                # "succeeded", "failed", ... (TASK_STATES)
    attempts: int
    duration_ns: int
    error: Optional[str]
    outputs: Dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.state in ("succeeded", "skipped")


@dataclass(frozen=True)
class WorkerMetrics:
    name: str
    calls: int
    failures: int
    in_flight: int
    latency_sum_ns: int
    latency_max_ns: int


class _Slot:
    """What the engine may call for one registered worker."""
    __slots__ = ("fn", "trampoline", "name", "__weakref__")

    def __init__(self, name: str, fn: Worker, trampoline: Any) -> None:
        self.name, self.fn, self.trampoline = name, fn, trampoline


def _call_worker(fn: Worker, task_ptr: int) -> int:
    """Runs one attempt; every outcome becomes a return code, so nothing
    ever escapes into C (where ctypes would print it and return 0, a
    success)."""
    try:
        return _attempt(fn, task_ptr)
    except BaseException:  # even the failure path failed
        return _lib.SYM_EFAILED


def _attempt(fn: Worker, task_ptr: int) -> int:
    L = _lib.lib()
    task = Task(task_ptr)
    try:
        with _InCallback():
            result = fn(task)
            if isinstance(result, Mapping):
                for key, value in result.items():
                    task.set_output(str(key), value)
        return _lib.SYM_OK
    except FatalTaskError as e:
        return L.sym_task_fail_message(task_ptr, _lib.SYM_FAIL_FATAL,
                                       _error_line(e).encode("utf-8", "replace"))
    except BaseException as e:  # noqa: B036 - nothing may escape into C
        return L.sym_task_fail_message(task_ptr, 0, _error_line(e).encode("utf-8", "replace"))
    finally:
        task._ptr = None


class _State:
    """The parts of an engine its callbacks reach. Separate from Engine so
    the callbacks do not keep the Engine object alive."""

    def __init__(self, observer: Optional[Callable[[Event], None]]) -> None:
        self.slots: Dict[int, _Slot] = {}   # userdata key -> slot, until released
        self.names: Dict[str, int] = {}     # registered name -> key
        self.keys = itertools.count(1)      # userdata 0 would arrive as None
        self.observer = observer
        self.release_fn = _lib.RELEASE_FN(self._release)
        self.observer_fn = _lib.OBSERVER_FN(self._observe) if observer else _lib.OBSERVER_FN()

    def _release(self, userdata: Optional[int]) -> None:
        # The worker's trampoline has returned for good: drop it. (This
        # trampoline itself lives until the engine is freed.)
        with _InCallback():
            self.slots.pop(userdata or 0, None)

    def _observe(self, ev_ptr: Any, _userdata: Optional[int]) -> None:
        # An exception here stops in ctypes, which hands it to
        # sys.unraisablehook (printed by default); C sees a plain return.
        with _InCallback():
            ev = ev_ptr.contents
            is_task = ev.task_index != _lib.NO_INDEX
            event = Event(type=EVENT_TYPES[ev.type] if 0 <= ev.type < len(EVENT_TYPES)
                          else str(ev.type),
                          run_id=_lib.text(ev.run_id) or "",
                          task_id=_lib.text(ev.task_id),
                          task_index=ev.task_index if is_task else None,
                          attempt=ev.attempt, time_ns=ev.time_ns, delay_ms=ev.delay_ms,
                          error=_lib.text(ev.error),
                          status=RUN_STATUSES[ev.status] if ev.type == 1 else None)
            assert self.observer is not None
            self.observer(event)


class Engine:
    """A thread pool that runs workflows with Python workers.

        with Engine(threads=4) as engine:
            @engine.worker("fetch")
            def fetch(task):
                return {"path": download(task.inputs["url"])}
            run = engine.run(Workflow.load("etl.yaml"))
            print(run.status, run.report())

    threads=0 means one per CPU. observer, when given, gets every Event on
    engine threads, several at once: keep it quick and thread-safe.

    Close it (or leave the `with` block) from a thread outside its
    callbacks. One left open is closed at interpreter exit, however the
    script ends: its runs are cancelled and its workers in flight waited
    for, so long workers should poll task.cancelled."""

    def __init__(self, threads: int = 0, *, observer: Optional[Callable[[Event], None]] = None,
                 seed: int = 0, max_output_bytes: int = 0) -> None:
        L = _lib.lib()
        self._state = _State(observer)
        cfg = _lib.make(_lib.EngineConfig)
        cfg.threads = threads
        cfg.seed = seed
        if max_output_bytes:
            cfg.max_output_bytes = max_output_bytes
        if observer:
            cfg.observer = self._state.observer_fn
        out = ctypes.c_void_p()
        check(L.sym_engine_new(ctypes.byref(cfg), ctypes.byref(out)), "engine")
        self._ptr: Optional[int] = out.value
        self._pid = os.getpid()
        _install_exit_hook()
        _engines.add(self)

    # -- lifetime ----------------------------------------------------------
    def close(self) -> None:
        """Cancels runs still going, waits for them (their workers must
        return), stops the threads and drops every worker (idempotent).
        Runs stay readable until closed. From a worker, observer or release
        callback it raises RuntimeError and the engine stays open. Ctrl-C
        while it waits raises KeyboardInterrupt and leaves it open (the runs
        cancelled); a later close() or the exit hook finishes the job."""
        if not self._ptr:
            return
        if self._forked():
            self._forget()
            return
        if on_engine_thread():
            raise RuntimeError("an engine cannot be closed from a worker, observer or release "
                               "callback (it would wait for itself); it stays open: close it "
                               "from another thread")
        # Stop this engine's runs and wait for them here, where a signal
        # gets through, rather than inside sym_engine_free, where none does.
        mine = [run for run in _runs.items() if run._engine is self]
        for run in mine:
            run._cancel_quietly()
        for run in mine:
            run._wait_quietly()
        ptr = _take(self)
        if not ptr:
            return
        _engines.discard(self)
        _lib.lib().sym_engine_free(ptr)  # releases every worker before it returns
        self._state.slots.clear()
        self._state.names.clear()

    def _forked(self) -> bool:
        """True in a child made by os.fork(): the engine's threads are not here."""
        return self._pid != os.getpid()

    def _forget(self) -> None:
        if _take(self):
            _engines.discard(self)

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self, _finalizing: Callable[[], bool] = _finalizing,
                _keep_forever: Callable[[Any], None] = _keep_forever) -> None:
        if not getattr(self, "_ptr", None):
            return
        if _finalizing():
            # Engine threads can no longer enter Python: a free could wait
            # forever. Leave the engine to the operating system, with what
            # its threads may still call.
            _keep_forever(self._state)
            return
        if self._forked():
            return
        ptr = _take(self)
        if not ptr or _lib._lib is None:
            return
        _engines.discard(self)
        state = self._state  # keeps the trampolines alive until the free is done

        def free() -> None:
            _lib.lib().sym_engine_free(ptr)
            state.slots.clear()
        _off_engine_thread(free)

    @property
    def _e(self) -> int:
        if not self._ptr:
            raise ValueError("engine is closed")
        return self._ptr

    @property
    def threads(self) -> int:
        """The pool size; assign to grow or shrink it while runs go on."""
        return _lib.lib().sym_engine_threads(self._e)

    @threads.setter
    def threads(self, n: int) -> None:
        check(_lib.lib().sym_engine_set_threads(self._e, n), "threads")

    # -- workers -----------------------------------------------------------
    def register(self, name: str, fn: Worker, *, concurrency: int = 0) -> None:
        """Registers fn as worker name. fn(task) returns normally for
        success (a Mapping it returns becomes outputs), raises to fail the
        attempt (retried as the policy says), or raises FatalTaskError to
        fail the task for good. The last line of the traceback becomes the
        task's error. concurrency: calls in flight at most (0 = no limit)."""
        if not callable(fn):
            raise TypeError("a worker must be callable")
        state = self._state
        key = next(state.keys)
        trampoline = _lib.WORKER_FN(lambda task_ptr, _ud: _call_worker(fn, task_ptr))
        state.slots[key] = _Slot(name, fn, trampoline)
        opts = _lib.make(_lib.WorkerOptions)
        opts.concurrency = concurrency
        opts.release = state.release_fn
        rc = _lib.lib().sym_engine_register(self._e, name.encode(), trampoline, key,
                                            ctypes.byref(opts))
        if rc != _lib.SYM_OK:
            state.slots.pop(key, None)
            what = "is already registered" if rc == _lib.SYM_EEXIST else "could not be registered"
            raise SymphonyError(rc, f"worker {name!r} {what}")
        state.names[name] = key

    def worker(self, name: str, *, concurrency: int = 0) -> Callable[[W], W]:
        """A decorator: @engine.worker("name") registers the function."""
        def decorate(fn: W) -> W:
            self.register(name, fn, concurrency=concurrency)
            return fn
        return decorate

    def unregister(self, name: str) -> None:
        """No new call of name starts; calls in flight finish. The callable
        is dropped once the last of them returns. KeyError when unknown."""
        rc = _lib.lib().sym_engine_unregister(self._e, name.encode())
        if rc == _lib.SYM_ENOTFOUND:
            raise KeyError(name)
        check(rc, f"unregister {name!r}")
        self._state.names.pop(name, None)

    @property
    def workers(self) -> List[str]:
        """The names registered now, sorted."""
        return sorted(self._state.names)

    # -- runs --------------------------------------------------------------
    def start(self, workflow: Workflow, *, params: Optional[Mapping[str, Any]] = None,
              run_id: Optional[str] = None) -> "Run":
        """Starts a run and returns at once. params override declared
        params. SymphonyError (with every missing worker in .errors) when
        it cannot start."""
        L = _lib.lib()
        opts = _lib.make(_lib.RunOptions)
        if run_id is not None:
            opts.run_id = run_id.encode()
        # The Run exists (and is tracked for the exit hook) before the C run,
        # which is written straight into it: a Ctrl-C raised the moment
        # sym_run_start returns, before any line below, cannot lose the run.
        run = Run(None, self, workflow)
        try:
            with _values.Owned(dict(params) if params is not None else None) as pv, \
                    _ErrorList() as err:
                opts.params = pv.ptr if params is not None else None
                rc = L.sym_run_start(self._e, workflow.handle, ctypes.byref(opts),
                                     ctypes.byref(run._out), err.ptr)
                if rc != _lib.SYM_OK:
                    err.raise_error(rc)
        except BaseException:
            run._adopt()
            run._cancel_quietly()  # interrupted after the start: nobody has this run
            raise
        run._adopt()
        return run

    def run(self, workflow: Workflow, *, params: Optional[Mapping[str, Any]] = None,
            run_id: Optional[str] = None, timeout: Optional[float] = None) -> "Run":
        """Starts a run and waits for its end. Past timeout (seconds) the run
        is cancelled (and waited for). Returns the ended Run."""
        run = self.start(workflow, params=params, run_id=run_id)  # cancels if interrupted
        try:
            ended = run.wait(timeout)
        except BaseException:  # Ctrl-C: the caller never gets this run
            run._cancel_quietly()
            raise
        if not ended:
            run.cancel()
            run.wait()
        return run

    # -- metrics -----------------------------------------------------------
    def metrics(self) -> Dict[str, Any]:
        """A snapshot: tasks by state, retries, queue depth, threads, busy
        threads and active runs."""
        m = _lib.make(_lib.Metrics)
        check(_lib.lib().sym_engine_metrics(self._e, ctypes.byref(m)), "metrics")
        return {"tasks": dict(zip(TASK_STATES, m.tasks)), "retries": m.retries,
                "queue_depth": m.queue_depth, "threads": m.threads,
                "busy_threads": m.busy_threads, "runs_active": m.runs_active}

    def worker_metrics(self) -> List[WorkerMetrics]:
        """Per-worker counters, sorted by name."""
        L = _lib.lib()
        count = ctypes.c_size_t()
        check(L.sym_engine_worker_metrics(self._e, None, 0, ctypes.byref(count)), "worker metrics")
        arr = (_lib.WorkerMetrics * count.value)(
            *[_lib.make(_lib.WorkerMetrics) for _ in range(count.value)])
        check(L.sym_engine_worker_metrics(self._e, arr, len(arr), ctypes.byref(count)),
              "worker metrics")
        n = min(count.value, len(arr))
        return [WorkerMetrics(name=arr[i].name.decode(), calls=arr[i].calls,
                              failures=arr[i].failures, in_flight=arr[i].in_flight,
                              latency_sum_ns=arr[i].latency_sum_ns,
                              latency_max_ns=arr[i].latency_max_ns) for i in range(n)]


class Run:
    """One execution of a workflow. Read it while it goes or once it ended;
    close() (or the end of a `with` block) cancels it if it still runs,
    waits, and frees it. From a worker, observer or release callback
    close() raises RuntimeError and the run stays open. A run left open is
    cancelled and freed at interpreter exit (see the module's notes)."""

    def __init__(self, ptr: Optional[int], engine: Engine, workflow: Workflow) -> None:
        self._ptr: Optional[int] = ptr
        self._out = ctypes.c_void_p(ptr)  # where sym_run_start writes the run
        self._engine = engine  # a run keeps its engine (and so its workers) alive
        self._ids = [t.id for t in workflow.tasks]
        _runs.add(self)

    def close(self) -> None:
        """Cancels the run if it still goes, waits for its end and frees it
        (idempotent). Ctrl-C while it waits raises KeyboardInterrupt and
        leaves the run open (cancelled)."""
        if not self._ptr:
            return
        if self._engine._forked():
            if _take(self):
                _runs.discard(self)
            return
        if on_engine_thread():
            raise RuntimeError("a run cannot be closed from a worker, observer or release "
                               "callback (it would wait for itself); it stays open: close it "
                               "from another thread")
        self._cancel_quietly()
        self._wait_quietly()
        ptr = _take(self)
        if ptr:
            _runs.discard(self)
            _lib.lib().sym_run_free(ptr)

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self, _finalizing: Callable[[], bool] = _finalizing) -> None:
        if not getattr(self, "_ptr", None) or _finalizing() or self._engine._forked():
            return  # a free could wait forever: left to the OS
        ptr = _take(self)
        if not ptr or _lib._lib is None:
            return
        _runs.discard(self)
        engine = self._engine  # freed before its engine is
        _off_engine_thread(lambda: (_lib.lib().sym_run_free(ptr), engine))

    def _adopt(self) -> None:
        """Takes the run sym_run_start wrote into _out, if any."""
        with _take_lock:
            if not self._ptr and self._out.value:
                self._ptr = self._out.value

    def _cancel_quietly(self) -> None:
        with _take_lock:  # not freed meanwhile by another thread's close()
            if self._ptr:
                _lib.lib().sym_run_cancel(self._ptr)  # SYM_ESTATE when ended: fine

    def _wait_quietly(self) -> None:
        """Waits for the end unless closed meanwhile; lets Ctrl-C through."""
        try:
            self.wait()
        except ValueError:  # closed by another thread
            pass

    @property
    def _r(self) -> int:
        if not self._ptr:
            raise ValueError("run is closed")
        return self._ptr

    @property
    def id(self) -> str:
        return _lib.text(_lib.lib().sym_run_id(self._r)) or ""

    @property
    def status(self) -> str:
        """"running", "succeeded", "failed" or "cancelled"."""
        return RUN_STATUSES[_lib.lib().sym_run_get_status(self._r)]

    @property
    def done(self) -> bool:
        return self.status != "running"

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    @property
    def params(self) -> Dict[str, Any]:
        """The effective params: defaults with this run's overrides."""
        return _values.to_python(_lib.lib().sym_run_params(self._r)) or {}

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Waits for the end: True when the run has ended, False when timeout
        (seconds; None = forever) passed first. Waits in slices so that
        Ctrl-C gets through (KeyboardInterrupt; the run goes on until
        cancelled, closed, or the interpreter exits). Not from inside a
        callback (RuntimeError)."""
        if on_engine_thread():
            raise RuntimeError("a run cannot be waited for from an engine callback")
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            slice_ms = 200
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return self.done
                slice_ms = max(0, min(slice_ms, int(left * 1000)))
            rc = _lib.lib().sym_run_wait(self._r, slice_ms)
            if rc == _lib.SYM_OK:
                return True
            if rc != _lib.SYM_ETIMEDOUT:
                check(rc, "wait")

    def cancel(self) -> bool:
        """Cancels the run; False when it had already ended."""
        rc = _lib.lib().sym_run_cancel(self._r)
        if rc == _lib.SYM_ESTATE:
            return False
        check(rc, "cancel")
        return True

    def result(self, key: Any) -> TaskResult:
        """One task's result, by id or index."""
        index = self._ids.index(key) if isinstance(key, str) else key
        r = _lib.make(_lib.TaskResult)
        if _lib.lib().sym_run_task_result(self._r, index, ctypes.byref(r)) != _lib.SYM_OK:
            raise KeyError(key)
        return TaskResult(id=_lib.text(r.id) or "", worker=_lib.text(r.worker) or "",
                          state=TASK_STATES[r.state], attempts=r.attempts,
                          duration_ns=r.duration_ns, error=_lib.text(r.error),
                          outputs=_values.to_python(r.outputs) or {})

    @property
    def tasks(self) -> Dict[str, TaskResult]:
        """Task id -> result, in topological order (a snapshot while running)."""
        return {tid: self.result(i) for i, tid in enumerate(self._ids)}

    def report(self) -> Dict[str, Any]:
        """The run report: {"workflow", "run_id", "status", "started_at",
        "duration_ms", "tasks": [...]}."""
        return json.loads(_lib.take_string(_lib.lib().sym_run_report_json(self._r)))

    def trace(self) -> Dict[str, Any]:
        """The timeline as Chrome trace-event JSON (Perfetto, chrome://tracing)."""
        return json.loads(_lib.take_string(_lib.lib().sym_run_trace_json(self._r)))

    def __iter__(self) -> Iterator[TaskResult]:
        return iter(self.tasks.values())

    def __repr__(self) -> str:
        return f"<Run {self.id!r} {self.status}>" if self._ptr else "<Run closed>"
