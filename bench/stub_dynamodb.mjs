// A stub DynamoDB for instruction counting: answers every operation the store makes with
// a fixed, valid reply at once, so callgrind sees the bootstrap's own work per invocation
// (event parsing, routing, JSON, signing, HTTP) without a database behind it.
import http from 'node:http';

const task = {
  id: { S: '0b7e8a52-6f0c-4a55-9d5e-0e2f4a6b8c9d' }, title: { S: 'Stub task' }, description: { S: 'from the stub' },
  status: { S: 'todo' }, createdAt: { S: '2026-11-25T03:19:15.123Z' }, updatedAt: { S: '2026-11-25T03:19:15.123Z' },
  shard: { S: '3' }, sk: { S: '2026-11-25T03:19:15.123Z#0b7e8a52-6f0c-4a55-9d5e-0e2f4a6b8c9d' },
};
const key = { id: { S: '#meta:page-token-key' }, key: { S: 'ab'.repeat(32) } };

export function startStub() {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const op = String(req.headers['x-amz-target']).split('.').pop();
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
      let reply = {};
      if (op === 'GetItem') reply = { Item: body.Key.id.S.startsWith('#meta') ? key : task };
      else if (op === 'Query') {
        // a shard's share of a 50-item page (4 shards), so a list parses what a real one does
        const n = Math.min(body.Limit || 1, 13);
        reply = { Items: Array.from({ length: n }, () => task), Count: n, ScannedCount: n };
      }
      else if (op === 'UpdateItem') reply = { Attributes: task };
      const data = JSON.stringify(reply);
      res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0', 'Content-Length': Buffer.byteLength(data) });
      res.end(data);
    });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}
