// Helpers for the hardening checks: start the real server, talk to it, read its memory.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

// Every directory made here is removed when the process exits (a server's access log
// under load grows by hundreds of MB a minute); KEEP_TEMP=1 keeps them for a look.
const made = [];
process.on('exit', () => {
  if (process.env.KEEP_TEMP !== '1') for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A loopback port free at the time of asking. */
export const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  s.on('error', reject);
});

/** Starts `bin serve` with stderr to a file; resolves {proc, url, port, log}. */
export async function startServer(bin, args, { env = {}, wrap = [] } = {}) {
  const dir = tempDir('hardening-srv-');
  const log = path.join(dir, 'server.log');
  const fd = fs.openSync(log, 'w');
  const cmd = wrap.length ? wrap[0] : bin;
  const argv = wrap.length ? [...wrap.slice(1), bin, 'serve', '--port', '0', ...args] : ['serve', '--port', '0', ...args];
  const proc = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', fd] });
  const exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  for (let i = 0; i < 600; i++) {
    const m = /listening on (http:\/\/[^:]+:(\d+))/.exec(fs.readFileSync(log, 'utf8'));
    if (m) return { proc, url: m[1], port: Number(m[2]), log, exited };
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server did not start: ${fs.readFileSync(log, 'utf8')}`);
}

export async function stop(server, signal = 'SIGTERM') {
  if (server.proc.exitCode === null && server.proc.signalCode === null) server.proc.kill(signal);
  return server.exited;
}

export function rssKiB(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
}

export function openFds(pid) {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

export async function request(url, method = 'GET', body, headers = {}) {
  const res = await fetch(url, {
    method,
    headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}
