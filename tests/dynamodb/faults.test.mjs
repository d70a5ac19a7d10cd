// Fault injection for the DynamoDB store: the real server (TASKS_API_BIN) talks to
// dynalite through fault_proxy.mjs. Shows the retries, the final 503 with Retry-After,
// that a write whose response was lost is neither duplicated nor misreported, and that
// the table holds exactly what was acknowledged. Authentication is on, so every write
// carries its owner condition, and a lost answer to a refused write of another user's
// task is still a 404.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFaultProxy } from './fault_proxy.mjs';
import { makeKeys, tokenFor, ISSUER, AUDIENCE } from '../contract/auth_tokens.mjs';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite');
const BIN = process.env.TASKS_API_BIN || 'build/tasks-api';

const queue = {}; // op -> list of actions for its next requests
const plan = (op) => (queue[op] && queue[op].length ? queue[op].shift() : undefined);
const acknowledged = new Map(); // title -> id of every task the API said it stored
let db, proxy, server, base, log = '';

function env(port) {
  return {
    ...process.env,
    TASKS_STORE: 'dynamodb', TABLE_NAME: 'faults', AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDFAULTS', AWS_SECRET_ACCESS_KEY: 'faults-secret', AWS_SESSION_TOKEN: 'tok',
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${port}`, TASKS_DDB_TIMEOUT_MS: '400',
  };
}

before(async () => {
  db = dynalite({ createTableMs: 0 });
  await new Promise((r) => db.listen(0, '127.0.0.1', r));
  // async: dynalite runs in this process and must keep serving meanwhile
  await promisify(execFile)(BIN, ['create-table', '--wait', '30'], { env: env(db.address().port) });
  proxy = await startFaultProxy(db.address().port, plan);
  process.env.CONTRACT_AUTH_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'faults-auth-'));
  makeKeys(process.env.CONTRACT_AUTH_DIR);
  server = spawn(BIN, ['serve', '--port', '0', '--threads', '2', '--auth-jwks', path.join(process.env.CONTRACT_AUTH_DIR, 'jwks.json'),
    '--auth-issuer', ISSUER, '--auth-audience', AUDIENCE], { env: env(proxy.port), stdio: ['ignore', 'ignore', 'pipe'] });
  base = await new Promise((resolve, reject) => {
    server.stderr.on('data', (d) => {
      log += d;
      const m = /listening on (http:\S+)/.exec(log);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`server exited ${code}: ${log}`)));
  });
});

after(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.on('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  if (proxy) await proxy.close();
  if (db) await new Promise((r) => db.close(r));
  fs.rmSync(process.env.CONTRACT_AUTH_DIR, { recursive: true, force: true });
});

function call(method, path, body, user = 'faults-user', extra = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers = { Authorization: `Bearer ${tokenFor(user)}`, ...extra };
    if (data) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': data.length });
    const req = http.request(`${base}${path}`, { method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode, headers: res.headers, json: raw ? JSON.parse(raw) : undefined });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function createWithFaults(title, faults) {
  queue.PutItem = [...faults];
  const before = proxy.attempts.PutItem || 0;
  const res = await call('POST', '/tasks', { title });
  assert.deepEqual(queue.PutItem, [], 'every planned fault was hit');
  if (res.status === 201) acknowledged.set(title, res.json.id);
  return { res, attempts: (proxy.attempts.PutItem || 0) - before };
}

test('throttling is retried until the write succeeds', async () => {
  const { res, attempts } = await createWithFaults('throttled', ['throttle', 'throttle']);
  assert.equal(res.status, 201);
  assert.equal(attempts, 3);
});

test('HTTP 500s are retried', async () => {
  const { res, attempts } = await createWithFaults('after-500s', ['http500', 'http500', 'http500']);
  assert.equal(res.status, 201);
  assert.equal(attempts, 4);
});

test('a reset connection is retried', async () => {
  const { res, attempts } = await createWithFaults('after-reset', ['reset']);
  assert.equal(res.status, 201);
  assert.equal(attempts, 2);
});

test('a response slower than the attempt timeout is retried', async () => {
  queue.GetItem = ['slow'];
  const id = acknowledged.get('throttled');
  const res = await call('GET', `/tasks/${id}`);
  assert.equal(res.status, 200);
  assert.equal(res.json.title, 'throttled');
});

test('a create applied but whose connection died is reported once, not duplicated', async () => {
  const { res, attempts } = await createWithFaults('lost-response', ['apply-then-reset']);
  assert.equal(res.status, 201);
  assert.equal(attempts, 2, 'the repeat met the condition and found its own item');
});

test('a create applied but whose answer was cut short is reported once', async () => {
  const { res, attempts } = await createWithFaults('cut-response', ['apply-then-partial']);
  assert.equal(res.status, 201);
  assert.equal(attempts, 2);
});

test('a delete applied but whose answer was cut short is 204, not 404', async () => {
  const { res: created } = await createWithFaults('to-delete', []);
  queue.DeleteItem = ['apply-then-partial'];
  const res = await call('DELETE', `/tasks/${created.json.id}`);
  assert.equal(res.status, 204);
  acknowledged.delete('to-delete');
  assert.equal((await call('GET', `/tasks/${created.json.id}`)).status, 404);
});

test('another user\'s delete whose refusal was cut short is 404, and the task stays', async () => {
  const { res: created } = await createWithFaults('not-yours', []);
  queue.DeleteItem = ['apply-then-partial'];
  const before = proxy.attempts.DeleteItem || 0;
  const res = await call('DELETE', `/tasks/${created.json.id}`, undefined, 'intruder');
  assert.equal(res.status, 404);
  assert.equal((proxy.attempts.DeleteItem || 0) - before, 2, 'the retry met the condition failure again');
  assert.deepEqual(queue.DeleteItem, []);
  queue.UpdateItem = ['apply-then-partial'];
  assert.equal((await call('PATCH', `/tasks/${created.json.id}`, { title: 'taken' }, 'intruder')).status, 404);
  const mine = await call('GET', `/tasks/${created.json.id}`);
  assert.equal(mine.status, 200);
  assert.equal(mine.json.title, 'not-yours');
});

test('a conditional update applied but whose answer was lost is 200 at the next version, not a false 412', async () => {
  const { res: created } = await createWithFaults('if-match', []);
  for (const fault of ['apply-then-partial', 'apply-then-reset']) {
    const before = await call('GET', `/tasks/${created.json.id}`);
    queue.UpdateItem = [fault];
    const res = await call('PATCH', `/tasks/${created.json.id}`, { description: fault }, 'faults-user', { 'If-Match': before.headers.etag });
    assert.deepEqual(queue.UpdateItem, []);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.version, before.json.version + 1, 'applied once');
    assert.equal(res.json.description, fault);
    const after = await call('GET', `/tasks/${created.json.id}`);
    assert.equal(after.headers.etag, res.headers.etag);
  }
});

test('a keyed create applied but whose answer was lost is 201 once, and its retry replays it', async () => {
  for (const fault of ['apply-then-partial', 'apply-then-reset']) {
    const key = `lost-${fault}`;
    queue.PutItem = [fault];
    const res = await call('POST', '/tasks', { title: key }, 'faults-user', { 'Idempotency-Key': key });
    assert.deepEqual(queue.PutItem, []);
    assert.equal(res.status, 201);
    assert.equal(res.headers['idempotent-replayed'], undefined, 'the store found its own write');
    acknowledged.set(key, res.json.id);
    const again = await call('POST', '/tasks', { title: key }, 'faults-user', { 'Idempotency-Key': key });
    assert.equal(again.status, 201);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.json.id, res.json.id);
  }
});

test('when retries run out the client gets 503 with Retry-After and no details', async () => {
  const { res, attempts } = await createWithFaults('never-stored', Array(5).fill('throttle'));
  assert.equal(res.status, 503);
  assert.equal(attempts, 5);
  assert.ok(Number(res.headers['retry-after']) >= 1);
  assert.equal(res.json.error.code, 'service_unavailable');
  assert.doesNotMatch(JSON.stringify(res.json), /Throttling|dynamo/i);
  assert.match(log, /ThrottlingException/, 'the details went to the log');
});

test('a list sends its four shard queries at once, from one thread', async () => {
  const threads = () => fs.readdirSync(`/proc/${server.pid}/task`).length;
  const idle = threads();
  queue.Query = Array(4).fill('gate');
  const pending = call('GET', '/tasks');
  // every query reaches DynamoDB while none is answered (well within the 400 ms attempt
  // timeout: one query waiting for another's answer would hold the others back)
  const until = Date.now() + 300;
  while (proxy.gated.length < 4 && Date.now() < until) await new Promise((r) => setTimeout(r, 2));
  const during = threads();
  const gated = proxy.gated;
  proxy.openGate();
  const res = await pending;
  assert.deepEqual(gated, ['Query', 'Query', 'Query', 'Query']);
  assert.equal(during, idle, 'no thread was started for the shard queries');
  assert.equal(res.status, 200);
  assert.deepEqual(queue.Query, []);
});

test('a failing list is retried a bounded number of times, then 503', async () => {
  // four shard queries run in parallel, each with five attempts
  const before = proxy.attempts.Query || 0;
  queue.Query = Array(4 * 5).fill('http500');
  const res = await call('GET', '/tasks');
  assert.equal(res.status, 503);
  assert.equal((proxy.attempts.Query || 0) - before, 20);
  assert.deepEqual(queue.Query, []);
});

test('validation errors are never retried', async () => {
  const { res, attempts } = await createWithFaults('invalid-once', ['validation']);
  assert.equal(res.status, 503);
  assert.equal(attempts, 1);
});

test('the table holds exactly the acknowledged tasks', async () => {
  const titles = [];
  let token = null;
  do {
    const res = await call('GET', `/tasks?limit=100${token ? `&nextToken=${token}` : ''}`);
    assert.equal(res.status, 200);
    titles.push(...res.json.items.map((t) => t.title));
    token = res.json.nextToken;
  } while (token);
  assert.deepEqual([...titles].sort(), [...acknowledged.keys()].sort());
});
