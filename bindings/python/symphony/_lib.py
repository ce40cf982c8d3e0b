"""The ctypes layer: finds libsymphony, declares its structs and prototypes.

Everything here mirrors include/symphony.h one to one; the Pythonic API in
the other modules of the package is built on it. Nothing here is public.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_bool, c_char, c_char_p, c_double, c_int,
                    c_int64, c_size_t, c_uint, c_uint32, c_uint64, c_void_p)
from pathlib import Path
from typing import List, Optional, Sequence, Type, TypeVar

# Result codes (enum in symphony.h).
SYM_OK = 0
SYM_EINVAL = -1
SYM_ENOMEM = -2
SYM_EIO = -3
SYM_ESYNTAX = -4
SYM_ESCHEMA = -5
SYM_ELIMIT = -6
SYM_ENOTFOUND = -7
SYM_EEXIST = -8
SYM_ECYCLE = -9
SYM_ESTATE = -10
SYM_ETIMEDOUT = -11
SYM_ECANCELED = -12
SYM_ENOWORKER = -13
SYM_ETOOBIG = -14
SYM_EFAILED = -15
SYM_ETYPE = -16

SYM_FAIL_FATAL = 1
SYM_RETRY_ON_ERROR = 1
SYM_RETRY_ON_TIMEOUT = 2

# sym_value_type
VALUE_NULL, VALUE_BOOL, VALUE_INT, VALUE_FLOAT, VALUE_STRING, VALUE_LIST, VALUE_MAP = range(7)

NO_INDEX = ctypes.c_size_t(-1).value


class LibraryNotFoundError(OSError):
    """libsymphony could not be loaded; the message lists every place tried."""


# The mirrors of the versioned structs of symphony.h ("Versioned structs").
# Each names its C struct (_c_name_) and the version it mirrors
# (_version_; None for sym_retry_policy, which has none of its own). make()
# gives one initialised by C for that version; check_abi() compares every
# mirror with the library's own sizes and offsets when it is loaded.
METRICS_TASK_STATES = 16          # SYM_METRICS_TASK_STATES
WORKER_METRICS_NAME_ROOM = 128    # SYM_WORKER_METRICS_NAME_ROOM


class RetryPolicy(Structure):
    _c_name_ = "sym_retry_policy"
    _version_ = None
    _fields_ = [("attempts", c_uint32), ("backoff", c_int), ("delay_ms", c_int64),
                ("max_delay_ms", c_int64), ("jitter", c_bool), ("retry_on", c_uint)]


class TaskPolicy(Structure):
    _c_name_ = "sym_task_policy"
    _version_ = 1
    _fields_ = [("version", c_uint), ("timeout_ms", c_int64), ("retry", RetryPolicy),
                ("trigger", c_int), ("continue_on_error", c_bool)]


class LoadOptions(Structure):
    _c_name_ = "sym_load_options"
    _version_ = 1
    _fields_ = [("version", c_uint), ("max_file_bytes", c_size_t), ("max_depth", c_size_t),
                ("max_nodes", c_size_t), ("max_alias_nodes", c_size_t),
                ("max_scalar_bytes", c_size_t), ("max_tasks", c_size_t),
                ("max_matrix", c_size_t), ("max_errors", c_size_t)]


class TaskInfo(Structure):
    _c_name_ = "sym_task_info"
    _version_ = 1
    _fields_ = [("version", c_uint), ("id", c_char_p), ("name", c_char_p), ("worker", c_char_p),
                ("inputs", c_void_p), ("matrix", c_void_p), ("condition", c_char_p),
                ("policy", POINTER(TaskPolicy)), ("dep_count", c_size_t),
                ("succ_count", c_size_t), ("line", c_uint), ("column", c_uint)]


class Event(Structure):
    _c_name_ = "sym_event"
    _version_ = 1
    _fields_ = [("version", c_uint), ("type", c_int), ("run", c_void_p), ("run_id", c_char_p),
                ("task_id", c_char_p), ("task_index", c_size_t), ("attempt", c_int),
                ("status", c_int), ("time_ns", c_int64), ("delay_ms", c_int64),
                ("error", c_char_p)]


CLOCK_FN = CFUNCTYPE(c_int64, c_void_p)
OBSERVER_FN = CFUNCTYPE(None, POINTER(Event), c_void_p)
WORKER_FN = CFUNCTYPE(c_int, c_void_p, c_void_p)
RELEASE_FN = CFUNCTYPE(None, c_void_p)


class EngineConfig(Structure):
    _c_name_ = "sym_engine_config"
    _version_ = 1
    _fields_ = [("version", c_uint), ("threads", c_uint), ("clock", CLOCK_FN),
                ("clock_userdata", c_void_p), ("observer", OBSERVER_FN),
                ("observer_userdata", c_void_p), ("seed", c_uint64),
                ("max_output_bytes", c_size_t)]


class WorkerOptions(Structure):
    _c_name_ = "sym_worker_options"
    _version_ = 1
    _fields_ = [("version", c_uint), ("concurrency", c_uint), ("release", RELEASE_FN)]


class RunOptions(Structure):
    _c_name_ = "sym_run_options"
    _version_ = 1
    _fields_ = [("version", c_uint), ("run_id", c_char_p), ("params", c_void_p)]


class TaskResult(Structure):
    _c_name_ = "sym_task_result"
    _version_ = 1
    _fields_ = [("version", c_uint), ("id", c_char_p), ("worker", c_char_p), ("state", c_int),
                ("attempts", c_int), ("duration_ns", c_int64), ("error", c_char_p),
                ("outputs", c_void_p)]


class Metrics(Structure):
    _c_name_ = "sym_metrics"
    _version_ = 1
    _fields_ = [("version", c_uint), ("threads", c_uint), ("busy_threads", c_uint),
                ("runs_active", c_uint), ("retries", c_uint64), ("queue_depth", c_uint64),
                ("tasks", c_uint64 * METRICS_TASK_STATES)]


class WorkerMetrics(Structure):
    _c_name_ = "sym_worker_metrics"
    _version_ = 1
    _fields_ = [("version", c_uint), ("in_flight", c_uint), ("calls", c_uint64),
                ("failures", c_uint64), ("latency_sum_ns", c_uint64),
                ("latency_max_ns", c_uint64), ("name", c_char * WORKER_METRICS_NAME_ROOM)]


MIRRORS = (RetryPolicy, TaskPolicy, LoadOptions, TaskInfo, Event, EngineConfig, WorkerOptions,
           RunOptions, TaskResult, Metrics, WorkerMetrics)

S = TypeVar("S", bound=Structure)


def make(cls: Type[S]) -> S:
    """A new cls set up by its C init function for the mirror's version:
    the defaults, and the version field that every call taking it checks."""
    x = cls()
    init = getattr(lib(), f"{cls._c_name_}_init_version")
    if init(ctypes.byref(x), cls._version_) != SYM_OK:
        raise RuntimeError(f"libsymphony does not know version {cls._version_} of {cls._c_name_}")
    return x


def check_abi(lib: ctypes.CDLL, mirrors: Sequence[Type[Structure]] = MIRRORS) -> List[str]:
    """How the mirrors differ from the library's structs (empty when they
    match): every field's offset and size, and the whole size when the
    library's version is the mirror's. A newer library may have added
    fields at the end, which a mirror of an older version does not see."""
    problems: List[str] = []
    for cls in mirrors:
        name = cls._c_name_.encode()
        known = lib.sym_abi_version(name)
        want = cls._version_ if cls._version_ is not None else 1
        if known < want:
            problems.append(f"{cls._c_name_}: the library knows version {known}, "
                            f"the binding needs {want}")
            continue
        for fname, _ in cls._fields_:
            f = getattr(cls, fname)
            off = lib.sym_abi_offsetof(name, fname.encode())
            size = lib.sym_abi_sizeof(name, fname.encode())
            if (off, size) != (f.offset, f.size):
                problems.append(f"{cls._c_name_}.{fname}: offset {off}, size {size} in C; "
                                f"offset {f.offset}, size {f.size} here")
        if known == want and lib.sym_abi_sizeof(name, None) != ctypes.sizeof(cls):
            problems.append(f"{cls._c_name_}: {lib.sym_abi_sizeof(name, None)} bytes in C, "
                            f"{ctypes.sizeof(cls)} here")
    return problems


# name: (restype, argtypes). Pointers to opaque objects are c_void_p.
_P = c_void_p
_PROTOTYPES = {
    "sym_version": (c_char_p, []),
    "sym_version_number": (c_uint, []),
    "sym_release_memory": (c_size_t, []),
    "sym_strerror": (c_char_p, [c_int]),
    "sym_free": (None, [_P]),
    # the versioned structs
    "sym_abi_struct": (c_char_p, [c_size_t]),
    "sym_abi_field": (c_char_p, [c_char_p, c_size_t]),
    "sym_abi_version": (c_uint, [c_char_p]),
    "sym_abi_sizeof": (c_size_t, [c_char_p, c_char_p]),
    "sym_abi_offsetof": (c_size_t, [c_char_p, c_char_p]),
    # errors
    "sym_error_new": (_P, []),
    "sym_error_free": (None, [_P]),
    "sym_error_clear": (None, [_P]),
    "sym_error_count": (c_size_t, [_P]),
    "sym_error_dropped": (c_size_t, [_P]),
    "sym_error_code": (c_int, [_P, c_size_t]),
    "sym_error_message": (c_char_p, [_P, c_size_t]),
    "sym_error_file": (c_char_p, [_P, c_size_t]),
    "sym_error_line": (c_uint, [_P, c_size_t]),
    "sym_error_column": (c_uint, [_P, c_size_t]),
    "sym_error_text": (c_char_p, [_P, c_size_t]),
    # values
    "sym_value_type_of": (c_int, [_P]),
    "sym_value_get_bool": (c_int, [_P, POINTER(c_bool)]),
    "sym_value_get_int": (c_int, [_P, POINTER(c_int64)]),
    "sym_value_get_float": (c_int, [_P, POINTER(c_double)]),
    "sym_value_string": (_P, [_P, POINTER(c_size_t)]),
    "sym_value_count": (c_size_t, [_P]),
    "sym_value_at": (_P, [_P, c_size_t]),
    "sym_value_key_at": (c_char_p, [_P, c_size_t]),
    "sym_value_new_null": (_P, []),
    "sym_value_new_bool": (_P, [c_bool]),
    "sym_value_new_int": (_P, [c_int64]),
    "sym_value_new_float": (_P, [c_double]),
    "sym_value_new_stringn": (_P, [c_char_p, c_size_t]),
    "sym_value_new_list": (_P, []),
    "sym_value_new_map": (_P, []),
    "sym_value_list_append": (c_int, [_P, _P]),
    "sym_value_map_set": (c_int, [_P, c_char_p, _P]),
    "sym_value_free": (None, [_P]),
    "sym_value_parse": (c_int, [c_char_p, c_size_t, POINTER(_P), _P]),
    # policies
    "sym_task_policy_init_version": (c_int, [POINTER(TaskPolicy), c_uint]),
    "sym_trigger_name": (c_char_p, [c_int]),
    "sym_backoff_name": (c_char_p, [c_int]),
    # workflows
    "sym_load_options_init_version": (c_int, [POINTER(LoadOptions), c_uint]),
    "sym_workflow_load_file": (c_int, [c_char_p, POINTER(LoadOptions), POINTER(_P), _P]),
    "sym_workflow_load_buffer": (c_int, [c_char_p, c_size_t, c_char_p, POINTER(LoadOptions),
                                         POINTER(_P), _P]),
    "sym_workflow_free": (None, [_P]),
    "sym_workflow_name": (c_char_p, [_P]),
    "sym_workflow_description": (c_char_p, [_P]),
    "sym_workflow_source": (c_char_p, [_P]),
    "sym_workflow_params": (_P, [_P]),
    "sym_workflow_concurrency": (c_uint, [_P]),
    "sym_workflow_deadline_ms": (c_int64, [_P]),
    "sym_workflow_fail_fast": (c_bool, [_P]),
    "sym_workflow_worker_limit_count": (c_size_t, [_P]),
    "sym_workflow_worker_limit": (c_int, [_P, c_size_t, POINTER(c_char_p), POINTER(c_uint)]),
    "sym_workflow_task_count": (c_size_t, [_P]),
    "sym_workflow_find_task": (c_int, [_P, c_char_p, POINTER(c_size_t)]),
    "sym_task_info_init_version": (c_int, [POINTER(TaskInfo), c_uint]),
    "sym_workflow_task_info": (c_int, [_P, c_size_t, POINTER(TaskInfo)]),
    "sym_workflow_task_dep": (c_size_t, [_P, c_size_t, c_size_t]),
    "sym_workflow_task_succ": (c_size_t, [_P, c_size_t, c_size_t]),
    "sym_workflow_to_dot": (_P, [_P]),
    "sym_workflow_to_json": (_P, [_P]),
    # builder
    "sym_builder_new": (_P, [c_char_p]),
    "sym_builder_free": (None, [_P]),
    "sym_builder_set_description": (c_int, [_P, c_char_p]),
    "sym_builder_set_concurrency": (c_int, [_P, c_uint]),
    "sym_builder_set_deadline_ms": (c_int, [_P, c_int64]),
    "sym_builder_set_fail_fast": (c_int, [_P, c_bool]),
    "sym_builder_set_param": (c_int, [_P, c_char_p, _P]),
    "sym_builder_set_worker_limit": (c_int, [_P, c_char_p, c_uint]),
    "sym_builder_set_defaults": (c_int, [_P, POINTER(TaskPolicy)]),
    "sym_builder_add_task": (c_int, [_P, c_char_p, c_char_p, POINTER(c_size_t)]),
    "sym_builder_add_dep_id": (c_int, [_P, c_size_t, c_char_p]),
    "sym_builder_set_input": (c_int, [_P, c_size_t, c_char_p, _P]),
    "sym_builder_set_policy": (c_int, [_P, c_size_t, POINTER(TaskPolicy)]),
    "sym_builder_set_condition": (c_int, [_P, c_size_t, c_char_p]),
    "sym_builder_add_matrix": (c_int, [_P, c_size_t, c_char_p, _P]),
    "sym_builder_build": (c_int, [_P, POINTER(_P), _P]),
    # states and events
    "sym_task_state_name": (c_char_p, [c_int]),
    "sym_run_status_name": (c_char_p, [c_int]),
    "sym_event_type_name": (c_char_p, [c_int]),
    # engine
    "sym_engine_config_init_version": (c_int, [POINTER(EngineConfig), c_uint]),
    "sym_engine_new": (c_int, [POINTER(EngineConfig), POINTER(_P)]),
    "sym_engine_free": (None, [_P]),
    "sym_engine_set_threads": (c_int, [_P, c_uint]),
    "sym_engine_threads": (c_uint, [_P]),
    "sym_worker_options_init_version": (c_int, [POINTER(WorkerOptions), c_uint]),
    "sym_engine_register": (c_int, [_P, c_char_p, WORKER_FN, _P, POINTER(WorkerOptions)]),
    "sym_engine_unregister": (c_int, [_P, c_char_p]),
    "sym_metrics_init_version": (c_int, [POINTER(Metrics), c_uint]),
    "sym_worker_metrics_init_version": (c_int, [POINTER(WorkerMetrics), c_uint]),
    "sym_engine_metrics": (c_int, [_P, POINTER(Metrics)]),
    "sym_engine_worker_metrics": (c_int, [_P, POINTER(WorkerMetrics), c_size_t,
                                          POINTER(c_size_t)]),
    # runs
    "sym_run_options_init_version": (c_int, [POINTER(RunOptions), c_uint]),
    "sym_run_start": (c_int, [_P, _P, POINTER(RunOptions), POINTER(_P), _P]),
    "sym_run_wait": (c_int, [_P, c_int64]),
    "sym_run_cancel": (c_int, [_P]),
    "sym_run_free": (None, [_P]),
    "sym_run_get_status": (c_int, [_P]),
    "sym_run_id": (c_char_p, [_P]),
    "sym_run_params": (_P, [_P]),
    "sym_task_result_init_version": (c_int, [POINTER(TaskResult), c_uint]),
    "sym_run_task_result": (c_int, [_P, c_size_t, POINTER(TaskResult)]),
    "sym_run_report_json": (_P, [_P]),
    "sym_run_trace_json": (_P, [_P]),
    # the worker side
    "sym_task_id": (c_char_p, [_P]),
    "sym_task_worker": (c_char_p, [_P]),
    "sym_task_run_id": (c_char_p, [_P]),
    "sym_task_attempt": (c_int, [_P]),
    "sym_task_inputs": (_P, [_P]),
    "sym_task_cancelled": (c_bool, [_P]),
    "sym_task_set_output": (c_int, [_P, c_char_p, c_char_p]),
    "sym_task_set_output_value": (c_int, [_P, c_char_p, _P]),
    # Variadic; called only as (task, flags, "%s", message), which every
    # supported ABI passes like a plain call.
    "sym_task_fail_message": (c_int, [_P, c_int, c_char_p]),
}

ENV_VAR = "SYMPHONY_LIBRARY"
_NAMES = ("libsymphony.so.0", "libsymphony.so", "libsymphony.dylib")


def candidates() -> List[str]:
    """The paths tried, in order: $SYMPHONY_LIBRARY, then beside the package
    (in it, then in the folder that holds it), then the system's search."""
    found: List[str] = []
    env = os.environ.get(ENV_VAR)
    if env:
        found.append(env)
    here = Path(__file__).resolve().parent
    for folder in (here, here.parent):
        found.extend(str(folder / n) for n in _NAMES)
    system = ctypes.util.find_library("symphony")
    if system:
        found.append(system)
    return found


def _load() -> ctypes.CDLL:
    tried: List[str] = []
    env = os.environ.get(ENV_VAR)
    for path in candidates():
        from_env = env is not None and path == env
        if not from_env and os.sep in path and not os.path.exists(path):
            tried.append(f"{path} (not there)")
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            if from_env:  # an explicit choice that fails is not silently replaced
                raise LibraryNotFoundError(f"{ENV_VAR}={env} could not be loaded: {e}") from e
            tried.append(f"{path} ({e})")
            continue
        _declare(lib)
        problems = check_abi(lib)
        if problems:  # a binding and a library of different versions
            raise LibraryNotFoundError(
                f"{path} does not match this binding of libsymphony: " + "; ".join(problems))
        return lib
    if not ctypes.util.find_library("symphony"):
        tried.append("the system library path (ctypes.util.find_library('symphony') found none)")
    raise LibraryNotFoundError(
        "libsymphony not found; looked in: " + "; ".join(tried)
        + f". Set {ENV_VAR} to the path of libsymphony.so, or install it.")


def _declare(lib: ctypes.CDLL) -> None:
    for name, (restype, argtypes) in _PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes


_lib: Optional[ctypes.CDLL] = None


def lib() -> ctypes.CDLL:
    """The loaded library (loaded on first use, so importing never fails)."""
    global _lib
    if _lib is None:
        _lib = _load()
    return _lib


def text(b: Optional[bytes]) -> Optional[str]:
    """A C string as str (UTF-8, undecodable bytes replaced), None for NULL."""
    return None if b is None else b.decode("utf-8", "replace")


def take_string(ptr: Optional[int]) -> str:
    """An owned char * as str, freed with sym_free; MemoryError for NULL."""
    if not ptr:
        raise MemoryError("libsymphony: out of memory")
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        lib().sym_free(ptr)
