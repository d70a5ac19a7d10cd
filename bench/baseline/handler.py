"""The seed's design, kept as the benchmark baseline: a Python Lambda handler using boto3
(Debian's python3-boto3), as the seed project (terraform-serverless-api, src/handler.py)
builds it: a boto3 resource created at import, one function routing on httpMethod and
resource, and DynamoDB calls per route. It serves the same routes as the C bootstrap so
both can be driven with the same events; it is not part of the product."""
import json
import os
import uuid
from datetime import datetime, timezone

import boto3

dynamodb = boto3.resource("dynamodb", endpoint_url=os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"))
table = dynamodb.Table(os.environ["TABLE_NAME"])


def _response(status, body=None):
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": "" if body is None else json.dumps(body),
    }


def _now():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def lambda_handler(event, context):
    method = event.get("httpMethod")
    resource = event.get("resource")
    try:
        if resource == "/tasks" and method == "POST":
            data = json.loads(event.get("body") or "{}")
            if not isinstance(data, dict) or not isinstance(data.get("title"), str) or not data["title"].strip():
                return _response(400, {"error": "title is required"})
            now = _now()
            item = {
                "id": str(uuid.uuid4()),
                "title": data["title"].strip(),
                "description": data.get("description", ""),
                "status": data.get("status", "todo"),
                "createdAt": now,
                "updatedAt": now,
            }
            table.put_item(Item=item)
            return _response(201, item)
        if resource == "/tasks" and method == "GET":
            items = table.scan(Limit=50).get("Items", [])
            return _response(200, {"items": items, "nextToken": None})
        task_id = (event.get("pathParameters") or {}).get("id")
        if resource == "/tasks/{id}" and method == "GET":
            item = table.get_item(Key={"id": task_id}).get("Item")
            return _response(200, item) if item else _response(404, {"error": "not found"})
        if resource == "/tasks/{id}" and method == "PATCH":
            data = json.loads(event.get("body") or "{}")
            result = table.update_item(
                Key={"id": task_id},
                UpdateExpression="SET #s = :s, updatedAt = :u",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":s": data.get("status", "todo"), ":u": _now()},
                ConditionExpression="attribute_exists(id)",
                ReturnValues="ALL_NEW",
            )
            return _response(200, result["Attributes"])
        if resource == "/tasks/{id}" and method == "DELETE":
            table.delete_item(Key={"id": task_id})
            return _response(204)
        return _response(404, {"error": "not found"})
    except json.JSONDecodeError:
        return _response(400, {"error": "invalid JSON"})
    except dynamodb.meta.client.exceptions.ConditionalCheckFailedException:
        return _response(404, {"error": "not found"})
