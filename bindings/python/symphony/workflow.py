"""Workflows: loading from a file or a string, building in code, reading."""
from __future__ import annotations

import ctypes
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Union

from . import _lib, _values
from .errors import SymphonyError, _ErrorList

Duration = Union[int, float, str]
"""A duration: seconds as a number (1.5), or text with a unit ("250ms", "10s", "5m", "2h")."""

TRIGGERS = ("all_success", "all_done", "all_failed", "one_failed", "one_success", "none_failed")
BACKOFFS = ("fixed", "linear", "exponential")
_UNITS = {"ms": 1, "s": 1000, "m": 60000, "h": 3600000}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$")


def duration_ms(d: Duration) -> int:
    """Milliseconds of a duration: a number of seconds or "250ms"/"10s"/"5m"/"2h"."""
    if isinstance(d, bool):
        raise TypeError("a duration is a number of seconds or a string such as '30s'")
    if isinstance(d, (int, float)):
        if d < 0:
            raise ValueError(f"duration {d} may not be negative")
        return int(round(d * 1000))
    m = _DURATION.match(d)
    if not m:
        raise ValueError(f"duration {d!r}: use a number and a unit (ms, s, m or h), as in 30s")
    return int(round(float(m.group(1)) * _UNITS[m.group(2)]))


@dataclass(frozen=True)
class Retry:
    """A retry policy (the `retry:` key). attempts counts every try, the first included."""
    attempts: int = 1
    backoff: str = "exponential"
    delay: Duration = "1s"
    max_delay: Duration = "5m"
    jitter: bool = False
    retry_on: Sequence[str] = ("error", "timeout")


@dataclass(frozen=True)
class Policy:
    """A task's policy as the workflow holds it, defaults merged in."""
    timeout_ms: int
    attempts: int
    backoff: str
    delay_ms: int
    max_delay_ms: int
    jitter: bool
    retry_on: Sequence[str]
    trigger: str
    continue_on_error: bool


@dataclass(frozen=True)
class TaskInfo:
    """What a workflow knows of one task (a matrix instance counts as one)."""
    index: int
    id: str
    name: str
    worker: str
    inputs: Optional[Dict[str, Any]]
    matrix: Optional[Dict[str, Any]]
    condition: Optional[str]
    policy: Policy
    needs: List[str]
    dependents: List[str]
    line: int
    column: int


def _policy_from_c(p: _lib.TaskPolicy) -> Policy:
    L = _lib.lib()
    on = [n for bit, n in ((_lib.SYM_RETRY_ON_ERROR, "error"), (_lib.SYM_RETRY_ON_TIMEOUT, "timeout"))
          if p.retry.retry_on & bit]
    return Policy(timeout_ms=p.timeout_ms, attempts=p.retry.attempts,
                  backoff=_lib.text(L.sym_backoff_name(p.retry.backoff)) or "",
                  delay_ms=p.retry.delay_ms, max_delay_ms=p.retry.max_delay_ms,
                  jitter=bool(p.retry.jitter), retry_on=tuple(on),
                  trigger=_lib.text(L.sym_trigger_name(p.trigger)) or "",
                  continue_on_error=bool(p.continue_on_error))


def _load_options(limits: Mapping[str, int]) -> Optional[_lib.LoadOptions]:
    if not limits:
        return None
    opts = _lib.make(_lib.LoadOptions)
    names = [f[0] for f in _lib.LoadOptions._fields_ if f[0] != "version"]
    for key, value in limits.items():
        if key not in names:
            raise TypeError(f"unknown load limit {key!r} (one of {', '.join(names)})")
        setattr(opts, key, value)
    return opts


class Workflow:
    """A validated, immutable task graph. Load one with Workflow.load(path)
    or Workflow.from_string(text), or build one with Workflow.builder(name).
    Safe to share between threads and runs; close() (or the end of a `with`
    block) drops it early, and runs still going keep what they need."""

    def __init__(self, _ptr: int) -> None:
        self._ptr: Optional[int] = _ptr

    # -- making one --------------------------------------------------------
    @classmethod
    def load(cls, path: Union[str, "os.PathLike[str]"], **limits: int) -> "Workflow":
        """Loads and validates the workflow file at path. limits are the
        fields of sym_load_options (max_file_bytes=..., max_errors=...).
        Raises WorkflowError with every error found."""
        out = ctypes.c_void_p()
        opts = _load_options(limits)
        with _ErrorList() as err:
            rc = _lib.lib().sym_workflow_load_file(os.fsencode(path),
                                                   ctypes.byref(opts) if opts else None,
                                                   ctypes.byref(out), err.ptr)
            if rc != _lib.SYM_OK:
                err.raise_workflow(rc)
        return cls(out.value)  # type: ignore[arg-type]

    @classmethod
    def from_string(cls, text: Union[str, bytes], name: str = "<string>",
                    **limits: int) -> "Workflow":
        """Loads a workflow from YAML text; name is used in error messages."""
        data = text.encode("utf-8") if isinstance(text, str) else text
        out = ctypes.c_void_p()
        opts = _load_options(limits)
        with _ErrorList() as err:
            rc = _lib.lib().sym_workflow_load_buffer(data, len(data), name.encode(),
                                                     ctypes.byref(opts) if opts else None,
                                                     ctypes.byref(out), err.ptr)
            if rc != _lib.SYM_OK:
                err.raise_workflow(rc)
        return cls(out.value)  # type: ignore[arg-type]

    @staticmethod
    def builder(name: str) -> "Builder":
        """A Builder for a workflow called name."""
        return Builder(name)

    # -- lifetime ----------------------------------------------------------
    def close(self) -> None:
        """Drops this handle (idempotent); runs of it keep going."""
        if self._ptr:
            _lib.lib().sym_workflow_free(self._ptr)
            self._ptr = None

    def __enter__(self) -> "Workflow":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_ptr", None) and _lib._lib is not None:
            self.close()

    @property
    def handle(self) -> int:
        """The sym_workflow pointer (ValueError once closed)."""
        if not self._ptr:
            raise ValueError("workflow is closed")
        return self._ptr

    # -- reading -----------------------------------------------------------
    @property
    def name(self) -> str:
        return _lib.text(_lib.lib().sym_workflow_name(self.handle)) or ""

    @property
    def description(self) -> Optional[str]:
        return _lib.text(_lib.lib().sym_workflow_description(self.handle))

    @property
    def source(self) -> str:
        """The file or buffer name, "<builder>" when built in code."""
        return _lib.text(_lib.lib().sym_workflow_source(self.handle)) or ""

    @property
    def params(self) -> Dict[str, Any]:
        """The declared params with their default values."""
        return _values.to_python(_lib.lib().sym_workflow_params(self.handle)) or {}

    @property
    def concurrency(self) -> int:
        """Most tasks of one run in flight; 0 = no limit beyond the pool."""
        return _lib.lib().sym_workflow_concurrency(self.handle)

    @property
    def deadline_ms(self) -> int:
        return _lib.lib().sym_workflow_deadline_ms(self.handle)

    @property
    def fail_fast(self) -> bool:
        return bool(_lib.lib().sym_workflow_fail_fast(self.handle))

    @property
    def worker_limits(self) -> Dict[str, int]:
        """The `workers:` section: worker name -> concurrency."""
        L = _lib.lib()
        out = {}
        for i in range(L.sym_workflow_worker_limit_count(self.handle)):
            name, n = ctypes.c_char_p(), ctypes.c_uint()
            if L.sym_workflow_worker_limit(self.handle, i, ctypes.byref(name), ctypes.byref(n)) == 0:
                out[_lib.text(name.value) or ""] = n.value
        return out

    def __len__(self) -> int:
        return _lib.lib().sym_workflow_task_count(self.handle)

    def index(self, task_id: str) -> int:
        """The index of the task with this id; KeyError when there is none."""
        i = ctypes.c_size_t()
        if _lib.lib().sym_workflow_find_task(self.handle, task_id.encode(), ctypes.byref(i)) != 0:
            raise KeyError(task_id)
        return i.value

    def _id(self, index: int) -> str:
        info = _lib.make(_lib.TaskInfo)
        _lib.lib().sym_workflow_task_info(self.handle, index, ctypes.byref(info))
        return _lib.text(info.id) or ""

    def task(self, key: Union[int, str]) -> TaskInfo:
        """One task, by index (topological order) or id."""
        L = _lib.lib()
        index = self.index(key) if isinstance(key, str) else key
        info = _lib.make(_lib.TaskInfo)
        if L.sym_workflow_task_info(self.handle, index, ctypes.byref(info)) != 0:
            raise IndexError(index)
        needs = [self._id(L.sym_workflow_task_dep(self.handle, index, j))
                 for j in range(info.dep_count)]
        dependents = [self._id(L.sym_workflow_task_succ(self.handle, index, j))
                      for j in range(info.succ_count)]
        return TaskInfo(index=index, id=_lib.text(info.id) or "", name=_lib.text(info.name) or "",
                        worker=_lib.text(info.worker) or "",
                        inputs=_values.to_python(info.inputs),
                        matrix=_values.to_python(info.matrix),
                        condition=_lib.text(info.condition), policy=_policy_from_c(info.policy.contents),
                        needs=needs, dependents=dependents, line=info.line, column=info.column)

    @property
    def tasks(self) -> List[TaskInfo]:
        """Every task, in topological order."""
        return [self.task(i) for i in range(len(self))]

    def __iter__(self) -> Iterator[TaskInfo]:
        return iter(self.tasks)

    @property
    def workers(self) -> List[str]:
        """The distinct worker names the tasks use, sorted."""
        return sorted({t.worker for t in self.tasks})

    def to_dot(self) -> str:
        """The graph as Graphviz DOT."""
        return _lib.take_string(_lib.lib().sym_workflow_to_dot(self.handle))

    def to_json(self) -> Dict[str, Any]:
        """The graph as the library's JSON export, parsed."""
        return json.loads(_lib.take_string(_lib.lib().sym_workflow_to_json(self.handle)))

    def __repr__(self) -> str:
        if not self._ptr:
            return "<Workflow closed>"
        return f"<Workflow {self.name!r}: {len(self)} tasks>"


class Builder:
    """Assembles a workflow in code, with the same checks as a file.

    Every method returns the builder, so calls chain; errors are collected
    and build() raises one WorkflowError with all of them. Set defaults()
    before adding tasks that set their own policy: such a task starts from
    the defaults known when it is added."""

    def __init__(self, name: str) -> None:
        self._ptr: Optional[int] = _lib.lib().sym_builder_new(name.encode())
        if not self._ptr:
            raise MemoryError("libsymphony: out of memory")
        self._defaults = _lib.make(_lib.TaskPolicy)
        self._tasks: Dict[str, int] = {}

    def close(self) -> None:
        if self._ptr:
            _lib.lib().sym_builder_free(self._ptr)
            self._ptr = None

    def __del__(self) -> None:
        if getattr(self, "_ptr", None) and _lib._lib is not None:
            self.close()

    def __enter__(self) -> "Builder":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def _b(self) -> int:
        if not self._ptr:
            raise ValueError("builder is closed")
        return self._ptr

    def description(self, text: str) -> "Builder":
        _lib.lib().sym_builder_set_description(self._b, text.encode())
        return self

    def concurrency(self, n: int) -> "Builder":
        _lib.lib().sym_builder_set_concurrency(self._b, n)
        return self

    def deadline(self, d: Duration) -> "Builder":
        _lib.lib().sym_builder_set_deadline_ms(self._b, duration_ms(d))
        return self

    def fail_fast(self, on: bool = True) -> "Builder":
        _lib.lib().sym_builder_set_fail_fast(self._b, on)
        return self

    def param(self, name: str, default: Any) -> "Builder":
        """Declares param name with its default value."""
        _lib.lib().sym_builder_set_param(self._b, name.encode(), _values.from_python(default))
        return self

    def worker_limit(self, worker: str, concurrency: int) -> "Builder":
        _lib.lib().sym_builder_set_worker_limit(self._b, worker.encode(), concurrency)
        return self

    def _policy(self, base: _lib.TaskPolicy, timeout: Optional[Duration],
                retry: Optional[Retry], trigger: Optional[str],
                continue_on_error: Optional[bool]) -> _lib.TaskPolicy:
        p = _lib.TaskPolicy()
        ctypes.pointer(p)[0] = base  # a copy
        if timeout is not None:
            p.timeout_ms = duration_ms(timeout)
        if retry is not None:
            if retry.backoff not in BACKOFFS:
                raise ValueError(f"backoff {retry.backoff!r}: use one of {', '.join(BACKOFFS)}")
            bad = [r for r in retry.retry_on if r not in ("error", "timeout")]
            if bad:
                raise ValueError(f"retry_on {bad[0]!r}: use error or timeout")
            p.retry.attempts = retry.attempts
            p.retry.backoff = BACKOFFS.index(retry.backoff)
            p.retry.delay_ms = duration_ms(retry.delay)
            p.retry.max_delay_ms = duration_ms(retry.max_delay)
            p.retry.jitter = retry.jitter
            p.retry.retry_on = ((_lib.SYM_RETRY_ON_ERROR if "error" in retry.retry_on else 0)
                                | (_lib.SYM_RETRY_ON_TIMEOUT if "timeout" in retry.retry_on else 0))
        if trigger is not None:
            if trigger not in TRIGGERS:
                raise ValueError(f"trigger {trigger!r}: use one of {', '.join(TRIGGERS)}")
            p.trigger = TRIGGERS.index(trigger)
        if continue_on_error is not None:
            p.continue_on_error = continue_on_error
        return p

    def defaults(self, *, timeout: Optional[Duration] = None, retry: Optional[Retry] = None,
                 trigger: Optional[str] = None,
                 continue_on_error: Optional[bool] = None) -> "Builder":
        """The policy every task starts from (the file's `defaults:`)."""
        self._defaults = self._policy(self._defaults, timeout, retry, trigger, continue_on_error)
        _lib.lib().sym_builder_set_defaults(self._b, ctypes.byref(self._defaults))
        return self

    def task(self, id: str, worker: str, *, needs: Union[str, Iterable[str]] = (),
             with_: Optional[Mapping[str, Any]] = None, matrix: Optional[Mapping[str, Sequence[Any]]] = None,
             condition: Optional[str] = None, timeout: Optional[Duration] = None,
             retry: Optional[Retry] = None, trigger: Optional[str] = None,
             continue_on_error: Optional[bool] = None) -> "Builder":
        """Adds task id run by worker. needs may name tasks added later.
        with_ holds the inputs (the file's `with:`); matrix maps axis names
        to value lists; condition is the `if` text."""
        L = _lib.lib()
        index = ctypes.c_size_t()
        rc = L.sym_builder_add_task(self._b, id.encode(), worker.encode(), ctypes.byref(index))
        if rc != _lib.SYM_OK:
            return self  # kept by the builder; build() reports it
        i = index.value
        self._tasks[id] = i
        for dep in ([needs] if isinstance(needs, str) else needs):
            L.sym_builder_add_dep_id(self._b, i, dep.encode())
        for key, value in (with_ or {}).items():
            L.sym_builder_set_input(self._b, i, key.encode(), _values.from_python(value))
        for key, values in (matrix or {}).items():
            L.sym_builder_add_matrix(self._b, i, key.encode(), _values.from_python(list(values)))
        if condition is not None:
            L.sym_builder_set_condition(self._b, i, condition.encode())
        if any(x is not None for x in (timeout, retry, trigger, continue_on_error)):
            p = self._policy(self._defaults, timeout, retry, trigger, continue_on_error)
            L.sym_builder_set_policy(self._b, i, ctypes.byref(p))
        return self

    def build(self) -> Workflow:
        """Validates and compiles what was added; WorkflowError with every
        error otherwise. The builder is emptied either way and may be reused."""
        out = ctypes.c_void_p()
        self._tasks.clear()
        with _ErrorList() as err:
            rc = _lib.lib().sym_builder_build(self._b, ctypes.byref(out), err.ptr)
            if rc != _lib.SYM_OK:
                err.raise_workflow(rc)
        return Workflow(out.value)  # type: ignore[arg-type]


__all__ = ["Workflow", "Builder", "Retry", "Policy", "TaskInfo", "Duration", "duration_ms",
           "SymphonyError"]
