#!/usr/bin/env python3
"""hello.py - the smallest complete Python host, the twin of hello.c: load a
workflow, register its worker, run it, print the report.

    SYMPHONY_LIBRARY=build/libsymphony.so PYTHONPATH=bindings/python \\
        python3 examples/hello.py [examples/hello.yaml]
"""
import json
import sys

import symphony


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else "examples/hello.yaml"
    try:
        wf = symphony.Workflow.load(path)
    except symphony.WorkflowError as e:
        print(e, file=sys.stderr)   # every error, FILE:LINE:COLUMN: message
        return 1
    with symphony.Engine() as engine:
        @engine.worker("say")
        def say(task: symphony.Task) -> dict:
            text = task.inputs.get("text")
            if text is None:
                raise symphony.FatalTaskError("input 'text' is missing")
            print(f"{task.id}: {text}")
            return {"said": text}   # the task's outputs

        run = engine.run(wf)
        print(json.dumps(run.report(), separators=(",", ":")))
        return 0 if run.succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
