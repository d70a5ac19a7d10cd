// A small Lambda Runtime API emulator on loopback: starts a bootstrap with the
// environment Lambda sets, hands it events through GET /invocation/next (long-poll), and
// collects what it posts to /response, /error and /init/error. Faults can be injected
// into the Runtime API itself (failNext, failPosts).
import fs from 'node:fs';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';

const PREFIX = '/2018-06-01/runtime';

/** CPU time (ms) a process has used so far, all threads, from /proc/<pid>/task/<tid>/schedstat. */
export function cpuMs(pid) {
  try {
    let ns = 0;
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    }
    return ns / 1e6;
  } catch {
    return NaN;
  }
}

/** User and system CPU time (ms) of a process, from /proc/<pid>/stat (clock ticks). */
export function cpuSplitMs(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const tick = 1000 / 100; // USER_HZ is 100 on Linux
    return { user: Number(fields[11]) * tick, sys: Number(fields[12]) * tick };
  } catch {
    return { user: NaN, sys: NaN };
  }
}

/** Peak resident set size (KiB) of a live process. */
export function peakRssKiB(pid) {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  } catch {
    return NaN;
  }
}

/** A new X-Ray trace header for every invocation, as Lambda sends: time-based root, random parent. */
export function traceId(sampled = false) {
  const epoch = Math.floor(Date.now() / 1000).toString(16).padStart(8, '0');
  return `Root=1-${epoch}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};` +
    `Sampled=${sampled ? 1 : 0};Lineage=1:${randomBytes(4).toString('hex')}:0`;
}

export async function startEmulator({ bootstrap, env = {}, cwd, args = [], command }) {
  const queue = []; // events waiting for /next
  const waiting = []; // /next responses waiting for an event
  const pending = new Map(); // request id -> {resolve}
  const emu = {
    initErrors: [], nextCalls: 0, failNext: 0, failPosts: 0, postsSeen: 0, stdout: '', stderr: '',
  };
  let initErrorResolve;
  emu.initError = new Promise((r) => { initErrorResolve = r; });

  function dispatch() {
    while (queue.length && waiting.length) {
      const res = waiting.shift();
      if (res.destroyed) continue;
      const inv = queue.shift();
      emu.lastTraceId = inv.traceHeader || traceId();
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Lambda-Runtime-Aws-Request-Id': inv.id,
        'Lambda-Runtime-Deadline-Ms': String(inv.deadlineMs),
        'Lambda-Runtime-Trace-Id': emu.lastTraceId,
        'Lambda-Runtime-Invoked-Function-Arn': 'arn:aws:lambda:us-east-1:123456789012:function:tasks-api',
      });
      res.end(inv.event);
    }
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = req.url;
      if (req.method === 'GET' && url === `${PREFIX}/invocation/next`) {
        emu.nextCalls++;
        if (emu.initMs === undefined) {
          emu.initMs = Number(process.hrtime.bigint() - emu.spawnedAt) / 1e6;
          emu.initCpuMs = cpuMs(child.pid);
        }
        if (emu.failNext > 0) {
          emu.failNext--;
          res.writeHead(500, { 'Content-Type': 'application/json' });
          return res.end('{"errorMessage":"injected","errorType":"ServiceException"}');
        }
        waiting.push(res);
        return dispatch();
      }
      if (req.method === 'POST' && url === `${PREFIX}/init/error`) {
        emu.initErrors.push({ body: JSON.parse(body), errorType: req.headers['lambda-runtime-function-error-type'] });
        initErrorResolve(emu.initErrors[0]);
        res.writeHead(202);
        return res.end('{"status":"OK"}');
      }
      const m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
      if (req.method === 'POST' && m && pending.has(m[1])) {
        emu.postsSeen++;
        if (emu.failPosts > 0) {
          emu.failPosts--;
          res.writeHead(500);
          return res.end('{}');
        }
        const p = pending.get(m[1]);
        pending.delete(m[1]);
        res.writeHead(202);
        res.end('{"status":"OK"}');
        return p.resolve({ kind: m[2], body, errorType: req.headers['lambda-runtime-function-error-type'] });
      }
      res.writeHead(404);
      res.end('{"errorMessage":"unknown request","errorType":"InvalidRequestID"}');
    });
  });
  emu.connections = 0;
  server.on('connection', () => { emu.connections++; });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const api = `127.0.0.1:${server.address().port}`;

  emu.spawnedAt = process.hrtime.bigint();
  const child = spawn(command || bootstrap, args, {
    cwd,
    env: {
      PATH: '/usr/bin:/bin',
      ...env,
      AWS_LAMBDA_RUNTIME_API: api,
      AWS_LAMBDA_FUNCTION_NAME: 'tasks-api',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/tasks-api',
      _HANDLER: 'bootstrap',
      LAMBDA_TASK_ROOT: cwd || '/var/task',
      AWS_REGION: env.AWS_REGION || 'us-east-1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => { emu.stdout += d; });
  child.stderr.on('data', (d) => { emu.stderr += d; });
  emu.exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  emu.process = child;

  /** Queues one event (a string) and resolves with what the bootstrap posted (traceHeader:
   * the Lambda-Runtime-Trace-Id to send, else a new unsampled one); rejects if
   * the bootstrap exits first, so a broken runtime fails a test instead of hanging it. */
  emu.invoke = (event, { deadlineMs = Date.now() + 30000, traceHeader } = {}) => Promise.race([
    new Promise((resolve) => {
      const id = randomUUID();
      pending.set(id, { resolve });
      queue.push({ id, event, deadlineMs, traceHeader });
      dispatch();
    }),
    emu.exited.then(({ code, signal }) => {
      throw new Error(`bootstrap exited (${code ?? signal}) before answering: ${emu.stdout.slice(-500)}${emu.stderr.slice(-500)}`);
    }),
  ]);

  emu.close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await emu.exited;
    }
    for (const res of waiting) res.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return emu;
}
