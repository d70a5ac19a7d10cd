// GET /tasks?status=: one status or a comma list, newest first, keyset-paged with full
// pages, a status change moving the task between lists, and page tokens bound to their
// filter.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { send, closeClient, apiPath } from './client.mjs';

after(closeClient);

async function walk(query, limit) {
  const ids = [];
  let token;
  let pages = 0;
  do {
    const q = `/tasks?${query}&limit=${limit}${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`;
    const r = await send({ method: 'GET', path: q });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    if (r.json.nextToken) assert.equal(r.json.items.length, limit, 'a page before the last is full');
    ids.push(...r.json.items.map((t) => ({ id: t.id, status: t.status, createdAt: t.createdAt })));
    token = r.json.nextToken;
    pages++;
  } while (token && pages < 1000);
  return ids;
}

test('status=todo and status=todo,in_progress list only those, newest first, in full pages', async () => {
  const made = [];
  for (let i = 0; i < 9; i++) {
    const status = ['todo', 'in_progress', 'done'][i % 3];
    const r = await send({ method: 'POST', path: '/tasks', body: { title: `filter ${i}`, status } });
    assert.equal(r.status, 201);
    made.push(r.json);
  }
  for (const [query, wanted] of [['status=todo', ['todo']], ['status=todo,in_progress', ['todo', 'in_progress']], ['status=done', ['done']]]) {
    for (const limit of [1, 4]) {
      const items = await walk(query, limit);
      assert.ok(items.every((t) => wanted.includes(t.status)), `${query}: only ${wanted}`);
      for (let i = 1; i < items.length; i++) {
        assert.ok(items[i - 1].createdAt >= items[i].createdAt, `${query}: newest first`);
      }
      const mine = items.filter((t) => made.some((m) => m.id === t.id)).map((t) => t.id);
      // the list's order: createdAt, then id, both descending (two creates may share a ms)
      const expected = made.filter((m) => wanted.includes(m.status))
        .sort((x, y) => (x.createdAt === y.createdAt ? (x.id < y.id ? 1 : -1) : x.createdAt < y.createdAt ? 1 : -1))
        .map((m) => m.id);
      assert.deepEqual(mine, expected, `${query} limit ${limit}`);
      assert.equal(new Set(items.map((t) => t.id)).size, items.length, 'no task twice');
    }
  }
});

test('a status change moves the task between the filtered lists', async () => {
  const r = await send({ method: 'POST', path: '/tasks', body: { title: 'moving' } });
  const path = apiPath(r.headers.location);
  const inList = async (status) => (await walk(`status=${status}`, 100)).some((t) => t.id === r.json.id);
  assert.ok(await inList('todo'));
  assert.ok(!(await inList('done')));
  assert.equal((await send({ method: 'PATCH', path, body: { status: 'done' } })).status, 200);
  assert.ok(!(await inList('todo')));
  assert.ok(await inList('done'));
  assert.ok(await inList('in_progress,done'));
});

test('a nextToken is bound to its filter; bad filters are 400 invalid_query', async () => {
  for (let i = 0; i < 3; i++) await send({ method: 'POST', path: '/tasks', body: { title: `bound ${i}` } });
  const todo = await send({ method: 'GET', path: '/tasks?status=todo&limit=1' });
  const plain = await send({ method: 'GET', path: '/tasks?limit=1' });
  assert.ok(todo.json.nextToken && plain.json.nextToken);
  const use = (query, token) => send({ method: 'GET', path: `/tasks?${query}limit=1&nextToken=${encodeURIComponent(token)}` });
  assert.equal((await use('status=todo&', todo.json.nextToken)).status, 200);
  assert.equal((await use('status=todo,todo&', todo.json.nextToken)).status, 200, 'the same set');
  for (const [query, token] of [['status=done&', todo.json.nextToken], ['', todo.json.nextToken],
    ['status=todo,in_progress&', todo.json.nextToken], ['status=todo&', plain.json.nextToken]]) {
    const r = await use(query, token);
    assert.equal(r.status, 400, `${query} with another list's token`);
    assert.equal(r.json.error.code, 'invalid_page_token');
  }
  // every status is the unfiltered list
  assert.equal((await use('status=done,todo,in_progress&', plain.json.nextToken)).status, 200);
  for (const bad of ['status=', 'status=open', 'status=TODO', 'status=todo,', 'status=,todo', 'status=todo;done', 'status=todo&status=done']) {
    const r = await send({ method: 'GET', path: `/tasks?${bad}` });
    assert.equal(r.status, 400, bad);
    assert.equal(r.json.error.code, 'invalid_query');
  }
});
