#!/usr/bin/env python3
"""validate_requests.py accepts the hand-written good recording and rejects each deliberately bad
request with a precise message. Run with Debian's python3 (its python3-botocore models)."""
import copy
import json
import os
import subprocess
import sys
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import validate_requests as vr  # noqa: E402

with open(os.path.join(HERE, "testdata", "good.jsonl"), encoding="utf-8") as f:
    GOOD = [json.loads(line) for line in f if line.strip()]


def find(service, needle):
    for r in GOOD:
        if r["service"] == service and (needle in r["body"] or needle in r["target"] or needle in json.dumps(r["headers"])):
            return copy.deepcopy(r)
    raise KeyError(f"{service} {needle}")


def edit_form(r, fn):
    pairs = urllib.parse.parse_qsl(r["body"], keep_blank_values=True)
    r["body"] = urllib.parse.urlencode(fn(pairs))
    return r


def edit_json(r, fn):
    doc = json.loads(r["body"])
    fn(doc)
    r["body"] = json.dumps(doc)
    return r


def violations(*records):
    return vr.validate_lines([json.dumps(r) if not isinstance(r, str) else r for r in records], "t").violations


class Good(unittest.TestCase):
    def test_the_good_recording_validates(self):
        report = vr.validate_lines([json.dumps(r) for r in GOOD], "good")
        self.assertEqual(report.violations, [])
        self.assertEqual(len(GOOD), 19)

    def test_every_service_and_protocol_is_covered(self):
        services = {r["service"] for r in GOOD}
        self.assertEqual(services, vr.SERVICES)

    def test_cli_exit_codes(self):
        good = subprocess.run([sys.executable, os.path.join(HERE, "validate_requests.py"),
                               os.path.join(HERE, "testdata", "good.jsonl")], capture_output=True, text=True)
        self.assertEqual(good.returncode, 0, good.stderr)
        self.assertIn("19 request(s), 0 violation(s)", good.stdout)
        bad = subprocess.run([sys.executable, os.path.join(HERE, "validate_requests.py"), "/dev/stdin"],
                             input="{\"service\": \"ec2\"}\n", capture_output=True, text=True)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("record field 'method' missing", bad.stderr)

    def test_expect_requires_each_listed_operation(self):
        script = os.path.join(HERE, "validate_requests.py")
        good = os.path.join(HERE, "testdata", "good.jsonl")
        ok = subprocess.run([sys.executable, script, "--expect", "lambda:Invoke,ec2:DescribeVpcs", good],
                            capture_output=True, text=True)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn("lambda:CreateFunction", ok.stdout)
        lacking = subprocess.run([sys.executable, script, "--expect", "lambda:Invoke,lambda:PublishVersion", good],
                                 capture_output=True, text=True)
        self.assertEqual(lacking.returncode, 1)
        self.assertIn("no recorded request is lambda:PublishVersion", lacking.stderr)
        self.assertNotIn("lambda:Invoke (expected", lacking.stderr)


class Bad(unittest.TestCase):
    def expect(self, record, *fragments):
        v = violations(record)
        for frag in fragments:
            self.assertTrue(any(frag in x for x in v), f"expected {frag!r} among {v}")

    # query / ec2 protocols
    def test_ec2_list_serialised_the_query_way(self):
        r = edit_form(find("ec2", "DescribeVpcs"), lambda p: [(k.replace("Filter.1", "Filter.member.1"), v) for k, v in p])
        self.expect(r, "Filter: list items are numbered from 1, got member")

    def test_ec2_member_name_not_capitalised(self):
        r = edit_form(find("ec2", "DescribeVpcs"), lambda p: [(k.replace("Filter.", "filter."), v) for k, v in p])
        self.expect(r, "filter: DescribeVpcsRequest has no member serialised as filter")

    def test_ec2_numbering_gap(self):
        r = edit_form(find("ec2", "DescribeSubnets"), lambda p: [(k.replace("Filter.1.", "Filter.3."), v) for k, v in p])
        self.expect(r, "Filter: list items must be numbered 1..2 without gaps, got [2, 3]")

    def test_ec2_boolean(self):
        r = edit_form(find("ec2", "DescribeVpcs"), lambda p: p + [("DryRun", "yes")])
        self.expect(r, "DryRun: expected boolean (true|false), got 'yes'")

    def test_query_list_without_member(self):
        r = edit_form(find("cloudformation", "CreateStack"), lambda p: [(k.replace("Parameters.member.", "Parameters."), v) for k, v in p])
        self.expect(r, "Parameters: a query list is serialised as Parameters.member.N, got Parameters.1")

    def test_query_required_member_missing(self):
        r = edit_form(find("cloudformation", "CreateStack"), lambda p: [(k, v) for k, v in p if k != "StackName"])
        self.expect(r, "required member StackName of CreateStackInput is missing")

    def test_query_unknown_member(self):
        r = edit_form(find("cloudformation", "DescribeStacks"), lambda p: p + [("StackNames", "x")])
        self.expect(r, "StackNames: DescribeStacksInput has no member serialised as StackNames")

    def test_query_wrong_version(self):
        r = edit_form(find("cloudformation", "DeleteStack"), lambda p: [(k, "2011-01-01" if k == "Version" else v) for k, v in p])
        self.expect(r, "Version must be 2010-05-15, got 2011-01-01")

    def test_query_unknown_action(self):
        r = edit_form(find("rds", "DescribeDBInstances"), lambda p: [(k, "DescribeDbInstances" if k == "Action" else v) for k, v in p])
        self.expect(r, "rds has no operation DescribeDbInstances")

    def test_query_integer(self):
        r = edit_form(find("rds", "DescribeDBInstances"), lambda p: [(k, "twenty" if k == "MaxRecords" else v) for k, v in p])
        self.expect(r, "MaxRecords: expected integer, got 'twenty'")

    def test_query_sent_as_json(self):
        r = find("sts", "GetCallerIdentity")
        r["headers"]["content-type"] = "application/x-amz-json-1.1"
        r["body"] = json.dumps({"Action": "GetCallerIdentity"})
        self.expect(r, "content-type must be application/x-www-form-urlencoded", "body is not form-encoded")

    def test_query_takes_get_only_as_post(self):
        r = find("sts", "GetCallerIdentity")
        r["method"] = "GET"
        self.expect(r, "query protocol requests are form POSTs, got GET")

    # json protocol
    def test_json_wrong_content_type_version(self):
        r = find("secretsmanager", "GetSecretValue")
        r["headers"]["content-type"] = "application/x-amz-json-1.0"
        self.expect(r, "content-type must be application/x-amz-json-1.1, got 'application/x-amz-json-1.0'")

    def test_json_wrong_target_prefix(self):
        r = find("secretsmanager", "GetSecretValue")
        r["headers"]["x-amz-target"] = "SecretsManager.GetSecretValue"
        self.expect(r, "X-Amz-Target must be secretsmanager.<Operation>")

    def test_json_unknown_operation(self):
        r = find("secretsmanager", "GetSecretValue")
        r["headers"]["x-amz-target"] = "secretsmanager.GetSecret"
        self.expect(r, "secretsmanager has no operation GetSecret")

    def test_json_required_and_type(self):
        r = edit_json(find("secretsmanager", "GetSecretValue"), lambda d: (d.pop("SecretId"), d.update(VersionId=7)))
        self.expect(r, "required member SecretId of GetSecretValueRequest is missing", "body.VersionId: expected string, got 7")

    # rest-json
    def test_rest_integer_as_string(self):
        r = edit_json(find("lambda", "provided.al2023"), lambda d: d.update(MemorySize="512"))
        self.expect(r, "body.MemorySize: expected integer, got \"512\"")

    def test_rest_out_of_range(self):
        r = edit_json(find("lambda", "provided.al2023"), lambda d: d.update(MemorySize=64))
        self.expect(r, "body.MemorySize: 64 is below the model's minimum 128")

    def test_rest_unknown_and_missing_member(self):
        r = edit_json(find("lambda", "provided.al2023"), lambda d: (d.pop("Role"), d.update(Memory=512)))
        self.expect(r, "body.Memory: CreateFunctionRequest has no member Memory",
                    "required member Role of CreateFunctionRequest is missing")

    def test_rest_nested_structure(self):
        r = edit_json(find("lambda", "provided.al2023"), lambda d: d["VpcConfig"].update(SubnetIds="subnet-1"))
        self.expect(r, "body.VpcConfig.SubnetIds: expected a list, got str")

    def test_rest_map_value_type(self):
        r = edit_json(find("lambda", "provided.al2023"), lambda d: d["Environment"]["Variables"].update(N=1))
        self.expect(r, "body.Environment.Variables.N: expected string, got 1")

    def test_rest_member_in_the_wrong_place(self):
        r = next(copy.deepcopy(x) for x in GOOD if x["method"] == "PUT" and x["target"].endswith("/configuration"))
        r = edit_json(r, lambda d: d.update(FunctionName="x"))
        self.expect(r, "body.FunctionName: UpdateFunctionConfigurationRequest.FunctionName belongs in the uri, not the body")

    def test_rest_no_such_path(self):
        r = find("lambda", "/2015-03-31/functions/lambench-hello-static/invocations")
        r["target"] = "/2015-03-31/function/lambench-hello-static/invocations"
        self.expect(r, "no lambda operation has POST /2015-03-31/function/lambench-hello-static/invocations")

    def test_rest_unknown_query_parameter(self):
        r = find("lambda", "MaxItems")
        r["target"] = "/2015-03-31/functions/?Limit=5"
        self.expect(r, "query parameter Limit is not a member of ListFunctionsRequest")

    def test_rest_header_type(self):
        r = find("s3", "UNSIGNED-PAYLOAD")
        r["headers"]["content-length"] = "22 bytes"
        self.expect(r, "header Content-Length: expected long, got '22 bytes'")

    def test_rest_wrong_method(self):
        r = find("lambda", "/2015-03-31/functions/lambench-hello-static/configuration")
        r["method"] = "POST"
        self.expect(r, "no lambda operation has POST /2015-03-31/functions/lambench-hello-static/configuration")

    # signatures and malformed records
    def test_signed_for_the_wrong_service(self):
        r = find("secretsmanager", "GetSecretValue")
        r["headers"]["authorization"] = r["headers"]["authorization"].replace("/secretsmanager/", "/secrets/")
        self.expect(r, "signed for service 'secrets', the model's signing name is 'secretsmanager'")

    def test_unsigned(self):
        r = find("ec2", "DescribeVpcs")
        del r["headers"]["authorization"]
        self.expect(r, "Authorization is not a SigV4 header")

    def test_session_token_not_signed(self):
        r = find("secretsmanager", "GetSecretValue")
        r["headers"]["authorization"] = r["headers"]["authorization"].replace(";x-amz-security-token", "")
        self.expect(r, "x-amz-security-token is sent but not signed")

    def test_malformed_records(self):
        v = violations("not json", {"service": "dynamodb", "method": "POST", "target": "/", "headers": {}, "body": ""},
                       {"service": "ec2", "method": "POST", "target": "/", "headers": {"Host": "x"}, "body": ""}, [1, 2])
        self.assertTrue(any("t:1: not JSON" in x for x in v), v)
        self.assertTrue(any("t:2: unknown service 'dynamodb'" in x for x in v), v)
        self.assertTrue(any("t:3: header names must be recorded in lower case" in x for x in v), v)
        self.assertTrue(any("t:4: a record is a JSON object" in x for x in v), v)

    def test_hostile_form_does_not_crash(self):
        for body in ["Action=DescribeVpcs&Version=2016-11-15&Filter.1=x&Filter.1.Name=y",
                     "Action=DescribeVpcs&Version=2016-11-15&Filter=&Filter.1.Name=y",
                     "Action=DescribeVpcs&Version=2016-11-15&Filter.0.Name=y&Filter.x.Name=z",
                     "Action=DescribeVpcs&Version=2016-11-15&" + "A." * 1000 + "B=1",
                     "%%%", "Action=DescribeVpcs&Action=DescribeVpcs"]:
            r = find("ec2", "DescribeVpcs")
            r["body"] = body
            self.assertTrue(violations(r), body)


if __name__ == "__main__":
    unittest.main()
