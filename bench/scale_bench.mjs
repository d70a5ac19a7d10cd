// Benchmark 3: does a page cost the same at any size? GET /tasks?limit=50 latency on the
// first page and on a page halfway down, at 1k, 100k and 1M tasks (SQLite, bulk-loaded),
// and at dynalite-sized tables on the DynamoDB store; then the server's memory before and
// after a million requests.
// Usage: node bench/scale_bench.mjs OUT.json   (BENCH_QUICK=1 for a short run)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startServer } from '../tests/hardening/lib.mjs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite');
const QUICK = process.env.BENCH_QUICK === '1';
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const BIN = path.join(ROOT, 'build/tasks-api');
const out = process.argv[2];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'scale-bench-'));

const serve = (args, env = {}) => startServer(BIN, ['--no-access-log', ...args], { env });

async function stop(proc) {
  proc.kill('SIGTERM');
  await new Promise((r) => proc.on('exit', r));
}

async function latency(url) {
  const { stdout: text } = await promisify(execFile)('wrk', ['-t1', '-c1', '-d', QUICK ? '2s' : '3s', '--latency', url], { encoding: 'utf8' });
  const ms = (p) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(text);
    return m[2] === 'us' ? Number(m[1]) / 1000 : m[2] === 's' ? Number(m[1]) * 1000 : Number(m[1]);
  };
  if (/Non-2xx/.test(text)) throw new Error(`non-2xx answers from ${url}`);
  return { p50Ms: ms(50), p99Ms: ms(99) };
}

/** The token page_token.c would issue for a cursor in the shared, unfiltered list
 * (bench-only re-implementation: version 2, MAC over the payload and the filter byte 0). */
function token(keyHex, createdAt, id) {
  const payload = Buffer.concat([Buffer.from([2]), Buffer.from(createdAt), Buffer.from(id)]);
  const mac = crypto.createHmac('sha256', Buffer.from(keyHex, 'hex')).update(Buffer.concat([payload, Buffer.from([0])])).digest().subarray(0, 16);
  return Buffer.concat([payload, mac]).toString('base64url');
}

const sql = (db, q) => execFileSync('sqlite3', [db, q], { encoding: 'utf8' }).trim();

async function sqliteAt(n) {
  const db = path.join(work, `tasks-${n}.db`);
  const { proc } = await serve(['--db', db]); // creates the schema and the token key
  await stop(proc);
  const t0 = Date.now();
  sql(db, `PRAGMA journal_mode=WAL; BEGIN;
    WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ${n})
    INSERT INTO tasks (id, title, description, status, created_at, updated_at)
    SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-'
                 || substr('89ab', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
           'task ' || i, 'bulk-loaded for the scale benchmark', 'todo',
           strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || (i * 7 % ${n}) || ' seconds'),
           strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || (i * 7 % ${n}) || ' seconds')
    FROM seq;
    COMMIT;`);
  const loadMs = Date.now() - t0;
  const [createdAt, id] = sql(db, `SELECT created_at, id FROM tasks ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ${Math.floor(n / 2)}`).split('|');
  const keyHex = sql(db, "SELECT hex(value) FROM meta WHERE name = 'page_token_key'");
  const { proc: server, url } = await serve(['--db', db]);
  const deep = `${url}/tasks?limit=50&nextToken=${token(keyHex, createdAt, id)}`;
  const check = await fetch(deep);
  if (check.status !== 200 || (await check.json()).items.length !== 50) throw new Error('deep page token rejected');
  const result = { store: 'sqlite', tasks: n, bulkLoadMs: loadMs, firstPage: await latency(`${url}/tasks?limit=50`), deepPage: await latency(deep) };
  await stop(server);
  return result;
}

async function dynamoAt(n) {
  const db = dynalite({ createTableMs: 0 });
  await new Promise((r) => db.listen(0, '127.0.0.1', r));
  const env = { TASKS_STORE: 'dynamodb', TABLE_NAME: 'scale', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'A', AWS_SECRET_ACCESS_KEY: 'B', AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${db.address().port}` };
  // async: dynalite runs in this process and must keep serving meanwhile
  await promisify(execFile)(BIN, ['create-table'], { env: { ...process.env, ...env } });
  const { proc, url } = await serve([], env);
  for (let i = 0; i < n; i += 16) {
    await Promise.all(Array.from({ length: Math.min(16, n - i) }, (_, k) => fetch(`${url}/tasks`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ title: `task ${i + k}` }),
    })));
  }
  let tok = null;
  for (let seen = 0; seen < n / 2;) {
    const page = await (await fetch(`${url}/tasks?limit=100${tok ? `&nextToken=${tok}` : ''}`)).json();
    seen += page.items.length;
    tok = page.nextToken;
  }
  const result = { store: 'dynamodb (dynalite)', tasks: n, firstPage: await latency(`${url}/tasks?limit=50`), deepPage: await latency(`${url}/tasks?limit=50&nextToken=${tok}`) };
  await stop(proc);
  await new Promise((r) => db.close(r));
  return result;
}

function rssKiB(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
}

async function memoryOverRequests(total) {
  const { proc, url } = await serve(['--db', path.join(work, 'memory.db')]);
  const res = await fetch(`${url}/tasks`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"title":"memory"}' });
  const { id } = await res.json();
  const run = (secs) => {
    const text = execFileSync('wrk', ['-t2', '-c64', '-d', `${secs}s`, `${url}/tasks/${id}`], { encoding: 'utf8' });
    return Number(/(\d+) requests in/.exec(text)[1]);
  };
  let done = run(2); // warm-up: pools, caches, connections
  const before = rssKiB(proc.pid);
  while (done < total) done += run(QUICK ? 3 : 10);
  const after = rssKiB(proc.pid);
  await stop(proc);
  return { requests: done, rssBeforeKiB: before, rssAfterKiB: after };
}

const sizes = QUICK ? [1000, 100000] : [1000, 100000, 1000000];
const result = { sqlite: [], dynamodb: [] };
for (const n of sizes) result.sqlite.push(await sqliteAt(n));
for (const n of QUICK ? [1000] : [1000, 5000]) result.dynamodb.push(await dynamoAt(n));
result.memory = await memoryOverRequests(QUICK ? 200000 : 1000000);
const first = result.sqlite[0], last = result.sqlite[result.sqlite.length - 1];
result.deepPageRatioLargestToSmallest = last.deepPage.p50Ms / first.deepPage.p50Ms;
result.firstPageRatioLargestToSmallest = last.firstPage.p50Ms / first.firstPage.p50Ms;
fs.rmSync(work, { recursive: true, force: true });
fs.writeFileSync(out, JSON.stringify(result, null, 2));
console.log(JSON.stringify(result, null, 2));
