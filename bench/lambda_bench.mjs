// Benchmark 1: the C bootstrap (unzipped from build/lambda.zip) against the seed's design
// (bench/baseline: Python + boto3), driven through the same Runtime API emulator, against
// the same dynalite table, with the same event mix. Also counts the C bootstrap's
// instructions per invocation with callgrind against a stub store.
// Usage: node bench/lambda_bench.mjs OUT.json   (BENCH_QUICK=1 for a short run)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { startEmulator, cpuMs, cpuSplitMs, peakRssKiB } from '../tests/lambda/emulator.mjs';
import { toApiGatewayEvent } from '../tests/contract/client.mjs';
import { startStub } from './stub_dynamodb.mjs';
import { cpuQuota } from './cpu_quota.mjs';
import { startTlsTerminator } from './tls_terminator.mjs';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite');
const QUICK = process.env.BENCH_QUICK === '1';
const CYCLES = QUICK ? 60 : 300; // 8 invocations each; a full run ends with 300 tasks
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const out = process.argv[2];

const percentile = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))]; };

// With authentication on (TASKS_AUTH=cognito), every event carries the claims of a verified
// Cognito ID token, as the gateway's authorizer passes them.
let claims = null;
const CLAIMS = {
  sub: '3f1c2b9a-8d7e-4c5b-a6f0-1e2d3c4b5a69', iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Bench',
  aud: 'bench-client', token_use: 'id', email: 'bench@example.com', auth_time: '1764480000', exp: '1764483600', iat: '1764480000',
};

function event(method, p, body) {
  const headers = body === undefined ? {} : { 'Content-Type': 'application/json' };
  if (claims) headers.Authorization = 'Bearer eyJraWQiOiJiZW5jaCJ9.e30.c2ln';
  return JSON.stringify(toApiGatewayEvent(method, p, headers, body, undefined, claims));
}

/**
 * One cycle of the mix (8 invocations): two creates, a get, a 50-item list over the shards
 * (every other cycle its second page too, else a get), a patch, a delete of one of the two
 * creates, a malformed POST. Tasks pile up by one per cycle, to 300 over a full run.
 */
async function cycle(emu, latencies, i = 0, routes = null) {
  const timed = async (ev) => {
    if (routes) { const e = JSON.parse(ev); routes.push(`${e.httpMethod} ${e.resource}${e.httpMethod === 'POST' && e.body.length < 16 ? ' (malformed)' : ''}`); }
    const t0 = process.hrtime.bigint();
    const r = await emu.invoke(ev);
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.kind !== 'response') throw new Error(`invocation failed: ${r.body}`);
    return JSON.parse(r.body);
  };
  const create = async () => {
    const created = await timed(event('POST', '/tasks', JSON.stringify({ title: `bench task ${i}`, description: 'measured' })));
    if (created.statusCode !== 201) throw new Error(`create failed: ${JSON.stringify(created)}`);
    return JSON.parse(created.body).id;
  };
  const kept = await create();
  const gone = await create();
  await timed(event('GET', `/tasks/${kept}`));
  const page = await timed(event('GET', '/tasks?limit=50'));
  if (page.statusCode !== 200) throw new Error(`list failed: ${JSON.stringify(page)}`);
  const next = JSON.parse(page.body).nextToken;
  if (i % 2 && next) await timed(event('GET', `/tasks?limit=50&nextToken=${encodeURIComponent(next)}`));
  else await timed(event('GET', `/tasks/${gone}`));
  await timed(event('PATCH', `/tasks/${kept}`, JSON.stringify({ status: 'done' })));
  await timed(event('DELETE', `/tasks/${gone}`));
  await timed(event('POST', '/tasks', '{"title": '));
}

async function measure(name, spawnOpts, env, cycles = CYCLES) {
  const emu = await startEmulator({ ...spawnOpts, env });
  const latencies = [];
  await cycle(emu, []); // warm-up (first DynamoDB connection, lazy imports)
  const cpu0 = cpuMs(emu.process.pid);
  const split0 = cpuSplitMs(emu.process.pid);
  for (let i = 0; i < cycles; i++) await cycle(emu, latencies, i);
  const cpu1 = cpuMs(emu.process.pid);
  const split1 = cpuSplitMs(emu.process.pid);
  const result = {
    runtime: name,
    initMs: emu.initMs,
    initCpuMs: emu.initCpuMs,
    invocations: latencies.length,
    cpuPerInvocationMs: (cpu1 - cpu0) / latencies.length,
    userCpuShare: (split1.user - split0.user) / ((split1.user - split0.user) + (split1.sys - split0.sys)),
    latencyMeanMs: latencies.reduce((a, b) => a + b, 0) / latencies.length,
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
    peakRssKiB: peakRssKiB(emu.process.pid),
  };
  await emu.close();
  return result;
}

// The cost model's check: the same mix back to back with the process held to 128/1769 of
// a CPU (a 128 MB function's share) by a cgroup; its mean duration per invocation against
// the model's CPU x 1769/128. null without root or a cgroup cpu controller.
const QUOTA_CYCLES = QUICK ? 10 : 40;
async function underQuota(name, spawnOpts, env) {
  const q = cpuQuota(`tasks-api-bench-${process.pid}-${name}`, 128 / 1769);
  if (!q) return null;
  const m = await measure(name, q.wrap(spawnOpts.command || spawnOpts.bootstrap, spawnOpts.args || []), env, QUOTA_CYCLES);
  q.remove();
  return {
    quota: `${q.quotaUs} µs per ${q.periodUs} µs`,
    invocations: m.invocations,
    cpuPerInvocationMs: m.cpuPerInvocationMs,
    modelDurationMs: m.cpuPerInvocationMs * 1769 / 128,
    durationMeanMs: m.latencyMeanMs,
  };
}

// Cold start as a user feels it: from the process's start to the first answer (init plus
// the first invocation, a create) with the process held to a 128 MB function's CPU share,
// DynamoDB reached over HTTPS through a local TLS terminator whose CA the runtime is told
// to trust (AWS_CA_BUNDLE; NODE_EXTRA_CA_CERTS for Node.js, which does not read it). The
// median of RUNS fresh processes; null where there is no cgroup or no terminator.
const COLD_RUNS = QUICK ? 3 : 5;
async function coldStart(name, spawnOpts, env, tls) {
  if (!tls) return null;
  const runs = [];
  for (let k = 0; k < COLD_RUNS; k++) {
    const q = cpuQuota(`tasks-api-cold-${process.pid}-${name}-${k}`, 128 / 1769);
    if (!q) return null;
    const tlsEnv = { ...env, AWS_ENDPOINT_URL_DYNAMODB: tls.url, AWS_CA_BUNDLE: tls.caFile, NODE_EXTRA_CA_CERTS: tls.caFile };
    const emu = await startEmulator({ ...q.wrap(spawnOpts.command || spawnOpts.bootstrap, spawnOpts.args || []), env: tlsEnv });
    const r = await emu.invoke(event('POST', '/tasks', JSON.stringify({ title: `cold start ${k}`, description: 'measured' })));
    const totalMs = Number(process.hrtime.bigint() - emu.spawnedAt) / 1e6;
    const status = r.kind === 'response' ? JSON.parse(r.body).statusCode : 0;
    if (status !== 201) throw new Error(`${name}: cold-start create over HTTPS failed: ${r.body} ${emu.stderr.slice(-400)}`);
    runs.push({ initMs: emu.initMs, firstInvocationMs: totalMs - emu.initMs, totalMs });
    await emu.close();
    q.remove();
  }
  const mid = [...runs].sort((a, b) => a.totalMs - b.totalMs)[Math.floor(runs.length / 2)];
  return { runs: runs.length, ...mid, totalMsAll: runs.map((r) => r.totalMs) };
}

async function callgrindInstructions(bootstrap, env, invocations) {
  const file = path.join(os.tmpdir(), `cg-${process.pid}-${invocations}.out`);
  const emu = await startEmulator({ command: 'valgrind', args: ['--tool=callgrind', `--callgrind-out-file=${file}`, bootstrap], env });
  for (let i = 0; i < invocations / 8; i++) await cycle(emu, [], i);
  emu.failNext = 100; // the loop gives up on /next and exits cleanly, so callgrind writes
  await emu.exited;
  await emu.close();
  const total = Number(/^(?:summary|totals): (\d+)/m.exec(fs.readFileSync(file, 'utf8'))[1]);
  fs.rmSync(file, { force: true });
  return total;
}

// System calls per invocation by route: the process runs under strace -f; a trace line
// that writes "GET .../invocation/next" starts the next invocation, so the calls between
// two of them are one invocation's (its answer and its log line included).
async function syscallsByRoute(spawnOpts, env, cycles = 3) {
  const file = path.join(os.tmpdir(), `strace-${process.pid}-${Date.now()}.txt`);
  const cmd = spawnOpts.command || spawnOpts.bootstrap;
  const emu = await startEmulator({ command: 'strace', args: ['-f', '-qq', '-o', file, cmd, ...(spawnOpts.args || [])], env });
  const warmup = [];
  await cycle(emu, [], 0, warmup); // warm-up, not counted
  const routes = [];
  for (let i = 0; i < cycles; i++) await cycle(emu, [], i + 1, routes);
  emu.failNext = 100; // the loop gives up on /next and exits, so strace writes everything
  await emu.exited;
  await emu.close();
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => /^\d+ +[a-z_0-9]+\(/.test(l) && !l.includes('resumed>'));
  fs.rmSync(file, { force: true });
  const starts = [];
  lines.forEach((l, k) => { if (/"GET \/2018-06-01\/runtime\/invocati/.test(l)) starts.push(k); });
  // the first GET-next calls are the warm-up's; then one per measured invocation (after
  // them come the final one and its retries, which end the process)
  const first = warmup.length;
  const byRoute = {};
  routes.forEach((route, k) => {
    const n = starts[first + k + 1] - starts[first + k];
    (byRoute[route] ||= []).push(n);
  });
  const perRoute = Object.fromEntries(Object.entries(byRoute).map(([r, ns]) => [r, ns.reduce((a, b) => a + b, 0) / ns.length]));
  const all = Object.values(byRoute).flat();
  return { perRoute, mix: all.reduce((a, b) => a + b, 0) / all.length };
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lambda-bench-'));
execFileSync('unzip', ['-q', path.join(ROOT, 'build/lambda.zip'), '-d', work]);
const bootstrap = path.join(work, 'bootstrap');

const db = dynalite({ createTableMs: 0 });
await new Promise((r) => db.listen(0, '127.0.0.1', r));
const env = {
  TASKS_STORE: 'dynamodb', TABLE_NAME: 'bench', AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDBENCH', AWS_SECRET_ACCESS_KEY: 'bench', AWS_SESSION_TOKEN: 'bench-token',
  AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${db.address().port}`, LOG_LEVEL: 'warn',
};
// each side has a table of its own: the baselines' scans must not meet our meta item
const pyEnv = { ...env, TABLE_NAME: 'bench-python' };
const nodeEnv = { ...env, TABLE_NAME: 'bench-node' };
for (const e of [env, pyEnv, nodeEnv]) await promisify(execFile)(path.join(ROOT, 'build/tasks-api'), ['create-table'], { env: { ...process.env, ...e } });

// Every cold start but a table's very first finds the meta item (the page-token key)
// there and reads it with one GetItem; the first creates it. One start sets the table up
// first, so that the init measured is the usual one.
const setup = await startEmulator({ bootstrap, env });
await setup.invoke(event('GET', '/tasks?limit=1'));
await setup.close();
const c = await measure('c-bootstrap', { bootstrap }, env);
// the floor: the same exchanges on the same table, nothing else (bench/floor.c)
const floorSpawn = { command: path.join(ROOT, 'build/floor') };
const floor = await measure('floor', floorSpawn, env);
const syscalls = { c: await syscallsByRoute({ bootstrap }, env), floor: await syscallsByRoute(floorSpawn, env) };
const pySpawn = { command: '/usr/bin/python3', args: [path.join(ROOT, 'bench/baseline/bootstrap.py')] };
const py = await measure('python-boto3', pySpawn, pyEnv);
// the peer most teams would pick instead: Node.js with the AWS SDK v3 (bench/node-peer)
const nodeSpawn = { command: process.execPath, args: [path.join(ROOT, 'bench/node-peer/bootstrap.mjs')] };
const nodePeer = await measure('node-sdk-v3', nodeSpawn, nodeEnv);
const quota = {
  c: await underQuota('c', { bootstrap }, env), python: await underQuota('python', pySpawn, pyEnv),
  node: await underQuota('node', nodeSpawn, nodeEnv),
};
const tls = await startTlsTerminator(env.AWS_ENDPOINT_URL_DYNAMODB, work);
const coldHttps = {
  c: await coldStart('c', { bootstrap }, env, tls), python: await coldStart('python', pySpawn, pyEnv, tls),
  node: await coldStart('node', nodeSpawn, nodeEnv, tls),
};
if (tls) await tls.close();
await new Promise((r) => db.close(r));

const stub = await startStub();
const stubEnv = { ...env, AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${stub.address().port}` };
const n = QUICK ? 80 : 240;
const base = await callgrindInstructions(bootstrap, stubEnv, 0);
const withN = await callgrindInstructions(bootstrap, stubEnv, n);
claims = CLAIMS;
// the same larger events without TASKS_AUTH separate the event's size from our work
const claimsBase = await callgrindInstructions(bootstrap, stubEnv, 0);
const claimsWithN = await callgrindInstructions(bootstrap, stubEnv, n);
const authEnv = { ...stubEnv, TASKS_AUTH: 'cognito' };
const authBase = await callgrindInstructions(bootstrap, authEnv, 0);
const authWithN = await callgrindInstructions(bootstrap, authEnv, n);
claims = null;
stub.close();

execFileSync('zip', ['-q', '-j', path.join(work, 'baseline.zip'), path.join(ROOT, 'bench/baseline/handler.py')]);
const result = {
  eventMix: 'per cycle: 2 creates, get, list(50) over the shards, its next page or a get, patch, delete, malformed POST; tasks pile up to ' + (CYCLES + 1),
  cycles: CYCLES,
  c,
  python: py,
  node: { ...nodePeer, version: process.version },
  floor,
  syscalls,
  quota,
  coldHttps,
  packageBytes: { c: fs.statSync(path.join(ROOT, 'build/lambda.zip')).size, python: fs.statSync(path.join(work, 'baseline.zip')).size },
  callgrind: {
    initInstructions: base, instructionsPerInvocation: Math.round((withN - base) / n), invocations: n,
    // the same mix with TASKS_AUTH=cognito and authorizer claims in every event
    instructionsPerInvocationAuth: Math.round((authWithN - authBase) / n),
    instructionsPerInvocationClaimsOnly: Math.round((claimsWithN - claimsBase) / n),
  },
  ratios: {
    initTime: py.initMs / c.initMs,
    initCpu: py.initCpuMs / c.initCpuMs,
    cpuPerInvocation: py.cpuPerInvocationMs / c.cpuPerInvocationMs,
    peakRss: py.peakRssKiB / c.peakRssKiB,
    latencyP50: py.latencyP50Ms / c.latencyP50Ms,
    overFloor: {
      cpuPerInvocation: c.cpuPerInvocationMs / floor.cpuPerInvocationMs,
      syscallsPerInvocation: syscalls.c.mix / syscalls.floor.mix,
    },
    coldHttps: coldHttps.c && {
      python: coldHttps.python.totalMs / coldHttps.c.totalMs, node: coldHttps.node.totalMs / coldHttps.c.totalMs,
    },
    node: {
      initTime: nodePeer.initMs / c.initMs, cpuPerInvocation: nodePeer.cpuPerInvocationMs / c.cpuPerInvocationMs,
      peakRss: nodePeer.peakRssKiB / c.peakRssKiB,
    },
  },
};
fs.rmSync(work, { recursive: true, force: true });
fs.writeFileSync(out, JSON.stringify(result, null, 2));
console.log(JSON.stringify(result, null, 2));
