#!/usr/bin/env python3
"""Checks docs/symphony.schema.json against the workflows the loader accepts
and refuses: every example and tests/data/valid workflow must pass it, and
each of the invalid workflows named below must fail it (they break rules a
schema can state: unknown keys, types, enums, names, durations, `${{` in
exec's shell text).

Needs Debian's python3-yaml and python3-jsonschema (tools/install-deps.sh).
Run from the repository root; exit status 0 when all hold.
"""
import json
import sys
from pathlib import Path

import jsonschema
import yaml

# Invalid corpus files whose fault the schema can see.
MUST_FAIL = [
    "attempts-zero", "bad-backoff", "bad-param-name", "bad-retry-on", "bad-task-id",
    "bad-task-id-long", "bad-trigger", "bad-worker-name", "bad-workflow-name",
    "duration-bad-unit", "duration-bare-number", "duration-negative", "exec-shell-template",
    "matrix-empty-axis",
    "missing-name", "missing-tasks", "missing-version", "missing-worker",
    "type-concurrency-string", "type-fail-fast-yes", "type-needs-map", "type-params-list",
    "type-root-list", "type-task-scalar", "type-tasks-list", "type-with-list",
    "type-worker-list", "type-worker-null", "unknown-key-defaults", "unknown-key-no-suggestion",
    "unknown-key-retry", "unknown-key-task", "unknown-key-top", "unsupported-version",
]


class CoreLoader(yaml.SafeLoader):
    """YAML 1.2 core schema, as the library reads it: yes/no/on/off are
    strings, not bools (PyYAML follows YAML 1.1 there)."""


CoreLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    __import__("re").compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def load(path: Path):
    return yaml.load(path.read_text(encoding="utf-8-sig"), Loader=CoreLoader)


def main() -> int:
    root = Path.cwd()
    schema = json.loads((root / "docs" / "symphony.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    bad = 0
    valid = sorted((root / "examples").glob("*.yaml")) + sorted((root / "tests/data/valid").glob("*.yaml"))
    for path in valid:
        errors = list(validator.iter_errors(load(path)))
        for e in errors:
            print(f"{path.relative_to(root)}: schema refuses a valid workflow: "
                  f"{'/'.join(map(str, e.path))}: {e.message}", file=sys.stderr)
        bad += bool(errors)
    for name in MUST_FAIL:
        path = root / "tests/data/invalid" / f"{name}.yaml"
        if validator.is_valid(load(path)):
            print(f"{path.relative_to(root)}: schema accepts an invalid workflow", file=sys.stderr)
            bad += 1
    print(f"schema: {len(valid)} valid workflows pass, {len(MUST_FAIL)} invalid ones fail"
          if not bad else f"schema: {bad} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
