#!/usr/bin/env python3
"""pipeline.py - a small data pipeline in Python with params and outputs.

extract reads one day of (generated) orders, transform cleans each region
in parallel (a matrix), load sums them, and report prints a summary. The
day and regions are params with defaults in the workflow, overridden per
run (`engine.run(wf, params=...)`); each stage publishes its results as
outputs, which the run's report shows.

Until data flow lands in the engine, a later stage cannot yet read an
earlier one's outputs through `${{ tasks.ID.outputs.KEY }}`; here the
stages pass rows through a dict keyed by run id, and the workers get the
params from the host. The workflow already says where those values will
come from.

    SYMPHONY_LIBRARY=build/libsymphony.so PYTHONPATH=bindings/python \\
        python3 examples/pipeline.py [DAY]
"""
import random
import sys
import threading
from typing import Any, Dict, List

import symphony

WORKFLOW = """
symphony: 1
name: orders-pipeline
params:
  day: "2026-11-27"
  regions: [eu, us, asia]
defaults:
  retry: { attempts: 3, backoff: fixed, delay: 10ms }
tasks:
  extract:
    worker: extract
    with: { day: "${{ params.day }}" }
  transform:
    worker: transform
    needs: extract
    matrix: { region: "${{ params.regions }}" }
    with: { region: "${{ matrix.region }}", rows: "${{ tasks.extract.outputs.rows }}" }
  load:
    worker: load
    needs: transform
  report:
    worker: report
    needs: load
    trigger: all_done
"""


class Pipeline:
    """The workers, and the rows they pass along for each run."""

    def __init__(self, params: Dict[str, Any]) -> None:
        self.params = params
        self.lock = threading.Lock()
        self.rows: Dict[str, List[Dict[str, Any]]] = {}
        self.totals: Dict[str, float] = {}

    def extract(self, task: symphony.Task) -> Dict[str, Any]:
        rng = random.Random(self.params["day"])
        rows = [{"region": rng.choice(self.params["regions"]), "amount": rng.randint(-5, 100)}
                for _ in range(1000)]
        with self.lock:
            self.rows[task.run_id] = rows
        return {"rows": len(rows), "day": self.params["day"]}

    def transform(self, task: symphony.Task) -> Dict[str, Any]:
        region = task.id.split("=", 1)[1].rstrip("]")   # transform[region=eu]
        if task.attempt == 1 and region == "asia":
            raise ConnectionError("asia shard busy")     # retried by the policy
        good = [r["amount"] for r in self.rows[task.run_id]
                if r["region"] == region and r["amount"] >= 0]
        with self.lock:
            self.totals[region] = sum(good)
        return {"region": region, "orders": len(good), "total": sum(good)}

    def load(self, task: symphony.Task) -> Dict[str, Any]:
        return {"total": sum(self.totals.values())}

    def report(self, task: symphony.Task) -> None:
        print(f"{self.params['day']}: " + ", ".join(f"{r} {t}" for r, t in
                                                   sorted(self.totals.items())))


def main() -> int:
    wf = symphony.Workflow.from_string(WORKFLOW, name="orders-pipeline.yaml")
    overrides = {"day": sys.argv[1]} if len(sys.argv) > 1 else {}
    params = {**wf.params, **overrides}
    pipeline = Pipeline(params)
    with symphony.Engine(threads=4) as engine:
        for name in ("extract", "transform", "load", "report"):
            engine.register(name, getattr(pipeline, name))
        run = engine.run(wf, params=overrides)
        assert run.params == params
        for result in run:
            print(f"  {result.id:<22} {result.state:<10} attempts {result.attempts}  "
                  f"{result.outputs}")
        print(f"run {run.id}: {run.status}")
        return 0 if run.succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
