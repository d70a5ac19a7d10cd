// The bootstrap's own Runtime API client against a raw-socket Runtime API, so every byte
// of framing is chosen here rather than by node:http: Content-Length and chunked events
// (chunks split across writes), a response that arrives in pieces, "Connection: close"
// (the next call reconnects), one kept-alive connection otherwise, an event over the
// 6 MB cap (refused, the loop goes on), and a clean exit once the API is gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { toApiGatewayEvent } from '../contract/client.mjs';

const BOOTSTRAP = process.env.LAMBDA_BOOTSTRAP || 'build/bootstrap';

/** A Runtime API whose /next answers are scripted: each entry writes one response. */
function rawApi(script) {
  const posts = [];
  let connections = 0;
  const server = net.createServer((sock) => {
    connections++;
    let buf = Buffer.alloc(0);
    sock.on('data', async (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString();
        const len = Number((/content-length:\s*(\d+)/i.exec(head) || [])[1] || 0);
        if (buf.length < end + 4 + len) return;
        const body = buf.subarray(end + 4, end + 4 + len).toString();
        buf = buf.subarray(end + 4 + len);
        const [method, url] = head.split(' ');
        if (method === 'GET') {
          const step = script.shift();
          if (!step) { sock.destroy(); server.close(); return; } // the API goes away
          await step(sock);
        } else {
          posts.push({ url, body, head });
          sock.write('HTTP/1.1 202 Accepted\r\nContent-Length: 16\r\n\r\n{"status":"OK"}\n');
        }
      }
    });
    sock.on('error', () => {});
  });
  return { server, posts, connections: () => connections };
}

const event = (id) => JSON.stringify(toApiGatewayEvent('GET', '/tasks', {}, undefined));
const headers = (id, extra = '') => `HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: ${id}\r\n` +
  `Lambda-Runtime-Deadline-Ms: ${Date.now() + 30000}\r\nLambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000;Sampled=0\r\n${extra}`;
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
// resolves 'timeout' after ms without keeping the test process alive
const timeout = (ms) => new Promise((r) => setTimeout(r, ms, 'timeout').unref());

/** Runs the bootstrap against a raw API playing script until the script ends and the API
 * goes away; the bootstrap must then exit. Resolves its exit code, output and the API. */
async function runScript(script, limitMs) {
  const api = rawApi(script);
  await new Promise((r) => api.server.listen(0, '127.0.0.1', r));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raw-api-'));
  const child = spawn(BOOTSTRAP, [], {
    env: { PATH: '/usr/bin:/bin', AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${api.server.address().port}`,
      TASKS_STORE: 'sqlite', TASKS_DB: path.join(dir, 'tasks.db'), TASKS_METRICS: 'off', AWS_REGION: 'us-east-1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const exited = new Promise((r) => child.on('exit', (code) => r(code)));
  const code = await Promise.race([exited, timeout(limitMs)]);
  assert.notEqual(code, 'timeout', `bootstrap did not exit once the API went away:\n${out}`);
  return { api, code, out, dir };
}

test('framing: Content-Length, chunked in pieces, Connection: close, oversized, then a clean exit', async () => {
  const ev = event();
  const script = [
    async (s) => { s.write(`${headers('id-length')}Content-Length: ${Buffer.byteLength(ev)}\r\n\r\n${ev}`); },
    async (s) => { // chunked, the chunks and even the header split across writes
      const parts = [ev.slice(0, 100), ev.slice(100, 700), ev.slice(700)];
      s.write(`${headers('id-chunked')}Transfer-Enc`);
      await pause(20);
      s.write('oding: chunked\r\n\r\n');
      for (const p of parts) {
        s.write(`${Buffer.byteLength(p).toString(16)}\r\n${p.slice(0, 10)}`);
        await pause(10);
        s.write(`${p.slice(10)}\r\n`);
      }
      s.write('0\r\n\r\n');
    },
    async (s) => { // the API closes this connection after the answer: the next call reconnects
      s.write(`${headers('id-close', 'Connection: close\r\n')}Content-Length: ${Buffer.byteLength(ev)}\r\n\r\n${ev}`);
      s.end();
    },
    async (s) => { // over the 6 MB cap: refused without reading it all into memory
      s.write(`${headers('id-huge')}Content-Length: ${7 * 1024 * 1024}\r\n\r\n`);
      s.end();
    },
    async (s) => { s.write(`${headers('id-after')}Content-Length: ${Buffer.byteLength(ev)}\r\n\r\n${ev}`); },
  ];
  const { api, code, out, dir } = await runScript(script, 20000);
  assert.equal(code, 1, 'exits non-zero so Lambda restarts the sandbox');
  const answered = api.posts.map((p) => p.url);
  assert.deepEqual(answered, ['/2018-06-01/runtime/invocation/id-length/response',
    '/2018-06-01/runtime/invocation/id-chunked/response', '/2018-06-01/runtime/invocation/id-close/response',
    '/2018-06-01/runtime/invocation/id-after/response']);
  for (const p of api.posts) {
    const r = JSON.parse(p.body);
    assert.equal(r.statusCode, 200);
    assert.match(p.head, /^Content-Type: application\/json$/im);
  }
  assert.match(out, /event too large/);
  // one connection, a second after the close, a third after the oversized answer
  assert.equal(api.connections(), 3);
  fs.rmSync(dir, { recursive: true, force: true });
});

// Each answer below is framed wrongly in one way; a strict HTTP/1.1 client refuses it (no
// invocation is made of it), drops the connection and asks again on a new one. Valid
// answers in between keep the loop going; a chunk extension is valid and accepted.
test('framing is strict: malformed chunk sizes, a missing CRLF, other codings, bad or conflicting Content-Length, bytes after a response', async () => {
  const ev = event();
  const n = Buffer.byteLength(ev);
  const hex = n.toString(16);
  const chunked = (id, sizeLine, after = '\r\n') =>
    async (s) => s.write(`${headers(id)}Transfer-Encoding: chunked\r\n\r\n${sizeLine}\r\n${ev}${after}0\r\n\r\n`);
  const valid = (id) => async (s) => s.write(`${headers(id)}Content-Length: ${n}\r\n\r\n${ev}`);
  const bad = {
    'bad-space': chunked('bad-space', ` ${hex}`),
    'bad-0x': chunked('bad-0x', `0x${hex}`),
    'bad-sign': chunked('bad-sign', `+${hex}`),
    'bad-junk': chunked('bad-junk', `${hex}zz`),
    'bad-lf': chunked('bad-lf', `${hex}\n`),
    'bad-no-crlf': chunked('bad-no-crlf', hex, 'XX'),
    'bad-gzip': async (s) => s.write(`${headers('bad-gzip')}Transfer-Encoding: gzip, chunked\r\n\r\n${hex}\r\n${ev}\r\n0\r\n\r\n`),
    'bad-te-and-length': async (s) => s.write(`${headers('bad-te-and-length')}Transfer-Encoding: chunked\r\nContent-Length: ${n}\r\n\r\n${hex}\r\n${ev}\r\n0\r\n\r\n`),
    'bad-length-text': async (s) => s.write(`${headers('bad-length-text')}Content-Length: ${n}abc\r\n\r\n${ev}`),
    'bad-length-twice': async (s) => s.write(`${headers('bad-length-twice')}Content-Length: ${n}\r\nContent-Length: ${n - 1}\r\n\r\n${ev}`),
    'bad-status': async (s) => s.write(`HTTP/1.1 2000 OK\r\nLambda-Runtime-Aws-Request-Id: bad-status\r\nContent-Length: ${n}\r\n\r\n${ev}`),
  };
  const script = [];
  let k = 0;
  for (const step of Object.values(bad)) {
    script.push(step, valid(`ok-${k++}`));
  }
  script.push(chunked('ok-extension', `${hex};name=value`));
  script.push(valid('ok-before-smuggle'));
  // a whole answer, then bytes nobody asked for that look like the next answer
  script.push(async (s) => s.write(`${headers('ok-first')}Content-Length: ${n}\r\n\r\n${ev}` +
    `${headers('smuggled')}Content-Length: ${n}\r\n\r\n${ev}`));
  script.push(valid('ok-last'));
  const { api, code, out, dir } = await runScript(script, 30000);
  const answered = api.posts.map((p) => p.url.split('/')[4]);
  const expected = [...Object.keys(bad).map((_, i) => `ok-${i}`), 'ok-extension', 'ok-before-smuggle', 'ok-first', 'ok-last'];
  assert.deepEqual(answered, expected, out);
  assert.match(out, /response framing refused/);
  assert.match(out, /malformed chunked body/);
  assert.match(out, /unexpected bytes after a response/);
  // every refused answer and the smuggling cost the connection
  assert.ok(api.connections() >= Object.keys(bad).length + 2, `connections: ${api.connections()}`);
  fs.rmSync(dir, { recursive: true, force: true });
});
