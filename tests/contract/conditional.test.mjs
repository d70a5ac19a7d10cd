// Versions and conditional requests: a strong ETag on every task response that changes
// on every change, If-Match on PATCH and DELETE (412 precondition_failed, nothing
// changed), If-None-Match on GET (304), 404 before 412 or 304, and the version check and
// the write as one atomic step (racing writers: exactly one wins).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { send, closeClient, apiPath } from './client.mjs';

after(closeClient);

async function create(title = 'versioned') {
  const r = await send({ method: 'POST', path: '/tasks', body: { title } });
  assert.equal(r.status, 201);
  return { path: apiPath(r.headers.location), etag: r.headers.etag, task: r.json };
}

const patch = (path, body, headers = {}) => send({ method: 'PATCH', path, body, headers });

test('every task response carries a strong ETag that changes on every change', async () => {
  const { path, etag, task } = await create();
  assert.match(etag, /^"\d+\.\d+"$/);
  assert.equal(task.etag, etag, 'the body carries the ETag too');
  assert.equal(task.version, 1);
  const got = await send({ method: 'GET', path });
  assert.equal(got.headers.etag, etag, 'an unchanged task keeps its ETag');
  assert.equal(got.headers['cache-control'], 'private, no-cache');
  const seen = new Set([etag]);
  for (let i = 0; i < 5; i++) { // back to back: several changes within one millisecond
    const r = await patch(path, { status: i % 2 ? 'todo' : 'done' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.ok(!seen.has(r.headers.etag), `ETag ${r.headers.etag} repeated`);
    seen.add(r.headers.etag);
    assert.equal(r.json.version, task.version + i + 1);
    assert.equal((await send({ method: 'GET', path })).headers.etag, r.headers.etag);
  }
});

test('list items carry their version and ETag, so a client can edit without another GET', async () => {
  const { path } = await create('listed');
  const edited = await patch(path, { title: 'listed, edited' });
  const page = await send({ method: 'GET', path: '/tasks?limit=100' });
  const item = page.json.items.find((t) => path.endsWith(t.id));
  assert.equal(item.version, edited.json.version);
  assert.equal(item.etag, edited.headers.etag);
  assert.equal((await patch(path, { status: 'done' }, { 'If-Match': item.etag })).status, 200);
});

test('If-Match: a stale ETag is 412 precondition_failed and changes nothing', async () => {
  const { path, etag } = await create();
  const first = await patch(path, { title: 'first' }, { 'If-Match': etag });
  assert.equal(first.status, 200);
  const stale = await patch(path, { title: 'second' }, { 'If-Match': etag });
  assert.equal(stale.status, 412);
  assert.equal(stale.json.error.code, 'precondition_failed');
  const del = await send({ method: 'DELETE', path, headers: { 'If-Match': etag } });
  assert.equal(del.status, 412);
  const now = await send({ method: 'GET', path });
  assert.equal(now.json.title, 'first');
  assert.equal(now.headers.etag, first.headers.etag);
});

test('If-Match: *, lists, weak tags, repeated lines', async () => {
  const { path, etag } = await create();
  assert.equal((await patch(path, { title: 'star' }, { 'If-Match': '*' })).status, 200);
  const cur = (await send({ method: 'GET', path })).headers.etag;
  // several values: any one current value matches (RFC 9110)
  assert.equal((await patch(path, { title: 'list' }, { 'If-Match': `"999", ${cur} , "1000"` })).status, 200);
  const now = (await send({ method: 'GET', path })).headers.etag;
  // If-Match compares strongly: a weak tag never matches
  assert.equal((await patch(path, { title: 'weak' }, { 'If-Match': `W/${now}` })).status, 412);
  // an ETag of another form matches nothing
  assert.equal((await patch(path, { title: 'other' }, { 'If-Match': '"abc"' })).status, 412);
  assert.equal((await send({ method: 'DELETE', path, headers: { 'If-Match': `${etag}, ${now}` } })).status, 204);
});

test('a malformed If-Match or If-None-Match is 400 invalid_header', async () => {
  const { path } = await create();
  for (const value of ['3', '"3', 'W/3', '"3" "4"', '*, "3"', '"a"b"', 'x'.repeat(1100), Array.from({ length: 17 }, (_, i) => `"${i}"`).join(',')]) {
    const r = await patch(path, { title: 'x' }, { 'If-Match': value });
    assert.equal(r.status, 400, `If-Match: ${value.slice(0, 40)}`);
    assert.equal(r.json.error.code, 'invalid_header');
    const g = await send({ method: 'GET', path, headers: { 'If-None-Match': value } });
    assert.equal(g.status, 400);
  }
  assert.equal((await send({ method: 'GET', path })).json.title, 'versioned');
});

test('If-None-Match: the current ETag is 304 with ETag and Cache-Control, no body, no Content-Type', async () => {
  const { path, etag } = await create();
  for (const value of [etag, `W/${etag}`, `"77", ${etag}`, '*']) {
    const r = await send({ method: 'GET', path, headers: { 'If-None-Match': value } });
    assert.equal(r.status, 304, value);
    assert.equal(r.raw.length, 0);
    assert.equal(r.headers.etag, etag);
    assert.equal(r.headers['cache-control'], 'private, no-cache');
    assert.equal(r.headers['content-type'], undefined);
  }
  await patch(path, { status: 'done' });
  const changed = await send({ method: 'GET', path, headers: { 'If-None-Match': etag } });
  assert.equal(changed.status, 200);
  assert.equal(changed.json.status, 'done');
  assert.notEqual(changed.headers.etag, etag);
});

test('404 comes before 412 and 304: a condition never reveals whether a task exists', async () => {
  const { path, etag } = await create();
  assert.equal((await send({ method: 'DELETE', path })).status, 204);
  assert.equal((await patch(path, { title: 'gone' }, { 'If-Match': etag })).status, 404);
  assert.equal((await send({ method: 'DELETE', path, headers: { 'If-Match': '*' } })).status, 404);
  assert.equal((await send({ method: 'GET', path, headers: { 'If-None-Match': '*' } })).status, 404);
});

test('two writers racing on the same version: exactly one wins, the other gets 412', async () => {
  for (let round = 0; round < 8; round++) {
    const { path, etag } = await create(`race ${round}`);
    const results = await Promise.all(['a', 'b', 'c'].map((w) => patch(path, { title: `writer ${w}` }, { 'If-Match': etag })));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 412, 412], `round ${round}`);
    const winner = results.find((r) => r.status === 200);
    const now = await send({ method: 'GET', path });
    assert.equal(now.json.title, winner.json.title);
    assert.equal(now.json.version, 2);
    const dels = await Promise.all([1, 2].map(() => send({ method: 'DELETE', path, headers: { 'If-Match': now.headers.etag } })));
    assert.deepEqual(dels.map((r) => r.status).sort(), [204, 404]);
  }
});
