#!/usr/bin/env python3
"""Validates recorded AWS requests against the service models botocore ships.

Usage: validate_requests.py [--expect SERVICE:OP,...] RECORD.jsonl [...]

Each line of a recording is one request as lambench sent it to a test HTTP server:
  {"service": "ec2|cloudformation|rds|secretsmanager|sts|lambda|s3", "method": "POST",
   "target": "/path?query", "headers": {"lowercase-name": "value"}, "body": "text"}

For each request the operation is found in botocore's model of that service
(botocore/data/<service>/<version>/service-2.json) by the protocol's own rules, then:
  - query and ec2 protocols: a form POST with Action (an operation) and Version (the model's);
    parameters serialised the protocol's way (query: List.member.N, Map.entry.N.key; ec2:
    Filter.N.Name, member names capitalised or their queryName);
  - json: POST /, X-Amz-Target = <targetPrefix>.<Operation>, Content-Type
    application/x-amz-json-<jsonVersion>, a JSON object body;
  - rest-json / rest-xml: method and path match the operation's requestUri template; members in
    the path, query string, headers and body where the model places them;
  - every required member is present, every member name exists, every value has the model's type
    (string, integer/long, boolean, double/float, timestamp, blob, list, map, structure);
  - the request is signed with SigV4 for the model's signing name.
With --expect, each listed operation (e.g. lambda:Invoke) must occur in the recordings, so that
a recording that lost some of its calls fails instead of passing with less to check.
One line per violation on stderr; exit 1 if any, 0 otherwise. An enum value the model does not
list is reported as a note only (the model in Debian's botocore is older than some values
lambench must send, e.g. the provided.al2023 runtime).
"""
from __future__ import annotations

import base64
import json
import re
import sys
import urllib.parse
from dataclasses import dataclass, field

import botocore.session

SERVICES = {"ec2", "cloudformation", "rds", "secretsmanager", "sts", "lambda", "s3"}
_session = botocore.session.get_session()
_models: dict = {}


def service_model(name: str):
    if name not in _models:
        _models[name] = _session.get_service_model(name)
    return _models[name]


@dataclass
class Report:
    violations: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    operations: set = field(default_factory=set)  # "service:Operation" of the requests seen


class Checker:
    """Checks one request; messages are prefixed with where the request came from."""

    def __init__(self, where: str, report: Report):
        self.where = where
        self.report = report

    def bad(self, msg: str):
        self.report.violations.append(f"{self.where}: {msg}")

    def note(self, msg: str):
        self.report.notes.append(f"{self.where}: {msg}")

    # ---- typed values (JSON bodies) ---------------------------------------------------------
    def json_value(self, shape, value, path: str):
        t = shape.type_name
        if t == "structure":
            if not isinstance(value, dict):
                return self.bad(f"{path}: expected a structure ({shape.name}), got {type(value).__name__}")
            members = shape.members
            for k, v in value.items():
                if k not in members:
                    self.bad(f"{path}.{k}: {shape.name} has no member {k}")
                else:
                    self.json_value(members[k], v, f"{path}.{k}")
            for r in shape.required_members:
                if r not in value:
                    self.bad(f"{path}: required member {r} of {shape.name} is missing")
        elif t == "list":
            if not isinstance(value, list):
                return self.bad(f"{path}: expected a list, got {type(value).__name__}")
            for i, v in enumerate(value):
                self.json_value(shape.member, v, f"{path}[{i}]")
        elif t == "map":
            if not isinstance(value, dict):
                return self.bad(f"{path}: expected a map, got {type(value).__name__}")
            for k, v in value.items():
                self.scalar(shape.key, k, f"{path} key")
                self.json_value(shape.value, v, f"{path}.{k}")
        elif t in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                self.bad(f"{path}: expected {t}, got {json.dumps(value)}")
            else:
                self.ranges(shape, value, path)
        elif t == "boolean":
            if not isinstance(value, bool):
                self.bad(f"{path}: expected boolean, got {json.dumps(value)}")
        elif t in ("double", "float"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.bad(f"{path}: expected {t}, got {json.dumps(value)}")
        elif t == "timestamp":
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                self.bad(f"{path}: expected timestamp, got {json.dumps(value)}")
            elif isinstance(value, str):
                self.scalar(shape, value, path)
        elif t in ("string", "blob"):
            if not isinstance(value, str):
                return self.bad(f"{path}: expected {t}, got {json.dumps(value)}")
            self.scalar(shape, value, path)
        else:
            self.bad(f"{path}: shape type {t} not handled")

    # ---- scalars from text (query strings, headers, path segments, JSON strings) ------------
    def scalar(self, shape, text: str, path: str):
        t = shape.type_name
        if t in ("integer", "long"):
            if not re.fullmatch(r"-?\d+", text):
                return self.bad(f"{path}: expected {t}, got {text!r}")
            self.ranges(shape, int(text), path)
        elif t == "boolean":
            if text not in ("true", "false"):
                self.bad(f"{path}: expected boolean (true|false), got {text!r}")
        elif t in ("double", "float"):
            try:
                float(text)
            except ValueError:
                self.bad(f"{path}: expected {t}, got {text!r}")
        elif t == "timestamp":
            if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)|\d+(\.\d+)?", text):
                self.bad(f"{path}: expected an ISO 8601 timestamp, got {text!r}")
        elif t == "blob":
            try:
                base64.b64decode(text, validate=True)
            except ValueError:
                self.bad(f"{path}: expected base64 (blob), got {text[:40]!r}")
        elif t == "string":
            enum = shape.enum
            if enum and text not in enum:
                self.note(f"{path}: {text!r} is not in the model's enum {shape.name} (newer than this botocore?)")
            m = shape.metadata
            if "min" in m and len(text) < m["min"]:
                self.bad(f"{path}: shorter than the model's minimum length {m['min']}")
            if "max" in m and len(text) > m["max"]:
                self.bad(f"{path}: longer than the model's maximum length {m['max']}")
            if "pattern" in m and shape.name not in ("Arn",):
                try:
                    if not re.fullmatch(m["pattern"], text, re.S):
                        self.bad(f"{path}: {text[:60]!r} does not match the model's pattern {m['pattern']}")
                except re.error:
                    pass  # Java-flavoured patterns Python cannot compile: not checked
        else:
            self.bad(f"{path}: a {t} cannot be written as a scalar")

    def ranges(self, shape, n: int, path: str):
        m = shape.metadata
        if "min" in m and n < m["min"]:
            self.bad(f"{path}: {n} is below the model's minimum {m['min']}")
        if "max" in m and n > m["max"]:
            self.bad(f"{path}: {n} is above the model's maximum {m['max']}")

    # ---- query / ec2 form parameters ---------------------------------------------------------
    def form_value(self, shape, node, path: str, ec2: bool):
        """node: a str (leaf) or a dict of the next dotted segments."""
        t = shape.type_name
        if t == "structure":
            if not isinstance(node, dict):
                if node == "" and not shape.required_members:
                    return
                return self.bad(f"{path}: expected a structure ({shape.name}), got the value {node!r}")
            names = {}
            for mname, mshape in shape.members.items():
                names[self.form_name(mname, mshape, ec2)] = (mname, mshape)
            for k, sub in node.items():
                if k not in names:
                    self.bad(f"{path}{'.' if path else ''}{k}: {shape.name} has no member serialised as {k}")
                    continue
                self.form_value(names[k][1], sub, f"{path}{'.' if path else ''}{k}", ec2)
            present = {names[k][0] for k in node if k in names}
            for r in shape.required_members:
                if r not in present:
                    self.bad(f"{path or 'request'}: required member {r} of {shape.name} is missing "
                             f"(as {self.form_name(r, shape.members[r], ec2)})")
        elif t == "list":
            if node == "":
                return  # an empty list is sent as "Name="
            if not isinstance(node, dict):
                return self.bad(f"{path}: expected a list ({'Name.N' if ec2 else 'Name.member.N'}), got the value {node!r}")
            items = node
            flattened = ec2 or shape.serialization.get("flattened")
            if not flattened:
                wrapper = shape.member.serialization.get("name", "member")
                if set(node) != {wrapper}:
                    return self.bad(f"{path}: a query list is serialised as {path}.{wrapper}.N, got {path}.{next(iter(node))}")
                items = node[wrapper]
                if not isinstance(items, dict):
                    return self.bad(f"{path}.{wrapper}: expected indexed items")
            self.indexed(items, path + ("" if flattened else "." + shape.member.serialization.get("name", "member")),
                         lambda sub, p: self.form_value(shape.member, sub, p, ec2))
        elif t == "map":
            if not isinstance(node, dict):
                return self.bad(f"{path}: expected a map, got the value {node!r}")
            items = node if shape.serialization.get("flattened") else node.get("entry")
            if not isinstance(items, dict):
                return self.bad(f"{path}: a query map is serialised as {path}.entry.N.key / .value")
            kname = shape.key.serialization.get("name", "key")
            vname = shape.value.serialization.get("name", "value")

            def entry(sub, p):
                if not isinstance(sub, dict) or set(sub) - {kname, vname} or kname not in sub:
                    return self.bad(f"{p}: a map entry has {kname} and {vname}")
                self.form_value(shape.key, sub[kname], f"{p}.{kname}", ec2)
                if vname in sub:
                    self.form_value(shape.value, sub[vname], f"{p}.{vname}", ec2)
            self.indexed(items, path + ("" if shape.serialization.get("flattened") else ".entry"), entry)
        else:
            if isinstance(node, dict):
                return self.bad(f"{path}: expected a {t}, got nested parameters {path}.{next(iter(node))}")
            self.scalar(shape, node, path)

    def indexed(self, items: dict, path: str, each):
        keys = list(items)
        if not all(re.fullmatch(r"[1-9]\d*", k) for k in keys):
            return self.bad(f"{path}: list items are numbered from 1, got {', '.join(k for k in keys if not k.isdigit())}")
        nums = sorted(int(k) for k in keys)
        if nums != list(range(1, len(nums) + 1)):
            self.bad(f"{path}: list items must be numbered 1..{len(nums)} without gaps, got {nums}")
        for k in sorted(keys, key=int):
            each(items[k], f"{path}.{k}")

    @staticmethod
    def form_name(name: str, shape, ec2: bool) -> str:
        ser = shape.serialization
        if ec2:
            if "queryName" in ser:
                return ser["queryName"]
            n = ser.get("name", name)
            return n[0].upper() + n[1:]
        return ser.get("name", name)


def form_tree(params: list, checker: Checker) -> dict:
    tree: dict = {}
    for key, value in params:
        node = tree
        parts = key.split(".")
        ok = True
        for p in parts[:-1]:
            nxt = node.setdefault(p, {})
            if not isinstance(nxt, dict):
                checker.bad(f"{key}: conflicts with the parameter {p}={nxt!r}")
                ok = False
                break
            node = nxt
        if not ok:
            continue
        if parts[-1] in node:
            checker.bad(f"{key}: given twice")
            continue
        node[parts[-1]] = value
    return tree


def check_signature(rec: dict, model, checker: Checker):
    auth = rec["headers"].get("authorization", "")
    m = re.match(r"AWS4-HMAC-SHA256 Credential=[^/]+/(\d{8})/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request, "
                 r"SignedHeaders=([a-z0-9;.-]+), Signature=[0-9a-f]{64}$", auth)
    if not m:
        return checker.bad(f"Authorization is not a SigV4 header: {auth[:80]!r}")
    signing = model.metadata.get("signingName", model.metadata.get("endpointPrefix"))
    if m.group(3) != signing:
        checker.bad(f"signed for service {m.group(3)!r}, the model's signing name is {signing!r}")
    signed = m.group(4).split(";")
    for h in ("host", "x-amz-date"):
        if h not in signed:
            checker.bad(f"SignedHeaders lacks {h}")
    if "x-amz-security-token" in rec["headers"] and "x-amz-security-token" not in signed and rec["service"] != "s3":
        checker.bad("x-amz-security-token is sent but not signed")
    if "x-amz-date" in rec["headers"] and not rec["headers"]["x-amz-date"].startswith(m.group(1)):
        checker.bad("the credential scope's date is not X-Amz-Date's")


def check_query(rec: dict, model, checker: Checker, protocol: str):
    if rec["method"] != "POST":
        checker.bad(f"{protocol} protocol requests are form POSTs, got {rec['method']}")
    ctype = rec["headers"].get("content-type", "")
    if not ctype.startswith("application/x-www-form-urlencoded"):
        checker.bad(f"content-type must be application/x-www-form-urlencoded, got {ctype!r}")
    path, _, query = rec["target"].partition("?")
    if path != "/":
        checker.bad(f"{protocol} protocol requests go to /, got {path!r}")
    try:
        params = urllib.parse.parse_qsl(rec["body"], keep_blank_values=True, strict_parsing=bool(rec["body"]))
        params += urllib.parse.parse_qsl(query, keep_blank_values=True)
    except ValueError as e:
        return checker.bad(f"body is not form-encoded: {e}")
    action = [v for k, v in params if k == "Action"]
    version = [v for k, v in params if k == "Version"]
    if len(action) != 1:
        return checker.bad("no Action parameter" if not action else "Action given twice")
    if action[0] not in model.operation_names:
        return checker.bad(f"{model.service_name} has no operation {action[0]}")
    checker.where += f" ({model.service_name} {action[0]})"
    checker.report.operations.add(f"{model.service_name}:{action[0]}")
    if version != [model.api_version]:
        checker.bad(f"Version must be {model.api_version}, got {version[0] if version else 'none'}")
    op = model.operation_model(action[0])
    rest = [(k, v) for k, v in params if k not in ("Action", "Version")]
    tree = form_tree(rest, checker)
    if op.input_shape is None:
        if tree:
            checker.bad(f"{action[0]} takes no parameters, got {', '.join(tree)}")
        return
    checker.form_value(op.input_shape, tree, "", protocol == "ec2")


def check_json(rec: dict, model, checker: Checker):
    target = rec["headers"].get("x-amz-target", "")
    prefix = model.metadata["targetPrefix"] + "."
    if not target.startswith(prefix):
        return checker.bad(f"X-Amz-Target must be {prefix}<Operation>, got {target!r}")
    name = target[len(prefix):]
    if name not in model.operation_names:
        return checker.bad(f"{model.service_name} has no operation {name}")
    checker.where += f" ({model.service_name} {name})"
    checker.report.operations.add(f"{model.service_name}:{name}")
    if rec["method"] != "POST" or rec["target"] != "/":
        checker.bad(f"json protocol requests are POST /, got {rec['method']} {rec['target']}")
    want = f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.0')}"
    ctype = rec["headers"].get("content-type", "")
    if ctype.split(";")[0].strip() != want:
        checker.bad(f"content-type must be {want}, got {ctype!r}")
    try:
        body = json.loads(rec["body"] or "{}")
    except ValueError as e:
        return checker.bad(f"body is not JSON: {e}")
    op = model.operation_model(name)
    if op.input_shape is None:
        if body:
            checker.bad(f"{name} takes no input, got {list(body)}")
        return
    checker.json_value(op.input_shape, body, "body")


def match_uri(template: str, path: str):
    """Matches a requestUri's path part against a request path; returns {member: decoded} or None."""
    regex = ""
    names = []
    for part in re.split(r"(\{[^}]+\})", template):
        if part.startswith("{"):
            name = part[1:-1]
            greedy = name.endswith("+")
            names.append(name.rstrip("+"))
            regex += "(.+)" if greedy else "([^/]+)"
        else:
            regex += re.escape(part)
    m = re.fullmatch(regex, path)
    if not m:
        return None
    return {n: urllib.parse.unquote(v) for n, v in zip(names, m.groups())}


def check_rest(rec: dict, model, checker: Checker):
    path, _, query = rec["target"].partition("?")
    qparams = urllib.parse.parse_qsl(query, keep_blank_values=True)
    qkeys = {k for k, _ in qparams}
    candidates = []
    for name in model.operation_names:
        op = model.operation_model(name)
        if op.http["method"] != rec["method"]:
            continue
        upath, _, uquery = op.http["requestUri"].partition("?")
        got = match_uri(upath, path)
        if got is None and path.endswith("/") and len(path) > 1:
            got = match_uri(upath, path[:-1])  # older models had the slash; Lambda takes both
        if got is None:
            continue
        literal = [p.partition("=")[0] for p in uquery.split("&") if p]
        # x-id=<Operation> is a hint newer SDKs add; S3 does not need it.
        if any(k not in qkeys for k in literal if k != "x-id"):
            continue
        # Several operations may share a method and path (S3's PUT /{Bucket}/{Key+} is PutObject,
        # UploadPart and UploadPartCopy): prefer the one whose required path/query/header members
        # are all there, then the most specific template.
        missing = 0
        for mname in (op.input_shape.required_members if op.input_shape else []):
            ms = op.input_shape.members[mname]
            loc = ms.serialization.get("location")
            lname = ms.serialization.get("name", mname)
            if (loc == "querystring" and lname not in qkeys) or (loc == "header" and lname.lower() not in rec["headers"]):
                missing += 1
        specific = len(re.sub(r"\{[^}]+\}", "", upath)) + 100 * sum(k in qkeys for k in literal)
        candidates.append((-missing, specific, name, got, literal))
    if not candidates:
        return checker.bad(f"no {model.service_name} operation has {rec['method']} {path}")
    candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)
    _, _, name, uri_values, literal = candidates[0]
    checker.where += f" ({model.service_name} {name})"
    checker.report.operations.add(f"{model.service_name}:{name}")
    op = model.operation_model(name)
    shape = op.input_shape
    if shape is None:
        return
    headers = rec["headers"]
    present = set()
    body_members = {}
    payload = shape.serialization.get("payload")
    for mname, mshape in shape.members.items():
        loc = mshape.serialization.get("location")
        lname = mshape.serialization.get("name", mname)
        if loc == "uri":
            if lname in uri_values:
                present.add(mname)
                checker.scalar(mshape, uri_values[lname], f"path {{{lname}}}")
        elif loc == "querystring":
            values = [v for k, v in qparams if k == lname]
            if values:
                present.add(mname)
                if mshape.type_name == "list":
                    for v in values:
                        checker.scalar(mshape.member, v, f"query {lname}")
                else:
                    checker.scalar(mshape, values[0], f"query {lname}")
        elif loc == "header":
            if lname.lower() in headers:
                present.add(mname)
                checker.scalar(mshape, headers[lname.lower()], f"header {lname}")
        elif loc == "headers":
            if any(h.startswith(lname.lower()) for h in headers):
                present.add(mname)
        elif mname != payload:
            body_members[mname] = mshape
    known_query = {m.serialization.get("name", n) for n, m in shape.members.items()
                   if m.serialization.get("location") == "querystring"} | set(literal)
    for k in qkeys - known_query:
        checker.bad(f"query parameter {k} is not a member of {shape.name}")
    body = rec["body"]
    if payload:
        pshape = shape.members[payload]
        if body:
            present.add(payload)
            if pshape.type_name == "structure":
                try:
                    checker.json_value(pshape, json.loads(body), "body")
                except ValueError as e:
                    checker.bad(f"body is not JSON: {e}")
    elif body_members:
        try:
            doc = json.loads(body) if body else {}
        except ValueError as e:
            return checker.bad(f"body is not JSON: {e}")
        if not isinstance(doc, dict):
            return checker.bad("body must be a JSON object")
        for k, v in doc.items():
            if k in body_members:
                present.add(k)
                checker.json_value(body_members[k], v, f"body.{k}")
            elif k in shape.members:
                checker.bad(f"body.{k}: {shape.name}.{k} belongs in the "
                            f"{shape.members[k].serialization.get('location')}, not the body")
            else:
                checker.bad(f"body.{k}: {shape.name} has no member {k}")
        if body and model.metadata["protocol"] == "rest-json":
            ctype = headers.get("content-type", "")
            if not ctype.startswith("application/json") and not ctype.startswith("application/x-amz-json"):
                checker.bad(f"content-type must be application/json, got {ctype!r}")
    elif body:
        checker.bad(f"{name} has no body members, got a body of {len(body)} bytes")
    for r in shape.required_members:
        if r not in present:
            checker.bad(f"required member {r} of {shape.name} is missing")


def validate_record(rec, where: str, report: Report):
    checker = Checker(where, report)
    if not isinstance(rec, dict):
        return checker.bad("a record is a JSON object")
    for key, typ in (("service", str), ("method", str), ("target", str), ("headers", dict), ("body", str)):
        if not isinstance(rec.get(key), typ):
            return checker.bad(f"record field {key!r} missing or not a {typ.__name__}")
    if rec["service"] not in SERVICES:
        return checker.bad(f"unknown service {rec['service']!r} (expected one of {', '.join(sorted(SERVICES))})")
    if any(k != k.lower() for k in rec["headers"]):
        return checker.bad("header names must be recorded in lower case")
    model = service_model(rec["service"])
    protocol = model.metadata["protocol"]
    checker.where += f" [{protocol}]"
    if protocol in ("query", "ec2"):
        check_query(rec, model, checker, protocol)
    elif protocol == "json":
        check_json(rec, model, checker)
    elif protocol in ("rest-json", "rest-xml"):
        check_rest(rec, model, checker)
    else:
        checker.bad(f"protocol {protocol} not handled")
    check_signature(rec, model, checker)


def validate_lines(lines, name: str = "-") -> Report:
    report = Report()
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError as e:
            report.violations.append(f"{name}:{i}: not JSON: {e}")
            continue
        validate_record(rec, f"{name}:{i}", report)
    return report


def main(argv) -> int:
    args = argv[1:]
    expect = set()
    while args and args[0] == "--expect":
        if len(args) < 2:
            args = []
            break
        expect |= {op for op in args[1].split(",") if op}
        args = args[2:]
    if not args:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    total = 0
    violations = 0
    seen = set()
    for path in args:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        report = validate_lines(lines, path)
        total += sum(1 for l in lines if l.strip())
        violations += len(report.violations)
        seen |= report.operations
        for n in report.notes:
            print(f"note: {n}", file=sys.stderr)
        for v in report.violations:
            print(f"error: {v}", file=sys.stderr)
    for op in sorted(expect - seen):
        print(f"error: no recorded request is {op} (expected by --expect)", file=sys.stderr)
        violations += 1
    if expect:
        print(f"operations: {', '.join(sorted(seen))}")
    print(f"validate_requests: {total} request(s), {violations} violation(s) "
          f"(botocore {botocore.__version__} service models)")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
