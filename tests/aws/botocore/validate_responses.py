#!/usr/bin/env python3
"""Validates Lambda API responses of `lambench serve` against botocore's model of the service.

Usage: validate_responses.py OPERATION=FILE.json [...]

Each FILE holds the JSON body the service answered to OPERATION (GetFunction,
GetFunctionConfiguration, GetFunctionConcurrency, PutFunctionConcurrency, ...). Every member of
the body must exist in the operation's output shape, with the model's type: string, integer/long,
boolean, double/float, timestamp, list, map, structure, and, for strings with an enum, one of its
values; every member the model requires must be present.

The model: the Lambda service-2.json of the botocore this Python imports, and of every other
model file on the machine that is newer for a shape (the awscli package bundles its own, newer
than Debian's python3-botocore). A member that no model knows is a violation; so is an enum value
that none of the models defining that enum lists. Shapes younger than every model found here
(Debian's botocore predates LoggingConfig) are checked against SUPPLEMENT below, written from the
Lambda API reference (https://docs.aws.amazon.com/lambda/latest/api/API_LoggingConfig.html).
One line per violation on stderr; exit 1 if any, 0 otherwise; the models used on stdout.
"""
from __future__ import annotations

import glob
import gzip
import json
import os
import sys

MODEL_GLOBS = [
    "/usr/lib/python3/dist-packages/awscli/botocore/data/lambda/2015-03-31/service-2.json*",
    "/usr/lib/python3/dist-packages/botocore/data/lambda/2015-03-31/service-2.json*",
]

SUPPLEMENT = {
    # Only the members older models lack; the rest of FunctionConfiguration comes from them.
    "FunctionConfiguration": {
        "type": "structure",
        "members": {
            "LoggingConfig": {"shape": "LoggingConfig"},
            "RuntimeVersionConfig": {"shape": "RuntimeVersionConfig"},
        },
    },
    "RuntimeVersionConfig": {
        "type": "structure",
        "members": {"RuntimeVersionArn": {"shape": "RuntimeVersionArn"}},
    },
    "RuntimeVersionArn": {"type": "string", "min": 26, "max": 2048},
    "LoggingConfig": {
        "type": "structure",
        "members": {
            "LogFormat": {"shape": "LogFormat"},
            "ApplicationLogLevel": {"shape": "ApplicationLogLevel"},
            "SystemLogLevel": {"shape": "SystemLogLevel"},
            "LogGroup": {"shape": "LogGroup"},
        },
    },
    "LogFormat": {"type": "string", "enum": ["JSON", "Text"]},
    "ApplicationLogLevel": {
        "type": "string",
        "enum": ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"],
    },
    "SystemLogLevel": {"type": "string", "enum": ["DEBUG", "WARN", "INFO"]},
    "LogGroup": {"type": "string", "min": 1, "max": 512},
}


# Values Lambda itself returns although no model lists them: during an update, GetFunction answers
# LastUpdateStatusReasonCode "Creating" (with LastUpdateStatusReason "The function is being
# created."), as real responses show; the service reproduces that.
LAMBDA_RETURNS_ANYWAY = {"LastUpdateStatusReasonCode": {"Creating"}}
# Enums that grow with every release: a value younger than the models here is a note, not a fault
# (Debian's botocore predates provided.al2023).
GROWING_ENUMS = {"Runtime"}


def load(path: str) -> dict:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return json.load(f)


def models() -> list[tuple[str, dict]]:
    found = []
    try:
        import botocore

        base = os.path.join(os.path.dirname(botocore.__file__), "data/lambda/2015-03-31")
        for p in glob.glob(os.path.join(base, "service-2.json*")):
            found.append(p)
    except ImportError:
        pass
    for pattern in MODEL_GLOBS:
        found.extend(glob.glob(pattern))
    out, seen = [], set()
    for p in found:
        real = os.path.realpath(p)
        if real in seen:
            continue
        seen.add(real)
        out.append((p, load(p)))
    out.append(("supplement (Lambda API reference)", {"shapes": SUPPLEMENT, "operations": {}}))
    return out


class Checker:
    def __init__(self, all_models: list[tuple[str, dict]]):
        self.models = all_models
        self.violations: list[str] = []
        self.notes: list[str] = []

    def shape(self, name: str) -> dict | None:
        """The definition of a shape in the first model that has it (models are newest first)."""
        for _, m in self.models:
            if name in m["shapes"]:
                return m["shapes"][name]
        return None

    def enum_values(self, name: str) -> set | None:
        values, any_enum = set(), False
        for _, m in self.models:
            s = m["shapes"].get(name)
            if s and "enum" in s:
                any_enum = True
                values.update(s["enum"])
        return values if any_enum else None

    def fail(self, where: str, msg: str) -> None:
        self.violations.append(f"{where}: {msg}")

    def check(self, where: str, value, shape_name: str) -> None:
        s = self.shape(shape_name)
        if s is None:
            self.fail(where, f"shape {shape_name} is in no model")
            return
        t = s["type"]
        if t == "structure":
            if not isinstance(value, dict):
                self.fail(where, f"expected an object ({shape_name}), got {value!r}")
                return
            members = self.members(shape_name)
            for req in s.get("required", []):
                if req not in value:
                    self.fail(where, f"required member {req} missing")
            for k, v in value.items():
                if k not in members:
                    self.fail(where, f"member {k} is not in {shape_name} of any model")
                    continue
                self.check(f"{where}.{k}", v, members[k])
        elif t == "list":
            if not isinstance(value, list):
                self.fail(where, f"expected a list, got {value!r}")
                return
            for i, v in enumerate(value):
                self.check(f"{where}[{i}]", v, s["member"]["shape"])
        elif t == "map":
            if not isinstance(value, dict):
                self.fail(where, f"expected a map, got {value!r}")
                return
            for k, v in value.items():
                self.check(f"{where}[{k!r}]", k, s["key"]["shape"])
                self.check(f"{where}[{k!r}]", v, s["value"]["shape"])
        elif t == "string":
            if not isinstance(value, str):
                self.fail(where, f"expected a string, got {value!r}")
                return
            allowed = self.enum_values(shape_name)
            if allowed is not None:
                allowed |= LAMBDA_RETURNS_ANYWAY.get(shape_name, set())
            if allowed is not None and value not in allowed:
                if shape_name in GROWING_ENUMS:
                    self.notes.append(f"{where}: {value!r} is younger than the models here")
                else:
                    self.fail(where, f"{value!r} is not one of {sorted(allowed)}")
            if "min" in s and len(value) < s["min"]:
                self.fail(where, f"shorter than {s['min']}")
            if "max" in s and len(value) > s["max"]:
                self.fail(where, f"longer than {s['max']}")
        elif t in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                self.fail(where, f"expected an integer, got {value!r}")
                return
            if "min" in s and value < s["min"]:
                self.fail(where, f"{value} is below the minimum {s['min']}")
            if "max" in s and value > s["max"]:
                self.fail(where, f"{value} is above the maximum {s['max']}")
        elif t == "boolean":
            if not isinstance(value, bool):
                self.fail(where, f"expected a boolean, got {value!r}")
        elif t in ("double", "float"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.fail(where, f"expected a number, got {value!r}")
        elif t == "timestamp":
            if not isinstance(value, (str, int, float)):
                self.fail(where, f"expected a timestamp, got {value!r}")
        elif t == "blob":
            if not isinstance(value, str):
                self.fail(where, f"expected base64 text, got {value!r}")

    def members(self, shape_name: str) -> dict:
        """Member name -> shape name, over every model that defines the structure."""
        out: dict = {}
        for _, m in reversed(self.models):
            s = m["shapes"].get(shape_name)
            if s and s.get("type") == "structure":
                for k, v in s.get("members", {}).items():
                    out[k] = v["shape"]
        return out

    def output_shape(self, operation: str) -> str | None:
        for _, m in self.models:
            op = m.get("operations", {}).get(operation)
            if op:
                return op.get("output", {}).get("shape")
        return None


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    all_models = models()
    # Newest first: the model with the most shapes is taken as the newest.
    all_models.sort(key=lambda pm: -len(pm[1]["shapes"]) if pm[1].get("operations") else 0)
    for path, m in all_models:
        print(f"model: {path} ({len(m['shapes'])} shapes)")
    c = Checker(all_models)
    for arg in argv[1:]:
        op, _, path = arg.partition("=")
        with open(path) as f:
            body = json.load(f)
        out = c.output_shape(op)
        if out is None:
            if body not in ({}, None):
                c.fail(op, "the operation has no output shape, yet the body is not empty")
            continue
        c.check(op, body, out)
    for n in c.notes:
        print(f"note: {n}")
    for v in c.violations:
        print(v, file=sys.stderr)
    return 1 if c.violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
