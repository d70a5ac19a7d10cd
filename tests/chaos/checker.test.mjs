// The history checker must catch what it exists for. Each history here is small and made
// by hand in the shape a defect leaves; a correct history of the same shape passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, linearizable } from './checker.mjs';

const ID = '00000000-0000-4000-8000-000000000001';
let n = 0;
const op = (fields) => ({ i: n++, client: 0, retryAfter: '1', ...fields });
const created = (title, t0, t1, id = ID) => op({
  kind: 'create', title, body: { description: '', status: 'todo' }, t0, t1, status: 201,
  resp: { id, title, version: 1, description: '', status: 'todo' },
});
const patch = (t0, t1, status, version, ifMatch = null, description = 'p') => op({
  kind: 'patch', id: ID, t0, t1, status, ifMatch, patch: { description },
  resp: status === 200 ? { id: ID, title: 'a', version, description, status: 'todo' } : undefined,
});
const item = (fields) => ({ id: ID, title: 'a', description: '', status: 'todo', version: 1, ...fields });
const kinds = (r) => r.violations.map((v) => v.kind);

test('a correct history passes', () => {
  const ops = [created('a', 0, 1), patch(2, 3, 200, 2), op({ kind: 'get', id: ID, t0: 4, t1: 5, status: 200,
    resp: { id: ID, title: 'a', version: 2, description: 'p', status: 'todo' } })];
  assert.deepEqual(kinds(check({ ops, items: [item({ version: 2, description: 'p' })] })), []);
});

test('one POST, two tasks (a lost reply, a failed read-back, a new id)', () => {
  const ops = [created('a', 0, 5)];
  const items = [item({}), item({ id: '00000000-0000-4000-8000-000000000002' })];
  assert.ok(kinds(check({ ops, items })).includes('two tasks for one request'));
});

test('a retried keyed create that makes a second task', () => {
  const keyed = (t0, id, replayed) => op({ kind: 'keyed', key: 'k', use: 1, title: 'k1', body: { description: '', status: 'todo' },
    t0, t1: t0 + 1, status: 201, replayed, resp: { id, title: 'k1', version: 1, description: '', status: 'todo' } });
  const other = '00000000-0000-4000-8000-000000000003';
  const ops = [keyed(0, ID, false), keyed(3, other, false)];
  const items = [item({ title: 'k1' }), item({ id: other, title: 'k1' })];
  const found = kinds(check({ ops, items }));
  assert.ok(found.includes('a key named two tasks'), found.join());
});

test('an applied PATCH answered 412 (an intervening writer, a lost reply)', () => {
  // ours (If-Match "1") applied -> 2, another's -> 3; ours answered 412: impossible
  const ops = [created('a', 0, 1), patch(2, 10, 412, undefined, 1, 'mine'), patch(3, 4, 200, 3, null, 'theirs')];
  const found = kinds(check({ ops, items: [item({ version: 3, description: 'theirs' })] }));
  assert.deepEqual(found, ['not linearizable']);
  // had theirs answered 2, ours was refused after it: explained
  const fine = [created('a', 0, 1), patch(2, 10, 412, undefined, 1, 'mine'), patch(3, 4, 200, 2, null, 'theirs')];
  assert.deepEqual(kinds(check({ ops: fine, items: [item({ version: 2, description: 'theirs' })] })), []);
});

test('a PATCH applied twice (version +2 for one request)', () => {
  const ops = [created('a', 0, 1), patch(2, 3, 200, 2)];
  assert.deepEqual(kinds(check({ ops, items: [item({ version: 3, description: 'p' })] })), ['not linearizable']);
});

test('an unknown outcome may or may not have been applied', () => {
  const ops = [created('a', 0, 1), patch(2, Infinity, 503, undefined)];
  assert.deepEqual(kinds(check({ ops, items: [item({ version: 2, description: 'p' })] })), []);
  assert.deepEqual(kinds(check({ ops, items: [item({})] })), []);
});

test('a deleted task that comes back', () => {
  const ops = [created('a', 0, 1), op({ kind: 'delete', id: ID, t0: 2, t1: 3, status: 204 })];
  assert.deepEqual(kinds(check({ ops, items: [item({})] })), ['not linearizable']);
  assert.deepEqual(kinds(check({ ops, items: [{ id: ID, tomb: 'x', version: 1 }] })), []);
});

test('two DELETEs both answered 204', () => {
  const ops = [created('a', 0, 1), op({ kind: 'delete', id: ID, t0: 2, t1: 3, status: 204 }),
    op({ kind: 'delete', id: ID, t0: 4, t1: 5, status: 204 })];
  assert.deepEqual(kinds(check({ ops, items: [{ id: ID, tomb: 'x' }] })), ['not linearizable']);
});

test('a 500, and a 503 without Retry-After', () => {
  const ops = [created('a', 0, 1), op({ kind: 'get', id: ID, t0: 2, t1: 3, status: 500 }),
    op({ kind: 'get', id: ID, t0: 4, t1: 5, status: 503, retryAfter: undefined })];
  const found = kinds(check({ ops, items: [item({})] }));
  assert.ok(found.includes('bad status') && found.includes('503 without Retry-After'), found.join());
});

test('concurrent operations may be ordered either way, sequential ones may not', () => {
  const initial = { v: 1, title: 'a', description: '', status: 'todo' };
  const end = (v) => (s) => s !== null && s !== 'deleted' && s.v === v;
  const a = patch(2, 6, 200, 3, null, 'x');
  const b = patch(3, 5, 200, 2, null, 'y');
  const c = created('a', 0, 1);
  assert.equal(linearizable([c, a, b], initial, (s) => end(3)(s) && s.description === 'x'), true);
  const late = patch(7, 8, 200, 2, null, 'x'); // began after b answered 2: cannot be 2 too
  assert.equal(linearizable([c, b, late], initial, end(3)), false);
});
