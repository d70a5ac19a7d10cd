// Memory over many invocations: RSS must stay flat, not only "0 bytes lost" under valgrind
// (memory that stays reachable, such as every old value of a per-invocation setenv, is not a
// leak to valgrind but still kills a busy sandbox). Runs INVOCATIONS (default 22,000)
// invocations with a fresh trace id each, as Lambda sends, on the SQLite store with a mix
// that keeps the data small (create, get, list, patch, delete, errors), as deployed with
// the Cognito authorizer (claims of a few users, TASKS_AUTH=cognito) and with the headers
// clients send (If-Match, If-None-Match, a status filter, an Idempotency-Key that is
// refused), and fails when the
// resident set grows by MAX_BYTES_PER_INVOCATION (24) or more per invocation after warm-up.
// (Accepted Idempotency-Keys are left out on purpose: each stores a record for 24 hours,
// which on SQLite fills its page cache, about 2 MB, and then stays flat; that is data, not
// a leak, and on Lambda the records live in DynamoDB.)
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
  bootstrap, env: { TASKS_STORE: 'sqlite', TASKS_DB: path.join(work, 'slope.db'), LOG_LEVEL: 'warn', TASKS_AUTH: 'cognito' },
});
const ISS = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Slope';
let user = 0; // each create-to-delete cycle is one user's, the users taking turns
const ev = (m, p, b, extra = {}) => JSON.stringify(toApiGatewayEvent(m, p,
  { ...(b === undefined ? {} : { 'Content-Type': 'application/json' }), Authorization: 'Bearer x.y.z', ...extra }, b, undefined,
  { iss: ISS, sub: `user-${user}`, token_use: 'id', aud: 'slope-client', exp: String(2000000000) }));

const traces = new Set();
let id = null, etag = null, warmRss = 0;
const STEPS = 7;
for (let n = 0; n < INVOCATIONS; n++) {
  const step = n % STEPS;
  user = Math.floor(n / STEPS) % 3;
  const event = step === 0 ? ev('POST', '/tasks', '{"title":"slope"}')
    : step === 1 ? ev('GET', `/tasks/${id}`, undefined, { 'If-None-Match': etag })
      : step === 2 ? ev('GET', '/tasks?limit=5&status=todo,in_progress')
        : step === 3 ? ev('PATCH', `/tasks/${id}`, '{"status":"done"}', { 'If-Match': etag })
          : step === 4 ? ev('POST', '/tasks', '{"title": [')
            : step === 5 ? ev('POST', '/tasks', '{"title":"x"}', { 'Idempotency-Key': 'not visible ascii' })
              : ev('DELETE', `/tasks/${id}`, undefined, { 'If-Match': '*' });
  const r = await emu.invoke(event);
  if (r.kind !== 'response') throw new Error(`invocation ${n} failed: ${r.body}`);
  const status = JSON.parse(r.body).statusCode;
  const want = [201, 304, 200, 200, 400, 400, 204][step];
  if (status !== want) throw new Error(`invocation ${n} (step ${step}) answered ${status}, not ${want}: ${r.body}`);
  if (step === 0) ({ id, etag } = JSON.parse(JSON.parse(r.body).body));
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
