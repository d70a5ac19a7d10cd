#!/usr/bin/env python3
"""Least privilege proven by execution: the Lambda role's policy, taken from the Terraform
(tests/terraform/role_policy.mjs), is attached to an IAM user in moto, which verifies SigV4
signatures and enforces IAM once its first few unauthenticated setup calls are spent. With
that user's credentials the whole contract suite must pass through the local server and
through the Lambda bootstrap on the DynamoDB store, and calls outside the policy (another
table, DeleteTable, Scan) must be denied.

moto evaluates DynamoDB permissions against "*" unless told the resource, so this harness
teaches it the request's table/index ARN (what AWS itself evaluates). It runs with the
`python3` on PATH (which has moto here); where moto is missing it says so and exits 0.
Usage: tests/terraform/moto_least_privilege.py build/tasks-api build/bootstrap
"""
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ACCOUNT, REGION, TABLE = "123456789012", "us-east-1", "tasks-moto"
# create_table, then create_user + put_user_policy + create_access_key for two users
SETUP_CALLS = 7

try:
    os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = str(SETUP_CALLS)
    import boto3
    from botocore.exceptions import ClientError
    from moto.dynamodb.responses import DynamoHandler
    from moto.server import ThreadedMotoServer
except ImportError as e:
    print(f"moto least-privilege test: SKIPPED, moto/boto3 not available to {sys.executable} ({e})")
    sys.exit(0)


def _determine_resource(self):
    try:
        body = json.loads(self.raw_body or "{}")
    except (TypeError, ValueError):
        body = {}
    arn = f"arn:aws:dynamodb:{self.region}:{self.current_account}:table/{body.get('TableName', '*')}"
    return arn + (f"/index/{body['IndexName']}" if body.get("IndexName") else "")


DynamoHandler._determine_resource = _determine_resource

# DynamoDB applies each request atomically; moto's threaded server does not serialise
# them, so two conditional writes racing on one item could both pass. One lock around
# every DynamoDB action gives the emulator the atomicity the contract's race tests need.
_dynamodb_lock = threading.Lock()
_call_action = DynamoHandler.call_action


def _atomic_call_action(self):
    with _dynamodb_lock:
        return _call_action(self)


DynamoHandler.call_action = _atomic_call_action
logging.getLogger("werkzeug").setLevel(logging.ERROR)


def run(cmd, env, what):
    r = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        sys.exit(f"moto least-privilege test: {what} failed\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}")
    return r


def main():
    tasks_api, bootstrap = sys.argv[1], sys.argv[2]
    rendered = json.loads(run(["node", os.path.join(HERE, "role_policy.mjs"), ACCOUNT, REGION, TABLE],
                              dict(os.environ), "rendering the policy").stdout)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        _, port = server.get_host_and_port()
        endpoint = f"http://127.0.0.1:{port}"
        admin = dict(endpoint_url=endpoint, region_name=REGION, aws_access_key_id="admin", aws_secret_access_key="admin")
        boto3.client("dynamodb", **admin).create_table(**rendered["createTable"])
        iam = boto3.client("iam", **admin)
        key = make_user(iam, "tasks-api-lambda", rendered["policy"])
        # a copy of the policy without Query: proves the suite notices a too-narrow policy
        narrow = json.loads(json.dumps(rendered["policy"]))
        narrow["Statement"][0]["Action"].remove("dynamodb:Query")
        narrow_key = make_user(iam, "too-narrow", narrow)
        creds = dict(AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
        user = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION,
                            aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])

        # enforcement is on: a wrong secret is refused, the policy's own calls are not
        forged = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION,
                              aws_access_key_id=key["AccessKeyId"], aws_secret_access_key="wrong")
        expect_denied("a request signed with the wrong secret", lambda: forged.get_item(TableName=TABLE, Key={"id": {"S": "x"}}))
        user.get_item(TableName=TABLE, Key={"id": {"S": "x"}})

        env = dict(os.environ, TASKS_STORE="dynamodb", TABLE_NAME=TABLE, AWS_REGION=REGION,
                   AWS_ENDPOINT_URL_DYNAMODB=endpoint, **creds)
        env.pop("AWS_SESSION_TOKEN", None)
        run(["sh", "tests/contract/run.sh", tasks_api], dict(env, STORE="dynamodb_external"), "contract suite via the server")
        run(["node", "--test", "--test-reporter=dot", "tests/contract/api.test.mjs"],
            dict(env, CONTRACT_TRANSPORT="lambda", CONTRACT_BOOTSTRAP=bootstrap), "contract suite via the Lambda door")

        expect_list_fails_without_query(tasks_api, dict(env, AWS_ACCESS_KEY_ID=narrow_key["AccessKeyId"],
                                                        AWS_SECRET_ACCESS_KEY=narrow_key["SecretAccessKey"]))
        expect_denied("Scan (the code never scans)", lambda: user.scan(TableName=TABLE))
        expect_denied("DeleteTable", lambda: user.delete_table(TableName=TABLE))
        expect_denied("PutItem on another table",
                      lambda: user.put_item(TableName="someone-elses-table", Item={"id": {"S": "x"}}))
        expect_denied("CreateTable", lambda: user.create_table(**dict(rendered["createTable"], TableName="new")))
        print("moto least-privilege test: the Terraform role policy allows the whole contract suite "
              "(server and Lambda door) and denies Scan, DeleteTable, CreateTable and other tables")
    finally:
        server.stop()


def make_user(iam, name, policy):
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="least-privilege", PolicyDocument=json.dumps(policy))
    return iam.create_access_key(UserName=name)["AccessKey"]


def expect_list_fails_without_query(tasks_api, env):
    import urllib.error
    import urllib.request
    proc = subprocess.Popen([tasks_api, "serve", "--port", "0", "--threads", "1"], env=dict(env, TASKS_DDB_MAX_ATTEMPTS="1"),
                            stderr=subprocess.PIPE, text=True)
    try:
        line = ""
        for line in proc.stderr:
            m = re.search(r"listening on (http://\S+)", line)
            if m:
                break
        else:
            sys.exit(f"moto least-privilege test: server without Query did not start: {line}")
        try:
            urllib.request.urlopen(m.group(1) + "/tasks", timeout=30)
            status = 200
        except urllib.error.HTTPError as e:
            status = e.code
        if status != 503:
            sys.exit(f"moto least-privilege test: GET /tasks without dynamodb:Query gave {status}, expected 503")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def expect_denied(what, call):
    try:
        call()
    except ClientError as e:
        if e.response["ResponseMetadata"]["HTTPStatusCode"] == 403 or re.search(r"AccessDenied|signature", str(e), re.I):
            return
        raise
    sys.exit(f"moto least-privilege test: {what} was allowed, but the policy must deny it")


if __name__ == "__main__":
    main()
