#!/usr/bin/env python3
"""Writes good.jsonl: requests written by hand from the botocore models, the way lambench's
deploy/run/destroy send them. Re-run after editing: python3 make_good.py > good.jsonl"""
import json
import urllib.parse

SIG = "0123456789abcdef" * 4
DATE = "20260101T120000Z"


def rec(service, method, target, body="", ctype=None, extra=None, host=None, scope=None):
    headers = {"host": host or f"{service}.us-east-1.amazonaws.com", "x-amz-date": DATE}
    if ctype:
        headers["content-type"] = ctype
    headers.update(extra or {})
    signed = ";".join(sorted(headers))
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/{scope or service}/aws4_request, "
                                f"SignedHeaders={signed}, Signature={SIG}")
    return {"service": service, "method": method, "target": target, "headers": headers, "body": body}


def form(service, pairs, scope=None):
    return rec(service, "POST", "/", urllib.parse.urlencode(pairs), "application/x-www-form-urlencoded; charset=utf-8", scope=scope)


def amzjson(service, prefix, op, doc, version="1.1", token=None):
    extra = {"x-amz-target": f"{prefix}.{op}"}
    if token:
        extra["x-amz-security-token"] = token
    return rec(service, "POST", "/", json.dumps(doc), f"application/x-amz-json-{version}", extra)


out = [
    form("sts", [("Action", "GetCallerIdentity"), ("Version", "2011-06-15")]),
    form("ec2", [("Action", "DescribeVpcs"), ("Version", "2016-11-15"), ("Filter.1.Name", "isDefault"), ("Filter.1.Value.1", "true")]),
    form("ec2", [("Action", "DescribeSubnets"), ("Version", "2016-11-15"), ("Filter.1.Name", "vpc-id"),
                 ("Filter.1.Value.1", "vpc-0123456789abcdef0"), ("Filter.2.Name", "default-for-az"), ("Filter.2.Value.1", "true")]),
    form("cloudformation", [("Action", "CreateStack"), ("Version", "2010-05-15"), ("StackName", "lambench"),
                            ("TemplateBody", "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n"),
                            ("Parameters.member.1.ParameterKey", "VpcId"), ("Parameters.member.1.ParameterValue", "vpc-0123456789abcdef0"),
                            ("Parameters.member.2.ParameterKey", "SubnetIds"), ("Parameters.member.2.ParameterValue", "subnet-1,subnet-2"),
                            ("Capabilities.member.1", "CAPABILITY_IAM"),
                            ("Tags.member.1.Key", "lambench:stack"), ("Tags.member.1.Value", "lambench")]),
    form("cloudformation", [("Action", "DescribeStacks"), ("Version", "2010-05-15"), ("StackName", "lambench")]),
    form("cloudformation", [("Action", "DescribeStackEvents"), ("Version", "2010-05-15"), ("StackName", "lambench"), ("NextToken", "abc")]),
    form("cloudformation", [("Action", "DeleteStack"), ("Version", "2010-05-15"), ("StackName", "lambench")]),
    form("rds", [("Action", "DescribeDBInstances"), ("Version", "2014-10-31"), ("DBInstanceIdentifier", "lambench-database-1"),
                 ("MaxRecords", "20")]),
    amzjson("secretsmanager", "secretsmanager", "GetSecretValue",
            {"SecretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1234-AbCdEf"}, token="FQoGZXIvYXdzEXAMPLE"),
    rec("lambda", "POST", "/2015-03-31/functions", json.dumps({
        "FunctionName": "lambench-hello-static", "Role": "arn:aws:iam::123456789012:role/lambench-FunctionRole-1",
        "Runtime": "provided.al2023", "Handler": "bootstrap", "Code": {"ZipFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="},
        "MemorySize": 512, "Timeout": 30, "Publish": False, "Architectures": ["x86_64"],
        "Environment": {"Variables": {"LAMBENCH_COLD": "0", "PGHOST": "db.example.internal"}},
        "VpcConfig": {"SubnetIds": ["subnet-1", "subnet-2"], "SecurityGroupIds": ["sg-0123456789abcdef0"]},
        "Tags": {"lambench:stack": "lambench"}}), "application/json"),
    rec("lambda", "GET", "/2015-03-31/functions/lambench-hello-static/configuration"),
    rec("lambda", "GET", "/2015-03-31/functions/lambench-hello-static"),
    rec("lambda", "PUT", "/2015-03-31/functions/lambench-hello-static/configuration", json.dumps({
        "MemorySize": 1024, "Environment": {"Variables": {"LAMBENCH_COLD": "1"}}}), "application/json"),
    rec("lambda", "PUT", "/2015-03-31/functions/lambench-hello-static/code", json.dumps({
        "ZipFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}), "application/json"),
    rec("lambda", "POST", "/2015-03-31/functions/lambench-hello-static/invocations", '{"action":"items"}', "application/json",
        {"x-amz-invocation-type": "RequestResponse", "x-amz-log-type": "Tail"}),
    rec("lambda", "GET", "/2015-03-31/functions/?MaxItems=50&Marker=abc"),
    rec("lambda", "GET", "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Alambench-hello-static"),
    rec("lambda", "DELETE", "/2015-03-31/functions/lambench-hello-static"),
    rec("s3", "PUT", "/lambench-artifacts-123456789012/hello/static.zip", "PK\u0005\u0006" + "\u0000" * 18, "application/zip",
        {"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}, host="s3.us-east-1.amazonaws.com"),
]
for r in out:
    print(json.dumps(r))
