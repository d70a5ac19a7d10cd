// Merges the three benchmark results into bench/results/latest.json (with the machine and
// versions), prints the Markdown table the README's performance section holds, and plots
// throughput against connections for the server and nginx (gnuplot, PNG).
// Usage: node bench/report.mjs LAMBDA.json HTTP.json SCALE.json
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const [lambda, http, scale] = process.argv.slice(2).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
const sh = (cmd, args) => {
  try {
    // some tools (nginx -v) print their version on stderr
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0].trim();
  } catch (e) {
    return String(e.stderr || '').split('\n')[0].trim() || 'unknown';
  }
};

const machine = {
  date: new Date().toISOString(),
  cpu: (/model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8')) || [])[1],
  cores: os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  kernel: os.release(),
  quick: process.env.BENCH_QUICK === '1',
};
const versions = {
  gcc: sh('gcc', ['--version']),
  sqlite: sh('sqlite3', ['--version']).split(' ')[0],
  libmicrohttpd: sh('pkg-config', ['--modversion', 'libmicrohttpd']),
  nginx: sh('/usr/sbin/nginx', ['-v']),
  wrk: sh('wrk', ['--version']).split(' ').slice(0, 2).join(' '),
  node: process.version,
  python: sh('/usr/bin/python3', ['--version']),
  boto3: sh('/usr/bin/python3', ['-c', 'import boto3; print(boto3.__version__)']),
};
const latest = { machine, versions, lambda, http, scale };
fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
fs.writeFileSync(path.join(ROOT, 'bench/results/latest.json'), JSON.stringify(latest, null, 2) + '\n');

const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const int = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const c = lambda.c, py = lambda.python, r = lambda.ratios;
const at = (xs, n) => xs.find((x) => x.connections === n);
const lines = [];
lines.push(`Measured ${machine.date.slice(0, 10)} on ${machine.cpu} (${machine.cores} cores)${machine.quick ? ', BENCH_QUICK=1' : ''}; wrk, servers and emulator share the machine.`);
lines.push('');
lines.push('**Lambda door vs the reference Python design (Python 3.11 + boto3), same emulator, dynalite and event mix**');
lines.push('');
lines.push('| | C bootstrap | Python + boto3 | ratio | target |');
lines.push('|---|---:|---:|---:|---:|');
lines.push(`| init (start → first /next) | ${f(c.initMs, 1)} ms | ${f(py.initMs, 1)} ms | ${f(r.initTime, 1)}× | ≥ 20× |`);
lines.push(`| init CPU | ${f(c.initCpuMs, 1)} ms | ${f(py.initCpuMs, 1)} ms | ${f(r.initCpu, 1)}× | |`);
lines.push(`| CPU per invocation (user+sys) | ${f(c.cpuPerInvocationMs, 3)} ms | ${f(py.cpuPerInvocationMs, 3)} ms | ${f(r.cpuPerInvocation, 1)}× | ≥ 20× |`);
lines.push(`| of which user / kernel | ${f(c.cpuPerInvocationMs * c.userCpuShare, 3)} / ${f(c.cpuPerInvocationMs * (1 - c.userCpuShare), 3)} ms | ${f(py.cpuPerInvocationMs * py.userCpuShare, 3)} / ${f(py.cpuPerInvocationMs * (1 - py.userCpuShare), 3)} ms | | |`);
lines.push(`| latency p50 / p99 | ${f(c.latencyP50Ms)} / ${f(c.latencyP99Ms)} ms | ${f(py.latencyP50Ms)} / ${f(py.latencyP99Ms)} ms | ${f(r.latencyP50, 1)}× (p50) | |`);
lines.push(`| peak RSS | ${int(c.peakRssKiB)} KiB | ${int(py.peakRssKiB)} KiB | ${f(r.peakRss, 1)}× | ≥ 5× |`);
lines.push(`| package | ${int(lambda.packageBytes.c)} B (self-contained) | ${int(lambda.packageBytes.python)} B (+ the managed runtime and its boto3) | | < 3 MB |`);
lines.push(`| instructions per invocation, stub store (callgrind) | ${int(lambda.callgrind.instructionsPerInvocation)} | | | |`);
lines.push(`| the same events carrying an authorizer's claims and Authorization, TASKS_AUTH unset | ${int(lambda.callgrind.instructionsPerInvocationClaimsOnly)} | | | |`);
lines.push(`| the same with authentication on (TASKS_AUTH=cognito: owner from the claims) | ${int(lambda.callgrind.instructionsPerInvocationAuth)} | | | |`);
if (lambda.floor && lambda.node) {
  // the floor (bench/floor.c: the same exchanges, nothing else) and the peer most teams
  // would pick instead (bench/node-peer: Node.js + the AWS SDK v3), in the same run
  const fl = lambda.floor, nd = lambda.node, sc = lambda.syscalls;
  const split = (x) => `${f(x.cpuPerInvocationMs, 3)} ms (${f(x.cpuPerInvocationMs * x.userCpuShare, 3)} / ${f(x.cpuPerInvocationMs * (1 - x.userCpuShare), 3)})`;
  lines.push('');
  lines.push('**Against the floor and the peer most teams would pick instead**: the floor is a plain-C program making exactly the bootstrap\'s exchanges per invocation (the next event, the same DynamoDB requests with canned bodies, an answer of the same size: for a list, as many tasks as the page) on kept-alive connections, with no parsing, signing or logging (`bench/floor.c`); the peer is the seed\'s handler on Node.js with the AWS SDK for JavaScript v3 (`bench/node-peer`). Same emulator, dynalite and mix.');
  lines.push('');
  lines.push(`| | floor | C bootstrap | Node.js ${nd.version} + SDK v3 | Python + boto3 |`);
  lines.push('|---|---:|---:|---:|---:|');
  lines.push(`| CPU per invocation (user / kernel) | ${split(fl)} | ${split(c)} | ${split(nd)} | ${split(py)} |`);
  lines.push(`| ÷ the floor | 1.0× | ${f(r.overFloor.cpuPerInvocation, 2)}× (target ≤ 1.5×) | ${f(nd.cpuPerInvocationMs / fl.cpuPerInvocationMs, 1)}× | ${f(py.cpuPerInvocationMs / fl.cpuPerInvocationMs, 1)}× |`);
  lines.push(`| system calls per invocation (mix) | ${f(sc.floor.mix, 1)} | ${f(sc.c.mix, 1)} | | |`);
  lines.push(`| init (start → first /next) | | ${f(c.initMs, 1)} ms | ${f(nd.initMs, 1)} ms | ${f(py.initMs, 1)} ms |`);
  lines.push(`| peak RSS | | ${int(c.peakRssKiB)} KiB | ${int(nd.peakRssKiB)} KiB | ${int(py.peakRssKiB)} KiB |`);
  lines.push('');
  lines.push('System calls per invocation by route (`strace -f`, one invocation being the calls from one `GET /next` to the next):');
  lines.push('');
  lines.push('| route | floor | C bootstrap |');
  lines.push('|---|---:|---:|');
  for (const route of Object.keys(sc.c.perRoute)) lines.push(`| ${route} | ${f(sc.floor.perRoute[route], 1)} | ${f(sc.c.perRoute[route], 1)} |`);
}
{
  // A model, not a measurement of Lambda: at 128 MB a function gets 128/1769 of a vCPU, so
  // a CPU-bound invocation lasts its CPU time x 1769/128, billed per started millisecond.
  // Waiting for DynamoDB adds duration on top for both designs alike.
  const PRICES = { x86_64: 0.0000166667, arm64: 0.0000133334 }; // USD per GB-second
  const REQUEST_PRICE = 0.20; // USD per million requests
  const model = (cpuMs) => {
    const billedMs = Math.ceil(cpuMs * 1769 / 128);
    const gbSeconds = (billedMs / 1000) * (128 / 1024) * 1e6;
    return { cpuSeconds: cpuMs * 1000, billedMs, x86: gbSeconds * PRICES.x86_64 + REQUEST_PRICE, arm: gbSeconds * PRICES.arm64 + REQUEST_PRICE };
  };
  const ours = model(lambda.c.cpuPerInvocationMs), seed = model(lambda.python.cpuPerInvocationMs);
  lines.push('');
  lines.push('**Cost per million requests at 128 MB — a model computed from the CPU measured above** (CPU-bound duration = CPU × 1769/128, billed per started ms; AWS Lambda us-east-1 prices as published in 2024: x86_64 $0.0000166667 and arm64 $0.0000133334 per GB-second, $0.20 per million requests; check the current price list; the arm64 rows assume the same CPU time, not measured here)');
  lines.push('');
  lines.push('| design | CPU-seconds per 1M | billed duration per request | x86_64 USD per 1M | arm64 USD per 1M |');
  lines.push('|---|---:|---:|---:|---:|');
  for (const [name, m] of [['C bootstrap', ours], ['Python + boto3 (seed)', seed]]) {
    lines.push(`| ${name} | ${f(m.cpuSeconds, 0)} | ${m.billedMs} ms | ${f(m.x86, 3)} | ${f(m.arm, 3)} |`);
  }
  const q = lambda.quota || {};
  lines.push('');
  if (q.c && q.python) {
    lines.push(`**The model checked**: the same mix back to back, each process held by a cgroup to 128/1769 of a CPU (${q.c.quota}), as a 128 MB function is; mean duration per invocation measured there against the model's CPU × 1769/128 from the CPU the process used in that run (the measured duration also holds the waits for dynalite)`);
    lines.push('');
    lines.push('| design | invocations | CPU per invocation | model duration | measured duration | measured / model |');
    lines.push('|---|---:|---:|---:|---:|---:|');
    for (const [name, m] of [['C bootstrap', q.c], ['Python + boto3 (seed)', q.python]]) {
      lines.push(`| ${name} | ${m.invocations} | ${f(m.cpuPerInvocationMs, 3)} ms | ${f(m.modelDurationMs)} ms | ${f(m.durationMeanMs)} ms | ${f(m.durationMeanMs / m.modelDurationMs)} |`);
    }
  } else {
    lines.push('The model was not checked under a CPU quota in this run (that needs root and a cgroup cpu controller).');
  }
}
{
  // Cold start as a user feels it: init and the first create, under the 128 MB CPU share,
  // with DynamoDB over HTTPS (a real TLS handshake against a test CA the runtime trusts)
  const cs = lambda.coldHttps;
  lines.push('');
  if (cs && cs.c) {
    lines.push(`**Cold start as a user feels it**: from the process's start to the answer of its first invocation (a create), held to 128/1769 of a CPU, DynamoDB over HTTPS through nginx terminating TLS 1.3 in front of dynalite with a test CA the runtime trusts (\`AWS_CA_BUNDLE\`; \`NODE_EXTRA_CA_CERTS\` for Node.js); the median of ${cs.c.runs} fresh processes each`);
    lines.push('');
    lines.push('| design | init | first invocation | total (median) | all runs | ÷ C bootstrap |');
    lines.push('|---|---:|---:|---:|---:|---:|');
    const row = (name, m) => lines.push(`| ${name} | ${f(m.initMs, 1)} ms | ${f(m.firstInvocationMs, 1)} ms | ${f(m.totalMs, 1)} ms | ${m.totalMsAll.map((x) => f(x, 0)).join(', ')} ms | ${m === cs.c ? '1.0×' : `${f(m.totalMs / cs.c.totalMs, 1)}× (target ≥ 20×)`} |`);
    row('C bootstrap', cs.c);
    if (cs.node) row(`Node.js + SDK v3`, cs.node);
    if (cs.python) row('Python + boto3', cs.python);
  } else {
    lines.push('Cold start over HTTPS was not measured in this run (that needs root, a cgroup cpu controller, nginx and openssl).');
  }
}
lines.push('');
lines.push(`**Local server (SQLite) vs nginx serving the same ${http.bodyBytes}-byte body as a static file**`);
lines.push('');
lines.push('| profile | connections | tasks-api req/s | p50 / p99 ms | nginx req/s | p50 / p99 ms | ratio |');
lines.push('|---|---:|---:|---:|---:|---:|---:|');
for (const g of http.getById) {
  const n = at(http.nginx, g.connections);
  lines.push(`| GET /tasks/{id} | ${g.connections} | ${int(g.requestsPerSec)} | ${f(g.p50Ms)} / ${f(g.p99Ms)} | ${int(n.requestsPerSec)} | ${f(n.p50Ms)} / ${f(n.p99Ms)} | ${f(g.requestsPerSec / n.requestsPerSec)} |`);
}
for (const [name, x] of [['POST /tasks', http.create], ['POST /tasks with an Idempotency-Key', http.createKeyed], ['GET /tasks?limit=50', http.list50],
  ['GET /tasks?limit=50&status=todo,in_progress', http.list50Filtered], ['mixed (70/15/10/5 get/list/create/patch)', http.mixed]]) {
  if (!x) continue;
  lines.push(`| ${name} | ${x.connections} | ${int(x.requestsPerSec)} | ${f(x.p50Ms)} / ${f(x.p99Ms)} | | | |`);
}
if (http.auth) {
  lines.push('');
  lines.push(`**Authentication on the local server: \`GET /tasks/{id}\` with a bearer JWT (RS256, 2048-bit key, ${http.auth.tokenBytes}-character token) verified on every request, against the same server without authentication (both without access log)**`);
  lines.push('');
  lines.push('| connections | auth off req/s | server CPU µs/req | auth on req/s | server CPU µs/req |');
  lines.push('|---:|---:|---:|---:|---:|');
  for (const off of http.auth.off) {
    const on = at(http.auth.on, off.connections);
    lines.push(`| ${off.connections} | ${int(off.requestsPerSec)} | ${f(off.serverCpuUsPerRequest)} | ${int(on.requestsPerSec)} | ${f(on.serverCpuUsPerRequest)} |`);
  }
  lines.push('');
  lines.push(`Verification adds ${f(http.auth.addedCpuUsPerRequest)} µs of server CPU per request; throughput at 64 connections is ${f(http.auth.throughputRatioAt64 * 100, 0)}% of the unauthenticated server's.`);
}
lines.push('');
lines.push('**Scale: `GET /tasks?limit=50` latency (wrk, 1 connection) on the first page and a page halfway down**');
lines.push('');
lines.push('| store | tasks | first page p50 / p99 ms | deep page p50 / p99 ms |');
lines.push('|---|---:|---:|---:|');
for (const s of [...scale.sqlite, ...scale.dynamodb]) {
  lines.push(`| ${s.store} | ${int(s.tasks)} | ${f(s.firstPage.p50Ms, 3)} / ${f(s.firstPage.p99Ms, 3)} | ${f(s.deepPage.p50Ms, 3)} / ${f(s.deepPage.p99Ms, 3)} |`);
}
lines.push('');
lines.push(`Deep page at ${int(scale.sqlite[scale.sqlite.length - 1].tasks)} vs ${int(scale.sqlite[0].tasks)} tasks: ${f(scale.deepPageRatioLargestToSmallest)}× (target ≤ 2×). ` +
  `Server RSS over ${int(scale.memory.requests)} requests: ${int(scale.memory.rssBeforeKiB)} → ${int(scale.memory.rssAfterKiB)} KiB.`);
const md = lines.join('\n');
fs.writeFileSync(path.join(ROOT, 'bench/results/latest.md'), md + '\n');
console.log(md);

// throughput vs connections
const dat = path.join(ROOT, 'bench/results/throughput.dat');
fs.writeFileSync(dat, http.getById.map((g) => `${g.connections} ${g.requestsPerSec} ${at(http.nginx, g.connections).requestsPerSec}`).join('\n') + '\n');
try {
  execFileSync('gnuplot', ['-e', `set terminal pngcairo size 800,480; set output '${path.join(ROOT, 'bench/results/throughput.png')}';
set title 'GET /tasks/{id} vs nginx static file (${machine.cores} cores, wrk on the same machine)' noenhanced;
set xlabel 'connections'; set ylabel 'requests/s'; set logscale x 2; set key left top; set grid;
plot '${dat}' using 1:2 with linespoints lw 2 title 'tasks-api (SQLite)', '' using 1:3 with linespoints lw 2 title 'nginx static file'`]);
} catch (e) {
  execFileSync('gnuplot', ['-e', `set terminal png size 800,480; set output '${path.join(ROOT, 'bench/results/throughput.png')}'; set logscale x 2; plot '${dat}' using 1:2 with linespoints title 'tasks-api', '' using 1:3 with linespoints title 'nginx'`]);
}
fs.rmSync(dat);
