// A loopback HTTP proxy between the DynamoDB store and dynalite that misbehaves on a
// schedule: throttling errors, 500s, connection resets, slow responses, and requests
// that are applied but whose response is lost. Used by faults.test.mjs.
import http from 'node:http';

/**
 * Starts the proxy. plan(op) is consulted for each request (op = "PutItem", ...) and
 * returns undefined to pass through or one of: 'throttle', 'http500', 'validation',
 * 'reset', 'slow',
 * 'apply-then-reset' (forwarded, then the connection dies with no answer),
 * 'apply-then-partial' (forwarded, then half an answer:
 * the store sees a failed attempt), 'gate' (held, unanswered, until openGate() forwards
 * every held request), 'apply-then-hold' (forwarded, then no answer until the store's
 * attempt has timed out: the connection is closed after holdMs), 'apply-then-500'
 * (forwarded, then a 500 InternalServerError: applied, reported as failed), 'chunked'
 * (forwarded; the answer chunked, in two pieces) and 'close' (forwarded; the answer with
 * Connection: close, and the connection closed after it). An action may
 * also be {act, then}: then() (async) runs after the request was forwarded and before
 * the act's answer (before the refusal, for an act that does not forward), e.g. another
 * client's write landing in between.
 * refuseConnection() is asked for each new connection: true closes it at once, before
 * any request on it is read (as a refused connection, nothing can have been applied).
 * Returns {port, close, attempts, gated, openGate} where attempts counts requests by op
 * and gated lists the ops of the requests held now.
 */
export function startFaultProxy(upstreamPort, plan, slowMs = 1500, holdMs = 1000, refuseConnection = () => false) {
  const attempts = {};
  const held = []; // [op, forward now]
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const op = String(req.headers['x-amz-target'] || '').split('.').pop();
      attempts[op] = (attempts[op] || 0) + 1;
      const planned = plan(op, body);
      const action = planned && typeof planned === 'object' ? planned.act : planned;
      const then = planned && typeof planned === 'object' ? planned.then : undefined;
      const act = () => {
        if (action === 'throttle') {
          return reply(res, 400, { __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'Rate exceeded' });
        }
        if (action === 'throughput') {
          return reply(res, 400, { __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'exceeded' });
        }
        if (action === 'http500') {
          return reply(res, 500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'boom' });
        }
        if (action === 'validation') {
          return reply(res, 400, { __type: 'com.amazon.coral.validate#ValidationException', message: 'bad' });
        }
        if (action === 'reset') return req.socket.destroy();
        if (action === 'gate') return held.push([op, () => pass(undefined)]);
        return pass(action);
      };
      const pass = (how) => forward(upstreamPort, req, body, async (status, headers, data) => {
        if (then) await then();
        if (how === 'apply-then-reset') return req.socket.destroy();
        if (how === 'apply-then-hold') return setTimeout(() => req.socket.destroy(), holdMs);
        if (how === 'apply-then-500') {
          return reply(res, 500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'applied, then failed' });
        }
        if (how === 'chunked') { // no length: Node frames it in chunks; sent in two pieces
          res.writeHead(status, headers);
          res.write(data.subarray(0, data.length >> 1));
          return setTimeout(() => { if (!res.destroyed) res.end(data.subarray(data.length >> 1)); }, 20);
        }
        if (how === 'close') {
          res.writeHead(status, { ...headers, 'content-length': data.length, connection: 'close' });
          return res.end(data);
        }
        if (how === 'apply-then-partial') {
          res.writeHead(status, { ...headers, 'content-length': data.length + 100 });
          res.write(data);
          return setTimeout(() => req.socket.destroy(), 20);
        }
        const send = () => {
          if (res.destroyed) return;
          res.writeHead(status, headers);
          res.end(data);
        };
        if (how === 'slow') setTimeout(send, slowMs);
        else send();
      });
      // not forwarded: the other client's work lands before this request is refused
      if (then && ['throttle', 'throughput', 'http500', 'validation', 'reset'].includes(action)) {
        then().then(act);
      } else {
        act();
      }
    });
  });
  server.on('connection', (sock) => { if (refuseConnection()) sock.destroy(); });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      port: server.address().port,
      attempts,
      get gated() { return held.map(([op]) => op); },
      openGate: () => { for (const [, go] of held.splice(0)) go(); },
      close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
    }));
  });
}

function reply(res, status, json) {
  const data = Buffer.from(JSON.stringify(json));
  res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.0', 'Content-Length': data.length });
  res.end(data);
}

function forward(port, req, body, done) {
  const up = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (r) => {
    const chunks = [];
    r.on('data', (c) => chunks.push(c));
    r.on('end', () => done(r.statusCode, { 'content-type': r.headers['content-type'] || 'application/x-amz-json-1.0' }, Buffer.concat(chunks)));
  });
  up.on('error', () => req.socket.destroy());
  up.end(body);
}
