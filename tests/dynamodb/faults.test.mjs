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
import { ddb, scanAll } from './direct.mjs';
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
  ({ server, base } = await startServer());
});

// A server on the table through the proxy; its log is appended to `log`.
async function startServer() {
  const child = spawn(BIN, ['serve', '--port', '0', '--threads', '2', '--auth-jwks', path.join(process.env.CONTRACT_AUTH_DIR, 'jwks.json'),
    '--auth-issuer', ISSUER, '--auth-audience', AUDIENCE], { env: env(proxy.port), stdio: ['ignore', 'ignore', 'pipe'] });
  let own = '';
  const url = await new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      log += d;
      own += d;
      const m = /listening on (http:\S+)/.exec(own);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${own}`)));
  });
  return { server: child, base: url };
}

async function stopServer(child) {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

after(async () => {
  await stopServer(server);
  if (proxy) await proxy.close();
  if (db) await new Promise((r) => db.close(r));
  fs.rmSync(process.env.CONTRACT_AUTH_DIR, { recursive: true, force: true });
});

function call(method, path, body, user = 'faults-user', extra = {}, at = base) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers = { Authorization: `Bearer ${tokenFor(user)}`, ...extra };
    if (data) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': data.length });
    const req = http.request(`${at}${path}`, { method, headers }, (res) => {
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

test('answers are read however HTTP/1.1 frames them: chunked and in pieces, or closing the connection', async () => {
  const { res, attempts } = await createWithFaults('chunked answer', ['chunked']);
  assert.equal(res.status, 201);
  assert.equal(attempts, 1, 'the chunked answer was read, not retried');
  for (const how of ['close', undefined, 'chunked', undefined]) {
    queue.GetItem = how ? [how] : [];
    const before = proxy.attempts.GetItem || 0;
    const got = await call('GET', `/tasks/${res.json.id}`);
    assert.equal(got.status, 200, `after '${how}'`);
    assert.equal(got.json.title, 'chunked answer');
    assert.equal((proxy.attempts.GetItem || 0) - before, 1, `one attempt after '${how}'`);
  }
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
  queue.UpdateItem = ['apply-then-partial']; // a delete leaves a tombstone: an UpdateItem
  const res = await call('DELETE', `/tasks/${created.json.id}`);
  assert.deepEqual(queue.UpdateItem, []);
  assert.equal(res.status, 204);
  acknowledged.delete('to-delete');
  assert.equal((await call('GET', `/tasks/${created.json.id}`)).status, 404);
});

test('another user\'s delete whose refusal was cut short is 404, and the task stays', async () => {
  const { res: created } = await createWithFaults('not-yours', []);
  queue.UpdateItem = ['apply-then-partial'];
  const before = proxy.attempts.UpdateItem || 0;
  const res = await call('DELETE', `/tasks/${created.json.id}`, undefined, 'intruder');
  assert.equal(res.status, 404);
  assert.equal((proxy.attempts.UpdateItem || 0) - before, 2, 'the retry met the condition failure again');
  assert.deepEqual(queue.UpdateItem, []);
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

test('a create whose reply was lost and whose read-back failed is 503, never a second task', async () => {
  queue.PutItem = ['apply-then-hold'];
  queue.GetItem = Array(5).fill('http500');
  const res = await call('POST', '/tasks', { title: 'read-back-failed' });
  assert.deepEqual(queue.PutItem, []);
  assert.deepEqual(queue.GetItem, []);
  assert.equal(res.status, 503, 'the outcome is unknown');
  assert.ok(Number(res.headers['retry-after']) >= 1);
  const stored = (await scanAll(db.address().port, 'faults')).filter((it) => it.title === 'read-back-failed');
  assert.equal(stored.length, 1, 'the lost write is there once, and no other id was tried');
  acknowledged.set('read-back-failed', stored[0].id);
});

// Another client's write (as the API makes it) straight to the table, between our write
// being applied and its answer being lost.
const otherWriter = (id) => () => ddb(db.address().port, 'UpdateItem', {
  TableName: 'faults', Key: { id: { S: id } },
  UpdateExpression: 'SET title = :t, writeId = :w ADD version :one',
  ExpressionAttributeValues: { ':t': { S: 'other-writer' }, ':w': { S: 'feedfacefeedface' }, ':one': { N: '1' } },
});

test('a PATCH applied, then overwritten by another writer, then its answer lost is 503: never a false 412, never applied twice', async () => {
  for (const conditional of [true, false]) {
    const { res: created } = await createWithFaults(`overwritten-${conditional}`, []);
    const id = created.json.id;
    for (const act of ['apply-then-reset', 'apply-then-hold']) {
      const before = await call('GET', `/tasks/${id}`);
      queue.UpdateItem = [{ act, then: otherWriter(id) }];
      const res = await call('PATCH', `/tasks/${id}`, { description: `${act}` }, 'faults-user',
        conditional ? { 'If-Match': before.headers.etag } : {});
      assert.deepEqual(queue.UpdateItem, []);
      assert.equal(res.status, 503, `${act}, If-Match ${conditional}: ${JSON.stringify(res.json)}`);
      const after = await call('GET', `/tasks/${id}`);
      assert.equal(after.json.version, before.json.version + 2, 'ours once and the other writer once');
      assert.equal(after.json.description, act);
    }
    acknowledged.delete(`overwritten-${conditional}`);
    assert.equal((await call('DELETE', `/tasks/${id}`)).status, 204);
  }
});

test('a deleted task\'s tombstone recognises a retried DELETE after another client\'s: 404, not 204', async () => {
  const { res: created } = await createWithFaults('deleted-twice', []);
  const id = created.json.id;
  acknowledged.delete('deleted-twice');
  // our delete's first attempt is lost before it is applied (the connection reset), and
  // meanwhile another client deletes the task; our retry meets the other's tombstone
  let other;
  queue.UpdateItem = [{ act: 'reset', then: async () => { other = await call('DELETE', `/tasks/${id}`); } }];
  const ours = await call('DELETE', `/tasks/${id}`);
  assert.deepEqual(queue.UpdateItem, []);
  assert.equal(other.status, 204);
  assert.equal(ours.status, 404, 'the task was deleted, but not by this request');
  const [tomb] = (await scanAll(db.address().port, 'faults')).filter((it) => it.id === id);
  assert.ok(tomb.tomb && !tomb.title && !tomb.description && !tomb.shard, 'a tombstone without the task\'s content');
});

test('rotating the page-token key keeps every live Idempotency-Key: a retry still replays', async () => {
  const key = 'rotation-key';
  const first = await call('POST', '/tasks', { title: key }, 'faults-user', { 'Idempotency-Key': key });
  assert.equal(first.status, 201);
  acknowledged.set(key, first.json.id);
  // the documented rotation: delete the key item; an instance started afterwards makes a new one
  const meta = { TableName: 'faults', Key: { id: { S: '#meta:page-token-key' } } };
  const old = (await ddb(db.address().port, 'GetItem', meta)).Item.key.S;
  await ddb(db.address().port, 'DeleteItem', meta);
  const fresh = await startServer();
  try {
    assert.notEqual((await ddb(db.address().port, 'GetItem', meta)).Item.key.S, old, 'the key was rotated');
    const again = await call('POST', '/tasks', { title: key }, 'faults-user', { 'Idempotency-Key': key }, fresh.base);
    assert.equal(again.status, 201);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.json.id, first.json.id);
  } finally {
    await stopServer(fresh.server);
  }
});

// Two tasks of the user, so that a one-task page has a next page (a page token).
async function twoTasks(title) {
  for (const t of [`${title} 1`, `${title} 2`]) {
    const res = await call('POST', '/tasks', { title: t });
    assert.equal(res.status, 201);
    acknowledged.set(t, res.json.id);
  }
}

// The page tokens of the server at `at` are good at a server started afterwards, which
// reads the table's key: both sign with that key.
async function assertTokensGoodLater(at) {
  const later = await startServer();
  try {
    const page = await call('GET', '/tasks?limit=1', undefined, 'faults-user', {}, at);
    assert.equal(page.status, 200);
    assert.ok(page.json.nextToken, 'more than one task: a next page');
    const next = await call('GET', `/tasks?limit=1&nextToken=${encodeURIComponent(page.json.nextToken)}`,
      undefined, 'faults-user', {}, later.base);
    assert.equal(next.status, 200, 'one key for both');
  } finally {
    await stopServer(later.server);
  }
}

const META = { TableName: 'faults', Key: { id: { S: '#meta:page-token-key' } } };
const getMeta = async () => (await ddb(db.address().port, 'GetItem', META)).Item;

// Runs fn(saved) on the table without its meta item, as before any start (with two tasks
// of the user for page tokens); then puts back the item the other tests' tasks use.
async function withoutMetaItem(title, fn) {
  await twoTasks(title);
  const saved = await getMeta();
  await ddb(db.address().port, 'DeleteItem', META);
  try {
    await fn(saved);
  } finally {
    queue.PutItem = [];
    proxy.openGate();
    await ddb(db.address().port, 'PutItem', { TableName: 'faults', Item: saved });
  }
}

// The requests of each kind a start made since `before` (a copy of proxy.attempts).
const spent = (before) => Object.fromEntries(Object.entries(proxy.attempts)
  .map(([op, n]) => [op, n - (before[op] || 0)]).filter(([, n]) => n > 0));

test('a start on a set-up table reads the meta item once and writes nothing; only a table without one gets a conditional write', async () => {
  let before = { ...proxy.attempts };
  await stopServer((await startServer()).server);
  assert.deepEqual(spent(before), { GetItem: 1 }, 'a warm start: one GetItem, no write');
  // a table nobody has started on yet: the meta item is created, conditionally
  await withoutMetaItem('first start', async (saved) => {
    before = { ...proxy.attempts };
    const fresh = await startServer();
    try {
      assert.deepEqual(spent(before), { GetItem: 1, PutItem: 1 }, 'a first start: read, create; the key it wrote is its own');
      assert.notEqual((await getMeta()).key.S, saved.key.S, 'a fresh key was made');
      await assertTokensGoodLater(fresh.base); // the key it wrote is the one it signs with
    } finally {
      await stopServer(fresh.server);
    }
  });
});

test('two first starts racing for the meta item: the loser reads and adopts the winner\'s key', async () => {
  await withoutMetaItem('racing starts', async (saved) => {
    // our start's conditional PutItem is held while another instance creates the item
    // (the one the running server uses), then goes on and loses
    queue.PutItem = ['gate'];
    const before = { ...proxy.attempts };
    const starting = startServer();
    for (const until = Date.now() + 5000; !proxy.gated.includes('PutItem');) {
      assert.ok(Date.now() < until, 'the meta item\'s PutItem was held');
      await new Promise((r) => setTimeout(r, 5));
    }
    await ddb(db.address().port, 'PutItem', { TableName: 'faults', Item: saved });
    proxy.openGate();
    const fresh = await starting;
    try {
      assert.deepEqual(spent(before), { GetItem: 2, PutItem: 1 }, 'read, lose, then read the winner\'s');
      assert.equal((await getMeta()).key.S, saved.key.S, 'the winner\'s key stands');
      await assertTokensGoodLater(fresh.base); // it signs with the winner's key
    } finally {
      await stopServer(fresh.server);
    }
  });
});

test('a first start whose meta-item write was applied but its answer lost retries, loses to itself, and reads back its own key', async () => {
  await withoutMetaItem('lost meta answer', async (saved) => {
    queue.PutItem = ['apply-then-reset'];
    const before = { ...proxy.attempts };
    const fresh = await startServer();
    try {
      assert.deepEqual(queue.PutItem, [], 'the fault was hit');
      assert.deepEqual(spent(before), { GetItem: 2, PutItem: 2 }, 'read, write, write again, read back');
      assert.notEqual((await getMeta()).key.S, saved.key.S, 'one fresh key, written once');
      await assertTokensGoodLater(fresh.base); // it signs with the key that was stored
    } finally {
      await stopServer(fresh.server);
    }
  });
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
