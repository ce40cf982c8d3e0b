"""Exceptions of the symphony package."""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence

from . import _lib


def strerror(code: int) -> str:
    """The library's description of a SYM_E* code ("out of memory")."""
    return _lib.text(_lib.lib().sym_strerror(code)) or "unknown error"


@dataclass(frozen=True)
class ErrorEntry:
    """One diagnostic: its SYM_E* code, message, and where it applies."""
    code: int
    message: str
    file: Optional[str]
    line: int
    column: int
    text: str

    @property
    def reason(self) -> str:
        """What kind of error the code says it is ("the input is not well-formed YAML")."""
        return strerror(self.code)

    def __str__(self) -> str:
        return self.text


class SymphonyError(Exception):
    """A libsymphony call failed. `code` is the SYM_E* code (negative int);
    `errors` the diagnostics the call reported, if any."""

    def __init__(self, code: int, message: Optional[str] = None,
                 errors: Sequence[ErrorEntry] = (), dropped: int = 0) -> None:
        self.code = code
        self.errors: List[ErrorEntry] = list(errors)
        self.dropped = dropped
        if message is None:
            message = "; ".join(e.text for e in self.errors) or strerror(code)
        super().__init__(message)


class WorkflowError(SymphonyError):
    """A workflow could not be loaded or built. `errors` holds every error
    found, each with file, line and column (0 where none applies)."""

    def __init__(self, code: int, errors: Sequence[ErrorEntry], dropped: int = 0) -> None:
        lines = [e.text for e in errors] or [strerror(code)]
        if dropped:
            lines.append(f"(and {dropped} more not kept)")
        super().__init__(code, "\n".join(lines), errors, dropped)


class FatalTaskError(Exception):
    """Raise from a worker to fail its task for good, whatever its retry policy."""


class _ErrorList:
    """A sym_error owned for the duration of a `with` block."""

    def __init__(self) -> None:
        self.ptr = _lib.lib().sym_error_new()
        if not self.ptr:
            raise MemoryError("libsymphony: out of memory")

    def __enter__(self) -> "_ErrorList":
        return self

    def __exit__(self, *exc: object) -> None:
        _lib.lib().sym_error_free(self.ptr)
        self.ptr = None

    def entries(self) -> List[ErrorEntry]:
        L = _lib.lib()
        out = []
        for i in range(L.sym_error_count(self.ptr)):
            out.append(ErrorEntry(code=L.sym_error_code(self.ptr, i),
                                  message=_lib.text(L.sym_error_message(self.ptr, i)) or "",
                                  file=_lib.text(L.sym_error_file(self.ptr, i)),
                                  line=L.sym_error_line(self.ptr, i),
                                  column=L.sym_error_column(self.ptr, i),
                                  text=_lib.text(L.sym_error_text(self.ptr, i)) or ""))
        return out

    def dropped(self) -> int:
        return _lib.lib().sym_error_dropped(self.ptr)

    def raise_workflow(self, code: int) -> None:
        raise WorkflowError(code, self.entries(), self.dropped())

    def raise_error(self, code: int) -> None:
        raise SymphonyError(code, None, self.entries(), self.dropped())


def check(code: int, what: str = "") -> None:
    """Raises SymphonyError for a negative SYM_E* code."""
    if code < 0:
        raise SymphonyError(code, f"{what}: {strerror(code)}" if what else strerror(code))
