// A minimal Lambda Runtime API loop in Node.js, shaped like the managed Node.js runtime's:
// import the handler at init, then GET /next, await the handler, POST its JSON result, on
// one kept-alive connection. For the benchmark only: node bench/node-peer/bootstrap.mjs
import http from 'node:http';
import { handler } from './handler.mjs';

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const BASE = '/2018-06-01/runtime/invocation';

function call(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path, agent, headers: body ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

for (;;) {
  const next = await call('GET', `${BASE}/next`);
  const id = next.headers['lambda-runtime-aws-request-id'];
  try {
    const result = await handler(JSON.parse(next.body));
    await call('POST', `${BASE}/${id}/response`, JSON.stringify(result));
  } catch (e) {
    await call('POST', `${BASE}/${id}/error`, JSON.stringify({ errorMessage: String(e.message), errorType: e.name }));
  }
}
