// How the contract suite reaches the API. The suite only calls send(); which door it goes
// through is chosen here from the environment, so the same cases run against the local
// server (CONTRACT_TRANSPORT=http, CONTRACT_BASE_URL) and the Lambda door
// (CONTRACT_TRANSPORT=lambda, CONTRACT_BOOTSTRAP: requests become API Gateway proxy events
// handed to the real bootstrap through the Runtime API emulator).
import http from 'node:http';
import { appendFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { startEmulator } from '../lambda/emulator.mjs';
import { tokenFor, gatewayClaims } from './auth_tokens.mjs';

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

/**
 * Sends one request.
 * @param {object} req
 * @param {string} req.method
 * @param {string} req.path      path plus optional raw query string, e.g. "/tasks?limit=2"
 * @param {object} [req.headers] header name -> value
 * @param {string|Buffer|object} [req.body] objects are JSON-encoded with application/json
 * @param {boolean} [req.chunked] send the body with chunked transfer encoding
 * @param {string|null} [req.user] with authentication on (CONTRACT_AUTH_DIR), whose valid
 *   token goes in Authorization (default "alice"; null: none) unless headers has one
 * @param {object} [req.claims] Lambda transport: the authorizer claims to put in the event
 *   as they are, instead of what the gateway makes of Authorization (null: none)
 * @returns {Promise<{status:number, headers:object, raw:Buffer, json:any}>}
 */
export async function send({ method, path, headers = {}, body, chunked = false, user = 'alice', claims }) {
  const transport = process.env.CONTRACT_TRANSPORT || 'http';
  if (transport !== 'http' && transport !== 'lambda') throw new Error(`unknown CONTRACT_TRANSPORT ${transport}`);
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
  if (authOn() && user !== null && !Object.keys(hdrs).some((h) => h.toLowerCase() === 'authorization')) {
    hdrs.Authorization = `Bearer ${tokenFor(user)}`;
  }
  if (transport === 'lambda') return lambdaSend(method, path, hdrs, payload, claims);
  return httpSend(method, path, hdrs, payload);
}

let emulator;

/** True when the suite runs with authentication on (both doors). */
export function authOn() {
  return Boolean(process.env.CONTRACT_AUTH_DIR);
}

// How clients reach API Gateway, as CONTRACT_APIGW_SHAPE picks for the Lambda transport:
// on the execute-api host the stage is the path's first segment and event.path lacks it;
// behind a custom domain the base path mapping's segment stays in event.path. Either way
// requestContext.path is what the client sent, and resource says what matched.
export const APIGW_SHAPES = {
  stage: { prefix: '/dev', stage: 'dev', domainName: 'abc123.execute-api.us-east-1.amazonaws.com', basePathInPath: false },
  'custom-domain': { prefix: '/v1', stage: 'prod', domainName: 'api.example.com', basePathInPath: true },
};

function currentShape() {
  const name = process.env.CONTRACT_APIGW_SHAPE || 'stage';
  if (!APIGW_SHAPES[name]) throw new Error(`unknown CONTRACT_APIGW_SHAPE ${name}`);
  return APIGW_SHAPES[name];
}

/** The path prefix a client puts before /tasks on the current transport ("" locally). */
export function publicPrefix() {
  return (process.env.CONTRACT_TRANSPORT || 'http') === 'lambda' ? currentShape().prefix : '';
}

/** The API path ("/tasks/...") a Location header leads to; fails if it leads elsewhere. */
export function apiPath(location) {
  const prefix = publicPrefix();
  if (typeof location !== 'string' || !location.startsWith(`${prefix}/tasks`)) {
    throw new Error(`Location ${location} is not under ${prefix}/tasks, where this API is`);
  }
  return location.slice(prefix.length);
}

/** The resource API Gateway matches for an API path, with its path parameters; paths no
 * resource matches get resource = path (the gateway itself would answer 404). */
function matchResource(path) {
  if (path === '/tasks' || path === '/tasks/') return { resource: '/tasks', pathParameters: null };
  const item = /^\/tasks\/([^/]+)$/.exec(path);
  if (item) return { resource: '/tasks/{id}', pathParameters: { id: Buffer.from(percentDecode(item[1])).toString('utf8') } };
  return { resource: path, pathParameters: null };
}

/** The API Gateway REST proxy event (payload 1.0) for a request, nulls included. rawPath
 * is the API path ("/tasks?limit=2"); shape is one of APIGW_SHAPES. */
export function toApiGatewayEvent(method, rawPath, headers, payload, shape = currentShape(), claims = null) {
  const q = rawPath.indexOf('?');
  const path = q < 0 ? rawPath : rawPath.slice(0, q);
  const multiQuery = {};
  if (q >= 0) {
    for (const part of rawPath.slice(q + 1).split('&')) {
      if (!part) continue;
      const eq = part.indexOf('=');
      const dec = (s) => Buffer.from(percentDecode(s)).toString('utf8');
      const name = dec(eq < 0 ? part : part.slice(0, eq));
      (multiQuery[name] ||= []).push(dec(eq < 0 ? '' : part.slice(eq + 1)));
    }
  }
  const hdrs = { Host: shape.domainName, 'User-Agent': 'contract-suite', ...headers };
  // a header given as an array is sent as that many lines, as node's http client does
  const multiHeaders = Object.fromEntries(Object.entries(hdrs).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : [String(v)]]));
  const single = (m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v[v.length - 1]]));
  const body = payload === undefined ? null : Buffer.from(payload);
  const utf8 = body !== null && Buffer.from(body.toString('utf8')).equals(body);
  const { resource, pathParameters } = matchResource(path);
  const requestId = randomUUID();
  return {
    resource,
    path: shape.basePathInPath ? `${shape.prefix}${path}` : path,
    httpMethod: method,
    headers: single(multiHeaders),
    multiValueHeaders: multiHeaders,
    queryStringParameters: Object.keys(multiQuery).length ? single(multiQuery) : null,
    multiValueQueryStringParameters: Object.keys(multiQuery).length ? multiQuery : null,
    pathParameters,
    stageVariables: null,
    requestContext: {
      resourcePath: resource, httpMethod: method, path: `${shape.prefix}${path}`, stage: shape.stage,
      domainName: shape.domainName, domainPrefix: shape.domainName.split('.')[0],
      requestId, extendedRequestId: requestId, accountId: '123456789012', apiId: 'abc123',
      protocol: 'HTTP/1.1', requestTimeEpoch: Date.now(), identity: { sourceIp: '203.0.113.7' },
      ...(claims ? { authorizer: { claims } } : {}),
    },
    body: body === null ? null : utf8 ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: body !== null && !utf8,
  };
}

function percentDecode(s) {
  const out = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      out.push(...Buffer.from(s[i] === '+' ? ' ' : s[i]));
    }
  }
  return Uint8Array.from(out);
}

/** Checks the proxy response the way API Gateway does; a malformed one would be a 502. */
export function fromProxyResponse(result) {
  if (result.kind !== 'response') {
    return { status: 502, headers: {}, raw: Buffer.from(result.body), json: { message: 'Internal server error' } };
  }
  const r = JSON.parse(result.body);
  const keys = Object.keys(r).sort();
  if (typeof r.statusCode !== 'number' || typeof r.body !== 'string' || r.isBase64Encoded !== false ||
      typeof r.headers !== 'object' || keys.some((k) => !['body', 'headers', 'isBase64Encoded', 'multiValueHeaders', 'statusCode'].includes(k))) {
    throw new Error(`Malformed Lambda proxy response: ${result.body}`);
  }
  const headers = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const raw = Buffer.from(r.body, 'utf8');
  let json;
  try { json = raw.length ? JSON.parse(r.body) : undefined; } catch { json = undefined; }
  return { status: r.statusCode, headers, raw, json };
}

async function lambdaSend(method, path, headers, payload, claims) {
  if (!emulator) {
    const bootstrap = process.env.CONTRACT_BOOTSTRAP;
    const root = process.env.CONTRACT_CHROOT; // run the bootstrap inside this directory
    // a bootstrap for another CPU runs under this user-mode emulator (qemu), in the root too
    const cpu = process.env.CONTRACT_CPU_EMULATOR;
    const argv = cpu ? [cpu, bootstrap] : [bootstrap];
    emulator = await startEmulator(root
      ? { command: 'chroot', args: [root, ...argv], env: { ...process.env } }
      : { command: argv[0], args: argv.slice(1), bootstrap, env: { ...process.env } });
  }
  // With the authorizer on, the gateway passes the verified token's claims; without it
  // (or for a token it refuses) the event has none and the function must refuse it.
  if (claims === undefined) {
    const auth = Object.entries(headers).find(([h]) => h.toLowerCase() === 'authorization');
    claims = authOn() && auth ? gatewayClaims(auth[1]) : null;
  }
  const event = JSON.stringify(toApiGatewayEvent(method, path, headers, payload, currentShape(), claims));
  return fromProxyResponse(await emulator.invoke(event));
}

// With Prism in front (CONTRACT_PRISM_VIOLATIONS names a file), what it says about each
// response: its sl-violations entries located in the response are written there.
function recordViolations(method, path, status, headers) {
  const file = process.env.CONTRACT_PRISM_VIOLATIONS;
  if (!file || !headers['sl-violations']) return;
  const found = JSON.parse(headers['sl-violations']).filter((v) => v.location?.[0] === 'response');
  if (found.length) appendFileSync(file, `${JSON.stringify({ method, path, status, violations: found })}\n`);
}

// What Prism can carry faithfully: it parses and re-encodes JSON bodies and normalises
// paths, so a request the suite breaks on purpose below the JSON level (bytes, duplicate
// keys or headers, routes the contract does not have) goes to the server directly
// (CONTRACT_DIRECT_URL); everything else goes through Prism and is validated.
const JSON_TYPES = /^application\/(merge-patch\+)?json$/i;
function prismCarries(method, path, headers, payload) {
  if (!['GET', 'POST', 'PATCH', 'DELETE'].includes(method)) return false;
  const route = path.split('?')[0];
  if (route !== '/tasks' && !/^\/tasks\/[0-9a-f-]{36}$/.test(route)) return false;
  if (Object.values(headers).some((v) => Array.isArray(v) || String(v) !== String(v).trim())) return false;
  if (payload === undefined) return true;
  const type = Object.entries(headers).find(([h]) => h.toLowerCase() === 'content-type')?.[1];
  if (typeof payload !== 'string' || !JSON_TYPES.test(String(type))) return false;
  try {
    const value = JSON.parse(payload);
    return value !== null && typeof value === 'object' && !Array.isArray(value) &&
      JSON.stringify(value) === payload && !/\\u0000/.test(payload);
  } catch {
    return false;
  }
}

function httpSend(method, path, headers, payload) {
  let base = new URL(process.env.CONTRACT_BASE_URL || 'http://127.0.0.1:8080');
  if (process.env.CONTRACT_DIRECT_URL) {
    const carried = prismCarries(method, path, headers, payload);
    appendFileSync(`${process.env.CONTRACT_PRISM_VIOLATIONS}.routes`, carried ? 'p' : 'd'); // for the run's summary
    if (!carried) base = new URL(process.env.CONTRACT_DIRECT_URL);
  }
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
          recordViolations(method, path, res.statusCode, res.headers);
          resolve({ status: res.statusCode, headers: res.headers, raw, json });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export async function closeClient() {
  agent.destroy();
  if (emulator) {
    const e = emulator;
    emulator = undefined;
    await e.close();
    if (process.env.CONTRACT_INIT_REPORT) {
      (await import('node:fs')).writeFileSync(process.env.CONTRACT_INIT_REPORT, `${e.initMs}\n`);
    }
    if (/ERROR: (Address|Leak)Sanitizer|runtime error:/.test(e.stderr + e.stdout)) {
      throw new Error(`sanitizer report from bootstrap:\n${e.stderr}`);
    }
  }
}
