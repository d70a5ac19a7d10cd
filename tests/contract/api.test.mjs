// The API contract, driven from outside through whichever door client.mjs selects.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { send, closeClient, apiPath, publicPrefix } from './client.mjs';

after(closeClient);

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function assertCommonHeaders(res) {
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.match(res.headers['x-request-id'] || '', /^[A-Za-z0-9._:-]{1,128}$/, 'every response names its request');
  if (res.status !== 204) {
    assert.equal(res.headers['content-type'], res.status >= 400 ? 'application/problem+json' : 'application/json; charset=utf-8');
    assert.ok(res.json !== undefined, `body is JSON: ${res.raw}`);
  } else {
    assert.equal(res.raw.length, 0);
  }
}

// RFC 9457 problem details, with the API's code, the request's id and, during the
// transition from the earlier shape, error {code, message}
function assertError(res, status, code) {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.raw}`);
  assertCommonHeaders(res);
  const p = res.json;
  const members = Object.keys(p).filter((k) => k !== 'errors').sort();
  assert.deepEqual(members, ['code', 'detail', 'error', 'instance', 'requestId', 'status', 'title', 'type']);
  assert.equal(p.type, `tag:tasks-api,2026:problem/${code}`);
  assert.equal(p.status, status);
  assert.equal(p.code, code);
  assert.match(p.title, /^[A-Z][^.]+$/);
  assert.match(p.detail, /^[A-Z].+\.$/);
  assert.equal(p.requestId, res.headers['x-request-id']);
  assert.match(p.instance, /^\//);
  assert.deepEqual(Object.keys(p.error).sort(), ['code', 'message']);
  assert.equal(p.error.code, code);
  assert.equal(p.error.message, p.detail);
}

function assertTask(t) {
  assert.deepEqual(Object.keys(t).sort(),
    ['createdAt', 'description', 'etag', 'id', 'status', 'title', 'updatedAt', 'version']);
  assert.match(t.id, UUID_V4);
  assert.ok(Number.isSafeInteger(t.version) && t.version >= 1);
  assert.match(t.createdAt, RFC3339_MS);
  assert.match(t.updatedAt, RFC3339_MS);
  assert.ok(['todo', 'in_progress', 'done'].includes(t.status));
}

async function create(body) {
  const res = await send({ method: 'POST', path: '/tasks', body });
  assert.equal(res.status, 201, `create failed: ${res.raw}`);
  return res.json;
}

async function listAll(limit, onPage = async () => {}) {
  const seen = [];
  let token = null;
  for (let guard = 0; guard < 10000; guard++) {
    const q = token ? `?limit=${limit}&nextToken=${encodeURIComponent(token)}` : `?limit=${limit}`;
    const res = await send({ method: 'GET', path: `/tasks${q}` });
    assert.equal(res.status, 200, String(res.raw));
    assertCommonHeaders(res);
    assert.ok(res.json.items.length <= limit);
    seen.push(...res.json.items);
    token = res.json.nextToken;
    await onPage();
    if (token === null) return seen;
  }
  throw new Error('paging did not end');
}

test('POST /tasks creates a task with defaults, 201 and Location', async () => {
  const res = await send({ method: 'POST', path: '/tasks', body: { title: '  Buy milk  ' } });
  assert.equal(res.status, 201);
  assertCommonHeaders(res);
  const t = res.json;
  assertTask(t);
  assert.equal(t.title, 'Buy milk');
  assert.equal(t.description, '');
  assert.equal(t.status, 'todo');
  assert.equal(t.createdAt, t.updatedAt);
  // followable where the client is: the stage or base path (Lambda door) is kept
  assert.equal(res.headers.location, `${publicPrefix()}/tasks/${t.id}`);
  const followed = await send({ method: 'GET', path: apiPath(res.headers.location) });
  assert.equal(followed.status, 200);
  assert.deepEqual(followed.json, t);
});

test('/tasks/ (trailing slash) is the collection: list and create', async () => {
  const t = await create({ title: 'slash' });
  const list = await send({ method: 'GET', path: '/tasks/?limit=100' });
  assert.equal(list.status, 200);
  assertCommonHeaders(list);
  assert.ok(list.json.items.some((x) => x.id === t.id));
  const res = await send({ method: 'POST', path: '/tasks/', body: { title: 'via slash' } });
  assert.equal(res.status, 201);
  assert.equal(res.headers.location, `${publicPrefix()}/tasks/${res.json.id}`);
  assert.equal((await send({ method: 'GET', path: apiPath(res.headers.location) })).json.title, 'via slash');
});

test('an encoded NUL or slash in the path never matches a route', async () => {
  const t = await create({ title: 'encoded' });
  for (const path of ['/tasks%00/zzz', '/tasks%00', `/tasks/${t.id}%00junk`, `/tasks%2F${t.id}`,
    `/tasks%2f${t.id}`, '/tasks%2F', `/tasks/${t.id}%2Fx`]) {
    for (const method of ['GET', 'DELETE']) assertError(await send({ method, path }), 404, 'not_found');
  }
  assert.equal((await send({ method: 'GET', path: `/tasks/${t.id}` })).status, 200);
});

test('GET /tasks/{id} returns exactly what POST returned', async () => {
  const t = await create({ title: 'Read', description: 'Ünïcødé ✓ 🚀', status: 'in_progress' });
  const res = await send({ method: 'GET', path: `/tasks/${t.id}` });
  assert.equal(res.status, 200);
  assertCommonHeaders(res);
  assert.deepEqual(res.json, t);
});

test('PATCH updates given fields and refreshes updatedAt', async () => {
  const t = await create({ title: 'Old', description: 'keep me' });
  await new Promise((r) => setTimeout(r, 5));
  const res = await send({ method: 'PATCH', path: `/tasks/${t.id}`, body: { title: ' New ', status: 'done' } });
  assert.equal(res.status, 200);
  assertCommonHeaders(res);
  assertTask(res.json);
  assert.equal(res.json.title, 'New');
  assert.equal(res.json.status, 'done');
  assert.equal(res.json.description, 'keep me');
  assert.equal(res.json.createdAt, t.createdAt);
  assert.ok(res.json.updatedAt > t.updatedAt, 'updatedAt moved forward');
  const again = await send({ method: 'GET', path: `/tasks/${t.id}` });
  assert.deepEqual(again.json, res.json);
});

test('DELETE removes a task: 204 without body, then 404', async () => {
  const t = await create({ title: 'Doomed' });
  const res = await send({ method: 'DELETE', path: `/tasks/${t.id}` });
  assert.equal(res.status, 204);
  assertCommonHeaders(res);
  assertError(await send({ method: 'GET', path: `/tasks/${t.id}` }), 404, 'not_found');
  assertError(await send({ method: 'DELETE', path: `/tasks/${t.id}` }), 404, 'not_found');
  assertError(await send({ method: 'PATCH', path: `/tasks/${t.id}`, body: { title: 'x' } }), 404, 'not_found');
});

test('unknown routes and non-UUID ids are 404', async () => {
  for (const path of ['/', '/task', '/tasks//', '/tasks/abc', '/tasks/123/x', '/TASKS',
    '/tasks/00000000-0000-4000-8000-00000000000G', '/tasks/%00', '/tasks/%C3%28']) {
    assertError(await send({ method: 'GET', path }), 404, 'not_found');
  }
});

test('wrong method on a known path is 405 with Allow', async () => {
  for (const method of ['PUT', 'DELETE', 'PATCH']) {
    const res = await send({ method, path: '/tasks' });
    assertError(res, 405, 'method_not_allowed');
    assert.equal(res.headers.allow, 'GET, HEAD, POST');
  }
  for (const method of ['PUT', 'POST']) {
    const res = await send({ method, path: '/tasks/00000000-0000-4000-8000-000000000000' });
    assertError(res, 405, 'method_not_allowed');
    assert.equal(res.headers.allow, 'GET, HEAD, PATCH, DELETE');
  }
});

test('bodies over 64 KiB are 413; exactly 64 KiB is accepted', async () => {
  const big = Buffer.alloc(64 * 1024 + 1, 'a');
  assertError(await send({ method: 'POST', path: '/tasks', headers: { 'Content-Type': 'application/json' }, body: big }),
    413, 'payload_too_large');
  assertError(await send({ method: 'POST', path: '/tasks', headers: { 'Content-Type': 'application/json' }, body: big, chunked: true }),
    413, 'payload_too_large');
  const json = '{"title":"padded"}';
  const exact = json + ' '.repeat(64 * 1024 - json.length);
  const res = await send({ method: 'POST', path: '/tasks', headers: { 'Content-Type': 'application/json' }, body: exact });
  assert.equal(res.status, 201, String(res.raw));
});

test('non-JSON Content-Type on POST and PATCH is 415; a missing one is accepted', async () => {
  const body = '{"title":"ct"}';
  for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=iso-8859-1', 'multipart/form-data; boundary=x']) {
    assertError(await send({ method: 'POST', path: '/tasks', headers: { 'Content-Type': ct }, body }), 415, 'unsupported_media_type');
  }
  const t = await create({ title: 'ct' });
  assertError(await send({ method: 'PATCH', path: `/tasks/${t.id}`, headers: { 'Content-Type': 'text/xml' }, body }), 415, 'unsupported_media_type');
  const res = await send({ method: 'POST', path: '/tasks', body: Buffer.from(body) });
  assert.equal(res.status, 201);
  const ok = await send({ method: 'POST', path: '/tasks', headers: { 'Content-Type': 'application/json; charset=UTF-8' }, body });
  assert.equal(ok.status, 201);
});

const BAD_BODIES = [
  ['empty body', '', 'invalid_json'],
  ['truncated JSON', '{"title": "abc"', 'invalid_json'],
  ['trailing garbage', '{"title":"a"} x', 'invalid_json'],
  ['single quotes', "{'title':'a'}", 'invalid_json'],
  ['array', '[{"title":"a"}]', 'invalid_body'],
  ['string', '"title"', 'invalid_body'],
  ['null', 'null', 'invalid_body'],
  ['missing title', '{"description":"d"}', 'missing_field'],
  ['empty object', '{}', 'missing_field'],
  ['blank title', '{"title":"   "}', 'invalid_field'],
  ['number title', '{"title":42}', 'invalid_field'],
  ['null title', '{"title":null}', 'invalid_field'],
  ['object title', '{"title":{"a":1}}', 'invalid_field'],
  ['bool description', '{"title":"a","description":true}', 'invalid_field'],
  ['bad status', '{"title":"a","status":"finished"}', 'invalid_field'],
  ['status wrong case', '{"title":"a","status":"TODO"}', 'invalid_field'],
  ['title 201 chars', JSON.stringify({ title: 'x'.repeat(201) }), 'invalid_field'],
  ['title 201 emoji', JSON.stringify({ title: '😀'.repeat(201) }), 'invalid_field'],
  ['description 2001 chars', JSON.stringify({ title: 'a', description: 'é'.repeat(2001) }), 'invalid_field'],
  ['unknown field', '{"title":"a","priority":1}', 'unknown_field'],
  ['client-set id', '{"title":"a","id":"00000000-0000-4000-8000-000000000000"}', 'read_only_field'],
  ['duplicate field', '{"title":"a","title":"b"}', 'invalid_json'],
  ['escaped NUL', '{"title":"a\\u0000b"}', 'invalid_json'],
  ['raw NUL byte', Buffer.from('{"title":"a\0b"}'), 'invalid_json'],
  ['NUL outside strings', Buffer.from('{"title":"a"}\0'), 'invalid_json'],
  ['control char in title', '{"title":"a\\u0007"}', 'invalid_field'],
  ['lone surrogate', '{"title":"\\ud800"}', 'invalid_json'],
  ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x74, 0x69, 0x74, 0x6c, 0x65, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), 'invalid_utf8'],
  ['overlong UTF-8', Buffer.concat([Buffer.from('{"title":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), 'invalid_utf8'],
  ['deep nesting', '{"title":' + '['.repeat(5000) + ']'.repeat(5000) + '}', 'invalid_json'],
  ['huge number', '{"title":1e999999}', 'invalid_field'],
];

for (const [name, body, code] of BAD_BODIES) {
  test(`POST with ${name} is 400 ${code}`, async () => {
    assertError(await send({ method: 'POST', path: '/tasks', headers: { 'Content-Type': 'application/json' }, body }), 400, code);
  });
}

test('malformed JSON errors say where', async () => {
  const res = await send({ method: 'POST', path: '/tasks', body: Buffer.from('{\n "title" "x"\n}') });
  assertError(res, 400, 'invalid_json');
  assert.match(res.json.error.message, /line 2, column 10/);
});

test('PATCH rejects empty, unknown and invalid updates with 400', async () => {
  const t = await create({ title: 'Patchable' });
  const path = `/tasks/${t.id}`;
  assertError(await send({ method: 'PATCH', path, body: {} }), 400, 'invalid_body');
  assertError(await send({ method: 'PATCH', path, body: { createdAt: 'x' } }), 400, 'read_only_field');
  assertError(await send({ method: 'PATCH', path, body: { priority: 1 } }), 400, 'unknown_field');
  assertError(await send({ method: 'PATCH', path, body: { title: '' } }), 400, 'invalid_field');
  assertError(await send({ method: 'PATCH', path, body: { status: null } }), 400, 'invalid_field');
  assertError(await send({ method: 'PATCH', path, body: Buffer.from('{"title":') }), 400, 'invalid_json');
  const unchanged = await send({ method: 'GET', path });
  assert.deepEqual(unchanged.json, t, 'rejected PATCHes change nothing');
});

test('limits count characters, not bytes', async () => {
  const t = await create({ title: '😀'.repeat(200), description: 'é'.repeat(2000) });
  assert.equal([...t.title].length, 200);
  assert.equal([...t.description].length, 2000);
});

test('bad limit and nextToken values are 400', async () => {
  for (const q of ['limit=0', 'limit=101', 'limit=-5', 'limit=abc', 'limit=', 'limit=1.5', 'limit=10&limit=20', 'limit=%FF', 'foo=bar']) {
    assertError(await send({ method: 'GET', path: `/tasks?${q}` }), 400, 'invalid_query');
  }
  for (const tok of ['x', '', 'A'.repeat(103), 'A'.repeat(5000), '%00', '..%2F..']) {
    assertError(await send({ method: 'GET', path: `/tasks?nextToken=${tok}` }), 400, 'invalid_page_token');
  }
});

test('a tampered nextToken is 400', async () => {
  for (let i = 0; i < 3; i++) await create({ title: `tamper ${i}` });
  const first = await send({ method: 'GET', path: '/tasks?limit=1' });
  const token = first.json.nextToken;
  assert.equal(typeof token, 'string');
  for (const pos of [0, 20, 60, token.length - 2]) {
    const flipped = token.slice(0, pos) + (token[pos] === 'A' ? 'B' : 'A') + token.slice(pos + 1);
    assertError(await send({ method: 'GET', path: `/tasks?nextToken=${flipped}` }), 400, 'invalid_page_token');
  }
  const ok = await send({ method: 'GET', path: `/tasks?limit=1&nextToken=${token}` });
  assert.equal(ok.status, 200);
});

test('list is newest first and pages through every task exactly once', async () => {
  const created = [];
  for (let i = 0; i < 25; i++) created.push((await create({ title: `page ${i}` })).id);
  const all = await listAll(7);
  const ids = all.map((t) => t.id);
  assert.equal(new Set(ids).size, ids.length, 'no duplicates');
  for (const id of created) assert.ok(ids.includes(id));
  for (let i = 1; i < all.length; i++) {
    const a = all[i - 1], b = all[i];
    assert.ok(a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id), 'ordered');
  }
  const page = await send({ method: 'GET', path: '/tasks' });
  assert.ok(page.json.items.length <= 50);
  assert.deepEqual(Object.keys(page.json).sort(), ['items', 'nextToken']);
});

test('paging stays exact while tasks are created and deleted', async () => {
  for (let i = 0; i < 30; i++) await create({ title: `churn ${i}` });
  const before = (await listAll(100)).map((t) => t.id);
  const deleted = new Set();
  let n = 0;
  const seen = await listAll(9, async () => {
    await create({ title: `during ${n}` });
    const victim = before[before.length - 1 - n * 4];
    if (victim && !deleted.has(victim)) {
      const res = await send({ method: 'DELETE', path: `/tasks/${victim}` });
      if (res.status === 204) deleted.add(victim);
    }
    n++;
  });
  const ids = seen.map((t) => t.id);
  assert.equal(new Set(ids).size, ids.length, 'no duplicates');
  for (const id of before) if (!deleted.has(id)) assert.ok(ids.includes(id), `missing ${id}`);
});

test('concurrent creates all succeed and are readable', async () => {
  const results = await Promise.all(
    Array.from({ length: 40 }, (_, i) => send({ method: 'POST', path: '/tasks', body: { title: `parallel ${i}` } })),
  );
  for (const r of results) assert.equal(r.status, 201);
  const reads = await Promise.all(results.map((r) => send({ method: 'GET', path: `/tasks/${r.json.id}` })));
  for (const r of reads) assert.equal(r.status, 200);
});
