// The Lambda door's own edge cases, driving the real bootstrap (LAMBDA_BOOTSTRAP) through
// the Runtime API emulator, on the DynamoDB store against an in-process dynalite.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import net from 'node:net';
import { startEmulator } from './emulator.mjs';
import { toApiGatewayEvent, fromProxyResponse, APIGW_SHAPES } from '../contract/client.mjs';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite');
const BOOTSTRAP = process.env.LAMBDA_BOOTSTRAP || 'build/bootstrap';
const TASKS_API = process.env.TASKS_API_BIN || 'build/tasks-api';

let db, emu, env;

before(async () => {
  db = dynalite({ createTableMs: 0 });
  await new Promise((r) => db.listen(0, '127.0.0.1', r));
  env = {
    TASKS_STORE: 'dynamodb', TABLE_NAME: 'lambda-edge', AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDLAMBDA', AWS_SECRET_ACCESS_KEY: 'lambda-secret-value',
    AWS_SESSION_TOKEN: 'lambda-session-token', AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${db.address().port}`,
  };
  await promisify(execFile)(TASKS_API, ['create-table', '--wait', '30'], { env: { ...process.env, ...env } });
  emu = await startEmulator({ bootstrap: BOOTSTRAP, env });
});

after(async () => {
  if (emu) await emu.close();
  if (db) await new Promise((r) => db.close(r));
});

const event = (method, path, headers, body) => toApiGatewayEvent(method, path, headers, body);
const invoke = async (ev, opts) => fromProxyResponse(await emu.invoke(typeof ev === 'string' ? ev : JSON.stringify(ev), opts));

test('a base64-encoded body is decoded', async () => {
  const ev = event('POST', '/tasks', { 'Content-Type': 'application/json' });
  ev.body = Buffer.from('{"title":"from base64"}').toString('base64');
  ev.isBase64Encoded = true;
  const res = await invoke(ev);
  assert.equal(res.status, 201);
  assert.equal(res.json.title, 'from base64');
  assert.equal(res.headers.location, `/dev/tasks/${res.json.id}`);
});

test('behind a custom domain with a base path every route works and Location keeps the base path', async () => {
  const shape = APIGW_SHAPES['custom-domain'];
  const ev = (m, p, b) => toApiGatewayEvent(m, p, b === undefined ? {} : { 'Content-Type': 'application/json' }, b, shape);
  const created = await invoke(ev('POST', '/tasks', '{"title":"custom domain"}'));
  assert.equal(created.status, 201);
  assert.equal(created.headers.location, `/v1/tasks/${created.json.id}`);
  const id = created.json.id;
  const evGet = ev('GET', `/tasks/${id}`);
  assert.equal(evGet.path, `/v1/tasks/${id}`); // what API Gateway really sends
  assert.equal((await invoke(evGet)).json.title, 'custom domain');
  assert.equal((await invoke(ev('GET', '/tasks?limit=5'))).status, 200);
  assert.equal((await invoke(ev('PATCH', `/tasks/${id}`, '{"status":"done"}'))).json.status, 'done');
  assert.equal((await invoke(ev('DELETE', `/tasks/${id}`))).status, 204);
});

test('on the execute-api host Location carries the stage from requestContext.path', async () => {
  const ev = event('POST', '/tasks', { 'Content-Type': 'application/json' }, '{"title":"staged"}');
  ev.requestContext.path = '/prod-eu/tasks';
  ev.requestContext.stage = 'prod-eu';
  const res = await invoke(ev);
  assert.equal(res.headers.location, `/prod-eu/tasks/${res.json.id}`);
});

test('GET /tasks/ (trailing slash, sent to the /tasks resource) lists like GET /tasks', async () => {
  const ev = event('GET', '/tasks/?limit=2', {});
  assert.equal(ev.resource, '/tasks');
  assert.equal(ev.path, '/tasks/');
  const res = await invoke(ev);
  assert.equal(res.status, 200);
  assert.ok(Array.isArray(res.json.items));
  const post = event('POST', '/tasks/', { 'Content-Type': 'application/json' }, '{"title":"slash"}');
  const created = await invoke(post);
  assert.equal(created.headers.location, `/dev/tasks/${created.json.id}`);
});

test('routing follows resource and pathParameters, not path', async () => {
  const created = await invoke(event('POST', '/tasks', { 'Content-Type': 'application/json' }, '{"title":"by resource"}'));
  const ev = event('GET', '/tasks', {});
  Object.assign(ev, { resource: '/tasks/{id}', pathParameters: { id: created.json.id }, path: '/anything/else' });
  assert.equal((await invoke(ev)).json.title, 'by resource');
  const noParam = event('GET', `/tasks/${created.json.id}`, {});
  noParam.pathParameters = null;
  assert.equal((await invoke(noParam)).status, 404);
  const other = event('GET', '/tasks', {});
  other.resource = '/{proxy+}';
  assert.equal((await invoke(other)).status, 404);
  const bare = event('GET', `/tasks/${created.json.id}`, {}); // not from a REST API: path routes
  delete bare.resource;
  assert.equal((await invoke(bare)).json.title, 'by resource');
});

test('invalid base64 is a 400, not a crash', async () => {
  const ev = event('POST', '/tasks', {});
  ev.body = '@@not base64@@';
  ev.isBase64Encoded = true;
  const res = await invoke(ev);
  assert.equal(res.status, 400);
  assert.equal(res.json.error.code, 'invalid_body');
});

test('null headers, query strings, path parameters and body all work', async () => {
  const ev = event('GET', '/tasks', {});
  Object.assign(ev, { headers: null, multiValueHeaders: null, queryStringParameters: null,
    multiValueQueryStringParameters: null, pathParameters: null, stageVariables: null, body: null });
  const res = await invoke(ev);
  assert.equal(res.status, 200);
  assert.ok(Array.isArray(res.json.items));
  const post = event('POST', '/tasks', {}, '{"title":"no headers"}');
  Object.assign(post, { headers: null, multiValueHeaders: null });
  assert.equal((await invoke(post)).status, 201);
});

test('header names are case-insensitive (lower-case from HTTP/2 clients)', async () => {
  const ev = event('POST', '/tasks', { 'content-type': 'text/plain' }, '{"title":"x"}');
  ev.multiValueHeaders = null;
  assert.equal((await invoke(ev)).status, 415);
  const ok = event('POST', '/tasks', { 'CONTENT-TYPE': 'application/json' }, '{"title":"x"}');
  assert.equal((await invoke(ok)).status, 201);
});

test('repeated query parameters are seen through multiValueQueryStringParameters', async () => {
  const res = await invoke(event('GET', '/tasks?limit=1&limit=2', {}));
  assert.equal(res.status, 400);
  assert.equal(res.json.error.code, 'invalid_query');
});

test('an unknown resource is a JSON 404', async () => {
  const res = await invoke(event('GET', '/nope', {}));
  assert.equal(res.status, 404);
  assert.equal(res.json.error.code, 'not_found');
});

test('an event that is not JSON is an invocation error, and the loop goes on', async () => {
  const bad = await emu.invoke('this is not json');
  assert.equal(bad.kind, 'error');
  assert.equal(bad.errorType, 'InvalidEvent');
  assert.match(JSON.parse(bad.body).errorMessage, /not valid JSON/);
  assert.equal((await invoke(event('GET', '/tasks', {}))).status, 200);
});

test('a JSON event that is not an API Gateway event is an invocation error', async () => {
  for (const ev of ['{"foo":1}', '[]', '"x"', '{"httpMethod":5,"path":"/tasks"}']) {
    const r = await emu.invoke(ev);
    assert.equal(r.kind, 'error', ev);
    assert.equal(r.errorType, 'InvalidEvent');
  }
});

test('a deadline already passed gives a quick 503, not a hang', async () => {
  const t0 = Date.now();
  const res = await invoke(event('GET', '/tasks', {}), { deadlineMs: Date.now() - 1000 });
  assert.equal(res.status, 503);
  assert.equal(res.headers['retry-after'], '1');
  assert.ok(Date.now() - t0 < 2000);
});

test('Runtime API errors on /next are retried', async () => {
  emu.failNext = 2;
  const res = await invoke(event('GET', '/tasks', {}));
  assert.equal(res.status, 200);
  assert.equal(emu.failNext, 0);
});

test('a failed response post is retried', async () => {
  emu.failPosts = 1;
  const seen = emu.postsSeen;
  const res = await invoke(event('GET', '/tasks', {}));
  assert.equal(res.status, 200);
  assert.equal(emu.postsSeen - seen, 2);
});

test('one connection to the Runtime API serves many invocations', async () => {
  const before = emu.connections;
  for (let i = 0; i < 20; i++) assert.equal((await invoke(event('GET', '/tasks?limit=1', {}))).status, 200);
  assert.ok(emu.connections - before <= 1, `opened ${emu.connections - before} connections`);
});

test('one JSON log line per invocation, without bodies or credentials', async () => {
  await invoke(event('POST', '/tasks', { 'Content-Type': 'application/json' }, '{"title":"secret-title-123"}'));
  // the line is written after the response is posted, so give it a moment to arrive
  for (let i = 0; i < 100 && !/"method":"POST","path":"\/tasks","status":201[^\n]*\n$/.test(emu.stdout); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const lines = emu.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const inv = lines.filter((l) => l.msg === 'invocation');
  assert.ok(inv.length >= 10);
  const last = inv[inv.length - 1];
  // the request log; the same object carries the invocation's EMF metrics (one line)
  const emf = new Set(['_aws', ...last._aws.CloudWatchMetrics.flatMap((d) => [...d.Dimensions.flat(), ...d.Metrics.map((m) => m.Name)])]);
  assert.deepEqual(Object.keys(last).filter((k) => !emf.has(k)).sort(), ['apiRequestId', 'durationMs', 'level', 'method', 'msg', 'path', 'requestId', 'status', 'time']);
  assert.equal(last.method, 'POST');
  assert.equal(last.status, 201);
  assert.match(last.requestId, /^[0-9a-f-]{36}$/);
  assert.match(last.apiRequestId, /^[0-9a-f-]{36}$/);
  assert.doesNotMatch(emu.stdout + emu.stderr, /secret-title-123|lambda-secret-value|lambda-session-token/);
});

test('CORS_ALLOW_ORIGIN adds Access-Control-Allow-Origin and -Expose-Headers to every response', async () => {
  assert.equal((await invoke(event('GET', '/tasks', {}))).headers['access-control-allow-origin'], undefined);
  const cors = await startEmulator({ bootstrap: BOOTSTRAP, env: { ...env, CORS_ALLOW_ORIGIN: 'https://app.example.com' } });
  try {
    for (const ev of [event('GET', '/tasks', {}), event('GET', '/nope', {})]) {
      const res = fromProxyResponse(await cors.invoke(JSON.stringify(ev)));
      assert.equal(res.headers['access-control-allow-origin'], 'https://app.example.com');
      assert.equal(res.headers['access-control-expose-headers'], 'Location, Retry-After, WWW-Authenticate, ETag, Idempotent-Replayed, Accept-Patch, Allow, X-Request-Id');
    }
  } finally {
    await cors.close();
  }
  const bad = await startEmulator({ bootstrap: BOOTSTRAP, env: { ...env, CORS_ALLOW_ORIGIN: 'javascript:alert(1)' } });
  const err = await bad.initError;
  assert.match(err.body.errorMessage, /CORS_ALLOW_ORIGIN/);
  await bad.exited;
  await bad.close();
});

test('proxy variables are ignored: the Runtime API and the loopback DynamoDB endpoint are reached directly', async () => {
  const trap = { connections: 0 };
  const server = net.createServer((s) => { trap.connections++; s.destroy(); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}`;
  const proxied = await startEmulator({
    bootstrap: BOOTSTRAP,
    env: { ...env, http_proxy: url, HTTP_PROXY: url, https_proxy: url, HTTPS_PROXY: url, ALL_PROXY: url, all_proxy: url },
  });
  try {
    const created = fromProxyResponse(await proxied.invoke(JSON.stringify(event('POST', '/tasks', { 'Content-Type': 'application/json' }, '{"title":"no proxy"}'))));
    assert.equal(created.status, 201);
    const got = fromProxyResponse(await proxied.invoke(JSON.stringify(event('GET', `/tasks/${created.json.id}`, {}))));
    assert.equal(got.json.title, 'no proxy');
  } finally {
    await proxied.close();
    await new Promise((r) => server.close(r));
  }
  assert.equal(trap.connections, 0);
});

test('bad configuration is reported to /init/error and the process exits', async () => {
  const broken = await startEmulator({ bootstrap: BOOTSTRAP, env: { ...env, TABLE_NAME: '' } });
  const err = await broken.initError;
  assert.equal(err.errorType, 'Runtime.InvalidConfiguration');
  assert.match(err.body.errorMessage, /TABLE_NAME/);
  assert.equal(err.body.errorType, 'Runtime.InvalidConfiguration');
  const { code } = await broken.exited;
  assert.notEqual(code, 0);
  await broken.close();
});

test('an unknown TASKS_AUTH is an init error, never an open API', async () => {
  for (const value of ['Cognito', 'jwt', 'on']) {
    const broken = await startEmulator({ bootstrap: BOOTSTRAP, env: { ...env, TASKS_AUTH: value } });
    const err = await broken.initError;
    assert.equal(err.errorType, 'Runtime.InvalidConfiguration');
    assert.match(err.body.errorMessage, /TASKS_AUTH must be cognito/);
    await broken.exited;
    await broken.close();
  }
});

test('a signed request can never be sent in clear to another host: the endpoint host is checked at init', async () => {
  const broken = await startEmulator({ bootstrap: BOOTSTRAP, env: { ...env, AWS_ENDPOINT_URL_DYNAMODB: 'http://localhost:@127.0.0.2:1/' } }); // loopback: nothing leaves even if the check broke
  const err = await broken.initError;
  assert.equal(err.errorType, 'Runtime.InvalidConfiguration');
  assert.match(err.body.errorMessage, /AWS_ENDPOINT_URL_DYNAMODB must not contain user information/);
  await broken.exited;
  await broken.close();
});

test('a missing table is reported to /init/error', async () => {
  const broken = await startEmulator({ bootstrap: BOOTSTRAP, env: { ...env, TABLE_NAME: 'absent-table', TASKS_DDB_MAX_ATTEMPTS: '1' } });
  const err = await broken.initError;
  assert.equal(err.errorType, 'Runtime.StoreUnavailable');
  assert.match(err.body.errorMessage, /absent-table/);
  await broken.exited;
  await broken.close();
});

test('the request id: X-Request-Id is API Gateway\'s, and every line logged during the invocation names it', async () => {
  const ev = event('GET', '/tasks', {});
  // an earlier invocation's line comes after its response: let it land first
  for (let seen = -1; seen !== emu.stdout.length;) { seen = emu.stdout.length; await new Promise((r) => setTimeout(r, 50)); }
  const from = emu.stdout.length;
  const res = await invoke(ev, { deadlineMs: Date.now() - 1000 }); // the store gives up: a warning is logged
  assert.equal(res.status, 503);
  assert.equal(res.headers['x-request-id'], ev.requestContext.requestId);
  assert.equal(res.json.requestId, ev.requestContext.requestId);
  for (let i = 0; i < 100 && !emu.stdout.slice(from).includes('"msg":"invocation"'); i++) await new Promise((r) => setTimeout(r, 10));
  const lines = emu.stdout.slice(from).trim().split('\n').map((l) => JSON.parse(l));
  const warned = lines.filter((l) => l.level === 'warn');
  assert.ok(warned.length >= 1, emu.stdout.slice(from));
  for (const l of lines) assert.equal(l.apiRequestId, ev.requestContext.requestId, JSON.stringify(l));
});
