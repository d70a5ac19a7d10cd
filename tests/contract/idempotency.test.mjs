// Idempotency-Key on POST: a retry with the same key and body replays the original 201
// (same id and body, Idempotent-Replayed: true) and creates nothing; another body is 422;
// concurrent retries create one task; malformed keys are 400; keys are per user.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { send, closeClient, apiPath, authOn } from './client.mjs';

after(closeClient);

const post = (key, body, extra = {}) => send({ method: 'POST', path: '/tasks', body, headers: key === null ? {} : { 'Idempotency-Key': key }, ...extra });

async function countTitled(title) {
  let n = 0;
  let token;
  do {
    const r = await send({ method: 'GET', path: `/tasks?limit=100${token ? `&nextToken=${encodeURIComponent(token)}` : ''}` });
    n += r.json.items.filter((t) => t.title === title).length;
    token = r.json.nextToken;
  } while (token);
  return n;
}

test('a retry with the same key and body replays the original 201 and creates nothing', async () => {
  const key = randomUUID();
  const title = `once ${key}`;
  const first = await post(key, { title, description: 'd' });
  assert.equal(first.status, 201);
  assert.equal(first.headers['idempotent-replayed'], undefined);
  assert.match(first.headers.etag, /^"1\.\d+"$/);
  // the same validated input: other spacing and key order, the draft's quoted key form
  for (const [k, body] of [[key, { title, description: 'd' }], [key, `{"description":"d",   "title":${JSON.stringify(title)}}`], [`"${key}"`, { title: `  ${title} `, description: 'd', status: 'todo' }]]) {
    const again = await post(k, body);
    assert.equal(again.status, 201);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.raw.toString(), first.raw.toString(), 'the original body');
    assert.equal(again.headers.location, first.headers.location);
  }
  assert.equal(await countTitled(title), 1);
  // the task itself is a normal task
  assert.equal((await send({ method: 'GET', path: apiPath(first.headers.location) })).json.title, title);
});

test('the same key with another body is 422 idempotency_key_reused and creates nothing', async () => {
  const key = randomUUID();
  assert.equal((await post(key, { title: `reused ${key}` })).status, 201);
  for (const body of [{ title: `other ${key}` }, { title: `reused ${key}`, status: 'done' }, { title: `reused ${key}`, description: 'x' }]) {
    const r = await post(key, body);
    assert.equal(r.status, 422);
    assert.equal(r.json.error.code, 'idempotency_key_reused');
  }
  assert.equal(await countTitled(`other ${key}`), 0);
});

test('eight concurrent POSTs with one key create exactly one task', async () => {
  for (let round = 0; round < 3; round++) {
    const key = randomUUID();
    const title = `concurrent ${key}`;
    const results = await Promise.all(Array.from({ length: 8 }, () => post(key, { title })));
    assert.ok(results.every((r) => r.status === 201), results.map((r) => r.status).join());
    assert.equal(new Set(results.map((r) => r.json.id)).size, 1, 'one task id');
    assert.equal(results.filter((r) => r.headers['idempotent-replayed'] !== 'true').length, 1, 'one creation, seven replays');
    assert.equal(await countTitled(title), 1);
  }
});

test('malformed keys are 400 invalid_idempotency_key', async () => {
  for (const key of ['', 'x'.repeat(256), 'has space', 'tab\there', '""', '"a"b"', '"back\\slash"', '"a\\"b', 'a"b', 'a\\b', '"x"y', `"${'x'.repeat(256)}"`]) {
    const r = await post(key, { title: 'never' });
    assert.equal(r.status, 400, JSON.stringify(key));
    assert.equal(r.json.error.code, 'invalid_idempotency_key');
  }
  assert.equal((await post('x'.repeat(255), { title: `long key ${randomUUID()}` })).status, 201);
  assert.equal((await post('!#$%&\'*+-.^_`|~0aZ', { title: `odd key ${randomUUID()}` })).status, 201);
});

test('Idempotency-Key is an sf-string: escapes are read, and a bare key is the same key as its quoted form', async () => {
  const escaped = `"k\\"${randomUUID()}\\\\ x"`; // "k\"<uuid>\\ x": the key k"<uuid>\ x
  const first = await post(escaped, { title: 'escaped key' });
  assert.equal(first.status, 201, first.raw.toString());
  const again = await post(escaped, { title: 'escaped key' });
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.equal(again.json.id, first.json.id);
  const bare = `bare-${randomUUID()}`;
  const a = await post(bare, { title: 'bare key' });
  const b = await post(`"${bare}"`, { title: 'bare key' });
  assert.equal(b.headers['idempotent-replayed'], 'true', 'the quoted form names the same key');
  assert.equal(b.json.id, a.json.id);
});

test('errors are never stored: a key whose first request failed creates on the next', async () => {
  const key = randomUUID();
  const bad = await post(key, { title: '' });
  assert.equal(bad.status, 400);
  const good = await post(key, { title: `after error ${key}` });
  assert.equal(good.status, 201);
  assert.equal(good.headers['idempotent-replayed'], undefined);
});

test('a replay after the task was deleted answers the original 201; the task stays deleted', async () => {
  const key = randomUUID();
  const title = `deleted ${key}`;
  const first = await post(key, { title });
  const path = apiPath(first.headers.location);
  assert.equal((await send({ method: 'DELETE', path })).status, 204);
  assert.equal((await send({ method: 'GET', path })).status, 404);
  const again = await post(key, { title });
  assert.equal(again.status, 201);
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.equal(again.json.id, first.json.id);
  assert.equal((await send({ method: 'GET', path })).status, 404);
  assert.equal(await countTitled(title), 0, 'records never show up in lists');
  assert.equal((await send({ method: 'PATCH', path, body: { title: 'back?' } })).status, 404);
  assert.equal((await send({ method: 'DELETE', path })).status, 404);
});

test('a keyed task is an ordinary task: PATCH, If-Match and lists see it once', async () => {
  const key = randomUUID();
  const first = await post(key, { title: `ordinary ${key}` });
  const path = apiPath(first.headers.location);
  const p = await send({ method: 'PATCH', path, body: { status: 'done' }, headers: { 'If-Match': first.headers.etag } });
  assert.equal(p.status, 200);
  assert.equal(p.json.version, 2);
  // a replay still answers the original (version 1) body
  const again = await post(key, { title: `ordinary ${key}` });
  assert.equal(again.json.version, 1);
  assert.equal(again.json.status, 'todo');
  assert.equal(await countTitled(`ordinary ${key}`), 1);
});

if (authOn()) {
  test('keys are per user: the same key by two users creates two tasks', async () => {
    const key = randomUUID();
    const a = await post(key, { title: `per user ${key}` }, { user: `alice-${key}` });
    const b = await post(key, { title: `per user ${key}` }, { user: `bob-${key}` });
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    assert.notEqual(a.json.id, b.json.id);
    assert.equal(b.headers['idempotent-replayed'], undefined);
    const c = await post(key, { title: 'different' }, { user: `carol-${key}` });
    assert.equal(c.status, 201, 'another user\'s key never answers 422');
  });
}
