"""sym_value trees to Python values and back.

null, bool, int, float, string, list and map become None, bool, int, float,
str, list and dict (insertion order kept); the way back accepts the same
types (tuples as lists; map keys must be str).
"""
from __future__ import annotations

import ctypes

from typing import Any, Dict, Optional

from . import _lib

Value = Any  # None | bool | int | float | str | list | dict, nested


def to_python(ptr: Optional[int]) -> Value:
    """A copy of the borrowed value at ptr as plain Python values (None for NULL)."""
    if not ptr:
        return None
    L = _lib.lib()
    t = L.sym_value_type_of(ptr)
    if t == _lib.VALUE_NULL:
        return None
    if t == _lib.VALUE_BOOL:
        b = ctypes.c_bool()
        L.sym_value_get_bool(ptr, ctypes.byref(b))
        return b.value
    if t == _lib.VALUE_INT:
        i = ctypes.c_int64()
        L.sym_value_get_int(ptr, ctypes.byref(i))
        return i.value
    if t == _lib.VALUE_FLOAT:
        f = ctypes.c_double()
        L.sym_value_get_float(ptr, ctypes.byref(f))
        return f.value
    if t == _lib.VALUE_STRING:
        n = ctypes.c_size_t()
        s = L.sym_value_string(ptr, ctypes.byref(n))
        return ctypes.string_at(s, n.value).decode("utf-8", "replace")
    count = L.sym_value_count(ptr)
    if t == _lib.VALUE_LIST:
        return [to_python(L.sym_value_at(ptr, i)) for i in range(count)]
    out: Dict[str, Value] = {}
    for i in range(count):
        key = _lib.text(L.sym_value_key_at(ptr, i)) or ""
        out[key] = to_python(L.sym_value_at(ptr, i))
    return out


def from_python(v: Value) -> int:
    """A new owned sym_value for v (free with sym_value_free unless handed
    on). TypeError for a type with no value form, ValueError for a string
    that is not valid UTF-8 text."""
    L = _lib.lib()
    if v is None:
        p = L.sym_value_new_null()
    elif isinstance(v, bool):
        p = L.sym_value_new_bool(v)
    elif isinstance(v, int):
        if not -2**63 <= v < 2**63:
            raise ValueError(f"integer {v} does not fit in 64 bits")
        p = L.sym_value_new_int(v)
    elif isinstance(v, float):
        p = L.sym_value_new_float(v)
    elif isinstance(v, str):
        b = v.encode("utf-8", "surrogatepass")
        p = L.sym_value_new_stringn(b, len(b))
        if not p:
            raise ValueError(f"string {v!r} is not valid UTF-8 text")
    elif isinstance(v, (list, tuple)):
        p = L.sym_value_new_list()
        if not p:
            raise MemoryError("libsymphony: out of memory")
        try:
            for item in v:
                rc = L.sym_value_list_append(p, from_python(item))  # takes ownership
                if rc != _lib.SYM_OK:
                    raise MemoryError("libsymphony: out of memory")
        except BaseException:
            L.sym_value_free(p)
            raise
        return p
    elif isinstance(v, dict):
        p = L.sym_value_new_map()
        if not p:
            raise MemoryError("libsymphony: out of memory")
        try:
            for key, item in v.items():
                if not isinstance(key, str):
                    raise TypeError(f"map keys must be str, not {type(key).__name__}")
                rc = L.sym_value_map_set(p, key.encode(), from_python(item))
                if rc != _lib.SYM_OK:
                    raise ValueError(f"map key {key!r} refused")
        except BaseException:
            L.sym_value_free(p)
            raise
        return p
    else:
        raise TypeError(f"{type(v).__name__} has no workflow value form "
                        "(use None, bool, int, float, str, list or dict)")
    if not p:
        raise MemoryError("libsymphony: out of memory")
    return p


class Owned:
    """An owned sym_value for a `with` block: freed at its end unless taken."""

    def __init__(self, v: Value) -> None:
        self.ptr: Optional[int] = from_python(v)

    def take(self) -> int:
        p, self.ptr = self.ptr, None
        assert p is not None
        return p

    def __enter__(self) -> "Owned":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.ptr:
            _lib.lib().sym_value_free(self.ptr)
            self.ptr = None




def parse(text: str) -> Value:
    """text read as one YAML value (`42`, `true`, `[1, 2]`, `{a: b}`, or a
    plain string), as the library reads `--param KEY=VALUE`. ValueError
    when it is not one."""
    from .errors import _ErrorList
    data = text.encode("utf-8")
    out = ctypes.c_void_p()
    with _ErrorList() as err:
        rc = _lib.lib().sym_value_parse(data, len(data), ctypes.byref(out), err.ptr)
        if rc != _lib.SYM_OK:
            raise ValueError("; ".join(e.text for e in err.entries()) or f"cannot read {text!r}")
    try:
        return to_python(out.value)
    finally:
        _lib.lib().sym_value_free(out.value)
