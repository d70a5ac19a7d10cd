// Test identities for the authenticated contract runs: RSA keys made fresh by each run
// (never committed), the JWKS the local server is given, and JWTs signed the way Cognito
// signs them (RS256, kid in the header). Also the verification API Gateway's Cognito
// authorizer does, so the Lambda transport hands the function the claims the gateway
// would. Run as a script, it writes the keys into a directory:
//   node tests/contract/auth_tokens.mjs DIR   -> DIR/jwks.json, DIR/keys.json
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const ISSUER = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Contract';
export const AUDIENCE = 'contract-app-client';
export const KID = 'contract-key-1';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

/** Writes a signing key pair (its public half in jwks.json, with a decoy key beside it) and
 * an unrelated "wrong" key pair into dir. */
export function makeKeys(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const pair = () => crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signing = pair(), decoy = pair(), wrong = pair();
  const jwk = (k, kid) => ({ ...k.publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' });
  fs.writeFileSync(path.join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk(decoy, 'contract-key-0'), jwk(signing, KID)] }));
  const pem = (k) => k.privateKey.export({ format: 'pem', type: 'pkcs8' });
  fs.writeFileSync(path.join(dir, 'keys.json'), JSON.stringify({
    signing: pem(signing), wrong: pem(wrong),
    publicPem: signing.publicKey.export({ format: 'pem', type: 'spki' }),
  }), { mode: 0o600 });
}

let loaded;
function keys() {
  const dir = process.env.CONTRACT_AUTH_DIR;
  if (!dir) throw new Error('CONTRACT_AUTH_DIR is not set');
  loaded ||= JSON.parse(fs.readFileSync(path.join(dir, 'keys.json'), 'utf8'));
  return loaded;
}

/** The claims of a Cognito ID token for user, valid for an hour from now. */
export function idClaims(user, extra = {}) {
  const now = Math.floor(Date.now() / 1000);
  return { sub: user, iss: ISSUER, aud: AUDIENCE, token_use: 'id', iat: now, auth_time: now, exp: now + 3600, ...extra };
}

/** Signs claims into a compact JWS. opts: kid, alg ('RS256' | 'none' | 'HS256'), key
 * ('signing' | 'wrong'), header (extra header fields); HS256 uses the signing key's
 * public PEM as the HMAC secret (the algorithm-confusion attack). */
export function sign(claims, { kid = KID, alg = 'RS256', key = 'signing', header = {} } = {}) {
  const h = { alg, typ: 'JWT', ...(kid === null ? {} : { kid }), ...header };
  const input = `${b64url(JSON.stringify(h))}.${b64url(JSON.stringify(claims))}`;
  if (alg === 'none') return `${input}.`;
  if (alg === 'HS256') return `${input}.${b64url(crypto.createHmac('sha256', keys().publicPem).update(input).digest())}`;
  return `${input}.${b64url(crypto.sign('sha256', Buffer.from(input), keys()[key]))}`;
}

/** A valid ID token for user. */
export function tokenFor(user, extra = {}) {
  return sign(idClaims(user, extra));
}

/** What API Gateway's Cognito authorizer does with an Authorization header: the token's
 * claims (every value a string, as the gateway passes them) if it verifies against the
 * user pool's key, for the pool's issuer and app client, unexpired; otherwise null. */
export function gatewayClaims(authorization) {
  if (typeof authorization !== 'string') return null;
  const token = authorization.replace(/^Bearer\s+/i, '');
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url'));
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url'));
    const ok = header.alg === 'RS256' && header.kid === KID &&
      crypto.verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), keys().publicPem, Buffer.from(parts[2], 'base64url'));
    const now = Date.now() / 1000;
    const aud = claims.token_use === 'access' ? claims.client_id : claims.aud;
    if (!ok || claims.iss !== ISSUER || aud !== AUDIENCE || !(claims.exp > now)) return null;
    return Object.fromEntries(Object.entries(claims).map(([k, v]) => [k, String(v)]));
  } catch {
    return null;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  makeKeys(process.argv[2]);
  console.log(`${ISSUER} ${AUDIENCE}`);
}
