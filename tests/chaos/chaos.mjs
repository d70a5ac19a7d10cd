// The randomized fault test: several concurrent clients run a random mix of requests
// through a real door (the local server on the DynamoDB store, or the packaged bootstrap
// through a Runtime API emulator) while a fault proxy between the store and dynalite
// loses replies, fails, throttles, resets and slows DynamoDB requests on a seeded
// schedule. Every operation is recorded with its invocation and completion times and its
// answer; at the end, with faults off, the whole table is read and checker.mjs checks the
// history. Prints the seed (a seed replays the same fault decisions), what it covered,
// and on failure a minimal failing history (the operations of the task concerned).
//
//   node tests/chaos/chaos.mjs --door server|lambda [--seconds 25] [--seed N]
//        [--bin build/tasks-api] [--bootstrap build/bootstrap] [--dump FILE]
//
// Exits 0 when the history checks, 1 when it does not, 2 when the run could not be made.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { randomInt } from 'node:crypto';
import http from 'node:http';
import { startFaultProxy } from '../dynamodb/fault_proxy.mjs';
import { scanAll } from '../dynamodb/direct.mjs';
import { startEmulator } from '../lambda/emulator.mjs';
import { startServer, stop } from '../hardening/lib.mjs';
import { toApiGatewayEvent, fromProxyResponse } from '../contract/client.mjs';
import { schedule, prng } from './schedule.mjs';
import { check } from './checker.mjs';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite');

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const DOOR = args.door || 'server';
const SECONDS = Number(args.seconds || 25);
const SEED = args.seed !== undefined ? Number(args.seed) : randomInt(1, 2 ** 31);
const BIN = args.bin || 'build/tasks-api';
const BOOTSTRAP = args.bootstrap || 'build/bootstrap';
const CLIENTS = 6;
const INSTANCES = 3;          // bootstraps (one invocation at a time each) for the Lambda door
const WINDOW_S = 6;           // the Idempotency-Key window, short so that keys come round
const ATTEMPT_MS = 300;       // the store's per-attempt timeout
const CLIENT_TIMEOUT_MS = 1200;
const TABLE = 'chaos';

const say = (line) => process.stdout.write(`${line}\n`);

function storeEnv(port) {
  return {
    PATH: process.env.PATH, TASKS_STORE: 'dynamodb', TABLE_NAME: TABLE, AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDCHAOS', AWS_SECRET_ACCESS_KEY: 'chaos-secret',
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${port}`, TASKS_DDB_TIMEOUT_MS: String(ATTEMPT_MS),
    TASKS_IDEMPOTENCY_WINDOW_S: String(WINDOW_S), TASKS_METRICS: 'off', LOG_LEVEL: 'info',
  };
}

// ---- doors: each gives send(method, path, headers, body) -> {status, headers, json} ----

async function serverDoor(proxyPort) {
  const server = await startServer(BIN, ['--threads', '4', '--no-access-log'], { env: storeEnv(proxyPort) });
  const base = server.url;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS * 2 });
  const send = (method, path, headers, body) => new Promise((resolve) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const h = { ...headers, ...(data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}) };
    const req = http.request(`${base}${path}`, { method, headers: h, agent, timeout: CLIENT_TIMEOUT_MS }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks).toString();
        let json;
        try { json = raw ? JSON.parse(raw) : undefined; } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, json });
      });
      res.on('error', () => resolve({ status: 0, headers: {} }));
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', () => resolve({ status: 0, headers: {} }));
    req.end(data);
  });
  const close = async () => {
    agent.destroy();
    await stop(server);
  };
  return { send, close, busy: () => 0 };
}

async function lambdaDoor(proxyPort) {
  const emus = [];
  for (let i = 0; i < INSTANCES; i++) emus.push(await startEmulator({ bootstrap: BOOTSTRAP, env: storeEnv(proxyPort) }));
  // up means initialized: each sandbox has asked for its first event
  const until = Date.now() + 20000;
  while (emus.some((e) => e.nextCalls === 0) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  if (emus.some((e) => e.nextCalls === 0)) throw new Error(`a sandbox did not initialize: ${emus.map((e) => e.stdout).join('')}`);
  const busy = emus.map(() => 0);
  const send = (method, path, headers, body) => {
    const k = busy.indexOf(Math.min(...busy)); // the least busy sandbox
    busy[k]++;
    const event = JSON.stringify(toApiGatewayEvent(method, path, headers,
      body === undefined ? undefined : JSON.stringify(body), undefined, null));
    // a sandbox that exits is a failure of the run, not an unknown outcome
    const done = emus[k].invoke(event, { deadlineMs: Date.now() + 6000 })
      .then((r) => fromProxyResponse(r))
      .finally(() => { busy[k]--; });
    const timer = new Promise((r) => setTimeout(r, CLIENT_TIMEOUT_MS, { status: 0, headers: {} }).unref());
    return Promise.race([done, timer]);
  };
  const close = async () => { for (const e of emus) await e.close(); };
  return { send, close, busy: () => busy.reduce((a, b) => a + b, 0) };
}

// ---- clients ----

function runClients(send, until, random) {
  const ops = [];
  const known = [];          // task ids seen, newest last; clients work on the newest
  const lastVersion = new Map();
  // a task's ETag is its version and the representation's generation ("3.1"): the
  // generation is read off the first task seen, so the checker reasons in versions
  let generation = null;
  const etagOf = (v) => `"${v}.${generation}"`;
  const keys = Array.from({ length: 5 }, (_, i) => ({ name: `key-${i}`, use: -1, started: -Infinity, inFlight: 0 }));
  const t = () => performance.now();
  const learn = (id, version) => {
    if (!id) return;
    if (!known.includes(id)) known.push(id);
    if (version) lastVersion.set(id, version);
  };
  const keyedIds = [];       // tasks of keyed creates: older uses of a key are worth deleting
  const pickId = () => {
    if (keyedIds.length && random() < 0.25) return keyedIds[keyedIds.length - 1 - Math.floor(random() * Math.min(6, keyedIds.length))];
    return known.length ? known[known.length - 1 - Math.floor(random() * Math.min(12, known.length))] : null;
  };
  let seq = 0;

  async function record(op, method, path, headers, body) {
    op.i = ops.length;
    ops.push(op);
    op.t0 = t();
    op.t1 = Infinity;
    const res = await send(method, path, headers, body);
    op.status = res.status;
    op.t1 = op.status === 0 ? Infinity : t(); // no answer: it may still be applied later
    op.retryAfter = res.headers['retry-after'];
    op.replayed = res.headers['idempotent-replayed'] === 'true';
    if ((op.status === 200 || op.status === 201) && res.json && res.json.id) {
      op.resp = res.json;
      if (generation === null) generation = /^"\d+\.(\d+)"$/.exec(res.json.etag || '')?.[1] ?? null;
      learn(res.json.id, res.json.version);
    }
    if (op.kind === 'list' && op.status === 200) {
      op.items = res.json.items.map((it) => ({ id: it.id, title: it.title }));
      for (const it of res.json.items) learn(it.id);
    }
    return op;
  }

  async function client(c) {
    while (t() < until) {
      const r = random();
      const id = pickId();
      const ifMatch = () => (random() < 0.5 && id && generation !== null && lastVersion.has(id) ? lastVersion.get(id) : null);
      if (r < 0.15 || !id) {
        const title = `create ${c}.${++seq}`;
        const body = { title, description: '', status: 'todo' };
        await record({ kind: 'create', client: c, title, body }, 'POST', '/tasks', {}, body);
      } else if (r < 0.35) {
        await keyed(c);
      } else if (r < 0.5) {
        await record({ kind: 'get', client: c, id }, 'GET', `/tasks/${id}`, {});
      } else if (r < 0.75) {
        const patch = { description: `patch ${c}.${++seq}` };
        if (random() < 0.3) patch.status = ['todo', 'in_progress', 'done'][Math.floor(random() * 3)];
        const v = ifMatch();
        await record({ kind: 'patch', client: c, id, ifMatch: v, patch }, 'PATCH', `/tasks/${id}`,
          v != null ? { 'If-Match': etagOf(v) } : {}, patch);
      } else if (r < 0.87) {
        const v = ifMatch();
        await record({ kind: 'delete', client: c, id, ifMatch: v }, 'DELETE', `/tasks/${id}`, v != null ? { 'If-Match': etagOf(v) } : {});
      } else {
        await record({ kind: 'list', client: c }, 'GET', '/tasks?limit=50', {});
      }
    }
  }

  // A keyed create as a real client makes one: the same key and body again after a
  // timeout or a 503, and now and then once more after success (it replays). A key comes
  // round for a new request (another body) only once its window is surely over, and a
  // use is retried only while its window surely lasts.
  // The server counts a window in whole seconds from when it writes the record, and may
  // write it seconds after a client sent the request (retries, backoff): so a use is sent
  // again only in its first RETRY_S, and a key comes round only well after its window.
  const RETRY_S = WINDOW_S - 4.5;
  async function keyed(c) {
    const now = Date.now();
    const k = keys[Math.floor(random() * keys.length)];
    if (k.use >= 0 && now - k.started < RETRY_S * 1000) {
      // within the window: a retry or a repeat of the current use
    } else if (k.inFlight === 0 && now - k.started > (WINDOW_S + 3) * 1000) {
      k.use++;
      k.started = now;
      // the key's earlier task, if any, is a good one to delete while this use goes on
      if (k.lastId) keyedIds.push(k.lastId);
    } else {
      return;
    }
    const title = `keyed ${k.name}.${k.use}`;
    const body = { title, description: '', status: 'todo' };
    k.inFlight++;
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        if (Date.now() - k.started > RETRY_S * 1000) break;
        const op = await record({ kind: 'keyed', client: c, key: k.name, use: k.use, title, body }, 'POST', '/tasks',
          { 'Idempotency-Key': k.name }, body);
        if (op.status === 201 && !keyedIds.includes(op.resp.id)) keyedIds.push(op.resp.id);
        if (op.status === 201) k.lastId = op.resp.id;
        if (op.status !== 0 && op.status !== 503) break;
      }
    } finally {
      k.inFlight--;
    }
  }

  return Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c))).then(() => ops);
}

// ---- the run ----

async function main() {
  const sched = schedule(SEED);
  const db = dynalite({ createTableMs: 0 });
  await new Promise((r) => db.listen(0, '127.0.0.1', r));
  await promisify(execFile)(BIN, ['create-table', '--wait', '30'], { env: storeEnv(db.address().port) });
  const proxy = await startFaultProxy(db.address().port, (op) => sched.decide(op), 100, ATTEMPT_MS + 150,
    () => sched.refuseConnection());
  const door = DOOR === 'lambda' ? await lambdaDoor(proxy.port) : await serverDoor(proxy.port);
  sched.on();
  say(`chaos: door ${DOOR}, seed ${SEED}, ${SECONDS} s, ${CLIENTS} clients${DOOR === 'lambda' ? ` over ${INSTANCES} sandboxes` : ''}`);
  let ops;
  try {
    ops = await runClients(door.send, performance.now() + SECONDS * 1000, prng(SEED ^ 0x5eed));
    // what was still in flight after a client gave up may yet be applied: let it finish
    const settle = performance.now() + 8000;
    await new Promise((r) => setTimeout(r, 2 * (ATTEMPT_MS + 150) * 5));
    while (door.busy() > 0 && performance.now() < settle) await new Promise((r) => setTimeout(r, 100));
    sched.off();
  } finally {
    await door.close();
  }
  const items = await scanAll(db.address().port, TABLE);
  await proxy.close();
  await new Promise((r) => db.close(r));
  const checkStart = performance.now();
  const { violations, stats } = check({ ops, items });
  const checkMs = performance.now() - checkStart;
  const faults = Object.entries(sched.counts).filter(([k, n]) => k !== 'pass' && n).map(([k, n]) => `${k} ${n}`).join(', ');
  const dynamoCalls = Object.values(proxy.attempts).reduce((a, b) => a + b, 0);
  const faultCount = Object.entries(sched.counts).reduce((a, [k, n]) => a + (k === 'pass' ? 0 : n), 0);
  say(`chaos: ${stats.ops} operations, ${dynamoCalls} DynamoDB requests, ${faultCount} faults (${faults})`);
  say(`chaos: phases ${sched.phases.length} (${[...new Set(sched.phases)].join(', ')}); ${stats.checked} tasks checked for linearizability` +
    `${stats.undecided ? `, ${stats.undecided} undecided (search budget)` : ''} in ${(checkMs / 1000).toFixed(1)} s; ${stats.tasks} live, ${stats.tombstones} deleted`);
  say(`chaos: outcomes ${Object.entries(stats.outcomes).sort().map(([k, n]) => `${k}: ${n}`).join(', ')}`);
  if (violations.length && args.dump) {
    fs.writeFileSync(args.dump, JSON.stringify({ seed: SEED, ops, items }, (k, v) => (v === Infinity ? 'inf' : v)));
    say(`chaos: the whole history is in ${args.dump}`);
  }
  if (violations.length) {
    say(`chaos: FAILED with ${violations.length} violation(s); replay with --seed ${SEED}`);
    for (const v of violations.slice(0, 5)) {
      say(`\n  ${v.kind}: ${v.message}`);
      for (const line of v.history.slice(0, 40)) say(`    ${line}`);
    }
    return 1;
  }
  say(`chaos: door ${DOOR} passed (seed ${SEED})`);
  return 0;
}

main().then((code) => process.exit(code), (e) => {
  say(`chaos: could not run: ${e.stack || e}`);
  process.exit(2);
});
