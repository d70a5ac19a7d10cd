// The seed's handler (bench/baseline/handler.py) ported to Node.js with the AWS SDK for
// JavaScript v3, as a team would write it: the document client made at init, one function
// routing on httpMethod and resource. For the benchmark only; not part of the product.
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, ScanCommand, GetCommand, UpdateCommand, DeleteCommand } from '@aws-sdk/lib-dynamodb';

const client = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB }));
const TableName = process.env.TABLE_NAME;

const response = (statusCode, body) => ({
  statusCode, headers: { 'Content-Type': 'application/json' }, body: body === undefined ? '' : JSON.stringify(body),
});

export async function handler(event) {
  const { httpMethod: method, resource } = event;
  try {
    if (resource === '/tasks' && method === 'POST') {
      const data = JSON.parse(event.body || '{}');
      if (!data || typeof data !== 'object' || typeof data.title !== 'string' || !data.title.trim()) return response(400, { error: 'title is required' });
      const now = new Date().toISOString();
      const item = { id: randomUUID(), title: data.title.trim(), description: data.description ?? '', status: data.status ?? 'todo', createdAt: now, updatedAt: now };
      await client.send(new PutCommand({ TableName, Item: item }));
      return response(201, item);
    }
    if (resource === '/tasks' && method === 'GET') {
      const { Items = [] } = await client.send(new ScanCommand({ TableName, Limit: 50 }));
      return response(200, { items: Items, nextToken: null });
    }
    const id = event.pathParameters?.id;
    if (resource === '/tasks/{id}' && method === 'GET') {
      const { Item } = await client.send(new GetCommand({ TableName, Key: { id } }));
      return Item ? response(200, Item) : response(404, { error: 'not found' });
    }
    if (resource === '/tasks/{id}' && method === 'PATCH') {
      const data = JSON.parse(event.body || '{}');
      const { Attributes } = await client.send(new UpdateCommand({
        TableName, Key: { id }, UpdateExpression: 'SET #s = :s, updatedAt = :u', ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': data.status ?? 'todo', ':u': new Date().toISOString() },
        ConditionExpression: 'attribute_exists(id)', ReturnValues: 'ALL_NEW',
      }));
      return response(200, Attributes);
    }
    if (resource === '/tasks/{id}' && method === 'DELETE') {
      await client.send(new DeleteCommand({ TableName, Key: { id } }));
      return response(204);
    }
    return response(404, { error: 'not found' });
  } catch (e) {
    if (e instanceof SyntaxError) return response(400, { error: 'invalid JSON' });
    if (e.name === 'ConditionalCheckFailedException') return response(404, { error: 'not found' });
    throw e;
  }
}
