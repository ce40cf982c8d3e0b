"""python3 -m symphony validate|graph|run: the `symphony` command in Python.

Exit status: 0 on success, 1 when a file is invalid or a run did not
succeed, 2 on a usage error.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import Any, Dict, List, Optional

from . import Engine, Event, SymphonyError, Workflow, WorkflowError, library_version
from ._values import parse as parse_value
from .workers import register_builtins

OK, FAILED, USAGE = 0, 1, 2


def _load(path: str) -> Optional[Workflow]:
    """The workflow at path ("-" = stdin), or None after printing its errors."""
    try:
        if path == "-":
            return Workflow.from_string(sys.stdin.buffer.read(), name="<stdin>")
        return Workflow.load(path)
    except WorkflowError as e:
        for entry in e.errors:
            print(entry.text, file=sys.stderr)
        if e.dropped:
            print(f"{path}: {e.dropped} more error(s) not kept", file=sys.stderr)
        return None


def cmd_validate(args: argparse.Namespace) -> int:
    status = OK
    for path in args.files:
        wf = _load(path)
        if wf is None:
            status = FAILED
            continue
        if args.verbose:
            print(f"{'<stdin>' if path == '-' else path}: ok")
        wf.close()
    return status


def cmd_graph(args: argparse.Namespace) -> int:
    wf = _load(args.file)
    if wf is None:
        return FAILED
    with wf:
        if args.format == "json":
            print(json.dumps(wf.to_json(), indent=2))
        else:
            sys.stdout.write(wf.to_dot())
    return OK


def _params(pairs: List[str]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--param {pair!r}: use KEY=VALUE")
        out[key] = parse_value(value)
    return out


def _progress(total: int, quiet: bool) -> Any:
    lock = threading.Lock()
    counts = {"done": 0, "failed": 0}

    def observe(ev: Event) -> None:
        if quiet or ev.task_id is None:
            return
        if ev.type in ("task_succeeded", "task_failed", "task_timed_out", "task_skipped",
                       "task_upstream_failed", "task_cancelled"):
            with lock:
                counts["done"] += 1
                if ev.type != "task_succeeded" and ev.type != "task_skipped":
                    counts["failed"] += 1
                line = f"{ev.type[5:]:<16} {ev.task_id}"
                if ev.error:
                    line += f": {ev.error}"
                print(f"[{counts['done']}/{total}] {line}", file=sys.stderr, flush=True)
        elif ev.type == "task_retrying":
            print(f"retrying in {ev.delay_ms} ms: {ev.task_id}: {ev.error}", file=sys.stderr,
                  flush=True)
    return observe


def cmd_run(args: argparse.Namespace) -> int:
    try:
        params = _params(args.param)
    except ValueError as e:
        print(f"symphony run: {e}", file=sys.stderr)
        return USAGE
    wf = _load(args.file)
    if wf is None:
        return USAGE
    # A parent that ignores SIGCHLD passes that on, and the children's exit
    # statuses would be lost: as the C tool does, take the default back.
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    with wf, Engine(threads=args.threads, observer=_progress(len(wf), args.quiet)) as engine:
        register_builtins(engine)
        try:
            run = engine.start(wf, params=params)
        except SymphonyError as e:
            for entry in e.errors or [e]:
                print(f"{args.file}: {entry}", file=sys.stderr)
            return USAGE if e.errors else FAILED
        with run:
            interrupted = 0

            def on_sigint(_sig: int, _frame: Any) -> None:
                nonlocal interrupted
                interrupted += 1
                if interrupted > 1:
                    raise KeyboardInterrupt
                print("symphony: cancelling (Ctrl-C again to quit)", file=sys.stderr)
                run.cancel()
            previous = signal.signal(signal.SIGINT, on_sigint)
            try:
                run.wait()
            finally:
                signal.signal(signal.SIGINT, previous)
            report = run.report()
            if args.report:
                with open(args.report, "w", encoding="utf-8") as f:
                    json.dump(report, f, indent=2)
            if args.trace:
                with open(args.trace, "w", encoding="utf-8") as f:
                    json.dump(run.trace(), f)
            print(f"{wf.name}: {run.status} ({report['duration_ms']:.0f} ms, "
                  f"{len(report['tasks'])} tasks)", file=sys.stderr)
            return OK if run.succeeded else FAILED


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python3 -m symphony",
                                description="Workflow tool of libsymphony, in Python.")
    p.add_argument("--version", action="store_true", help="print the versions and exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    v = sub.add_parser("validate", help="check workflow files and report every error")
    v.add_argument("-v", "--verbose", action="store_true", help='print "FILE: ok" for valid files')
    v.add_argument("files", nargs="+", metavar="FILE")
    v.set_defaults(main=cmd_validate)
    g = sub.add_parser("graph", help="print the task graph of a workflow")
    g.add_argument("-f", "--format", choices=("dot", "json"), default="dot")
    g.add_argument("file", metavar="FILE")
    g.set_defaults(main=cmd_graph)
    r = sub.add_parser("run", help="run a workflow with the built-in workers noop, sleep, exec")
    r.add_argument("file", metavar="FILE")
    r.add_argument("-j", "--threads", type=int, default=0, help="pool size (default: CPUs)")
    r.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                   help="override a declared param (VALUE read as YAML)")
    r.add_argument("--report", metavar="PATH", help="write the JSON run report there")
    r.add_argument("--trace", metavar="PATH", help="write the Chrome trace there")
    r.add_argument("-q", "--quiet", action="store_true", help="no per-task lines")
    r.set_defaults(main=cmd_run)
    return p


def main(argv: Optional[List[str]] = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)  # exits 2 on a usage error
    if args.version:
        print(f"symphony (Python) 0.1.0 (libsymphony {library_version()})")
        return OK
    if not args.command:
        parser.print_usage(sys.stderr)
        return USAGE
    return int(args.main(args))


if __name__ == "__main__":
    sys.exit(main())
