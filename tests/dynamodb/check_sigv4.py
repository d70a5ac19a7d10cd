#!/usr/bin/python3
"""Checks, independently of libcurl, that the DynamoDB store signs its requests correctly.

Runs `tasks-api create-table` against a loopback capture server that answers like
DynamoDB, then recomputes each captured request's SigV4 signature with botocore (Debian's
python3-botocore) from the same credentials, session token and timestamp, and compares.
Usage: /usr/bin/python3 tests/dynamodb/check_sigv4.py build/tasks-api
"""
import http.server
import json
import os
import re
import subprocess
import sys
import threading

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

KEY, SECRET, TOKEN, REGION = "AKIDSIGV4CHECK", "sigv4/check+secret", "session-token-xyz", "eu-west-1"
captured = []

TABLE = {
    "Table": {
        "TableName": "sig-table",
        "TableStatus": "ACTIVE",
        "GlobalSecondaryIndexes": [{"IndexName": "by-created", "IndexStatus": "ACTIVE"},
                                   {"IndexName": "by-status", "IndexStatus": "ACTIVE"}],
    }
}


class Capture(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        captured.append((self.path, dict(self.headers.items()), body))
        target = self.headers.get("X-Amz-Target", "")
        if target.endswith(".CreateTable"):
            status, reply = 400, {"__type": "com.amazonaws.dynamodb.v20120810#ResourceInUseException", "message": "exists"}
        else:
            status, reply = 200, TABLE
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def expected_signature(path, headers, body, port):
    auth = headers["Authorization"]
    m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                 r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$", auth)
    assert m, f"unexpected Authorization header: {auth}"
    key, _, region, service, signed, signature = m.groups()
    assert (key, region, service) == (KEY, REGION, "dynamodb"), m.groups()
    names = signed.split(";")
    for needed in ("host", "x-amz-date", "x-amz-security-token", "x-amz-target", "content-type"):
        assert needed in names, f"{needed} is not signed: {signed}"
    lower = {k.lower(): v for k, v in headers.items()}
    assert lower["x-amz-security-token"] == TOKEN
    req = AWSRequest(method="POST", url=f"http://127.0.0.1:{port}{path}", data=body,
                     headers={n: lower[n] for n in names if n != "host"})
    req.context["timestamp"] = lower["x-amz-date"]
    signer = SigV4Auth(Credentials(KEY, SECRET, TOKEN), "dynamodb", REGION)
    canonical = signer.canonical_request(req)
    assert signer.signed_headers(signer.headers_to_sign(req)) == signed, (signed, canonical)
    return signature, signer.signature(signer.string_to_sign(req, canonical), req)


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Capture)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(os.environ, TABLE_NAME="sig-table", AWS_REGION=REGION, AWS_ACCESS_KEY_ID=KEY,
               AWS_SECRET_ACCESS_KEY=SECRET, AWS_SESSION_TOKEN=TOKEN,
               AWS_ENDPOINT_URL_DYNAMODB=f"http://127.0.0.1:{port}")
    run = subprocess.run([sys.argv[1], "create-table", "--wait", "5"], env=env,
                         capture_output=True, text=True, timeout=60)
    server.shutdown()
    if run.returncode != 0:
        sys.exit(f"sigv4: create-table failed: {run.stderr}")
    assert len(captured) >= 2, captured
    for path, headers, body in captured:
        got, want = expected_signature(path, headers, body, port)
        if got != want:
            sys.exit(f"sigv4: signature mismatch for {headers.get('X-Amz-Target')}: {got} != {want}")
    assert SECRET not in run.stderr and TOKEN not in run.stderr, "credentials leaked to the log"
    print(f"sigv4: {len(captured)} requests correctly signed (botocore agrees, session token signed)")


if __name__ == "__main__":
    main()
