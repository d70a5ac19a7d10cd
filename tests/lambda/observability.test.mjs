// What the bootstrap tells CloudWatch and X-Ray, driving the real bootstrap
// (LAMBDA_BOOTSTRAP) through the Runtime API emulator on the DynamoDB store (dynalite):
//  - one Embedded Metric Format line per invocation: valid JSON, every declared metric
//    present as a number, dimensions bounded (route names, status classes, no ids);
//  - X-Ray: one subsegment per DynamoDB call to a UDP listener on loopback, in the
//    invocation's trace, only when sampled; the trace header rides on the DynamoDB
//    request; a missing daemon never affects a request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import http from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { startEmulator, traceId } from './emulator.mjs';
import { toApiGatewayEvent, fromProxyResponse } from '../contract/client.mjs';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite');
const BOOTSTRAP = process.env.LAMBDA_BOOTSTRAP || 'build/bootstrap';
const TASKS_API = process.env.TASKS_API_BIN || 'build/tasks-api';
const ROUTES = new Set(['POST /tasks', 'GET /tasks', 'GET /tasks/{id}', 'PATCH /tasks/{id}', 'DELETE /tasks/{id}', 'other']);

let db, recorder, daemon, env;
const datagrams = [];
const ddbHeaders = []; // X-Amzn-Trace-Id of each DynamoDB request, in order
let throttleNext = 0; // the recorder answers this many requests with a throttling error

before(async () => {
  db = dynalite({ createTableMs: 0 });
  await new Promise((r) => db.listen(0, '127.0.0.1', r));
  // a forwarder between the store and dynalite that notes the trace header
  recorder = http.createServer((req, res) => {
    ddbHeaders.push(req.headers['x-amzn-trace-id'] || null);
    if (throttleNext > 0) {
      throttleNext--;
      req.resume();
      res.writeHead(400, { 'Content-Type': 'application/x-amz-json-1.0' });
      return res.end('{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate exceeded"}');
    }
    const up = http.request({ host: '127.0.0.1', port: db.address().port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  });
  await new Promise((r) => recorder.listen(0, '127.0.0.1', r));
  daemon = dgram.createSocket('udp4');
  daemon.on('message', (m) => datagrams.push(m.toString('utf8')));
  await new Promise((r) => daemon.bind(0, '127.0.0.1', r));
  env = {
    TASKS_STORE: 'dynamodb', TABLE_NAME: 'observed', AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDOBS', AWS_SECRET_ACCESS_KEY: 'obs-secret', AWS_SESSION_TOKEN: 'obs-token',
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${recorder.address().port}`,
  };
  await promisify(execFile)(TASKS_API, ['create-table', '--wait', '30'], { env: { ...process.env, ...env } });
});

after(async () => {
  daemon?.close();
  if (recorder) await new Promise((r) => { recorder.closeAllConnections(); recorder.close(r); });
  if (db) await new Promise((r) => db.close(r));
});

const ev = (m, p, b) => JSON.stringify(toApiGatewayEvent(m, p, b === undefined ? {} : { 'Content-Type': 'application/json' }, b));
const settle = () => new Promise((r) => setTimeout(r, 100));

function emfLines(stdout) {
  return stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l._aws);
}

test('one EMF line per invocation, every declared metric present, bounded dimensions', async () => {
  const emu = await startEmulator({ bootstrap: BOOTSTRAP, env });
  try {
    const created = fromProxyResponse(await emu.invoke(ev('POST', '/tasks', '{"title":"measured"}')));
    const id = created.json.id;
    const statuses = [201];
    for (const [m, p, b] of [['GET', `/tasks/${id}`], ['GET', '/tasks?limit=5'], ['PATCH', `/tasks/${id}`, '{"status":"done"}'],
      ['DELETE', `/tasks/${id}`], ['GET', `/tasks/${id}`], ['PUT', '/tasks'], ['GET', '/elsewhere'], ['POST', '/tasks', '{"title":']]) {
      statuses.push(fromProxyResponse(await emu.invoke(ev(m, p, b))).status);
    }
    await settle();
    const lines = emfLines(emu.stdout);
    assert.equal(lines.length, statuses.length, 'one EMF line per invocation');
    lines.forEach((line, i) => {
      const decl = line._aws;
      assert.ok(Number.isInteger(decl.Timestamp) && Math.abs(decl.Timestamp - Date.now()) < 60000);
      for (const d of decl.CloudWatchMetrics) {
        assert.equal(d.Namespace, 'TasksApi');
        for (const set of d.Dimensions) for (const dim of set) assert.equal(typeof line[dim], 'string', `dimension ${dim}`);
        for (const metric of d.Metrics) {
          assert.equal(typeof line[metric.Name], 'number', `metric ${metric.Name} in ${JSON.stringify(line)}`);
          assert.ok(['Count', 'Milliseconds'].includes(metric.Unit));
        }
      }
      assert.equal(line.Service, 'tasks-api'); // AWS_LAMBDA_FUNCTION_NAME, as the emulator sets it
      assert.ok(ROUTES.has(line.Route), line.Route);
      assert.equal(line.StatusClass, `${Math.floor(statuses[i] / 100)}xx`);
      assert.equal(line.Requests, 1);
      assert.equal(line.ColdStart, i === 0 ? 1 : 0);
      // StoreLatency sums the calls; only a list's shard queries overlap in time
      if (line.Route !== 'GET /tasks') assert.ok(line.Latency >= line.StoreLatency * 0.99, 'the store time is part of the latency');
    });
    assert.deepEqual(lines.map((l) => l.Route), ['POST /tasks', 'GET /tasks/{id}', 'GET /tasks', 'PATCH /tasks/{id}',
      'DELETE /tasks/{id}', 'GET /tasks/{id}', 'other', 'other', 'POST /tasks']);
    assert.ok(lines[1].StoreCalls === 1 && lines[1].StoreLatency > 0, 'a GET is one GetItem');
    assert.ok(lines[2].StoreCalls >= 4, 'a list queries every shard');
    assert.equal(lines[6].StoreCalls, 0);
    // the request log beside them has the path; the metrics' members never hold an id
    const metricMembers = lines.map((l) => Object.fromEntries(Object.entries(l).filter(([k]) => k === '_aws' ||
      l._aws.CloudWatchMetrics.some((d) => d.Dimensions.flat().includes(k) || d.Metrics.some((m) => m.Name === k)))));
    assert.ok(!JSON.stringify(metricMembers).includes(created.json.id), 'no task id in metrics');
  } finally {
    await emu.close();
  }
});

test('one log line per invocation: the request log and its metrics are one object; below info, the metrics alone', async () => {
  for (const [level, logged] of [['info', true], ['warn', false]]) {
    const emu = await startEmulator({ bootstrap: BOOTSTRAP, env: { ...env, LOG_LEVEL: level } });
    try {
      for (const [m, p] of [['GET', '/tasks'], ['GET', '/tasks/nope'], ['PUT', '/tasks']]) await emu.invoke(ev(m, p));
      await settle();
      const lines = emu.stdout.trim().split('\n').map((l) => JSON.parse(l));
      const perInvocation = lines.filter((l) => l._aws || l.msg === 'invocation');
      assert.equal(perInvocation.length, 3, `${level}: one line per invocation, not ${perInvocation.length}`);
      for (const l of perInvocation) {
        assert.ok(l._aws && l.Requests === 1, `${level}: the line carries the metrics`);
        assert.equal(l.msg === 'invocation' && typeof l.requestId === 'string' && typeof l.status === 'number', logged,
          `${level}: the request log ${logged ? 'is' : 'is not'} in the line`);
      }
      assert.deepEqual(perInvocation.map((l) => l.StatusClass), ['2xx', '4xx', '4xx']);
    } finally {
      await emu.close();
    }
  }
});

test('TASKS_METRICS=off writes no EMF lines; a bad value is an init error', async () => {
  const quiet = await startEmulator({ bootstrap: BOOTSTRAP, env: { ...env, TASKS_METRICS: 'off' } });
  try {
    assert.equal(fromProxyResponse(await quiet.invoke(ev('GET', '/tasks'))).status, 200);
    await settle();
    assert.equal(emfLines(quiet.stdout).length, 0);
  } finally {
    await quiet.close();
  }
  const bad = await startEmulator({ bootstrap: BOOTSTRAP, env: { ...env, TASKS_METRICS: 'statsd' } });
  assert.match((await bad.initError).body.errorMessage, /TASKS_METRICS must be emf or off/);
  await bad.exited;
  await bad.close();
});

test('X-Ray: a sampled invocation sends one subsegment per DynamoDB call, in its trace', async () => {
  const emu = await startEmulator({ bootstrap: BOOTSTRAP, env: { ...env, AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}` } });
  try {
    datagrams.length = 0;
    ddbHeaders.length = 0;
    const header = traceId(true);
    const root = /Root=([^;]+)/.exec(header)[1];
    const parent = /Parent=([^;]+)/.exec(header)[1];
    const created = fromProxyResponse(await emu.invoke(ev('POST', '/tasks', '{"title":"traced"}'), { traceHeader: header }));
    assert.equal(created.status, 201);
    const got = fromProxyResponse(await emu.invoke(ev('GET', `/tasks/${created.json.id}`), { traceHeader: header }));
    assert.equal(got.status, 200);
    for (let i = 0; i < 50 && datagrams.length < 2; i++) await settle();
    assert.equal(datagrams.length, 2, datagrams.join('\n'));
    const docs = datagrams.map((d) => {
      const [head, body] = d.split('\n');
      assert.deepEqual(JSON.parse(head), { format: 'json', version: 1 });
      return JSON.parse(body);
    });
    assert.deepEqual(docs.map((d) => d.aws.operation), ['PutItem', 'GetItem']);
    for (const d of docs) {
      assert.equal(d.trace_id, root);
      assert.equal(d.parent_id, parent);
      assert.equal(d.type, 'subsegment');
      assert.equal(d.namespace, 'aws');
      assert.equal(d.name, 'DynamoDB');
      assert.match(d.id, /^[0-9a-f]{16}$/);
      assert.equal(d.aws.table_name, 'observed');
      assert.equal(d.aws.retries, 0);
      assert.equal(d.http.response.status, 200);
      assert.ok(d.end_time >= d.start_time && Math.abs(d.start_time - Date.now() / 1000) < 60);
      assert.equal(d.error, undefined);
    }
    // the invocations' DynamoDB requests carried the trace, each with its own subsegment as
    // parent (the untraced ones are init's, before the first invocation)
    assert.deepEqual(ddbHeaders.slice(-2), docs.map((d) => `Root=${root};Parent=${d.id};Sampled=1`));
  } finally {
    await emu.close();
  }
});

test('X-Ray and EMF mark throttled calls and count their retries', async () => {
  const emu = await startEmulator({ bootstrap: BOOTSTRAP, env: { ...env, AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}` } });
  try {
    assert.equal(fromProxyResponse(await emu.invoke(ev('GET', '/tasks?limit=1'))).status, 200); // init done
    datagrams.length = 0;
    throttleNext = 2;
    const res = fromProxyResponse(await emu.invoke(ev('GET', '/tasks/00000000-0000-4000-8000-000000000001'), { traceHeader: traceId(true) }));
    assert.equal(res.status, 404);
    for (let i = 0; i < 50 && datagrams.length < 1; i++) await settle();
    const doc = JSON.parse(datagrams[0].split('\n')[1]);
    assert.equal(doc.aws.operation, 'GetItem');
    assert.equal(doc.aws.retries, 2);
    assert.equal(doc.throttle, true);
    assert.equal(doc.error, true);
    assert.equal(doc.http.response.status, 200, 'the last attempt succeeded');
    await settle();
    const last = emfLines(emu.stdout).pop();
    assert.equal(last.StoreRetries, 2);
    assert.equal(last.StoreThrottles, 1);
  } finally {
    throttleNext = 0;
    await emu.close();
  }
});

test('X-Ray: nothing is sent when the invocation is not sampled or no daemon is configured', async () => {
  const emu = await startEmulator({ bootstrap: BOOTSTRAP, env: { ...env, AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}` } });
  try {
    datagrams.length = 0;
    ddbHeaders.length = 0;
    assert.equal(fromProxyResponse(await emu.invoke(ev('GET', '/tasks?limit=1'), { traceHeader: traceId(false) })).status, 200);
    assert.equal(fromProxyResponse(await emu.invoke(ev('GET', '/tasks?limit=1'), { traceHeader: 'garbage;Sampled=1' })).status, 200);
    await settle();
    assert.equal(datagrams.length, 0);
    assert.ok(ddbHeaders.every((h) => h === null));
  } finally {
    await emu.close();
  }
  const off = await startEmulator({ bootstrap: BOOTSTRAP, env });
  try {
    assert.equal(fromProxyResponse(await off.invoke(ev('GET', '/tasks?limit=1'), { traceHeader: traceId(true) })).status, 200);
    await settle();
    assert.equal(datagrams.length, 0);
  } finally {
    await off.close();
  }
});

test('X-Ray: an unreachable or unusable daemon address never affects a request', async () => {
  const gone = dgram.createSocket('udp4');
  await new Promise((r) => gone.bind(0, '127.0.0.1', r));
  const port = gone.address().port;
  gone.close(); // nobody listens there now: sends are refused
  for (const address of [`127.0.0.1:${port}`, 'not an address', 'udp:127.0.0.1:notaport tcp:127.0.0.1:2000']) {
    const emu = await startEmulator({ bootstrap: BOOTSTRAP, env: { ...env, AWS_XRAY_DAEMON_ADDRESS: address } });
    try {
      for (let i = 0; i < 3; i++) {
        const r = fromProxyResponse(await emu.invoke(ev('POST', '/tasks', '{"title":"untraced"}'), { traceHeader: traceId(true) }));
        assert.equal(r.status, 201, address);
      }
    } finally {
      await emu.close();
    }
  }
});
