// How the contract suite reaches the API. The suite only calls send(); which door it goes
// through is chosen here from the environment, so the same cases run against the local
// server (CONTRACT_TRANSPORT=http, CONTRACT_BASE_URL) and, later, the Lambda door.
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

/**
 * Sends one request.
 * @param {object} req
 * @param {string} req.method
 * @param {string} req.path      path plus optional raw query string, e.g. "/tasks?limit=2"
 * @param {object} [req.headers] header name -> value
 * @param {string|Buffer|object} [req.body] objects are JSON-encoded with application/json
 * @param {boolean} [req.chunked] send the body with chunked transfer encoding
 * @returns {Promise<{status:number, headers:object, raw:Buffer, json:any}>}
 */
export async function send({ method, path, headers = {}, body, chunked = false }) {
  const transport = process.env.CONTRACT_TRANSPORT || 'http';
  if (transport !== 'http') throw new Error(`unknown CONTRACT_TRANSPORT ${transport}`);
  let payload = body;
  const hdrs = { ...headers };
  if (body !== undefined && !Buffer.isBuffer(body) && typeof body !== 'string') {
    payload = JSON.stringify(body);
    if (!Object.keys(hdrs).some((h) => h.toLowerCase() === 'content-type')) {
      hdrs['Content-Type'] = 'application/json';
    }
  }
  // Like most clients, declare the length; pass chunked: true to stream instead.
  if (payload !== undefined && !chunked) hdrs['Content-Length'] = Buffer.byteLength(payload);
  return httpSend(method, path, hdrs, payload);
}

function httpSend(method, path, headers, payload) {
  const base = new URL(process.env.CONTRACT_BASE_URL || 'http://127.0.0.1:8080');
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: base.hostname, port: base.port, method, path, headers, agent },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          let json;
          if (raw.length) {
            try {
              json = JSON.parse(raw.toString('utf8'));
            } catch {
              json = undefined;
            }
          }
          resolve({ status: res.statusCode, headers: res.headers, raw, json });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export function closeClient() {
  agent.destroy();
}
