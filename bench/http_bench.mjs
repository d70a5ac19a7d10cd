// Benchmark 2: the local server (SQLite store) under wrk, against nginx serving a static
// file of the same body size with the same wrk settings — the ceiling for HTTP here.
// Usage: node bench/http_bench.mjs OUT.json   (BENCH_QUICK=1 for a short run)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { startServer } from '../tests/hardening/lib.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const DURATION = QUICK ? '2s' : '6s';
const CONNECTIONS = QUICK ? [1, 16, 64, 256] : [1, 16, 64, 128, 256];
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const out = process.argv[2];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'http-bench-'));
fs.chmodSync(work, 0o755); // nginx's workers run as www-data

function wrk(url, connections, script) {
  const args = ['-t', connections >= 2 ? '2' : '1', '-c', String(connections), '-d', DURATION, '--latency'];
  if (script) args.push('-s', script);
  const text = execFileSync('wrk', [...args, url], { encoding: 'utf8' });
  const num = (re) => { const m = re.exec(text); return m ? Number(m[1]) : NaN; };
  const ms = (re) => {
    const m = re.exec(text);
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  const total = /(\d+) requests in/.exec(text);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    connections,
    requestsPerSec: num(/Requests\/sec:\s+([\d.]+)/),
    p50Ms: ms(/\s50%\s+([\d.]+)(us|ms|s)/),
    p99Ms: ms(/\s99%\s+([\d.]+)(us|ms|s)/),
    non2xx: errors ? Number(errors[1]) : 0,
    socketErrors: socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    requests: total ? Number(total[1]) : NaN,
  };
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').slice(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** wrk as above, plus the server's CPU microseconds per request over the run. */
function wrkCpu(pid, url, connections, script) {
  const c0 = cpuSeconds(pid);
  const r = wrk(url, connections, script);
  r.serverCpuUsPerRequest = ((cpuSeconds(pid) - c0) * 1e6) / r.requests;
  return r;
}

async function post(url, body) {
  const res = await fetch(`${url}/tasks`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return res.json();
}

function startNginx(bodyFile) {
  const conf = path.join(work, 'nginx.conf');
  fs.writeFileSync(conf, `worker_processes ${os.cpus().length};
pid ${work}/nginx.pid;
error_log ${work}/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log ${work}/nginx-access.log;
  server {
    listen 127.0.0.1:18181;
    location = /task.json { root ${work}; default_type application/json; }
  }
}
daemon off;
`);
  const proc = spawn('/usr/sbin/nginx', ['-c', conf, '-p', work], { stdio: 'ignore' });
  return proc;
}

// stderr (the access log) goes straight to a file: wrk runs synchronously, and a pipe
// nobody reads would fill up and stall the server
const { proc: server, url } = await startServer(path.join(ROOT, 'build/tasks-api'), ['--db', path.join(work, 'bench.db')]);
const task = await post(url, { title: 'Benchmark task', description: 'A task of typical size for the GET benchmark.' });
for (let i = 0; i < 200; i++) await post(url, { title: `seed ${i}`, description: 'x'.repeat(i % 50), status: ['todo', 'in_progress', 'done'][i % 3] });
const bodyRes = await fetch(`${url}/tasks/${task.id}`);
fs.writeFileSync(path.join(work, 'task.json'), await bodyRes.text());

const postScript = path.join(work, 'post.lua');
fs.writeFileSync(postScript, `wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title":"wrk task","description":"created by the benchmark"}'
`);
const mixedScript = path.join(work, 'mixed.lua');
fs.writeFileSync(mixedScript, `-- 70% get one, 15% list, 10% create, 5% patch
local n = 0
request = function()
  n = n + 1
  local r = n % 20
  if r < 14 then return wrk.format("GET", "/tasks/${task.id}") end
  if r < 17 then return wrk.format("GET", "/tasks?limit=50") end
  if r < 19 then return wrk.format("POST", "/tasks", {["Content-Type"] = "application/json"}, '{"title":"mixed"}') end
  return wrk.format("PATCH", "/tasks/${task.id}", {["Content-Type"] = "application/json"}, '{"status":"done"}')
end
`);

const nginx = startNginx();
await new Promise((r) => setTimeout(r, 500));
const results = { getById: [], nginx: [], bodyBytes: fs.statSync(path.join(work, 'task.json')).size };
for (const c of CONNECTIONS) {
  results.getById.push(wrk(`${url}/tasks/${task.id}`, c));
  results.nginx.push(wrk('http://127.0.0.1:18181/task.json', c));
}
results.create = wrk(`${url}/tasks`, 64, postScript);
// the same create with an Idempotency-Key, a new one per request (each is a first create)
const keyedScript = path.join(work, 'keyed.lua');
fs.writeFileSync(keyedScript, `local n = 0
local id = tostring(math.random(1, 1e9))
request = function()
  n = n + 1
  return wrk.format("POST", "/tasks", {["Content-Type"] = "application/json", ["Idempotency-Key"] = id .. "-" .. n},
    '{"title":"wrk task","description":"created by the benchmark"}')
end
`);
results.createKeyed = wrk(`${url}/tasks`, 64, keyedScript);
results.list50 = wrk(`${url}/tasks?limit=50`, 64);
results.list50Filtered = wrk(`${url}/tasks?limit=50&status=todo,in_progress`, 64);
results.mixed = wrk(`${url}`, 64, mixedScript);
const at64 = (xs) => xs.find((r) => r.connections === 64);
results.ratioGetToNginxAt64 = at64(results.getById).requestsPerSec / at64(results.nginx).requestsPerSec;
nginx.kill('SIGTERM');

// Authentication: the same GET with a bearer JWT (RS256, 2048-bit key) verified on every
// request, against the same server without authentication; the server's CPU per request
// gives the verification's cost.
{
  const keysDir = path.join(work, 'auth');
  const tokens = await import('../tests/contract/auth_tokens.mjs');
  tokens.makeKeys(keysDir);
  process.env.CONTRACT_AUTH_DIR = keysDir;
  const authed = await startServer(path.join(ROOT, 'build/tasks-api'), ['--db', path.join(work, 'auth.db'), '--no-access-log',
    '--auth-jwks', path.join(keysDir, 'jwks.json'), '--auth-issuer', tokens.ISSUER, '--auth-audience', tokens.AUDIENCE]);
  const plain = await startServer(path.join(ROOT, 'build/tasks-api'), ['--db', path.join(work, 'bench.db'), '--no-access-log']);
  const token = tokens.tokenFor('bench-user');
  const made = await (await fetch(`${authed.url}/tasks`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ title: 'Benchmark task', description: 'A task of typical size for the GET benchmark.' }) })).json();
  const authScript = path.join(work, 'auth.lua');
  fs.writeFileSync(authScript, `wrk.headers["Authorization"] = "Bearer ${token}"\n`);
  results.auth = { tokenBytes: token.length, off: [], on: [] };
  for (const c of [1, 64]) {
    results.auth.off.push(wrkCpu(plain.proc.pid, `${plain.url}/tasks/${task.id}`, c));
    results.auth.on.push(wrkCpu(authed.proc.pid, `${authed.url}/tasks/${made.id}`, c, authScript));
  }
  const on64 = at64(results.auth.on), off64 = at64(results.auth.off);
  if (on64.non2xx || off64.non2xx) throw new Error('the authentication benchmark got non-2xx answers');
  results.auth.addedCpuUsPerRequest = on64.serverCpuUsPerRequest - off64.serverCpuUsPerRequest;
  results.auth.throughputRatioAt64 = on64.requestsPerSec / off64.requestsPerSec;
  for (const s of [authed, plain]) {
    s.proc.kill('SIGTERM');
    await s.exited;
  }
}
server.kill('SIGTERM');
await new Promise((r) => server.on('exit', r));
fs.rmSync(work, { recursive: true, force: true });
fs.writeFileSync(out, JSON.stringify(results, null, 2));
console.log(JSON.stringify(results, null, 2));
