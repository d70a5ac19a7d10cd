// Memory over many invocations: RSS must stay flat, not only "0 bytes lost" under valgrind
// (memory that stays reachable, such as every old value of a per-invocation setenv, is not a
// leak to valgrind but still kills a busy sandbox). Runs INVOCATIONS (default 22,000)
// invocations with a fresh trace id each, as Lambda sends, on the SQLite store with a mix
// that keeps the data small (create, get, list, patch, delete, errors), and fails when the
// resident set grows by MAX_BYTES_PER_INVOCATION (24) or more per invocation after warm-up.
// Usage: node tests/lambda/memory_slope.mjs build/bootstrap
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmulator } from './emulator.mjs';
import { toApiGatewayEvent } from '../contract/client.mjs';
import { rssKiB } from '../hardening/lib.mjs';

const bootstrap = process.argv[2] || 'build/bootstrap';
const INVOCATIONS = Number(process.env.INVOCATIONS || 22000);
const WARMUP = 2000;
const MAX_BYTES_PER_INVOCATION = 24;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tapi-slope-'));
const emu = await startEmulator({
  bootstrap, env: { TASKS_STORE: 'sqlite', TASKS_DB: path.join(work, 'slope.db'), LOG_LEVEL: 'warn' },
});
const ev = (m, p, b) => JSON.stringify(toApiGatewayEvent(m, p, b === undefined ? {} : { 'Content-Type': 'application/json' }, b));

const traces = new Set();
let id = null, warmRss = 0;
for (let n = 0; n < INVOCATIONS; n++) {
  const step = n % 6;
  const event = step === 0 ? ev('POST', '/tasks', '{"title":"slope"}')
    : step === 1 ? ev('GET', `/tasks/${id}`)
      : step === 2 ? ev('GET', '/tasks?limit=5')
        : step === 3 ? ev('PATCH', `/tasks/${id}`, '{"status":"done"}')
          : step === 4 ? ev('POST', '/tasks', '{"title": [')
            : ev('DELETE', `/tasks/${id}`);
  const r = await emu.invoke(event);
  if (r.kind !== 'response') throw new Error(`invocation ${n} failed: ${r.body}`);
  if (step === 0) id = JSON.parse(JSON.parse(r.body).body).id;
  if (n === WARMUP) warmRss = rssKiB(emu.process.pid);
  if (n < 100) traces.add(emu.lastTraceId);
}
const endRss = rssKiB(emu.process.pid);
await emu.close();
fs.rmSync(work, { recursive: true, force: true });

const perInvocation = ((endRss - warmRss) * 1024) / (INVOCATIONS - WARMUP);
const summary = `RSS ${warmRss} KiB after ${WARMUP} invocations, ${endRss} KiB after ${INVOCATIONS}: ` +
  `${perInvocation.toFixed(2)} B per invocation (limit ${MAX_BYTES_PER_INVOCATION})`;
if (traces.size < 100) {
  console.error(`memory slope: FAIL the emulator repeated trace ids (${traces.size} distinct in 100)`);
  process.exit(1);
}
if (!(perInvocation < MAX_BYTES_PER_INVOCATION)) {
  console.error(`memory slope: FAIL ${summary}`);
  process.exit(1);
}
console.log(`memory slope: ${summary}`);
