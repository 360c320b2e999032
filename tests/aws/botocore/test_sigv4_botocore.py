#!/usr/bin/env python3
"""lambench's SigV4 signer (src/aws/sigv4.*, through the test-only aws_sigv4_sign executable)
against botocore's SigV4Auth / S3SigV4Auth: the same request and time must give the same
Authorization header, byte for byte, and the same X-Amz-Date / X-Amz-Security-Token headers.
Usage: test_sigv4_botocore.py PATH/TO/aws_sigv4_sign"""
import datetime
import json
import os
import subprocess
import sys
import types
import unittest
import urllib.parse
from unittest import mock

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SIGNER = None
HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE = os.path.join(HERE, "..", "..", "..", "deploy", "aws", "template.yaml")
WHEN = datetime.datetime(2026, 1, 1, 12, 0, 0)
AK, SK = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJGMEQCIEXAMPLE+token/with=chars"


class _FixedDatetime(datetime.datetime):
    @classmethod
    def utcnow(cls):
        return WHEN

    @classmethod
    def now(cls, tz=None):
        return WHEN.replace(tzinfo=tz) if tz else WHEN


def botocore_sign(method, host, path, query, headers, body, service, region, token=None, s3=False):
    url = f"https://{host}{path}" + (f"?{query}" if query else "")
    req = AWSRequest(method=method, url=url, headers=dict(headers), data=body.encode())
    auth_cls = botocore.auth.S3SigV4Auth if s3 else botocore.auth.SigV4Auth
    auth = auth_cls(Credentials(AK, SK, token), service, region)
    shim = types.SimpleNamespace(datetime=_FixedDatetime, timezone=datetime.timezone)
    # The signing time: botocore 1.29 (Debian) calls datetime.datetime.utcnow(), newer ones
    # botocore.auth.get_current_datetime().
    with mock.patch.object(botocore.auth, "datetime", shim), \
         mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: WHEN, create=True):
        auth.add_auth(req)
    return req.headers


def lambench_sign(method, host, path, query, headers, body, service, region, token=None, s3=False):
    spec = {"method": method, "path": path, "query": query, "body": body,
            "headers": [["Host", host]] + [[k, v] for k, v in headers],
            "region": region, "service": service, "access_key_id": AK, "secret_access_key": SK,
            "session_token": token or "", "time": WHEN.strftime("%Y%m%dT%H%M%SZ")}
    if s3:
        spec.update(normalize_path=False, double_encode_path=False, sign_body=True)
    out = subprocess.run([SIGNER], input=json.dumps(spec), capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


class Compare(unittest.TestCase):
    def compare(self, method, host, path, query, headers, body, service, region="us-east-1", token=None, s3=False):
        theirs = botocore_sign(method, host, path, query, headers, body, service, region, token, s3)
        ours = lambench_sign(method, host, path, query, headers, body, service, region, token, s3)
        self.assertEqual(ours["authorization"], theirs["Authorization"],
                         f"\nlambench canonical request:\n{ours['canonical_request']}")
        added = dict(ours["add_headers"])
        self.assertEqual(added.get("X-Amz-Date"), theirs["X-Amz-Date"])
        self.assertEqual(added.get("X-Amz-Security-Token"), theirs.get("X-Amz-Security-Token"))
        if s3:
            self.assertEqual(added.get("x-amz-content-sha256"), theirs["X-Amz-Content-SHA256"])
        return ours

    def test_lambda_invoke(self):
        self.compare("POST", "lambda.us-east-1.amazonaws.com", "/2015-03-31/functions/lambench-hello-static/invocations", "",
                     [("Content-Type", "application/json"), ("X-Amz-Invocation-Type", "RequestResponse"),
                      ("X-Amz-Log-Type", "Tail")], '{"action":"items","n":1}', "lambda")

    def test_lambda_list_with_query_and_arn_path(self):
        self.compare("GET", "lambda.eu-west-1.amazonaws.com", "/2015-03-31/functions/", "MaxItems=50&Marker=a%2Fb%3D%3D",
                     [], "", "lambda", region="eu-west-1")
        arn = urllib.parse.quote("arn:aws:lambda:eu-west-1:123456789012:function:lambench-hello-static", safe="")
        self.compare("GET", "lambda.eu-west-1.amazonaws.com", f"/2017-03-31/tags/{arn}", "", [], "", "lambda", region="eu-west-1")

    def test_ec2_describe_vpcs_form_post(self):
        body = "Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=isDefault&Filter.1.Value.1=true"
        self.compare("POST", "ec2.us-east-1.amazonaws.com", "/", "",
                     [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], body, "ec2")

    def test_cloudformation_create_stack_with_large_template_body(self):
        with open(TEMPLATE, encoding="utf-8") as f:
            template = f.read()
        self.assertGreater(len(template), 4000)
        body = urllib.parse.urlencode([("Action", "CreateStack"), ("Version", "2010-05-15"), ("StackName", "lambench"),
                                       ("TemplateBody", template), ("Capabilities.member.1", "CAPABILITY_IAM"),
                                       ("Parameters.member.1.ParameterKey", "SubnetIds"),
                                       ("Parameters.member.1.ParameterValue", "subnet-1,subnet-2")])
        self.compare("POST", "cloudformation.ap-southeast-2.amazonaws.com", "/", "",
                     [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], body, "cloudformation",
                     region="ap-southeast-2", token=TOKEN)

    def test_secretsmanager_json_with_session_token(self):
        ours = self.compare("POST", "secretsmanager.us-east-1.amazonaws.com", "/", "",
                            [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "secretsmanager.GetSecretValue")],
                            json.dumps({"SecretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbC"}),
                            "secretsmanager", token=TOKEN)
        self.assertIn("x-amz-security-token", ours["authorization"])

    def test_sts_and_rds_query(self):
        self.compare("POST", "sts.amazonaws.com", "/", "", [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
                     "Action=GetCallerIdentity&Version=2011-06-15", "sts")
        self.compare("POST", "rds.us-east-1.amazonaws.com", "/", "", [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
                     "Action=DescribeDBInstances&Version=2014-10-31&DBInstanceIdentifier=lambench-db", "rds", token=TOKEN)

    def test_header_values_with_runs_of_spaces(self):
        self.compare("POST", "lambda.us-east-1.amazonaws.com", "/2015-03-31/functions/f/invocations", "",
                     [("Content-Type", "application/json"), ("X-Amz-Client-Context", "  a   b  c ")], "{}", "lambda")

    def test_s3_put_object(self):
        self.compare("PUT", "s3.us-east-1.amazonaws.com", "/lambench-artifacts/hello%20world/static.zip", "",
                     [("Content-Type", "application/zip")], "PK\x05\x06" + "\x00" * 18, "s3", s3=True)

    def test_a_different_request_gives_a_different_signature(self):
        # The comparison can fail: one byte of body changes botocore's signature and ours alike.
        a = lambench_sign("POST", "ec2.us-east-1.amazonaws.com", "/", "", [], "Action=DescribeVpcs", "ec2", "us-east-1")
        b = botocore_sign("POST", "ec2.us-east-1.amazonaws.com", "/", "", [], "Action=DescribeVpcz", "ec2", "us-east-1")
        self.assertNotEqual(a["authorization"], b["Authorization"])


if __name__ == "__main__":
    if len(sys.argv) < 2 or not os.access(sys.argv[1], os.X_OK):
        sys.exit("usage: test_sigv4_botocore.py PATH/TO/aws_sigv4_sign")
    SIGNER = sys.argv.pop(1)
    unittest.main()
