// Soak: wrk drives the server with a mixed profile at 256 connections for SOAK_SECONDS
// (600 for `make soak`, 60 in `make test`). Passes when every request got a 2xx (all are
// valid) with no socket error or timeout, RSS and open file descriptors stay flat, the
// SQLite file passes PRAGMA integrity_check, and every create the server acknowledged is in
// the database.
//
// The machines this runs on are virtual and sometimes pause whole (every process, clocks
// stepped on resume); wrk then counts the requests in flight as timeouts and the server
// may find its connections idle past their timeout. A watch in this process (not under
// load, not in the server) sees such a pause as a gap in its own ticks or a step between
// the wall and monotonic clocks. Socket errors in a run where the watch saw the machine
// stop for a second or more are reported and the soak runs once more on a fresh database;
// socket errors without such a pause, or in the second run, fail. Nothing else is excused.
// Usage: node tests/hardening/soak.mjs build/tasks-api
import fs from 'node:fs';
import path from 'node:path';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { startServer, stop, tempDir, request, rssKiB, openFds } from './lib.mjs';

const BIN = process.argv[2] || 'build/tasks-api';
const SECONDS = Number(process.env.SOAK_SECONDS || 60);
const PAUSE_MS = 1000; // a stop this long can push a request past wrk's 2 s timeout
const fail = (msg) => { console.error(`soak: FAIL ${msg}`); process.exit(1); };

// The longest stop of this process's clock ticks, or step between its clocks, in ms.
function watchPauses(tickMs = 100) {
  let mono = performance.now(), wall = Date.now(), worst = 0;
  const timer = setInterval(() => {
    const m = performance.now(), w = Date.now();
    const gap = m - mono - tickMs, step = Math.abs((w - wall) - (m - mono));
    worst = Math.max(worst, gap, step);
    mono = m; wall = w;
  }, tickMs);
  return () => { clearInterval(timer); return Math.round(worst); };
}

function luaScript(work, seed) {
  return `
local counter = 0
local threads = {}
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end
function init(args)
  ids = io.open("${work}/ids-" .. tid .. ".txt", "w")
  n = 0
end
request = function()
  n = n + 1
  local r = n % 20
  if r < 12 then return wrk.format("GET", "/tasks/${seed}") end
  if r < 15 then return wrk.format("GET", "/tasks?limit=50") end
  if r < 19 then return wrk.format("POST", "/tasks", {["Content-Type"] = "application/json"}, '{"title":"soak","description":"load"}') end
  return wrk.format("PATCH", "/tasks/${seed}", {["Content-Type"] = "application/json"}, '{"status":"in_progress"}')
end
response = function(status, headers, body)
  if status == 201 then
    local id = string.match(body, '"id":"([0-9a-f-]+)"')
    if id then ids:write(id, "\\n"); ids:flush() end
  end
end
`;
}

// One run on a fresh database. Returns { summary } or { socketErrors, pauseMs }; any other
// failure ends the process.
async function soak() {
  const work = tempDir('soak-');
  const db = path.join(work, 'soak.db');
  const server = await startServer(BIN, ['--db', db]);
  const seed = (await request(`${server.url}/tasks`, 'POST', { title: 'soak seed' })).json.id;
  const script = path.join(work, 'soak.lua');
  fs.writeFileSync(script, luaScript(work, seed));

  const samples = [];
  const sampler = setInterval(() => samples.push({ rss: rssKiB(server.proc.pid), fds: openFds(server.proc.pid) }), 2000);
  const pauses = watchPauses();
  const { stdout } = await promisify(execFile)('wrk', ['-t2', '-c256', '-d', `${SECONDS}s`, '-s', script, server.url], { maxBuffer: 1 << 20 });
  const pauseMs = pauses();
  clearInterval(sampler);
  await new Promise((r) => setTimeout(r, 1000)); // let closing connections drain
  const fdsAfter = openFds(server.proc.pid);
  const rssAfter = rssKiB(server.proc.pid);
  const { code } = await stop(server);
  if (code !== 0) fail(`server exited ${code}`);

  const total = Number(/(\d+) requests in/.exec(stdout)[1]);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  if (non2xx) fail(`${non2xx[1]} non-2xx responses`);

  // flat: after the first quarter (warm-up), RSS varies by less than 16 MiB
  const warm = samples.slice(Math.floor(samples.length / 4));
  const rssMin = Math.min(...warm.map((s) => s.rss)), rssMax = Math.max(...warm.map((s) => s.rss), rssAfter);
  if (rssMax - rssMin > 16 * 1024) fail(`RSS grew from ${rssMin} to ${rssMax} KiB`);
  const fdPeak = samples.length ? Math.max(...samples.map((s) => s.fds)) : fdsAfter;
  if (fdsAfter > 64) fail(`${fdsAfter} file descriptors open after the load (leak?)`);

  const integrity = execFileSync('sqlite3', [db, 'PRAGMA integrity_check;'], { encoding: 'utf8' }).trim();
  if (integrity !== 'ok') fail(`integrity_check: ${integrity}`);
  const ids = fs.readdirSync(work).filter((f) => f.startsWith('ids-')).flatMap((f) => fs.readFileSync(path.join(work, f), 'utf8').split('\n').filter(Boolean));
  fs.writeFileSync(path.join(work, 'ids.csv'), ids.join('\n') + '\n');
  const found = execFileSync('sqlite3', [db], {
    input: `CREATE TEMP TABLE acked(id TEXT PRIMARY KEY);\n.import ${work}/ids.csv acked\nSELECT count(*) FROM acked JOIN tasks USING (id);\n`,
    encoding: 'utf8',
  }).trim();
  if (Number(found) !== new Set(ids).size || ids.length === 0) fail(`${ids.length} creates acknowledged, ${found} found in the database`);
  fs.rmSync(work, { recursive: true, force: true });

  if (sock && sock.slice(1).some((x) => Number(x) > 0)) return { socketErrors: sock[0], pauseMs };
  return {
    summary: `${SECONDS}s at 256 connections, ${total} requests (${Math.round(total / SECONDS)}/s), 0 errors; ` +
      `RSS ${rssMin}-${rssMax} KiB after warm-up; fds ${fdPeak} at peak, ${fdsAfter} after; integrity ok; ` +
      `${ids.length} acknowledged creates all present; longest machine pause seen ${pauseMs} ms`,
  };
}

let run = await soak();
if (run.socketErrors && run.pauseMs >= PAUSE_MS) {
  console.log(`soak: ${run.socketErrors} in a run during which the whole machine stopped for ${run.pauseMs} ms ` +
    '(seen by the watch in this process); running once more');
  run = await soak();
}
if (run.socketErrors) fail(`${run.socketErrors} (longest machine pause seen: ${run.pauseMs} ms)`);
console.log(`soak: ${run.summary}`);
