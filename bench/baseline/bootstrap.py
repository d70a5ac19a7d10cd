"""A minimal Lambda Runtime API loop in Python, shaped like the managed Python runtime's
(awslambdaric): import the handler module at init, then GET /next, call the handler, POST
the JSON result. Used only to run the baseline handler under the same emulator as the C
bootstrap. Run with Debian's interpreter: /usr/bin/python3 bench/baseline/bootstrap.py"""
import http.client
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import handler  # noqa: E402  (init: imports boto3 and builds the client, as on Lambda)

host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
conn = http.client.HTTPConnection(host, int(port))
BASE = "/2018-06-01/runtime/invocation"

while True:
    conn.request("GET", f"{BASE}/next")
    res = conn.getresponse()
    event = json.loads(res.read())
    request_id = res.getheader("Lambda-Runtime-Aws-Request-Id")
    try:
        body = json.dumps(handler.lambda_handler(event, None), default=str)
        path = f"{BASE}/{request_id}/response"
    except Exception as e:  # the managed runtime reports unhandled errors like this
        body = json.dumps({"errorMessage": str(e), "errorType": type(e).__name__})
        path = f"{BASE}/{request_id}/error"
    conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    conn.getresponse().read()
