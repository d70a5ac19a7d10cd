// Where signed requests may go, and what a table must agree on, checked with the real
// server binary (TASKS_API_BIN):
//  - an endpoint URL is judged by the host libcurl would connect to, not by its prefix,
//    and a refused one stops start-up before any connection. Run in an empty network
//    namespace (unshare -n), so that even a wrongly accepted URL cannot leave the machine;
//  - the shard count is kept with the table: another count refuses to start.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite');
const BIN = process.env.TASKS_API_BIN || 'build/tasks-api';

const CREDS = {
  TASKS_STORE: 'dynamodb', TABLE_NAME: 'endpoint', AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDENDPOINT', AWS_SECRET_ACCESS_KEY: 'endpoint-secret', AWS_SESSION_TOKEN: 'endpoint-token',
  TASKS_DDB_MAX_ATTEMPTS: '1',
};

/** Runs `tasks-api serve` until it exits (or is killed after ms); resolves {code, stderr}. */
function serve(env, { netns = false, ms = 10000 } = {}) {
  const cmd = netns ? 'unshare' : BIN;
  const args = netns ? ['-n', BIN, 'serve', '--port', '0'] : ['serve', '--port', '0'];
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: { PATH: process.env.PATH, ...CREDS, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/listening on/.test(stderr)) child.kill('SIGTERM');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stderr }); });
  });
}

test('an endpoint whose host is not loopback is refused over http, before any connection', async () => {
  const refused = [
    'http://localhost:@192.0.2.2:19999/', // user "localhost", host 192.0.2.2
    'http://127.0.0.1:x@192.0.2.2/',
    'http://localhost@192.0.2.2:8000/',
    'http://127.0.0.1.nip.io:8000/',
    'http://localhost.example.com/',
    'http://[::ffff:192.0.2.2]:8000/',
    'http://192.0.2.2/#@127.0.0.1',
    'http://user@127.0.0.1:8000/', // user information is refused even on loopback
    'ftp://127.0.0.1/',
    'localhost:8000',
  ];
  for (const url of refused) {
    const t0 = Date.now();
    const { code, stderr } = await serve({ AWS_ENDPOINT_URL_DYNAMODB: url }, { netns: true });
    assert.notEqual(code, 0, url);
    assert.match(stderr, /AWS_ENDPOINT_URL_DYNAMODB (must|is not)/, `${url}: ${stderr}`);
    assert.ok(Date.now() - t0 < 5000, `${url} took ${Date.now() - t0} ms`);
  }
});

test('loopback http endpoints pass the check (and then fail to connect in the empty namespace)', async () => {
  for (const url of ['http://127.0.0.1:1/', 'http://localhost:1', 'http://LOCALHOST:1/', 'http://127.9.8.7:1/', 'http://[::1]:1/']) {
    const { code, stderr } = await serve({ AWS_ENDPOINT_URL_DYNAMODB: url }, { netns: true });
    assert.notEqual(code, 0);
    assert.doesNotMatch(stderr, /AWS_ENDPOINT_URL_DYNAMODB/, url);
    assert.match(stderr, /cannot reach DynamoDB for table endpoint/, `${url}: ${stderr}`);
  }
});

let db, endpoint;
before(async () => {
  db = dynalite({ createTableMs: 0 });
  await new Promise((r) => db.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${db.address().port}`;
});
after(async () => { if (db) await new Promise((r) => db.close(r)); });

async function createTable(name) {
  await promisify(execFile)(BIN, ['create-table', '--wait', '30'], {
    env: { PATH: process.env.PATH, ...CREDS, TABLE_NAME: name, AWS_ENDPOINT_URL_DYNAMODB: endpoint },
  });
}

/** A raw DynamoDB call to dynalite (it checks the signature's shape, not its value). */
async function ddb(op, body) {
  const date = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': `DynamoDB_20120810.${op}`, 'X-Amz-Date': date,
      Authorization: `AWS4-HMAC-SHA256 Credential=AKIDENDPOINT/${date.slice(0, 8)}/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
    },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  assert.equal(res.status, 200, JSON.stringify(json));
  return json;
}

test('the shard count is kept with the table: another count refuses to start, clearly', async () => {
  await createTable('shards');
  const env = { TABLE_NAME: 'shards', AWS_ENDPOINT_URL_DYNAMODB: endpoint };
  assert.equal((await serve({ ...env, TASKS_DDB_SHARDS: '8' })).code, 0);
  const meta = await ddb('GetItem', { TableName: 'shards', Key: { id: { S: '#meta:page-token-key' } } });
  assert.deepEqual(meta.Item.shards, { N: '8' });
  const other = await serve({ ...env, TASKS_DDB_SHARDS: '4' });
  assert.notEqual(other.code, 0);
  assert.match(other.stderr, /set up with TASKS_DDB_SHARDS=8 but this instance has 4/);
  assert.equal((await serve({ ...env, TASKS_DDB_SHARDS: '8' })).code, 0);
});

test('a table set up before the count was recorded adopts the count of the next start', async () => {
  await createTable('legacy');
  await ddb('PutItem', { TableName: 'legacy', Item: { id: { S: '#meta:page-token-key' }, key: { S: 'ab'.repeat(32) } } });
  const env = { TABLE_NAME: 'legacy', AWS_ENDPOINT_URL_DYNAMODB: endpoint };
  assert.equal((await serve(env)).code, 0); // the default, 4
  const meta = await ddb('GetItem', { TableName: 'legacy', Key: { id: { S: '#meta:page-token-key' } } });
  assert.deepEqual(meta.Item.shards, { N: '4' });
  assert.equal(meta.Item.key.S, 'ab'.repeat(32), 'the page-token key is kept');
  assert.match((await serve({ ...env, TASKS_DDB_SHARDS: '2' })).stderr, /TASKS_DDB_SHARDS=4 but this instance has 2/);
});

test('AWS_CA_BUNDLE must be readable when TLS uses it, and is ignored for a plain loopback endpoint', async () => {
  const tls = await serve({ AWS_ENDPOINT_URL_DYNAMODB: 'https://localhost:1/', AWS_CA_BUNDLE: '/nonexistent/ca.pem' }, { netns: true });
  assert.notEqual(tls.code, 0);
  assert.match(tls.stderr, /AWS_CA_BUNDLE names a file that cannot be read/);
  const plain = await serve({ AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1/', AWS_CA_BUNDLE: '/nonexistent/ca.pem' }, { netns: true });
  assert.doesNotMatch(plain.stderr, /AWS_CA_BUNDLE/);
  assert.match(plain.stderr, /cannot reach DynamoDB/);
});

test('a session token that would break its header line is refused at start-up, and never sent', async () => {
  for (const bad of ['token\r\nX-Injected: 1', 'token\u0001', 'token\u007f']) {
    const run = await serve({ AWS_SESSION_TOKEN: bad, AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1/' }, { netns: true });
    assert.notEqual(run.code, 0, JSON.stringify(bad));
    assert.match(run.stderr, /AWS_SESSION_TOKEN holds a control character/);
    assert.doesNotMatch(run.stderr, /cannot reach DynamoDB/, 'refused before any connection');
  }
  const fine = await serve({ AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjE//+=token', AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1/' }, { netns: true });
  assert.doesNotMatch(fine.stderr, /AWS_SESSION_TOKEN/);
});

test('the start-up line names the store in use: table and endpoint for DynamoDB, the file for SQLite', async () => {
  const ddb = await serve({ TABLE_NAME: 'shards', AWS_ENDPOINT_URL_DYNAMODB: endpoint, TASKS_DDB_SHARDS: '8' });
  assert.match(ddb.stderr, new RegExp(`listening on http://\\S+ \\(store dynamodb, table shards, endpoint ${endpoint.replace(/\./g, '\\.')}, authentication off, \\d+ threads\\)`));
  assert.doesNotMatch(ddb.stderr, /tasks\.db/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapi-startup-'));
  const sqlite = await serve({ TASKS_STORE: 'sqlite', TASKS_DB: path.join(dir, 'line.db') });
  fs.rmSync(dir, { recursive: true, force: true });
  assert.ok(sqlite.stderr.includes(`(store sqlite, db ${path.join(dir, 'line.db')}, `), sqlite.stderr);
});
