// RFC 9110 to the letter, on both doors: If-None-Match on writes, If-Match on reads, HEAD,
// strong comparison, a 304's Content-Length, no-op PATCHes, read-only fields sent back,
// merge patches, 412s that carry the current ETag, and ETags that carry the
// representation's generation.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { send, closeClient, apiPath } from './client.mjs';

after(closeClient);

async function create(title = 'semantics') {
  const r = await send({ method: 'POST', path: '/tasks', body: { title, description: 'words' } });
  assert.equal(r.status, 201, r.raw.toString());
  return { path: apiPath(r.headers.location), etag: r.headers.etag, task: r.json };
}

const get = (path, headers = {}) => send({ method: 'GET', path, headers });
const patch = (path, body, headers = {}) => send({ method: 'PATCH', path, body, headers });
const del = (path, headers = {}) => send({ method: 'DELETE', path, headers });

test('If-None-Match on PATCH and DELETE: a matching tag or * is 412 with the current ETag, and nothing changes', async () => {
  const { path, etag } = await create();
  for (const value of [etag, `W/${etag}`, `"77.1", ${etag}`, '*']) {
    const p = await patch(path, { title: 'must not apply' }, { 'If-None-Match': value });
    assert.equal(p.status, 412, `PATCH If-None-Match: ${value}`);
    assert.equal(p.json.error.code, 'precondition_failed');
    assert.equal(p.headers.etag, etag, 'a 412 carries the current ETag');
    const d = await del(path, { 'If-None-Match': value });
    assert.equal(d.status, 412, `DELETE If-None-Match: ${value}`);
    assert.equal(d.headers.etag, etag);
  }
  const now = await get(path);
  assert.equal(now.status, 200);
  assert.equal(now.json.title, 'semantics');
  assert.equal(now.headers.etag, etag);
  // a tag that does not match lets the write through
  const ok = await patch(path, { title: 'applied' }, { 'If-None-Match': '"77.1"' });
  assert.equal(ok.status, 200);
  assert.equal(ok.json.version, 2);
  // both conditions: If-Match must hold and If-None-Match must not match
  assert.equal((await patch(path, { title: 'x' }, { 'If-Match': ok.headers.etag, 'If-None-Match': ok.headers.etag })).status, 412);
  assert.equal((await del(path, { 'If-None-Match': etag })).status, 204, 'an old tag does not match the current version');
  assert.equal((await del(path, { 'If-None-Match': '*' })).status, 404, '404 before 412');
});

test('If-Match on GET: a tag that does not match is 412 with the current ETag', async () => {
  const { path, etag } = await create();
  const bad = await get(path, { 'If-Match': '"99.1"' });
  assert.equal(bad.status, 412);
  assert.equal(bad.json.error.code, 'precondition_failed');
  assert.equal(bad.headers.etag, etag);
  assert.equal((await get(path, { 'If-Match': `W/${etag}` })).status, 412, 'If-Match compares strongly');
  const good = await get(path, { 'If-Match': etag });
  assert.equal(good.status, 200);
  assert.equal(good.json.title, 'semantics');
  assert.equal((await get(path, { 'If-Match': '*' })).status, 200);
  // If-Match holds, then If-None-Match decides: 304
  assert.equal((await get(path, { 'If-Match': etag, 'If-None-Match': etag })).status, 304);
});

test('entity tags are compared character by character, and carry the representation generation', async () => {
  const { path, etag, task } = await create();
  const [version, generation] = etag.slice(1, -1).split('.');
  assert.equal(Number(version), task.version);
  assert.match(generation, /^\d+$/);
  for (const spelled of [`"0${version}.${generation}"`, `"${version}.0${generation}"`, `"${version}"`, `"${version}.${Number(generation) + 1}"`, ` "${version}.${generation} "`.trim() + 'x']) {
    if (!/^"[^"]*"$/.test(spelled)) continue;
    assert.equal((await patch(path, { title: 'no' }, { 'If-Match': spelled })).status, 412, `If-Match: ${spelled}`);
    assert.equal((await get(path, { 'If-None-Match': spelled })).status, 200, `If-None-Match: ${spelled}`);
  }
  assert.equal((await get(path)).json.title, 'semantics');
});

test('HEAD is GET without the body: same status and headers', async () => {
  const { path, etag } = await create();
  for (const p of [path, '/tasks', '/tasks?limit=1']) {
    const g = await get(p);
    const h = await send({ method: 'HEAD', path: p });
    assert.equal(h.status, 200, `HEAD ${p}`);
    assert.equal(h.raw.length, 0);
    for (const name of ['content-type', 'cache-control', 'etag', 'x-content-type-options']) {
      assert.equal(h.headers[name], g.headers[name], `${name} of HEAD ${p}`);
    }
    if (h.headers['content-length'] !== undefined) assert.equal(Number(h.headers['content-length']), g.raw.length);
  }
  const cond = await send({ method: 'HEAD', path, headers: { 'If-None-Match': etag } });
  assert.equal(cond.status, 304);
  const missing = await send({ method: 'HEAD', path: '/tasks/00000000-0000-4000-8000-000000000000' });
  assert.equal(missing.status, 404);
  assert.equal(missing.raw.length, 0);
  const wrong = await send({ method: 'PUT', path });
  assert.match(wrong.headers.allow, /\bHEAD\b/);
});

test('a 304 carries no Content-Length other than its 200 would', async () => {
  const { path, etag } = await create();
  const full = await get(path);
  const r = await get(path, { 'If-None-Match': etag });
  assert.equal(r.status, 304);
  assert.equal(r.raw.length, 0);
  if (r.headers['content-length'] !== undefined) {
    assert.equal(Number(r.headers['content-length']), full.raw.length, 'Content-Length of a 304 must be the 200\'s');
  }
});

test('a PATCH that changes nothing keeps the version, updatedAt and ETag', async () => {
  const { path, etag, task } = await create();
  for (const body of [{ title: task.title }, { status: 'todo' }, { description: 'words', title: ' semantics ' }]) {
    const r = await patch(path, body, { 'If-Match': etag });
    assert.equal(r.status, 200, JSON.stringify(body));
    assert.equal(r.json.version, 1);
    assert.equal(r.json.updatedAt, task.updatedAt);
    assert.equal(r.headers.etag, etag);
  }
  // a no-op still honours its conditions
  assert.equal((await patch(path, { title: task.title }, { 'If-Match': '"9.1"' })).status, 412);
  assert.equal((await patch(path, { title: task.title }, { 'If-None-Match': '*' })).status, 412);
  const changed = await patch(path, { status: 'done' });
  assert.equal(changed.json.version, 2);
});

test('GET, edit, PATCH: read-only fields sent back unchanged are accepted; a changed one is 400 read_only_field', async () => {
  const { path } = await create();
  const got = (await get(path)).json;
  const edited = await patch(path, { ...got, title: 'edited in place' }, { 'If-Match': got.etag });
  assert.equal(edited.status, 200, edited.raw.toString());
  assert.equal(edited.json.title, 'edited in place');
  assert.equal(edited.json.version, 2);
  const same = await patch(path, edited.json);
  assert.equal(same.status, 200, 'the whole task sent back is a no-op');
  assert.equal(same.json.version, 2);
  const cases = {
    id: '00000000-0000-4000-8000-000000000000', createdAt: '2020-01-01T00:00:00.000Z',
    updatedAt: '2020-01-01T00:00:00.000Z', version: 7, etag: '"7.1"',
  };
  for (const [field, value] of Object.entries(cases)) {
    const r = await patch(path, { ...edited.json, title: 'no', [field]: value });
    assert.equal(r.status, 400, field);
    assert.equal(r.json.error.code, 'read_only_field');
    assert.match(r.json.error.message, new RegExp(`'${field}'`));
  }
  for (const bad of [{ version: 'two' }, { version: 1.5 }, { id: 5 }]) {
    assert.equal((await patch(path, bad)).json.error.code, 'read_only_field', JSON.stringify(bad));
  }
  assert.equal((await get(path)).json.title, 'edited in place');
  const post = await send({ method: 'POST', path: '/tasks', body: { title: 't', version: 1 } });
  assert.equal(post.status, 400);
  assert.equal(post.json.error.code, 'read_only_field');
});

test('PATCH takes merge patches (null clears the description); other patch formats are 415 with Accept-Patch', async () => {
  const { path } = await create();
  const mp = { 'Content-Type': 'application/merge-patch+json' };
  const r = await send({ method: 'PATCH', path, headers: mp, body: JSON.stringify({ description: null, status: 'done' }) });
  assert.equal(r.status, 200, r.raw.toString());
  assert.equal(r.json.description, '');
  assert.equal(r.json.status, 'done');
  const t = await send({ method: 'PATCH', path, headers: mp, body: JSON.stringify({ title: null }) });
  assert.equal(t.status, 400);
  assert.equal(t.json.error.code, 'invalid_field');
  for (const type of ['application/json-patch+json', 'text/plain', 'application/vnd.other+json']) {
    const bad = await send({ method: 'PATCH', path, headers: { 'Content-Type': type }, body: '[]' });
    assert.equal(bad.status, 415, type);
    assert.equal(bad.json.error.code, 'unsupported_media_type');
    assert.match(bad.headers['accept-patch'], /application\/merge-patch\+json/);
  }
  assert.equal((await get(path)).json.status, 'done');
});

test('two Content-Type headers are 400 invalid_header: neither is trusted', async () => {
  const { path } = await create();
  const two = ['application/json', 'text/plain'];
  const post = await send({ method: 'POST', path: '/tasks', headers: { 'Content-Type': two }, body: JSON.stringify({ title: 'two types' }) });
  assert.equal(post.status, 400, post.raw.toString());
  assert.equal(post.json.error.code, 'invalid_header');
  assert.match(post.json.error.message, /Content-Type/);
  const p = await send({ method: 'PATCH', path, headers: { 'Content-Type': ['application/json', 'application/json'] }, body: JSON.stringify({ title: 'no' }) });
  assert.equal(p.status, 400);
  assert.equal((await get(path)).json.title, 'semantics');
});

test('titles are stored in NFC, counted after normalising; bidi controls and noncharacters are refused', async () => {
  const decomposed = 'e\u0301'.repeat(200); // 400 code points that are 200 characters in NFC
  const r = await send({ method: 'POST', path: '/tasks', body: { title: decomposed } });
  assert.equal(r.status, 201, r.raw.toString());
  assert.equal(r.json.title, '\u00e9'.repeat(200));
  assert.equal(r.json.title, decomposed.normalize('NFC'));
  const path = apiPath(r.headers.location);
  const p = await patch(path, { title: 'Cafe\u0301' });
  assert.equal(p.json.title, 'Caf\u00e9');
  assert.equal((await patch(path, { title: 'Caf\u00e9' })).json.version, p.json.version, 'the same text in another form changes nothing');
  for (const cp of [0x202a, 0x202e, 0x2066, 0x2069, 0xfdd0, 0xfffe, 0xffff, 0x10ffff]) {
    const bad = await send({ method: 'POST', path: '/tasks', body: { title: `safe${String.fromCodePoint(cp)}looking` } });
    assert.equal(bad.status, 400, `U+${cp.toString(16)}`);
    assert.equal(bad.json.error.code, 'invalid_field');
  }
  const trimmed = await send({ method: 'POST', path: '/tasks', body: { title: ' \t\n spaced \r\n' } });
  assert.equal(trimmed.json.title, 'spaced', 'ASCII whitespace at both ends is trimmed');
  const nbsp = await send({ method: 'POST', path: '/tasks', body: { title: '\u00a0kept\u00a0' } });
  assert.equal(nbsp.json.title, '\u00a0kept\u00a0', 'other spaces are kept');
});

test('query strings: empty pairs are skipped; items ignore parameters, lists refuse unknown ones', async () => {
  const { path } = await create();
  const list = await get('/tasks?limit=1&&status=todo&');
  assert.equal(list.status, 200, list.raw.toString());
  assert.equal(list.json.items.length, 1);
  assert.equal((await get(`${path}?_=${Date.now()}`)).status, 200, 'a cache-buster on an item');
  assert.equal((await patch(`${path}?x=1`, { status: 'done' })).status, 200);
  const typo = await get('/tasks?statuss=todo');
  assert.equal(typo.status, 400);
  assert.equal(typo.json.error.code, 'invalid_query');
});

test('errors are RFC 9457 problem details that list every failure of a body', async () => {
  const r = await send({ method: 'POST', path: '/tasks', body: { title: '', status: 'nope', priority: 1, 'a/b~c': true } });
  assert.equal(r.status, 400);
  assert.equal(r.headers['content-type'], 'application/problem+json');
  assert.equal(r.json.code, 'invalid_field', 'the first failure is the problem\'s code');
  assert.deepEqual(r.json.errors.map((e) => [e.pointer, e.code]), [
    ['/title', 'invalid_field'], ['/status', 'invalid_field'], ['/priority', 'unknown_field'], ['/a~1b~0c', 'unknown_field']]);
  for (const e of r.json.errors) assert.match(e.detail, /^[A-Z].+\.$/);
  const missing = await send({ method: 'POST', path: '/tasks', body: { status: 'nope' } });
  assert.deepEqual(missing.json.errors.map((e) => [e.pointer, e.code]), [['/status', 'invalid_field'], ['/title', 'missing_field']]);
  const one = await send({ method: 'POST', path: '/tasks', body: { title: 'x'.repeat(201) } });
  assert.equal(one.json.errors.length, 1);
  const notFound = await get('/tasks/00000000-0000-4000-8000-000000000000');
  assert.equal(notFound.json.errors, undefined, 'only body validation lists errors');
  assert.equal(notFound.json.type, 'tag:tasks-api,2026:problem/not_found');
  assert.equal(notFound.json.title, 'Not found');
  assert.equal(notFound.json.requestId, notFound.headers['x-request-id']);
});

test('every response carries X-Request-Id; locally a valid one the client sends is kept', async () => {
  const lambda = (process.env.CONTRACT_TRANSPORT || 'http') === 'lambda';
  const ids = new Set();
  for (let i = 0; i < 3; i++) {
    const r = await get('/tasks?limit=1');
    assert.match(r.headers['x-request-id'], /^[A-Za-z0-9._:-]{1,128}$/);
    ids.add(r.headers['x-request-id']);
  }
  assert.equal(ids.size, 3, 'one id per request');
  const mine = `client-${Date.now()}.a:b`;
  const kept = await get('/tasks?limit=1', { 'X-Request-Id': mine });
  if (lambda) assert.notEqual(kept.headers['x-request-id'], mine, 'on AWS the id is API Gateway\'s');
  else assert.equal(kept.headers['x-request-id'], mine);
  for (const bad of ['has space', 'x'.repeat(129), 'semi;colon']) {
    const r = await get('/tasks/00000000-0000-4000-8000-000000000000', { 'X-Request-Id': bad });
    assert.notEqual(r.headers['x-request-id'], bad);
    assert.equal(r.json.requestId, r.headers['x-request-id']);
  }
});

test('the local server logs each request with its id and the client\'s W3C traceparent', { skip: !process.env.CONTRACT_SERVER_LOG && 'needs the server\'s log (CONTRACT_SERVER_LOG, local server only)' }, async () => {
  const { readFileSync } = await import('node:fs');
  const id = `log-${Date.now()}`;
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const r = await send({ method: 'GET', path: '/tasks/00000000-0000-4000-8000-000000000000', headers: { 'X-Request-Id': id, traceparent }, user: null });
  assert.equal(r.headers['x-request-id'], id);
  let lines = [];
  for (let i = 0; i < 100; i++) {
    lines = readFileSync(process.env.CONTRACT_SERVER_LOG, 'utf8').trim().split('\n').filter((l) => l.includes(id)).map((l) => JSON.parse(l));
    if (lines.some((l) => l.msg === 'request')) break;
    await new Promise((res) => setTimeout(res, 10));
  }
  const access = lines.find((l) => l.msg === 'request');
  assert.ok(access, 'the request line names the id');
  assert.equal(access.requestId, id);
  assert.equal(access.traceparent, traceparent);
  for (const l of lines) assert.equal(l.requestId, id);
  // with authentication on, the refusal is logged during the request, under its id
  if (r.status === 401) assert.ok(lines.some((l) => l.msg.startsWith('unauthorized')), JSON.stringify(lines));
  const bad = await send({ method: 'GET', path: '/tasks?limit=1', headers: { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' } });
  const badId = bad.headers['x-request-id'];
  for (let i = 0; i < 100 && !readFileSync(process.env.CONTRACT_SERVER_LOG, 'utf8').includes(badId); i++) await new Promise((res) => setTimeout(res, 10));
  const line = readFileSync(process.env.CONTRACT_SERVER_LOG, 'utf8').split('\n').find((l) => l.includes(badId));
  assert.equal(JSON.parse(line).traceparent, undefined, 'an invalid traceparent is not logged');
});
