"""symphony: Python binding of libsymphony, an embeddable workflow engine.

    import symphony

    wf = symphony.Workflow.load("examples/nightly-etl.yaml")
    with symphony.Engine(threads=4) as engine:
        @engine.worker("http.get")
        def fetch(task):
            return {"path": "/tmp/orders.csv"}          # outputs
        ...
        run = engine.run(wf, params={"date": "2026-12-01"})
        print(run.status, run.tasks["extract"].outputs)

The shared library is found through $SYMPHONY_LIBRARY, then beside this
package, then the system's library path. Only the standard library is used.
"""
from __future__ import annotations

from ._lib import LibraryNotFoundError
from .engine import (EVENT_TYPES, RUN_STATUSES, TASK_STATES, Engine, Event, Run, Task,
                     TaskResult, WorkerMetrics, on_engine_thread)
from .errors import ErrorEntry, FatalTaskError, SymphonyError, WorkflowError, strerror
from .workflow import Builder, Policy, Retry, TaskInfo, Workflow, duration_ms

__version__ = "0.1.0"


def library_version() -> str:
    """The version of the libsymphony loaded ("0.1.0")."""
    from . import _lib
    return _lib.text(_lib.lib().sym_version()) or ""


def release_memory() -> int:
    """Unmaps the big arrays libsymphony keeps for reuse after freeing them
    (see sym_release_memory); returns how many bytes that was."""
    from . import _lib
    return int(_lib.lib().sym_release_memory())


# Tracebacks and error messages name these as symphony.X, not symphony.errors.X.
for _cls in (Engine, Event, Run, Task, TaskResult, WorkerMetrics, ErrorEntry, FatalTaskError,
             SymphonyError, WorkflowError, Builder, Policy, Retry, TaskInfo, Workflow,
             LibraryNotFoundError):
    _cls.__module__ = __name__
del _cls

__all__ = ["Builder", "Engine", "ErrorEntry", "Event", "EVENT_TYPES", "FatalTaskError",
           "LibraryNotFoundError", "Policy", "Retry", "Run", "RUN_STATUSES", "SymphonyError",
           "Task", "TaskInfo", "TaskResult", "TASK_STATES", "WorkerMetrics", "Workflow",
           "WorkflowError", "duration_ms", "library_version", "on_engine_thread",
           "release_memory", "strerror"]
