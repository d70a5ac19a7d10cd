// DynamoDB over HTTPS on loopback, for the cold-start benchmark: Debian's nginx terminates
// TLS in front of dynalite with a certificate from a test CA made here by openssl, so a
// runtime that trusts that CA (AWS_CA_BUNDLE, or NODE_EXTRA_CA_CERTS for Node.js) pays a
// real handshake (TLS 1.3, ECDSA P-256, as DynamoDB's endpoints offer) on its first call.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { freePort } from '../tests/hardening/lib.mjs';

async function waitForPort(port, proc, ms = 5000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`nginx exited with ${proc.exitCode}`);
    const ok = await new Promise((r) => { const s = net.connect(port, '127.0.0.1', () => { s.end(); r(true); }); s.on('error', () => r(false)); });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not listen on ${port}`);
}

/**
 * Starts nginx terminating TLS on a free loopback port and proxying to `upstream`
 * (http://127.0.0.1:PORT). Returns { url, caFile, close }, or null where nginx or openssl
 * is missing (the caller reports the figure as not measured).
 */
export async function startTlsTerminator(upstream, work) {
  if (!fs.existsSync('/usr/sbin/nginx') || !fs.existsSync('/usr/bin/openssl')) return null;
  const dir = fs.mkdtempSync(path.join(work, 'tls-'));
  fs.chmodSync(dir, 0o755);
  const ssl = (...args) => execFileSync('/usr/bin/openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key');
  ssl('req', '-x509', '-new', '-key', 'ca.key', '-days', '2', '-subj', '/CN=tasks-api bench CA', '-out', 'ca.pem');
  ssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'server.key');
  ssl('req', '-new', '-key', 'server.key', '-subj', '/CN=localhost', '-out', 'server.csr');
  fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
    '-extfile', 'san.ext', '-out', 'server.pem');
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 256; }
http {
  access_log off;
  upstream dynamodb { server ${new URL(upstream).host}; keepalive 16; }
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${dir}/server.pem;
    ssl_certificate_key ${dir}/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache off;
    ssl_session_tickets off;
    client_max_body_size 1m;
    location / {
      proxy_pass http://dynamodb;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
    }
  }
}
daemon off;
`);
  const proc = spawn('/usr/sbin/nginx', ['-c', conf, '-p', dir], { stdio: 'ignore' });
  await waitForPort(port, proc);
  return {
    url: `https://localhost:${port}`,
    caFile: path.join(dir, 'ca.pem'),
    close: () => new Promise((r) => { if (proc.exitCode !== null) return r(); proc.once('exit', r); proc.kill('SIGTERM'); }),
  };
}
