"""Helpers shared by the binding's tests."""
from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE_ROOT = HERE.parent              # bindings/python
REPO = PACKAGE_ROOT.parent.parent       # the repository root
EXAMPLES = REPO / "examples"
DATA = REPO / "tests" / "data"

if str(PACKAGE_ROOT) not in sys.path:
    sys.path.insert(0, str(PACKAGE_ROOT))

# Without SYMPHONY_LIBRARY, use the plain build of this checkout.
if "SYMPHONY_LIBRARY" not in os.environ and (REPO / "build" / "libsymphony.so").exists():
    os.environ["SYMPHONY_LIBRARY"] = str(REPO / "build" / "libsymphony.so")


def rss_kib() -> int:
    """This process's resident set size in KiB (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def yaml(text: str) -> str:
    return text.strip("\n") + "\n"
