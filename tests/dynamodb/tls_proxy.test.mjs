// The DynamoDB store over TLS and through proxies, with the real server (TASKS_API_BIN)
// and dynalite behind a TLS front on loopback (certificates made here by openssl, trusted
// through AWS_CA_BUNDLE):
//  - only a request that was actually sent counts as "may have been applied": a DELETE
//    whose first attempt died in the TLS handshake answers 404 for an unknown id;
//  - a certificate that does not verify fails at once (no retries), and says so;
//  - an https endpoint goes through HTTPS_PROXY as a CONNECT tunnel (TLS end to end);
//  - a plain-http loopback endpoint never uses a proxy, whatever *_proxy says.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import http from 'node:http';
import path from 'node:path';
import tls from 'node:tls';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { startServer, stop, tempDir, request } from '../hardening/lib.mjs';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite');
const BIN = process.env.TASKS_API_BIN || 'build/tasks-api';
const work = tempDir('tapi-tls-');

const BASE_ENV = {
  TASKS_STORE: 'dynamodb', TABLE_NAME: 'tls', AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDTLS', AWS_SECRET_ACCESS_KEY: 'tls-secret', AWS_SESSION_TOKEN: 'tls-session-token-in-clear?',
  http_proxy: '', HTTP_PROXY: '', https_proxy: '', HTTPS_PROXY: '', ALL_PROXY: '', all_proxy: '', NO_PROXY: '', no_proxy: '',
};

/** A CA and a server certificate for localhost/127.0.0.1 signed by it, as PEM files. */
function makeCa(name) {
  const f = (x) => path.join(work, `${name}-${x}`);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  execFileSync('openssl', ['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2',
    '-subj', `/CN=${name} test CA`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'], { stdio: 'ignore' });
  execFileSync('openssl', ['req', ...ec, '-keyout', f('srv.key'), '-out', f('srv.csr'), '-subj', '/CN=localhost'], { stdio: 'ignore' });
  fs.writeFileSync(f('ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  execFileSync('openssl', ['x509', '-req', '-in', f('srv.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-out', f('srv.pem'), '-days', '2', '-extfile', f('ext')], { stdio: 'ignore' });
  return { ca: f('ca.pem'), key: fs.readFileSync(f('srv.key')), cert: fs.readFileSync(f('srv.pem')) };
}

/** A TLS front for dynalite that counts TCP connections and can kill the next handshakes. */
async function startTlsFront(pki, upstreamPort) {
  const front = { connections: 0, dropNext: 0, sockets: new Set() };
  const server = tls.createServer({ key: pki.key, cert: pki.cert }, (s) => {
    front.sockets.add(s);
    s.on('close', () => front.sockets.delete(s));
    const up = net.connect(upstreamPort, '127.0.0.1');
    s.pipe(up).pipe(s);
    up.on('error', () => s.destroy());
    s.on('error', () => up.destroy());
  });
  server.on('connection', (sock) => {
    front.connections++;
    if (front.dropNext > 0) {
      front.dropNext--;
      sock.destroy(); // mid-handshake: nothing of the request can have been sent
    }
  });
  server.on('tlsClientError', () => {});
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  front.port = server.address().port;
  front.closeKeptAlive = () => { for (const s of front.sockets) s.destroy(); };
  front.close = () => new Promise((r) => { front.closeKeptAlive(); server.close(r); });
  return front;
}

/** An HTTP proxy: CONNECT tunnels are piped and recorded, with every byte that crossed. */
async function startProxy() {
  const proxy = { connects: [], plain: [], connections: 0, bytes: [] };
  const server = http.createServer((req, res) => {
    proxy.plain.push(`${req.method} ${req.url}`);
    res.writeHead(502);
    res.end();
  });
  server.on('connection', () => { proxy.connections++; });
  server.on('connect', (req, client, head) => {
    proxy.connects.push(req.url);
    const [host, port] = req.url.split(':');
    const up = net.connect(Number(port), host === 'localhost' ? '127.0.0.1' : host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      client.on('data', (d) => proxy.bytes.push(Buffer.from(d)));
      client.pipe(up).pipe(client);
    });
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  proxy.url = `http://127.0.0.1:${server.address().port}`;
  proxy.close = () => new Promise((r) => { server.closeAllConnections(); server.close(r); });
  return proxy;
}

let db, pki, otherPki, front, proxy, trap;
before(async () => {
  pki = makeCa('good');
  otherPki = makeCa('other');
  db = dynalite({ createTableMs: 0 });
  await new Promise((r) => db.listen(0, '127.0.0.1', r));
  // async: dynalite runs in this process and must keep serving meanwhile
  await promisify(execFile)(BIN, ['create-table', '--wait', '30'], {
    env: { ...process.env, ...BASE_ENV, AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${db.address().port}` },
  });
  front = await startTlsFront(pki, db.address().port);
  proxy = await startProxy();
  trap = await startProxy(); // a proxy nothing may use
});

after(async () => {
  for (const x of [front, proxy, trap]) if (x) await x.close();
  if (db) await new Promise((r) => db.close(r));
  fs.rmSync(work, { recursive: true, force: true });
});

const httpsEnv = () => ({ ...BASE_ENV, AWS_ENDPOINT_URL_DYNAMODB: `https://localhost:${front.port}`, AWS_CA_BUNDLE: pki.ca });

test('over TLS with AWS_CA_BUNDLE the store works end to end', async () => {
  const server = await startServer(BIN, [], { env: httpsEnv() });
  try {
    const created = await request(`${server.url}/tasks`, 'POST', { title: 'over tls' });
    assert.equal(created.status, 201);
    assert.equal((await request(`${server.url}/tasks/${created.json.id}`)).json.title, 'over tls');
  } finally {
    await stop(server);
  }
});

test('a request that died in the TLS handshake was not sent: DELETE of an unknown id is 404, not 204', async () => {
  const server = await startServer(BIN, [], { env: httpsEnv() });
  try {
    assert.equal((await request(`${server.url}/tasks?limit=1`)).status, 200); // warm connection
    front.closeKeptAlive();
    await new Promise((r) => setTimeout(r, 100));
    front.dropNext = 1;
    const before = front.connections;
    const res = await request(`${server.url}/tasks/00000000-0000-4000-8000-00000000dead`, 'DELETE');
    assert.equal(front.dropNext, 0, 'the first attempt met the dropped handshake');
    assert.ok(front.connections - before >= 2, 'and the store retried on a new connection');
    assert.equal(res.status, 404, JSON.stringify(res.json));
    assert.equal(res.json.error.code, 'not_found');
  } finally {
    await stop(server);
  }
});

test('a certificate that does not verify fails fast with a clear message', async () => {
  const before = front.connections;
  const t0 = Date.now();
  const dir = tempDir('tapi-tls-bad-');
  const log = path.join(dir, 'log');
  let code = 0;
  try {
    await promisify(execFile)(BIN, ['serve', '--port', '0'], {
      env: { ...process.env, ...httpsEnv(), AWS_CA_BUNDLE: otherPki.ca, TASKS_DDB_MAX_ATTEMPTS: '5' }, timeout: 20000,
    });
  } catch (e) {
    code = e.code;
    fs.writeFileSync(log, e.stderr || '');
  }
  const stderr = fs.readFileSync(log, 'utf8');
  fs.rmSync(dir, { recursive: true, force: true });
  assert.notEqual(code, 0);
  assert.match(stderr, /TLS certificate verification failed/);
  assert.doesNotMatch(stderr, /does the table exist/);
  assert.equal(front.connections - before, 1, 'one attempt: a certificate does not get better by retrying');
  assert.ok(Date.now() - t0 < 5000);
});

/** A hashed CA directory (as update-ca-certificates makes /etc/ssl/certs) holding ca. */
function hashedDir(name, ca) {
  const dir = path.join(work, `${name}-certs`);
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(ca, path.join(dir, `${name}.pem`));
  execFileSync('openssl', ['rehash', dir], { stdio: 'ignore' });
  return dir;
}

test('without AWS_CA_BUNDLE the system store is read as a hashed directory (SSL_CERT_DIR): its CAs and only its CAs are trusted', async () => {
  // '' is unset for the server, and overrides an AWS_CA_BUNDLE this machine may export
  const noBundle = { ...httpsEnv(), AWS_CA_BUNDLE: '' };
  const server = await startServer(BIN, [], { env: { ...noBundle, SSL_CERT_DIR: hashedDir('good', pki.ca) } });
  try {
    const created = await request(`${server.url}/tasks`, 'POST', { title: 'trusted through the directory' });
    assert.equal(created.status, 201);
  } finally {
    await stop(server);
  }
  let stderr = '';
  try {
    await promisify(execFile)(BIN, ['serve', '--port', '0'], {
      env: { ...process.env, ...noBundle, SSL_CERT_DIR: hashedDir('other', otherPki.ca) }, timeout: 20000,
    });
  } catch (e) {
    stderr = e.stderr || '';
  }
  assert.match(stderr, /TLS certificate verification failed/, 'a directory without the CA does not verify');
});

test('an https endpoint goes through HTTPS_PROXY as a CONNECT tunnel; ALL_PROXY and http_proxy are not used', async () => {
  const env = { ...httpsEnv(), HTTPS_PROXY: proxy.url, http_proxy: trap.url, HTTP_PROXY: trap.url, ALL_PROXY: trap.url, all_proxy: trap.url };
  const server = await startServer(BIN, [], { env });
  try {
    const created = await request(`${server.url}/tasks`, 'POST', { title: 'through the tunnel' });
    assert.equal(created.status, 201);
    assert.equal((await request(`${server.url}/tasks/${created.json.id}`)).json.title, 'through the tunnel');
  } finally {
    await stop(server);
  }
  assert.ok(proxy.connects.length >= 1);
  assert.ok(proxy.connects.every((c) => c === `localhost:${front.port}`), proxy.connects.join());
  assert.deepEqual(proxy.plain, [], 'no request was sent to the proxy in clear');
  const seen = Buffer.concat(proxy.bytes).toString('latin1');
  assert.ok(seen.length > 0);
  assert.doesNotMatch(seen, /tls-session-token|X-Amz-Security-Token|through the tunnel/i, 'TLS runs end to end');
  assert.equal(trap.connections, 0);
});

test('a plain-http loopback endpoint never uses a proxy, whatever the environment says', async () => {
  const env = {
    ...BASE_ENV, AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${db.address().port}`,
    http_proxy: trap.url, HTTP_PROXY: trap.url, https_proxy: trap.url, HTTPS_PROXY: trap.url, ALL_PROXY: trap.url, all_proxy: trap.url,
  };
  const server = await startServer(BIN, [], { env });
  try {
    assert.equal((await request(`${server.url}/tasks`, 'POST', { title: 'direct' })).status, 201);
    assert.equal((await request(`${server.url}/tasks?limit=5`)).status, 200);
  } finally {
    await stop(server);
  }
  assert.equal(trap.connections, 0, `the proxy saw ${trap.plain.join(', ')}`);
});
