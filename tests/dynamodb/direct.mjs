// Talks to a DynamoDB emulator on loopback directly, as a test's own eyes on the table
// (what the API cannot show: tombstones, idempotency records, the meta item). The
// emulators here do not check signatures, so the Authorization header only has the shape.
import http from 'node:http';

/** Calls op ("Scan", "DeleteItem", ...) with body on the emulator at port; resolves the reply's JSON. */
export function ddb(port, op, body) {
  const data = Buffer.from(JSON.stringify(body));
  const date = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const headers = {
    'Content-Type': 'application/x-amz-json-1.0',
    'X-Amz-Target': `DynamoDB_20120810.${op}`,
    'X-Amz-Date': date,
    Authorization: `AWS4-HMAC-SHA256 Credential=AKIDTEST/${date.slice(0, 8)}/us-east-1/dynamodb/aws4_request, ` +
      'SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=' + '0'.repeat(64),
    'Content-Length': data.length,
  };
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const json = JSON.parse(Buffer.concat(chunks).toString() || '{}');
        if (res.statusCode !== 200) reject(new Error(`${op}: HTTP ${res.statusCode} ${JSON.stringify(json)}`));
        else resolve(json);
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** Every item of table, read with consistent Scans, as plain objects ({"S": "x"} -> "x"). */
export async function scanAll(port, table) {
  const items = [];
  let start;
  do {
    const page = await ddb(port, 'Scan', { TableName: table, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) });
    for (const it of page.Items) {
      items.push(Object.fromEntries(Object.entries(it).map(([k, v]) => [k, 'S' in v ? v.S : 'N' in v ? Number(v.N) : v])));
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}
