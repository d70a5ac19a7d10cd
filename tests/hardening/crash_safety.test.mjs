// Crash safety: the server is killed with SIGKILL at random moments under a concurrent
// write load, five times, on one database file. After every restart the file passes
// PRAGMA integrity_check and every create the API acknowledged (201) is there, intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startServer, stop, tempDir, request } from './lib.mjs';

const BIN = process.env.TASKS_API_BIN || 'build/tasks-api';

/**
 * One round: the server on db, 8 writers each calling write(url, writer, i) for i = 0, 1,
 * ... until the server is gone, SIGKILL after 300 ms plus up to spreadMs, then the file
 * must pass PRAGMA integrity_check.
 */
async function killUnderLoad(db, spreadMs, write) {
  const server = await startServer(BIN, ['--db', db, '--no-access-log']);
  let running = true;
  const writer = async (w) => {
    for (let i = 0; running; i++) {
      try {
        await write(server.url, w, i);
      } catch {
        return; // the server is gone
      }
    }
  };
  const writers = Array.from({ length: 8 }, (_, w) => writer(w));
  await new Promise((r) => setTimeout(r, 300 + Math.random() * spreadMs));
  server.proc.kill('SIGKILL');
  running = false;
  await server.exited;
  await Promise.all(writers);
  assert.equal(execFileSync('sqlite3', [db, 'PRAGMA integrity_check;'], { encoding: 'utf8' }).trim(), 'ok');
}

test('kill -9 under write load loses no acknowledged write and corrupts nothing', async () => {
  const db = path.join(tempDir('crash-'), 'tasks.db');
  const acknowledged = new Map();
  for (let round = 0; round < 5; round++) {
    await killUnderLoad(db, 1200, async (url, w, i) => {
      const title = `r${round} w${w} #${i}`;
      const res = await request(`${url}/tasks`, 'POST', { title, description: 'd'.repeat(i % 300) });
      if (res.status === 201) acknowledged.set(res.json.id, title);
    });

    const again = await startServer(BIN, ['--db', db, '--no-access-log']);
    for (const [id, title] of acknowledged) {
      const res = await request(`${again.url}/tasks/${id}`);
      assert.equal(res.status, 200, `acknowledged task ${id} lost after kill -9 in round ${round}`);
      assert.equal(res.json.title, title);
    }
    await stop(again);
  }
  assert.ok(acknowledged.size > 100, `only ${acknowledged.size} writes were acknowledged`);
});

// Keyed creates: a crash between a task and its key's record must leave neither half.
// After kill -9 during a stream of keyed POSTs, every key sent (answered or not) is
// replayed: each replay answers with a task that exists, and no task exists twice.
test('kill -9 during keyed creates: every replay names an existing task, none twice', async () => {
  const db = path.join(tempDir('crash-keyed-'), 'tasks.db');
  const sent = new Map(); // key -> title
  for (let round = 0; round < 3; round++) {
    await killUnderLoad(db, 900, async (url, w, i) => {
      const key = `k-${round}-${w}-${i}`;
      const title = `keyed r${round} w${w} #${i}`;
      sent.set(key, title); // sent, whether or not an answer comes
      await request(`${url}/tasks`, 'POST', { title }, { 'Idempotency-Key': key });
    });
  }
  const again = await startServer(BIN, ['--db', db, '--no-access-log']);
  const ids = new Map();
  for (const [key, title] of sent) {
    const res = await request(`${again.url}/tasks`, 'POST', { title }, { 'Idempotency-Key': key });
    assert.equal(res.status, 201, `replay of ${key}`);
    const got = await request(`${again.url}/tasks/${res.json.id}`);
    assert.equal(got.status, 200, `the task ${key} names exists`);
    assert.equal(got.json.title, title);
    assert.ok(!ids.has(res.json.id), `${key} and ${ids.get(res.json.id)} name one task`);
    ids.set(res.json.id, key);
  }
  const rows = execFileSync('sqlite3', [db, "SELECT count(*) FROM tasks WHERE title LIKE 'keyed r%';"], { encoding: 'utf8' }).trim();
  assert.equal(Number(rows), sent.size, 'one task per key, none twice');
  await stop(again);
  assert.ok(sent.size > 100, `only ${sent.size} keyed creates were sent`);
});
