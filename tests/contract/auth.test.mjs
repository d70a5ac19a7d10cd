// The contract with authentication on (run.sh adds this file when AUTH=1): two users who
// never see each other's tasks on any route, page tokens bound to their user, and 401s
// with RFC 6750 challenges. On the local server every refused-token case is checked
// against the server's own verification; on the Lambda door the gateway verifies, and the
// function refuses any event that arrives without the authorizer's claims.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { send, closeClient, apiPath } from './client.mjs';
import { sign, idClaims, ISSUER, AUDIENCE } from './auth_tokens.mjs';

after(closeClient);

const lambda = process.env.CONTRACT_TRANSPORT === 'lambda';
const unique = () => `${process.pid}-${Math.random().toString(36).slice(2)}`;

async function create(user, title) {
  const r = await send({ method: 'POST', path: '/tasks', body: { title }, user });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return r;
}

async function listAll(user) {
  const items = [];
  let token;
  do {
    const q = token ? `?limit=100&nextToken=${encodeURIComponent(token)}` : '?limit=100';
    const r = await send({ method: 'GET', path: `/tasks${q}`, user });
    assert.equal(r.status, 200);
    items.push(...r.json.items);
    token = r.json.nextToken;
  } while (token);
  return items;
}

/** Tasks in the API's list order: createdAt, then id, both descending. */
function newestFirst(tasks) {
  return [...tasks].sort((x, y) => (x.createdAt === y.createdAt ? (x.id < y.id ? 1 : -1) : x.createdAt < y.createdAt ? 1 : -1));
}

function assertUnauthorized(r, tokenSent) {
  assert.equal(r.status, 401, JSON.stringify(r.json));
  assert.equal(r.json.error.code, 'unauthorized');
  assert.equal(typeof r.json.error.message, 'string');
  assert.equal(r.headers['www-authenticate'], tokenSent ? 'Bearer error="invalid_token"' : 'Bearer');
  assert.match(r.headers['content-type'], /^application\/problem\+json$/);
}

test('another user\'s task is 404 on GET, PATCH and DELETE, and stays unchanged', async () => {
  const alice = `alice-${unique()}`, bob = `bob-${unique()}`;
  const made = await create(alice, 'private');
  const path = apiPath(made.headers.location);
  for (const [method, body] of [['GET'], ['PATCH', { title: 'stolen', status: 'done' }], ['DELETE']]) {
    const r = await send({ method, path, body, user: bob });
    assert.equal(r.status, 404, `${method} by another user`);
    assert.equal(r.json.error.code, 'not_found');
  }
  // a condition never reveals another user's task: 404, not 412 or 304
  assert.equal((await send({ method: 'PATCH', path, body: { title: 'x' }, user: bob, headers: { 'If-Match': made.headers.etag } })).status, 404);
  assert.equal((await send({ method: 'PATCH', path, body: { title: 'x' }, user: bob, headers: { 'If-Match': '"999"' } })).status, 404);
  assert.equal((await send({ method: 'DELETE', path, user: bob, headers: { 'If-Match': '*' } })).status, 404);
  assert.equal((await send({ method: 'GET', path, user: bob, headers: { 'If-None-Match': made.headers.etag } })).status, 404);
  const mine = await send({ method: 'GET', path, user: alice });
  assert.equal(mine.status, 200);
  assert.deepEqual(mine.json, made.json);
  const patched = await send({ method: 'PATCH', path, body: { status: 'done' }, user: alice });
  assert.equal(patched.status, 200);
  assert.equal(patched.json.status, 'done');
  assert.equal((await send({ method: 'DELETE', path, user: alice })).status, 204);
});

test('each user lists only their own tasks, newest first, paged', async () => {
  const alice = `alice-${unique()}`, bob = `bob-${unique()}`;
  const made = [];
  for (let i = 0; i < 5; i++) made.push((await create(alice, `a${i}`)).json);
  const b = (await create(bob, 'b0')).json.id;
  // the list's order: createdAt, then id, both descending (two creates may share a ms)
  const a = newestFirst(made).map((t) => t.id);
  const aliceSees = (await listAll(alice)).map((t) => t.id);
  assert.deepEqual(aliceSees, a);
  assert.deepEqual((await listAll(bob)).map((t) => t.id), [b]);
  // page by page, too
  const first = await send({ method: 'GET', path: '/tasks?limit=2', user: alice });
  assert.deepEqual(first.json.items.map((t) => t.id), [a[0], a[1]]);
  assert.ok(first.json.nextToken);
  const second = await send({ method: 'GET', path: `/tasks?limit=2&nextToken=${encodeURIComponent(first.json.nextToken)}`, user: alice });
  assert.deepEqual(second.json.items.map((t) => t.id), [a[2], a[3]]);
});

test('a nextToken is its user\'s: another user presenting it gets 400 invalid_page_token', async () => {
  const alice = `alice-${unique()}`, bob = `bob-${unique()}`;
  await create(alice, 'one');
  await create(alice, 'two');
  await create(bob, 'bob\'s');
  const page = await send({ method: 'GET', path: '/tasks?limit=1', user: alice });
  assert.ok(page.json.nextToken);
  const stolen = await send({ method: 'GET', path: `/tasks?limit=1&nextToken=${encodeURIComponent(page.json.nextToken)}`, user: bob });
  assert.equal(stolen.status, 400);
  assert.equal(stolen.json.error.code, 'invalid_page_token');
});

test('two Authorization headers are 400 invalid_request (RFC 6750), not a token to try', async () => {
  const two = [`Bearer ${sign(idClaims('alice'))}`, `Bearer ${sign(idClaims('bob'))}`];
  for (const method of ['GET', 'POST']) {
    const r = await send({ method, path: '/tasks', headers: { Authorization: two }, body: method === 'POST' ? { title: 'x' } : undefined,
      claims: { iss: ISSUER, sub: 'alice', aud: AUDIENCE, token_use: 'id' } });
    assert.equal(r.status, 400, `${method}: ${r.raw}`);
    assert.equal(r.json.error.code, 'invalid_request');
    assert.equal(r.headers['www-authenticate'], 'Bearer error="invalid_request"');
  }
});

test('every answer varies by Authorization, so no shared cache gives one user another\'s', async () => {
  const made = await send({ method: 'POST', path: '/tasks', body: { title: 'vary' } });
  assert.match(made.headers.vary || '', /\bAuthorization\b/);
  const path = apiPath(made.headers.location);
  for (const r of [await send({ method: 'GET', path }), await send({ method: 'GET', path: '/tasks' }),
    await send({ method: 'GET', path, headers: { 'If-None-Match': made.headers.etag } }),
    await send({ method: 'GET', path: '/tasks', user: null })]) {
    assert.match(r.headers.vary || '', /\bAuthorization\b/, `${r.status}`);
  }
});

test('no credentials: 401 unauthorized with a bare Bearer challenge, on every route', async () => {
  const made = await create('alice', 'exists');
  const item = apiPath(made.headers.location);
  for (const [method, path, body] of [['GET', '/tasks'], ['POST', '/tasks', { title: 'x' }], ['GET', item],
    ['PATCH', item, { title: 'y' }], ['DELETE', item], ['GET', '/tasks/00000000-0000-4000-8000-000000000000']]) {
    assertUnauthorized(await send({ method, path, body, user: null }), false);
  }
  assert.equal((await send({ method: 'GET', path: item, user: 'alice' })).json.title, 'exists');
});

if (!lambda) {
  const now = () => Math.floor(Date.now() / 1000);
  const bearer = (t) => ({ Authorization: `Bearer ${t}` });
  const refused = [
    ['another scheme', { Authorization: 'Basic YWxpY2U6c2VjcmV0' }, false],
    ['an empty bearer token', { Authorization: 'Bearer ' }, true],
    ['a malformed token', bearer('not-a-jwt'), true],
    ['a token with garbage parts', bearer('e30.e30.%%%'), true],
    ['a token signed with the wrong key', bearer(sign(idClaims('alice'), { key: 'wrong' })), true],
    ['an unknown kid', bearer(sign(idClaims('alice'), { kid: 'no-such-key' })), true],
    ['no kid', bearer(sign(idClaims('alice'), { kid: null })), true],
    ['an expired token', bearer(sign(idClaims('alice', { exp: now() - 120 }))), true],
    ['a token not yet valid', bearer(sign(idClaims('alice', { nbf: now() + 300 }))), true],
    ['a token issued in the future', bearer(sign(idClaims('alice', { iat: now() + 300 }))), true],
    ['no exp', bearer(sign({ ...idClaims('alice'), exp: undefined })), true],
    ['the wrong issuer', bearer(sign(idClaims('alice', { iss: `${ISSUER}-other` }))), true],
    ['the wrong audience', bearer(sign(idClaims('alice', { aud: 'another-client' }))), true],
    ['an access token for another client', bearer(sign(idClaims('alice', { token_use: 'access', aud: undefined, client_id: 'another-client' }))), true],
    ['an unknown token_use', bearer(sign(idClaims('alice', { token_use: 'refresh' }))), true],
    ['no sub', bearer(sign({ ...idClaims('alice'), sub: undefined })), true],
    ['an empty sub', bearer(sign(idClaims(''))), true],
    ['alg none', bearer(sign(idClaims('alice'), { alg: 'none' })), true],
    ['HS256 signed with the public key as secret', bearer(sign(idClaims('alice'), { alg: 'HS256' })), true],
    ['a critical header extension', bearer(sign(idClaims('alice'), { header: { crit: ['exp'] } })), true],
  ];
  for (const [name, headers, tokenSent] of refused) {
    test(`refused: ${name}`, async () => {
      const r = await send({ method: 'GET', path: '/tasks', headers });
      assertUnauthorized(r, tokenSent);
      const auth = headers.Authorization.split(' ')[1] || '';
      if (auth.length > 8) assert.ok(!r.raw.toString().includes(auth), 'the token is echoed');
    });
  }

  test('accepted: ID tokens (aud, also as a list), access tokens (client_id), 30 s of clock skew', async () => {
    const accepted = [
      sign(idClaims('skew', { exp: now() - 10 })),
      sign(idClaims('skew', { nbf: now() + 10, iat: now() + 10 })),
      sign(idClaims('skew', { aud: ['other', AUDIENCE] })),
      sign(idClaims('skew', { token_use: 'access', aud: undefined, client_id: AUDIENCE, scope: 'aws.cognito.signin.user.admin' })),
      sign({ sub: 'skew', iss: ISSUER, aud: AUDIENCE, exp: now() + 60 }), // a plain OIDC token, no token_use
    ];
    const made = await send({ method: 'POST', path: '/tasks', body: { title: 'mine' }, headers: bearer(accepted[0]) });
    assert.equal(made.status, 201);
    for (const t of accepted) {
      const r = await send({ method: 'GET', path: apiPath(made.headers.location), headers: { Authorization: `bearer  ${t}` } });
      assert.equal(r.status, 200, `${JSON.stringify(r.json)} for ${t.split('.')[1]}`);
    }
  });
}

if (lambda) {
  test('an event without authorizer claims is 401, with or without an Authorization header', async () => {
    assertUnauthorized(await send({ method: 'GET', path: '/tasks', user: null, claims: null }), false);
    assertUnauthorized(await send({ method: 'GET', path: '/tasks', claims: null }), true);
    assertUnauthorized(await send({ method: 'GET', path: '/tasks', claims: { iss: ISSUER } }), true);
    assertUnauthorized(await send({ method: 'GET', path: '/tasks', claims: { sub: 'alice' } }), true);
  });

  test('a sub is one user per issuer: the same sub from another issuer owns other tasks', async () => {
    const sub = `same-${unique()}`;
    const mine = { iss: ISSUER, sub, token_use: 'id' };
    const theirs = { iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other', sub, token_use: 'id' };
    const made = await send({ method: 'POST', path: '/tasks', body: { title: 't' }, claims: mine });
    assert.equal(made.status, 201);
    assert.equal((await send({ method: 'GET', path: apiPath(made.headers.location), claims: theirs })).status, 404);
    assert.equal((await send({ method: 'GET', path: apiPath(made.headers.location), claims: mine })).status, 200);
  });
}
