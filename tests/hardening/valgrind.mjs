// Leaks: valgrind memcheck over INVOCATIONS (default 10,000) invocations of the bootstrap
// through the Runtime API emulator (SQLite store, the full event mix including errors and
// non-proxy events), and over a few thousand requests to the local server (wrk). Any byte
// definitely or indirectly lost, or any memcheck error, fails.
// Usage: node tests/hardening/valgrind.mjs build/bootstrap build/tasks-api
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startEmulator } from '../lambda/emulator.mjs';
import { toApiGatewayEvent } from '../contract/client.mjs';
import { startServer, stop, tempDir } from './lib.mjs';

const [bootstrap, tasksApi] = process.argv.slice(2);
const INVOCATIONS = Number(process.env.INVOCATIONS || 10000);
const VALGRIND = ['valgrind', '-q', '--error-exitcode=99', '--leak-check=full', '--errors-for-leak-kinds=definite,indirect', '--show-leak-kinds=definite,indirect'];
const work = tempDir('valgrind-');
const fail = (msg) => { console.error(`valgrind: FAIL ${msg}`); process.exit(1); };

// 1. the bootstrap
const emu = await startEmulator({
  command: VALGRIND[0], args: [...VALGRIND.slice(1), bootstrap],
  env: { TASKS_STORE: 'sqlite', TASKS_DB: path.join(work, 'lambda.db'), LOG_LEVEL: 'warn' },
});
const ev = (m, p, b) => JSON.stringify(toApiGatewayEvent(m, p, b === undefined ? {} : { 'Content-Type': 'application/json' }, b));
let n = 0, id = null;
while (n < INVOCATIONS) {
  const step = n % 8;
  let event;
  if (step === 0) event = ev('POST', '/tasks', JSON.stringify({ title: `leak check ${n}`, description: 'x'.repeat(n % 100) }));
  else if (step === 1) event = ev('GET', `/tasks/${id}`);
  else if (step === 2) event = ev('GET', '/tasks?limit=10');
  else if (step === 3) event = ev('PATCH', `/tasks/${id}`, '{"status":"done"}');
  else if (step === 4) event = ev('POST', '/tasks', '{"title": [1, 2');
  else if (step === 5) event = 'not json at all';
  else if (step === 6) event = '{"no":"api gateway"}';
  else event = ev('DELETE', `/tasks/${id}`);
  const r = await emu.invoke(event);
  if (step === 0) id = JSON.parse(JSON.parse(r.body).body).id;
  n++;
}
emu.failNext = 100; // the loop gives up on /next and exits, so memcheck reports
const { code } = await emu.exited;
await emu.close();
if (code !== 1 || /definitely lost|indirectly lost|Invalid (read|write)|uninitialised/.test(emu.stderr + emu.stdout)) {
  fail(`bootstrap after ${n} invocations (exit ${code}):\n${emu.stderr.slice(-3000)}`);
}

// 2. the server
const server = await startServer(tasksApi, ['--db', path.join(work, 'server.db'), '--no-access-log', '--threads', '2'], { wrap: VALGRIND });
const created = await (await fetch(`${server.url}/tasks`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"title":"v"}' })).json();
const out = execFileSync('wrk', ['-t1', '-c8', '-d5s', `${server.url}/tasks/${created.id}`], { encoding: 'utf8' });
const requests = Number(/(\d+) requests in/.exec(out)[1]);
execFileSync('wrk', ['-t1', '-c8', '-d2s', `${server.url}/tasks?limit=20`]);
const result = await stop(server);
const log = fs.readFileSync(server.log, 'utf8');
if (result.code !== 0 || /definitely lost|indirectly lost/.test(log)) fail(`server (exit ${result.code}):\n${log.slice(-3000)}`);
if (requests < 1000) fail(`only ${requests} requests reached the server under valgrind`);
fs.rmSync(work, { recursive: true, force: true });
console.log(`valgrind: ${n} bootstrap invocations and ${requests}+ server requests, 0 bytes definitely or indirectly lost, no memcheck errors`);
