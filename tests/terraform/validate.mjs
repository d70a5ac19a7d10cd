// Offline validation of the Terraform tree, for machines without a terraform binary.
// Every .tf file is parsed with @cdktf/hcl2json and checked against:
//  1. schema: every resource/data argument and nested block exists in the AWS provider's
//     schema, as @cdktf/provider-aws carries it (synthesizeAttributes() of each type);
//  2. wiring: module calls pass only declared variables and every required one; every
//     var., local., module.X.Y, resource and data reference resolves;
//  3. policy: least-privilege IAM, every API route proxied, scoped Lambda permission,
//     log retention, table PITR + encryption, and the table/index the C code uses.
// Usage: node tests/terraform/validate.mjs [ROOT]   (exit 1 and a list of problems)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const hcl2json = require('@cdktf/hcl2json');
const providerLib = path.join(path.dirname(require.resolve('@cdktf/provider-aws/package.json')), 'lib');

// What src/store/dynamodb/dynamodb.c calls: the role must allow exactly this.
export const NEEDED_DYNAMODB_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'];
export const NEEDED_LOG_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const CONTRACT_ROUTES = [['tasks', 'POST'], ['tasks', 'GET'], ['task', 'GET'], ['task', 'PATCH'], ['task', 'DELETE']];
const META_ARGS = new Set(['count', 'for_each', 'depends_on', 'lifecycle', 'provider', 'provisioner', 'connection', 'dynamic']);
const ADMIN_POLICY = /AdministratorAccess|PowerUserAccess|FullAccess|IAMFullAccess/;

// ---- provider schema, read from @cdktf/provider-aws ----

const schemaCache = new Map();

function parseObjectKeys(body) {
  const out = {};
  for (const m of body.matchAll(/^\s+([a-z0-9_]+): (.*),$/gm)) {
    const fn = /(?:^|[^.\w])([a-zA-Z0-9]+ToTerraform)\b/.exec(m[2]);
    out[m[1]] = fn && !m[2].startsWith('cdktf.' + fn[1]) ? fn[1] : null;
  }
  return out;
}

function nestedSchema(source, fnName, depth = 0) {
  const start = source.indexOf(`function ${fnName}(struct) {`);
  if (start < 0 || depth > 8) return {};
  const ret = source.indexOf('return {', start);
  const end = source.indexOf('\n    };\n}', ret);
  const keys = parseObjectKeys(source.slice(ret + 8, end));
  return Object.fromEntries(Object.entries(keys).map(([k, fn]) => [k, fn ? nestedSchema(source, fn, depth + 1) : null]));
}

/** Schema of a resource ("aws_x_y") or data source ("data.aws_x_y"), or null if unknown. */
export function schemaOf(kind, type) {
  const key = `${kind}:${type}`;
  if (schemaCache.has(key)) return schemaCache.get(key);
  const dir = (kind === 'data' ? 'data-' : '') + (kind === 'data' ? type : type.replace(/^aws_/, '')).replace(/_/g, '-');
  const file = path.join(providerLib, dir, 'index.js');
  let schema = null;
  if (fs.existsSync(file)) {
    const source = fs.readFileSync(file, 'utf8');
    const at = source.indexOf('synthesizeAttributes() {');
    const ret = source.indexOf('return {', at);
    const end = source.indexOf('\n        };\n    }', ret);
    const keys = parseObjectKeys(source.slice(ret + 8, end));
    schema = Object.fromEntries(Object.entries(keys).map(([k, fn]) => [k, fn ? nestedSchema(source, fn) : null]));
  }
  schemaCache.set(key, schema);
  return schema;
}

// ---- parsing ----

async function parseDir(dir) {
  const merged = { resource: {}, data: {}, variable: {}, output: {}, module: {}, locals: {}, files: {} };
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.tf')).sort()) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    const j = await hcl2json.parse(f, text);
    merged.files[f] = j;
    for (const kind of ['resource', 'data']) {
      for (const [type, byName] of Object.entries(j[kind] || {})) {
        for (const [name, blocks] of Object.entries(byName)) {
          (merged[kind][type] ||= {})[name] = { body: blocks[0], file: f };
        }
      }
    }
    for (const kind of ['variable', 'output', 'module']) {
      for (const [name, blocks] of Object.entries(j[kind] || {})) merged[kind][name] = { body: blocks[0], file: f };
    }
    for (const l of j.locals || []) Object.assign(merged.locals, l);
  }
  return merged;
}

function* strings(value) {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const v of value) yield* strings(v);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) yield* strings(v);
}

/** Text of every ${...} interpolation in a string (brace-aware). */
function* interpolations(s) {
  for (let i = s.indexOf('${'); i >= 0; i = s.indexOf('${', i + 1)) {
    let depth = 0;
    for (let j = i + 1; j < s.length; j++) {
      if (s[j] === '{') depth++;
      else if (s[j] === '}' && --depth === 0) {
        yield s.slice(i + 2, j);
        break;
      }
    }
  }
}

// ---- checks ----

function checkBlock(problems, where, body, schema) {
  for (const [key, value] of Object.entries(body)) {
    if (META_ARGS.has(key)) {
      if (key === 'dynamic') {
        for (const [name, blocks] of Object.entries(value)) {
          if (!(name in schema) || schema[name] === null) problems.push(`${where}: unknown dynamic block "${name}"`);
          else for (const b of blocks) for (const c of b.content || []) checkBlock(problems, `${where}.${name}`, c, schema[name]);
        }
      }
      continue;
    }
    if (!(key in schema)) {
      problems.push(`${where}: unknown argument or block "${key}"`);
      continue;
    }
    if (schema[key] && Array.isArray(value)) {
      for (const b of value) if (b && typeof b === 'object' && !Array.isArray(b)) checkBlock(problems, `${where}.${key}`, b, schema[key]);
    }
  }
}

function checkSchema(problems, rel, parsed) {
  for (const kind of ['resource', 'data']) {
    for (const [type, byName] of Object.entries(parsed[kind])) {
      const schema = schemaOf(kind, type);
      for (const [name, { body, file }] of Object.entries(byName)) {
        const where = `${rel}/${file}: ${kind === 'data' ? 'data.' : ''}${type}.${name}`;
        if (!schema) problems.push(`${where}: unknown ${kind} type "${type}"`);
        else checkBlock(problems, where, body, schema);
      }
    }
  }
}

function checkReferences(problems, rel, parsed, modulesByName) {
  const declared = (kind, type, name) => parsed[kind][type] && parsed[kind][type][name];
  const all = [parsed.resource, parsed.data, parsed.output, parsed.module, parsed.locals, parsed.variable];
  for (const section of all) {
    for (const s of strings(section)) {
      for (const expr of interpolations(s)) {
        const bare = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
        for (const m of bare.matchAll(/(?<![\w.])var\.(\w+)/g)) {
          if (!parsed.variable[m[1]]) problems.push(`${rel}: reference to undeclared var.${m[1]}`);
        }
        for (const m of bare.matchAll(/(?<![\w.])local\.(\w+)/g)) {
          if (!(m[1] in parsed.locals)) problems.push(`${rel}: reference to undeclared local.${m[1]}`);
        }
        for (const m of bare.matchAll(/(?<![\w.])module\.(\w+)\.(\w+)/g)) {
          const mod = modulesByName[m[1]];
          if (!mod) problems.push(`${rel}: reference to undeclared module.${m[1]}`);
          else if (!mod.output[m[2]]) problems.push(`${rel}: module.${m[1]} has no output "${m[2]}"`);
        }
        for (const m of bare.matchAll(/(?<![\w.])data\.(aws_\w+)\.(\w+)/g)) {
          if (!declared('data', m[1], m[2])) problems.push(`${rel}: reference to undeclared data.${m[1]}.${m[2]}`);
        }
        for (const m of bare.matchAll(/(?<![\w.])(aws_\w+)\.(\w+)/g)) {
          if (!declared('resource', m[1], m[2])) problems.push(`${rel}: reference to undeclared resource ${m[1]}.${m[2]}`);
        }
      }
    }
  }
}

function checkModuleCalls(problems, rel, parsed, modulesByName) {
  for (const [name, { body }] of Object.entries(parsed.module)) {
    const mod = modulesByName[name];
    if (!mod) {
      problems.push(`${rel}: module "${name}" source ${body.source} cannot be read`);
      continue;
    }
    for (const arg of Object.keys(body)) {
      if (['source', 'version', 'providers', 'depends_on', 'count', 'for_each'].includes(arg)) continue;
      if (!mod.variable[arg]) problems.push(`${rel}: module "${name}" passes "${arg}", which ${body.source} does not declare`);
    }
    for (const [v, { body: decl }] of Object.entries(mod.variable)) {
      if (!('default' in decl) && !(v in body)) problems.push(`${rel}: module "${name}" does not pass required variable "${v}"`);
    }
  }
}

function checkVariables(problems, rel, parsed) {
  for (const [name, { body }] of Object.entries(parsed.variable)) {
    if (!body.type) problems.push(`${rel}: variable "${name}" has no type`);
    if (!body.description) problems.push(`${rel}: variable "${name}" has no description`);
  }
  for (const [name, { body }] of Object.entries(parsed.output)) {
    if (!body.description) problems.push(`${rel}: output "${name}" has no description`);
  }
}

function statementsOf(parsed) {
  const out = [];
  for (const [name, { body }] of Object.entries((parsed.data.aws_iam_policy_document) || {})) {
    for (const st of body.statement || []) out.push({ doc: name, st });
  }
  return out;
}

// Actions that name no resource (AWS's service authorization reference lists no resource
// type for them), so "*" is their only resource.
const NO_RESOURCE_LEVEL = new Set(['sts:GetCallerIdentity', 'iam:ListRoles', 'logs:DescribeLogGroups', 'kms:ListAliases',
  'kms:CreateKey', 'cognito-idp:CreateUserPool', 'xray:GetSamplingRules', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords',
  'xray:GetSamplingTargets', 'xray:GetSamplingStatisticSummaries', 'wafv2:ListWebACLs', 'acm:ListCertificates',
  'route53:ListHostedZones', 'route53:GetChange']);
// the documents that say what deployers may do (environments/account/deployers.tf)
const DEPLOYER_DOCS = new Set(['deployer', 'account_deployer']);

// The policy documents a KMS key uses as its key policy: there "*" as the resource is the
// key itself, and the account's root may administer it (kms:*); every other grant is a
// named principal's exact actions.
function keyPolicyDocs(parsed) {
  const docs = new Set();
  for (const { body } of Object.values(parsed.resource.aws_kms_key || {})) {
    const m = /^\$\{data\.aws_iam_policy_document\.(\w+)\.json\}$/.exec(String(body.policy || ''));
    if (m) docs.add(m[1]);
  }
  return docs;
}

function isAccountRoot(st) {
  return (st.principals || []).every((pr) => pr.type === 'AWS' && [].concat(pr.identifiers).every((i) => /:iam::[^:]+:root\}?$|:iam::\$\{[^}]+\}:root$/.test(i)));
}

function checkPolicy(problems, rel, parsed, repoRoot) {
  const p = (msg) => problems.push(`${rel}: ${msg}`);
  const keyDocs = keyPolicyDocs(parsed);
  // IAM: no wildcard actions or resources, no admin-style managed policies
  for (const { doc, st } of statementsOf(parsed)) {
    if (keyDocs.has(doc)) {
      const acts = [].concat(st.actions || []);
      if ((st.effect || 'Allow') === 'Allow' && acts.some((a) => a === 'kms:*' || a === '*') && !isAccountRoot(st)) {
        p(`key policy "${doc}" grants all of KMS to someone other than the account's root`);
      }
      if ((st.principals || []).some((pr) => pr.type === 'Service') && !(st.condition || []).some((c) => c.variable === 'aws:SourceArn')) {
        p(`key policy "${doc}" grants a service without an aws:SourceArn condition`);
      }
      if (st.not_actions || st.not_resources) p(`key policy "${doc}" uses NotAction/NotResource`);
      continue;
    }
    // a Deny may be broad on purpose (e.g. every s3 action without TLS); an Allow may not
    const allow = (st.effect || 'Allow') === 'Allow';
    for (const a of [].concat(st.actions || [], st.not_actions || [])) {
      if (a.includes('*') && allow) p(`policy document "${doc}" grants wildcard action "${a}"`);
    }
    for (const r of [].concat(st.resources || [], st.not_resources || [])) {
      const wide = r === '*' || r === 'arn:aws:*' || /^arn:[^:]*:[^:]*:[^:]*:[^:]*:\*$/.test(r);
      // "*" only where AWS offers nothing narrower for every action of the statement
      if (wide && !(r === '*' && allow && (st.actions || []).every((a) => NO_RESOURCE_LEVEL.has(a)))) p(`policy document "${doc}" grants resource "${r}"`);
    }
    if (st.not_actions || st.not_resources) p(`policy document "${doc}" uses NotAction/NotResource`);
    if (!DEPLOYER_DOCS.has(doc) && (st.effect || 'Allow') === 'Allow' && (st.actions || []).some((a) => a.startsWith('dynamodb:'))) {
      const got = [...st.actions].sort();
      if (JSON.stringify(got) !== JSON.stringify(NEEDED_DYNAMODB_ACTIONS)) {
        p(`DynamoDB actions must be exactly ${NEEDED_DYNAMODB_ACTIONS.join(', ')} (got ${got.join(', ')})`);
      }
    }
  }
  for (const s of strings(parsed.resource)) if (/"Action"\s*:\s*"\*"|"Resource"\s*:\s*"\*"/.test(s)) p('inline JSON policy with "*"');
  for (const [type, byName] of Object.entries(parsed.resource)) {
    if (!/policy_attachment$/.test(type)) continue;
    for (const [name, { body }] of Object.entries(byName)) {
      if (ADMIN_POLICY.test(body.policy_arn || '')) p(`${type}.${name} attaches a broad managed policy ${body.policy_arn}`);
    }
  }
  // log groups keep logs for a bounded time
  for (const [name, { body }] of Object.entries(parsed.resource.aws_cloudwatch_log_group || {})) {
    if (body.retention_in_days === undefined) p(`aws_cloudwatch_log_group.${name} has no retention_in_days`);
  }
  // the table: PITR, encryption, and exactly the key and index the C store uses
  for (const [name, { body }] of Object.entries(parsed.resource.aws_dynamodb_table || {})) {
    const pitr = (body.point_in_time_recovery || [])[0];
    if (!pitr || pitr.enabled !== true) p(`aws_dynamodb_table.${name} lacks point_in_time_recovery { enabled = true }`);
    const sse = (body.server_side_encryption || [])[0];
    if (!sse || sse.enabled !== true) p(`aws_dynamodb_table.${name} lacks server_side_encryption { enabled = true }`);
    if (body.hash_key !== 'id') p(`aws_dynamodb_table.${name} hash_key must be "id"`);
    const header = fs.readFileSync(path.join(repoRoot, 'src/store/dynamodb/dynamodb.h'), 'utf8');
    const wanted = [[/#define TAPI_DDB_INDEX "([^"]+)"/.exec(header)[1], 'shard'],
      [/#define TAPI_DDB_STATUS_INDEX "([^"]+)"/.exec(header)[1], 'statusShard']];
    const gsis = (body.global_secondary_index || []).map((g) => ({ ...g, name: String(g.name || '').replace(/^\$\{local\.(\w+)\}$/, (_, l) => parsed.locals[l]) }));
    for (const [index, hash] of wanted) {
      const gsi = gsis.find((g) => g.name === index) || {};
      if (gsi.hash_key !== hash || gsi.range_key !== 'sk' || gsi.projection_type !== 'ALL') {
        p(`aws_dynamodb_table.${name} needs GSI "${index}" (hash_key ${hash}, range_key sk, projection ALL) as src/store/dynamodb/dynamodb.h`);
      }
    }
    const ttl = (body.ttl || [])[0];
    if (!ttl || ttl.enabled !== true || ttl.attribute_name !== 'expiresAt') p(`aws_dynamodb_table.${name} needs ttl { attribute_name = "expiresAt", enabled = true } (idempotency tombstones)`);
    const attrs = (body.attribute || []).map((a) => `${a.name}:${a.type}`).sort().join(',');
    if (attrs !== 'id:S,shard:S,sk:S,statusShard:S') p(`aws_dynamodb_table.${name} attributes must be id, shard, sk, statusShard (S); got ${attrs}`);
  }
  // the function is the C custom runtime
  for (const [name, { body }] of Object.entries(parsed.resource.aws_lambda_function || {})) {
    if (body.runtime !== 'provided.al2023' || body.handler !== 'bootstrap') p(`aws_lambda_function.${name} must use provided.al2023 with handler bootstrap`);
    if (!body.source_code_hash) p(`aws_lambda_function.${name} has no source_code_hash`);
    if (body.filename !== undefined || !body.s3_bucket || !body.s3_key) p(`aws_lambda_function.${name} must deploy the artifact from S3 (s3_bucket, s3_key), never a local file`);
  }
  // every Lambda permission is scoped to a source
  for (const [name, { body }] of Object.entries(parsed.resource.aws_lambda_permission || {})) {
    if (!body.source_arn || !/execution_arn/.test(body.source_arn)) p(`aws_lambda_permission.${name} has no source_arn scoped to the API's execution ARN`);
  }
  // every route of the contract has a method and an AWS_PROXY integration
  const methods = parsed.resource.aws_api_gateway_method;
  if (methods) {
    const routes = parsed.locals.routes || {};
    const present = new Set(Object.values(routes).map((r) => `${r.resource} ${r.method}`));
    for (const [res, method] of CONTRACT_ROUTES) if (!present.has(`${res} ${method}`)) p(`route ${method} ${res === 'tasks' ? '/tasks' : '/tasks/{id}'} has no method`);
    if (!methods.route || methods.route.body.for_each !== '${local.routes}') p('aws_api_gateway_method.route must cover local.routes');
    const integ = (parsed.resource.aws_api_gateway_integration || {}).route;
    if (!integ || integ.body.for_each !== '${local.routes}' || integ.body.type !== 'AWS_PROXY' || integ.body.integration_http_method !== 'POST') {
      p('aws_api_gateway_integration.route must be an AWS_PROXY integration (POST) for every route');
    }
    const res = parsed.resource.aws_api_gateway_resource || {};
    if (!res.tasks || res.tasks.body.path_part !== 'tasks' || !res.task || res.task.body.path_part !== '{id}') p('resources /tasks and /tasks/{id} must exist');
    if (Object.values(res).some((r) => /proxy\+/.test(r.body.path_part))) p('no {proxy+} resources');
    const dep = (parsed.resource.aws_api_gateway_deployment || {}).this;
    if (!dep || !dep.body.triggers || !(dep.body.lifecycle || [])[0]?.create_before_destroy) p('the deployment needs a triggers hash and create_before_destroy');
  }
}

// Account-wide settings live in environments/account only: a destroy of any other root
// would reset them for every API in the region.
const ACCOUNT_ROOT = 'environments/account';
const ACCOUNT_LEVEL_TYPES = ['aws_api_gateway_account'];

function checkAccountLevel(problems, rel, parsed) {
  const found = ACCOUNT_LEVEL_TYPES.filter((t) => parsed.resource[t]);
  if (rel !== ACCOUNT_ROOT) {
    for (const t of found) problems.push(`${rel}: manages account-level API Gateway settings (${t}); only ${ACCOUNT_ROOT} may`);
  } else if (!found.length) {
    problems.push(`${rel}: must manage API Gateway's account CloudWatch role (aws_api_gateway_account)`);
  }
}

// A root must not pick a region for the user: a silent default deploys somewhere else
// than the backend's region, unnoticed.
function checkNoDefaultRegion(problems, rel, parsed) {
  if (!rel.startsWith('environments/')) return;
  const v = parsed.variable.region;
  if (!v) problems.push(`${rel}: needs a "region" variable`);
  else if (v.body.default !== undefined) problems.push(`${rel}: variable "region" must have no default (got ${JSON.stringify(v.body.default)})`);
}

// The state bucket holds every environment's state (and so their secrets): versioned,
// encrypted, never public, TLS only.
function checkStateBucket(problems, rel, parsed) {
  if (!parsed.resource.aws_s3_bucket) return;
  const p = (msg) => problems.push(`${rel}: ${msg}`);
  const one = (type) => Object.values(parsed.resource[type] || {})[0]?.body;
  const versioning = one('aws_s3_bucket_versioning');
  if (versioning?.versioning_configuration?.[0]?.status !== 'Enabled') p('the state bucket needs versioning Enabled');
  if (!one('aws_s3_bucket_server_side_encryption_configuration')) p('the state bucket needs server-side encryption');
  const pab = one('aws_s3_bucket_public_access_block');
  if (!pab || !['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'].every((k) => pab[k] === true)) {
    p('the state bucket needs every public access block on');
  }
  const tlsOnly = statementsOf(parsed).some(({ st }) => st.effect === 'Deny' &&
    (st.condition || []).some((c) => c.variable === 'aws:SecureTransport' && JSON.stringify(c.values) === '["false"]'));
  if (!tlsOnly || !one('aws_s3_bucket_policy')) p('the state bucket needs a policy that denies requests without TLS');
}

// use_lockfile (S3 native locking) needs Terraform 1.10
function checkRequiredVersion(problems, rel, parsed) {
  const tf = (parsed.files['versions.tf'] || {}).terraform || [];
  const v = tf[0] && tf[0].required_version;
  const m = /^>=\s*(\d+)\.(\d+)/.exec(v || '');
  if (!m || Number(m[1]) < 1 || (Number(m[1]) === 1 && Number(m[2]) < 10)) {
    problems.push(`${rel}: required_version must be ">= 1.10" or newer (got ${v}): the S3 backend's use_lockfile needs it`);
  }
}

// What a deployment serves: a change to any of these must make a new deployment.
const DEPLOYED_TYPES = ['aws_api_gateway_resource', 'aws_api_gateway_method', 'aws_api_gateway_integration',
  'aws_api_gateway_method_response', 'aws_api_gateway_integration_response', 'aws_api_gateway_gateway_response',
  'aws_api_gateway_authorizer'];

function checkApiGateway(problems, rel, parsed, repoRoot) {
  const p = (msg) => problems.push(`${rel}: ${msg}`);
  const dep = (parsed.resource.aws_api_gateway_deployment || {}).this;
  if (dep) {
    const triggers = JSON.stringify(dep.body.triggers || {});
    for (const type of DEPLOYED_TYPES) {
      for (const name of Object.keys(parsed.resource[type] || {})) {
        if (!triggers.includes(`${type}.${name}`)) p(`the deployment's triggers leave out ${type}.${name}`);
        // a whole object in the hash: its unset collections are null at create and [] or
        // {} when read back, so every plan after an apply would replace the deployment
        if (new RegExp(`${type}\\.${name}(?![\\w.\\[]|\\s*:)`).test(triggers)) { // not indexed, not iterated
          p(`the deployment's triggers hash the whole object ${type}.${name}; hash its configuration and id`);
        }
      }
    }
  }
  const responses = parsed.locals.gateway_responses;
  if (responses) {
    for (const [type, r] of Object.entries(responses)) {
      const status = String(r.status ?? (type === 'DEFAULT_5XX' ? '500' : '400'));
      if ((status === '429' || status.startsWith('5')) && !r.retry_after) p(`gateway response ${type} (${status}) has no Retry-After`);
    }
    const gr = (parsed.resource.aws_api_gateway_gateway_response || {}).this;
    if (!gr || !JSON.stringify(gr.body.response_parameters).includes('gatewayresponse.header.Retry-After')) {
      p('gateway responses must send their retry_after as Retry-After');
    }
    if (!JSON.stringify(parsed.locals.security_headers || '').includes('Access-Control-Expose-Headers')) {
      p('with CORS on, gateway responses must send Access-Control-Expose-Headers');
    }
    // the gateway's answers and the function's expose the same headers
    const define = (/#define TAPI_CORS_EXPOSE_HEADERS((?:\s*\\?\s*"[^"]*")+)/.exec(fs.readFileSync(path.join(repoRoot, 'src/lambda/apigw_event.h'), 'utf8')) || [])[1];
    const fn = define && [...define.matchAll(/"([^"]*)"/g)].map((m) => m[1]).join('');
    if (parsed.locals.cors_expose_headers !== fn) p(`cors_expose_headers "${parsed.locals.cors_expose_headers}" differs from the function's "${fn}"`);
    // the gateway's own errors are problem details like the function's (core/problem.c)
    const template = JSON.stringify(gr?.body.response_templates || '').replace(/\\/g, '');
    for (const member of ['"type":"tag:tasks-api,2026:problem/', '"title"', '"detail"', '"code"', '"requestId":"$context.requestId"', '"error":{']) {
      if (!template.includes(member)) p(`gateway responses must be problem details (RFC 9457) with ${member}`);
    }
    const headers = JSON.stringify(parsed.locals.security_headers || '').replace(/\\/g, '');
    if (!headers.includes("'application/problem+json'")) p('gateway responses must be application/problem+json');
    if (!/"gatewayresponse\.header\.X-Request-Id"\s*[=:]\s*"context\.requestId"/.test(headers)) p('gateway responses must carry X-Request-Id');
    for (const h of ['If-Match', 'If-None-Match', 'Idempotency-Key']) {
      if (!String(parsed.locals.cors_allow_headers || '').split(',').includes(h)) p(`the CORS preflight must allow ${h}`);
    }
  }
}

// Whatever API Gateway answers by itself is part of the contract too: each gateway
// response's code is in the Error enum of docs/openapi.yaml, and its status is documented.
function checkContractListsGatewayResponses(problems, rel, parsed, repoRoot) {
  const responses = parsed.locals.gateway_responses;
  if (!responses) return;
  const spec = fs.readFileSync(path.join(repoRoot, 'docs/openapi.yaml'), 'utf8');
  const enumText = (/code:\s*\n\s*type: string\s*\n\s*enum: \[([^\]]*)\]/.exec(spec) || [])[1] || '';
  const codes = new Set(enumText.split(',').map((c) => c.trim()));
  for (const [type, r] of Object.entries(responses)) {
    if (!codes.has(r.code)) problems.push(`${rel}: gateway response ${type} answers code "${r.code}", which docs/openapi.yaml does not list`);
    if (r.status && !spec.includes(`'${r.status}':`)) problems.push(`${rel}: gateway response ${type} answers ${r.status}, which docs/openapi.yaml does not document`);
  }
}

// Every role an environment creates carries the permissions boundary its deployer
// policy requires (the boundary caps what a deployer could give the function).
function checkRolesHaveBoundary(problems, rel, parsed) {
  if (!rel.startsWith('modules/')) return;
  for (const [name, { body }] of Object.entries(parsed.resource.aws_iam_role || {})) {
    if (body.permissions_boundary === undefined) problems.push(`${rel}: aws_iam_role.${name} has no permissions_boundary`);
  }
}

// Who may assume a role through GitHub's OIDC provider: only this repository, only the
// GitHub environment (or pull requests) it is for, and only for STS. A trust without the
// sub condition lets any GitHub repository in; StringLike with a wildcard, any branch.
function checkGitHubTrust(problems, rel, parsed) {
  for (const [doc, { body }] of Object.entries(parsed.data.aws_iam_policy_document || {})) {
    for (const st of body.statement || []) {
      const federated = (st.principals || []).some((pr) => pr.type === 'Federated' && /openid_connect_provider|token\.actions/.test(JSON.stringify(pr.identifiers)));
      if (!federated) continue;
      const p = (msg) => problems.push(`${rel}: trust policy "${doc}" ${msg}`);
      const conds = st.condition || [];
      const aud = conds.find((c) => /:aud$/.test(c.variable));
      if (!aud || aud.test !== 'StringEquals' || JSON.stringify(aud.values) !== '["sts.amazonaws.com"]') p('must require the audience sts.amazonaws.com (StringEquals on :aud)');
      const sub = conds.find((c) => /:sub$/.test(c.variable));
      if (!sub || sub.test !== 'StringEquals') p('must name exactly who may assume it (StringEquals on :sub)');
      else if (!sub.values.every((v) => /^repo:\$\{var\.github_repository\}:(environment:\$\{each\.key\}|pull_request)$/.test(v))) {
        p(`lets in more than this repository's environment or pull requests: ${JSON.stringify(sub.values)}`);
      }
      if (JSON.stringify(st.actions) !== '["sts:AssumeRoleWithWebIdentity"]') p('may only allow sts:AssumeRoleWithWebIdentity');
    }
  }
}

// A release reaches the alias through CodeDeploy, whose shift the environment's alarms
// roll back; Terraform must not move the alias behind CodeDeploy's back.
function checkRollout(problems, rel, parsed) {
  const p = (msg) => problems.push(`${rel}: ${msg}`);
  const group = (parsed.resource.aws_codedeploy_deployment_group || {}).this?.body;
  if (group) {
    const rb = (group.auto_rollback_configuration || [])[0] || {};
    if (rb.enabled !== true || !JSON.stringify(rb.events || '').includes('DEPLOYMENT_STOP_ON_ALARM')) p('the deployment group must roll back when an alarm fires (DEPLOYMENT_STOP_ON_ALARM)');
    if (!String(((group.alarm_configuration || [])[0] || {}).alarms || '').includes('var.rollback_alarm_names')) p('the deployment group must watch the rollback alarms');
  }
  const alias = (parsed.resource.aws_lambda_alias || {}).live?.body;
  if (alias && !JSON.stringify(alias.lifecycle || '').includes('function_version')) p('the live alias must leave its version to CodeDeploy (ignore_changes = [function_version, ...])');
  for (const [name, { body }] of Object.entries(parsed.module)) {
    if (String(body.source).endsWith('/deployment') && !String(body.rollback_alarm_names || '').includes('rollback_alarm_names')) {
      p(`module ${name} must get the monitoring module's rollback_alarm_names`);
    }
  }
  if (rel === COMPOSITION && !Object.values(parsed.module).some((m) => String(m.body.source).endsWith('/deployment'))) p('no deployment module: nothing shifts traffic to a new version');
  const out = (parsed.output.rollback_alarm_names || {}).body;
  if (out && !/error.rate/.test(JSON.stringify(out.value))) p('rollback_alarm_names must include the 5xx-share alarm');
}

// Tracing states its sampling rate: X-Ray's default rule (1/s + 5%) is costly at scale.
function checkSampling(problems, rel, parsed) {
  const stage = (parsed.resource.aws_api_gateway_stage || {}).this;
  if (stage && stage.body.xray_tracing_enabled !== undefined && !parsed.resource.aws_xray_sampling_rule) {
    problems.push(`${rel}: tracing without a sampling rule of its own (aws_xray_sampling_rule)`);
  }
}

// A custom domain serves TLS 1.2 at least, and once there is one the execute-api endpoint
// (which accepts TLS 1.0) is off.
function checkTls(problems, rel, parsed) {
  for (const [name, { body }] of Object.entries(parsed.resource.aws_api_gateway_domain_name || {})) {
    if (!/^(TLS_1_2|SecurityPolicy_TLS1[23]_)/.test(String(body.security_policy))) problems.push(`${rel}: aws_api_gateway_domain_name.${name} must use the TLS_1_2 security policy (got ${body.security_policy})`);
    const api = Object.values(parsed.resource.aws_api_gateway_rest_api || {})[0]?.body;
    if (!String(api?.disable_execute_api_endpoint || '').includes('var.domain_name')) problems.push(`${rel}: with a custom domain the execute-api endpoint (TLS 1.0) must be disabled`);
  }
}

// A function must not run before its role can do what its configuration asks for.
function checkLambdaDependsOn(problems, rel, parsed) {
  for (const [name, { body }] of Object.entries(parsed.resource.aws_lambda_function || {})) {
    const deps = JSON.stringify(body.depends_on || []);
    for (const type of ['aws_iam_role_policy', 'aws_iam_role_policy_attachment']) {
      for (const n of Object.keys(parsed.resource[type] || {})) {
        if (!deps.includes(`${type}.${n}`)) problems.push(`${rel}: aws_lambda_function.${name} does not depend on ${type}.${n}`);
      }
    }
  }
}

// The deployer policies (environments/account/deployers.tf): between them, every AWS
// service the Terraform uses (an environment's deployer for the modules, the account
// deployer for the account root), scoped; and an environment's deployer cannot escalate:
// every action that could widen a role requires the role boundary, only named managed
// policies may be attached, roles pass to Lambda only, no user pool can be deleted, no
// managed policy written, and its state is its own.
const SERVICE_OF = [
  [/^aws_dynamodb_/, 'dynamodb'], [/^aws_lambda_/, 'lambda'], [/^aws_iam_/, 'iam'],
  [/^aws_cloudwatch_log_/, 'logs'], [/^aws_api_gateway_/, 'apigateway'], [/^aws_s3_/, 's3'],
  [/^aws_cloudwatch_(metric_alarm|dashboard)$/, 'cloudwatch'], [/^aws_sns_/, 'sns'],
  [/^aws_cognito_/, 'cognito-idp'], [/^aws_kms_/, 'kms'], [/^aws_xray_/, 'xray'],
  [/^aws_cloudwatch_composite_alarm$/, 'cloudwatch'], [/^aws_wafv2_/, 'wafv2'],
  [/^aws_servicequotas_/, 'servicequotas'], [/^aws_route53_/, 'route53'], [/^aws_acm_/, 'acm'],
  [/^aws_codedeploy_/, 'codedeploy'],
];
const WIDENS_A_ROLE = ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:PutRolePermissionsBoundary',
  'iam:UpdateAssumeRolePolicy', 'iam:DetachRolePolicy', 'iam:DeleteRolePolicy'];
const NEVER_FOR_A_DEPLOYER = ['iam:DeleteRolePermissionsBoundary', 'cognito-idp:DeleteUserPool', 'iam:CreatePolicy',
  'iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:CreateUser', 'iam:AttachUserPolicy', 'iam:PutUserPolicy'];

function servicesUsed(parsed) {
  const used = new Set();
  for (const kind of ['resource', 'data']) {
    for (const type of Object.keys(parsed[kind])) {
      if (kind === 'data' && /^aws_(iam_policy_document|partition|region|caller_identity)$/.test(type)) continue; // computed locally
      for (const [re, svc] of SERVICE_OF) if (re.test(type)) used.add(svc);
    }
  }
  return used;
}

function checkDeployerPolicy(problems, root, parsedByDir) {
  const rel = ACCOUNT_ROOT;
  const p = (msg) => problems.push(`${rel}: ${msg}`);
  const account = parsedByDir[path.join(root, ACCOUNT_ROOT)];
  if (!account) return;
  const docs = account.data.aws_iam_policy_document || {};
  const allowed = (doc) => new Set((docs[doc]?.body.statement || []).filter((st) => (st.effect || 'Allow') === 'Allow')
    .flatMap((st) => st.actions || []).map((a) => a.split(':')[0]));
  for (const doc of ['deployer', 'account_deployer', 'role_boundary']) if (!docs[doc]) p(`no "${doc}" policy document`);
  const envServices = new Set();
  for (const [dir, parsed] of Object.entries(parsedByDir)) {
    if (path.relative(root, dir) !== ACCOUNT_ROOT) for (const s of servicesUsed(parsed)) envServices.add(s);
  }
  for (const svc of envServices) if (!allowed('deployer').has(svc)) p(`the environments use ${svc} but their deployer policy allows none of its actions`);
  for (const svc of servicesUsed(account)) if (!allowed('account_deployer').has(svc)) p(`the account root uses ${svc} but the account deployer policy allows none of its actions`);
  for (const st of docs.deployer?.body.statement || []) {
    if ((st.effect || 'Allow') !== 'Allow') continue;
    const acts = st.actions || [];
    const cond = (v) => (st.condition || []).some((c) => c.variable === v);
    for (const a of acts) {
      if (a === '*' || /:\*$/.test(a)) p(`deployer statement ${st.sid} allows all of "${a}"`);
      if (NEVER_FOR_A_DEPLOYER.includes(a)) p(`deployer statement ${st.sid} allows ${a}`);
      if (WIDENS_A_ROLE.includes(a) && !cond('iam:PermissionsBoundary')) p(`deployer statement ${st.sid} allows ${a} without requiring the role boundary (iam:PermissionsBoundary)`);
    }
    if (acts.includes('iam:AttachRolePolicy') && !cond('iam:PolicyARN')) p(`deployer statement ${st.sid} may attach any managed policy (no iam:PolicyARN condition)`);
    if (acts.includes('iam:PassRole') && !cond('iam:PassedToService')) p(`deployer statement ${st.sid} passes roles to any service`);
    if (acts.some((a) => a.startsWith('s3:')) && (st.resources || []).some((r) => r.includes('state_bucket_name')) &&
        !(st.resources || []).every((r) => r.includes('${each.key}') || cond('s3:prefix'))) {
      p(`deployer statement ${st.sid} reaches other environments' state`);
    }
  }
  const boundary = (docs.role_boundary?.body.statement || []).flatMap((st) => st.actions || []);
  if (boundary.some((a) => a.startsWith('iam:') || a.includes('*'))) p('the role boundary must allow no IAM action and no wildcard');
}

// Production is the one someone is on call for: these settings must hold there. The
// value a module gets in the composition is followed through the composition's variable
// to the literal prod's root passes it.
const COMPOSITION = 'modules/tasks-api';
function checkProdSettings(problems, rel, parsed, parsedByRel) {
  if (rel !== 'environments/prod') return;
  const p = (msg) => problems.push(`${rel}: ${msg}`);
  const call = Object.values(parsed.module).find((m) => String(m.body.source).endsWith('/tasks-api'))?.body || {};
  const comp = parsedByRel[COMPOSITION] || { module: {}, variable: {} };
  const value = (module, arg) => {
    const v = ((comp.module[module] || {}).body || {})[arg];
    const ref = /^\$\{var\.(\w+)\}$/.exec(String(v));
    return ref ? call[ref[1]] ?? (comp.variable[ref[1]] || {}).body?.default : v;
  };
  if (value('dynamodb', 'deletion_protection_enabled') !== true) p('the table needs deletion_protection_enabled = true');
  if (value('lambda', 'tracing_enabled') !== true) p('the function needs tracing_enabled = true');
  if (!(Number(value('lambda', 'reserved_concurrency')) > 0)) p('the function needs a reserved_concurrency above 0');
  if (!(Number(value('lambda', 'log_retention_days')) >= 30)) p('the function\'s logs need log_retention_days >= 30');
  if (value('api_gateway', 'xray_tracing_enabled') !== true) p('the stage needs xray_tracing_enabled = true');
  if (!(Number(value('api_gateway', 'log_retention_days')) >= 30)) p('the access logs need log_retention_days >= 30');
  if (value('monitoring', 'alarms_enabled') !== true) p('alarms must be on (alarms_enabled = true)');
  if (call.auth !== 'cognito') p('prod must require authentication (auth = "cognito")');
  if (!/Canary|Linear/.test(String(call.deployment_config_name))) p('prod must shift traffic gradually (a CodeDeploy canary or linear deployment_config_name)');
  if (call.waf_enabled !== true) p('prod needs the WAF (waf_enabled = true): per-IP rate limit, 413 for oversized bodies before Lambda');
}

// A reserved concurrency the account's quota cannot hold fails half-way through the first
// apply (new accounts often have 10): whoever passes one to the function reads the quota
// (Lambda's L-B99A9384) and stops the plan when it does not fit.
function checkConcurrencyQuota(problems, rel, parsed) {
  const passes = Object.values(parsed.module).some((m) => String(m.body.source).endsWith('/lambda') && m.body.reserved_concurrency !== undefined);
  if (!passes) return;
  const quota = Object.values(parsed.data.aws_servicequotas_service_quota || {}).find((q) => q.body.quota_code === 'L-B99A9384');
  if (!quota || !(quota.body.lifecycle || [])[0]?.postcondition) {
    problems.push(`${rel}: passes a reserved concurrency without checking it against the account's concurrency quota (L-B99A9384) in the plan`);
  }
}

// Environments are thin roots over the one composition and differ only in their values:
// real files (a symbolic link becomes a one-line text file in some checkouts), the same
// files, the same wiring; only literal values (and comments) may differ.
function checkEnvironmentsAreThin(problems, root) {
  const base = path.join(root, 'environments');
  const envs = fs.readdirSync(base).filter((d) => `environments/${d}` !== ACCOUNT_ROOT).sort();
  const shape = (file) => fs.readFileSync(file, 'utf8').split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').replace(/^#.*$/, ''))
    .map((l) => l.replace(/^(\s+\w+\s*=\s*)("[^"]*"|-?[0-9.]+|true|false)$/, '$1VALUE'))
    .filter((l) => l.trim() !== '').join('\n');
  let first = null;
  for (const env of envs) {
    const rel = `environments/${env}`;
    const files = fs.readdirSync(path.join(base, env)).filter((f) => f.endsWith('.tf')).sort();
    for (const f of files) if (fs.lstatSync(path.join(base, env, f)).isSymbolicLink()) problems.push(`${rel}/${f} is a symbolic link; environments hold real files`);
    const main = path.join(base, env, 'main.tf');
    if (!fs.existsSync(main)) continue;
    const text = fs.readFileSync(main, 'utf8');
    if (!/source\s*=\s*"\.\.\/\.\.\/modules\/tasks-api"/.test(text)) problems.push(`${rel}: must be a root over ${COMPOSITION}`);
    if (/^(resource|data|module "(?!tasks_api")[^"]*")/m.test(text)) problems.push(`${rel}: main.tf declares its own resources or modules; they belong in ${COMPOSITION}`);
    const me = { env, files, texts: Object.fromEntries(files.map((f) => [f, f === 'main.tf' ? shape(path.join(base, env, f)) : fs.readFileSync(path.join(base, env, f), 'utf8')])) };
    if (!first) { first = me; continue; }
    if (files.join() !== first.files.join()) problems.push(`${rel}: has files ${files.join(', ')}; environments/${first.env} has ${first.files.join(', ')}`);
    for (const f of files) {
      if (first.texts[f] !== undefined && first.texts[f] !== me.texts[f]) {
        problems.push(`${rel}/${f} differs from environments/${first.env}/${f} in more than values`);
      }
    }
  }
}

// Every environment is watched, and the watching module has every alarm an on-call
// person needs, each sent to the topic, with missing data handled explicitly.
const NEEDED_ALARMS = ['AWS/Lambda Errors', 'AWS/Lambda Throttles', 'AWS/Lambda Duration p99', 'AWS/ApiGateway 5XXError',
  'AWS/ApiGateway Latency p99', 'InitErrors'];
function checkMonitoring(problems, rel, parsed, repoRoot) {
  const p = (msg) => problems.push(`${rel}: ${msg}`);
  if (rel === COMPOSITION && !parsed.module.monitoring) p('has no monitoring module');
  const alarmRes = (parsed.resource.aws_cloudwatch_metric_alarm || {}).this;
  if (!alarmRes) return;
  const alarms = Object.values(parsed.locals.alarms || {});
  const have = new Set(alarms.map((a) => (a.metric === 'InitErrors' ? 'InitErrors' : `${a.namespace} ${a.metric}${a.extended ? ` ${a.extended}` : ''}`)));
  for (const need of NEEDED_ALARMS) if (!have.has(need)) p(`no alarm on ${need}`);
  for (const a of alarms) if (!['notBreaching', 'breaching', 'ignore', 'missing'].includes(a.missing)) p(`alarm on ${a.metric} does not say how to treat missing data`);
  const ddb = new Set(Object.values(parsed.locals.dynamodb_alarms || {}).map((a) => a.metric));
  for (const m of ['ThrottledRequests', 'SystemErrors']) if (!ddb.has(m)) p(`no alarm on AWS/DynamoDB ${m}`);
  if (!JSON.stringify(alarmRes.body.alarm_actions || '').includes('aws_sns_topic.')) p('alarms must notify the SNS topic (alarm_actions)');
  if (alarmRes.body.treat_missing_data === undefined) p('alarms must set treat_missing_data');
  const filters = Object.values(parsed.resource.aws_cloudwatch_log_metric_filter || {});
  if (!filters.some((f) => String(f.body.pattern).includes('init failed'))) p('no log metric filter on the bootstrap\'s init failures');
  if (!parsed.resource.aws_cloudwatch_dashboard) p('no CloudWatch dashboard');
  // alarms that mean something: the share of requests failing, the objective's burn
  // rate over a long and a short window, concurrency before it throttles
  const rateAlarm = Object.values(parsed.resource.aws_cloudwatch_metric_alarm || {}).some(({ body }) => {
    const queries = JSON.stringify([body.metric_query || [], body.dynamic || []]);
    return /errors \/ requests/.test(queries) && queries.includes('5XXError') && queries.includes('"Count"');
  });
  if (!rateAlarm) p('no alarm on the share of requests answered 5xx (metric math 5XXError / Count)');
  const composite = Object.values(parsed.resource.aws_cloudwatch_composite_alarm || {})[0]?.body;
  if (!composite || !/ALARM\(.*\) AND ALARM\(/.test(String(composite.alarm_rule)) || !JSON.stringify(composite.alarm_actions || '').includes('aws_sns_topic.')) {
    p('no multi-window burn-rate alarm (a composite of a long and a short window, notifying the topic)');
  }
  if (!Object.values(parsed.locals.concurrency_alarm || {}).length && !JSON.stringify(parsed.locals).includes('ConcurrentExecutions')) p('no alarm on concurrency near the reservation');
  checkRunbookLinks(p, parsed, repoRoot);
  // CloudWatch can publish to an encrypted topic only with a key whose policy lets it
  for (const [name, { body }] of Object.entries(parsed.resource.aws_sns_topic || {})) {
    const key = /^\$\{aws_kms_key\.(\w+)\.(arn|id|key_id)\}$/.exec(String(body.kms_master_key_id || ''));
    if (body.kms_master_key_id === undefined) continue;
    if (!key) { p(`aws_sns_topic.${name} is encrypted with ${body.kms_master_key_id}, whose key policy CloudWatch cannot use: alarms would never notify`); continue; }
    const policy = /^\$\{data\.aws_iam_policy_document\.(\w+)\.json\}$/.exec(String(parsed.resource.aws_kms_key?.[key[1]]?.body.policy || ''));
    const grants = policy ? ((parsed.data.aws_iam_policy_document || {})[policy[1]]?.body.statement || []).filter((st) =>
      (st.principals || []).some((pr) => [].concat(pr.identifiers).includes('cloudwatch.amazonaws.com'))).flatMap((st) => st.actions || []) : [];
    if (!grants.includes('kms:Decrypt') || !grants.includes('kms:GenerateDataKey*')) {
      p(`aws_sns_topic.${name}: the key's policy must let cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*`);
    }
  }
}

// Every alarm's description links to its entry of docs/runbook.md, and the entry exists:
// the on-call person goes from the notification to what to do in one click.
function runbookAnchors(repoRoot) {
  const file = path.join(repoRoot, 'docs/runbook.md');
  if (!fs.existsSync(file)) return null;
  return new Set([...fs.readFileSync(file, 'utf8').matchAll(/^#{2,4} +(.+)$/gm)].map((m) => m[1].trim().toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-')));
}

function checkRunbookLinks(p, parsed, repoRoot) {
  const anchors = runbookAnchors(repoRoot);
  if (!anchors) { p('docs/runbook.md is missing: alarm descriptions link to it'); return; }
  // a local is an object, or an expression (a conditional) whose text names its keys
  const keysOf = (v) => (v && typeof v === 'object' ? Object.keys(v)
    : [...String(v || '').matchAll(/\b([a-z]+(?:-[a-z0-9]+)+)\s*=\s*\{/g)].map((m) => m[1]));
  const names = [
    ...keysOf(parsed.locals.alarms), ...keysOf(parsed.locals.concurrency_alarm),
    ...keysOf(parsed.locals.dynamodb_alarms).map((k) => `dynamodb-${k}`), 'api-error-rate',
    ...keysOf(parsed.locals.burn_windows).map((k) => `burn-rate-${k}`),
  ];
  if (names.length < 10) p(`found only ${names.length} alarms to look up in docs/runbook.md`);
  for (const n of names) if (!anchors.has(n)) p(`alarm ${n} has no entry (a "${n}" heading) in docs/runbook.md`);
  const described = [
    ...Object.values(parsed.resource.aws_cloudwatch_metric_alarm || {}), ...Object.values(parsed.resource.aws_cloudwatch_composite_alarm || {}),
  ];
  for (const { body } of described) {
    if (!/ Runbook: \$\{var\.runbook_url\}#/.test(String(body.alarm_description))) p(`an alarm's description (${String(body.alarm_name)}) does not end with its runbook link`);
  }
}

// Versioned deploys: the API invokes an alias of a published version, never $LATEST.
function checkAlias(problems, rel, parsed) {
  const p = (msg) => problems.push(`${rel}: ${msg}`);
  const fn = (parsed.resource.aws_lambda_function || {}).this;
  if (fn) {
    if (fn.body.publish !== true) p('the function must publish versions (publish = true)');
    if (!parsed.resource.aws_lambda_alias) p('the function needs an alias for the API to invoke');
    const out = (parsed.output.invoke_arn || {}).body;
    if (!out || !String(out.value).includes('aws_lambda_alias.')) p('output invoke_arn must be the alias\'s invoke ARN');
  }
  for (const [name, { body }] of Object.entries(parsed.resource.aws_lambda_permission || {})) {
    if (!body.qualifier) p(`aws_lambda_permission.${name} must be scoped to the alias (qualifier)`);
  }
  for (const [name, { body }] of Object.entries(parsed.module)) {
    if (String(body.source).endsWith('/api-gateway') && !String(body.lambda_qualifier || '').includes('alias_name')) {
      p(`module ${name} must pass the alias as lambda_qualifier`);
    }
  }
}

// Authentication: the authorizer guards every route (ANY included) and never the CORS
// preflight; its refusals keep the error shape with a challenge; a browser may send
// Authorization; and an environment that turns the authorizer on tells the function to
// read owners from the claims (else every user would share one task list).
function checkAuth(problems, rel, parsed) {
  const p = (msg) => problems.push(`${rel}: ${msg}`);
  if (parsed.resource.aws_api_gateway_authorizer) {
    const route = (parsed.resource.aws_api_gateway_method || {}).route;
    const auth = String(route?.body.authorization || '');
    if (!auth.includes('COGNITO_USER_POOLS') || !String(route?.body.authorizer_id || '').includes('aws_api_gateway_authorizer.')) {
      p('the route methods (ANY included) must use the Cognito authorizer when it is on');
    }
    const options = (parsed.resource.aws_api_gateway_method || {}).options;
    if (options && options.body.authorization !== 'NONE') p('the CORS preflight (OPTIONS) must not require authorization');
    const r = (parsed.locals.gateway_responses || {}).UNAUTHORIZED;
    if (!r || String(r.status) !== '401' || r.code !== 'unauthorized') p('no UNAUTHORIZED gateway response (401 unauthorized)');
    const gr = (parsed.resource.aws_api_gateway_gateway_response || {}).this;
    if (!JSON.stringify(gr?.body.response_parameters || '').includes('gatewayresponse.header.WWW-Authenticate')) {
      p('the 401 gateway response must send WWW-Authenticate');
    }
    if (!/Authorization/.test(String(parsed.locals.cors_allow_headers || ''))) p('the CORS preflight must allow the Authorization header');
  }
  for (const [name, { body }] of Object.entries(parsed.module)) {
    if (String(body.source).endsWith('/api-gateway') && body.cognito_user_pool_arns !== undefined) {
      const lambda = Object.values(parsed.module).find((m) => String(m.body.source).endsWith('/lambda'));
      if (!lambda || lambda.body.auth_mode === undefined) p(`module ${name} can turn the authorizer on, but the lambda module gets no auth_mode`);
    }
  }
  const fn = (parsed.resource.aws_lambda_function || {}).this;
  if (fn && parsed.variable.auth_mode && !JSON.stringify(fn.body.environment || '').includes('TASKS_AUTH')) {
    p('the function must get TASKS_AUTH from auth_mode');
  }
}

// The code deployed must be the artifact built for the function's architecture, from S3
// by its recorded hash (a mismatch fails every invocation with Runtime.InvalidEntrypoint;
// a local build/ path would make rollback and destroy need a rebuild of HEAD).
function checkArchitecture(problems, rel, parsed) {
  const p = (msg) => problems.push(`${rel}: ${msg}`);
  const fn = (parsed.resource.aws_lambda_function || {}).this;
  if (fn && parsed.variable.architecture && JSON.stringify(fn.body.architectures) !== JSON.stringify(['${var.architecture}'])) {
    p('the function must run on var.architecture (architectures = [var.architecture])');
  }
  for (const [name, { body }] of Object.entries(parsed.module)) {
    if (!String(body.source).endsWith('/lambda')) continue;
    if (body.architecture !== '${var.architecture}') p(`module ${name} must get the environment's architecture`);
    const local = /^\$\{local\.(\w+)\}$/.exec(String(body.s3_key));
    const key = String(local ? parsed.locals[local[1]] : body.s3_key);
    if (!/lambda-\$\{var\.architecture\}\/\$\{var\.artifact_sha256\}\.zip$/.test(key) || !/artifact_sha256/.test(String(body.package_sha256))) {
      p(`module ${name}: the artifact must follow the architecture and its recorded hash (<prefix>/lambda-<architecture>/<sha256>.zip)`);
    }
    if (body.package_path !== undefined || body.filename !== undefined) p(`module ${name}: deploys a local file; environments deploy the published artifact from S3`);
  }
}

/** Validates every module and environment under root; returns a list of problems. */
export async function validateTree(root) {
  const problems = [];
  const dirs = [];
  for (const top of ['modules', 'environments']) {
    const base = path.join(root, top);
    if (!fs.existsSync(base)) continue;
    for (const d of fs.readdirSync(base).sort()) dirs.push(path.join(base, d));
  }
  const parsedByDir = {};
  for (const d of dirs) parsedByDir[d] = await parseDir(d);
  const parsedByRel = Object.fromEntries(dirs.map((d) => [path.relative(root, d), parsedByDir[d]]));
  for (const d of dirs) {
    const rel = path.relative(root, d);
    const parsed = parsedByDir[d];
    for (const f of ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf']) {
      if (!fs.existsSync(path.join(d, f))) problems.push(`${rel}: missing ${f}`);
    }
    if (!fs.existsSync(path.join(d, 'README.md'))) problems.push(`${rel}: missing README.md`);
    const modulesByName = {};
    for (const [name, { body }] of Object.entries(parsed.module)) {
      const src = path.resolve(d, body.source);
      modulesByName[name] = parsedByDir[src] || (fs.existsSync(src) ? await parseDir(src) : undefined);
    }
    checkSchema(problems, rel, parsed);
    checkVariables(problems, rel, parsed);
    checkModuleCalls(problems, rel, parsed, modulesByName);
    checkReferences(problems, rel, parsed, modulesByName);
    checkPolicy(problems, rel, parsed, root);
    checkAccountLevel(problems, rel, parsed);
    checkRequiredVersion(problems, rel, parsed);
    checkNoDefaultRegion(problems, rel, parsed);
    checkStateBucket(problems, rel, parsed);
    checkApiGateway(problems, rel, parsed, root);
    checkLambdaDependsOn(problems, rel, parsed);
    checkRolesHaveBoundary(problems, rel, parsed);
    checkTls(problems, rel, parsed);
    checkSampling(problems, rel, parsed);
    checkGitHubTrust(problems, rel, parsed);
    checkRollout(problems, rel, parsed);
    checkContractListsGatewayResponses(problems, rel, parsed, root);
    checkProdSettings(problems, rel, parsed, parsedByRel);
    checkConcurrencyQuota(problems, rel, parsed);
    checkMonitoring(problems, rel, parsed, root);
    checkAlias(problems, rel, parsed);
    checkAuth(problems, rel, parsed);
    checkArchitecture(problems, rel, parsed);
  }
  // each environment keeps its own state
  const keys = new Map();
  for (const d of dirs) {
    const f = path.join(d, 'backend.hcl.example');
    if (!fs.existsSync(f)) continue;
    const key = (/^key\s*=\s*"([^"]+)"/m.exec(fs.readFileSync(f, 'utf8')) || [])[1];
    const rel = path.relative(root, d);
    if (!key) problems.push(`${rel}: backend.hcl.example has no key`);
    else if (keys.has(key)) problems.push(`${rel}: backend.hcl.example shares its state key with ${keys.get(key)}`);
    else keys.set(key, rel);
  }
  checkDeployerPolicy(problems, root, parsedByDir);
  if (fs.existsSync(path.join(root, 'environments'))) checkEnvironmentsAreThin(problems, root);
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = path.resolve(process.argv[2] || '.');
  const problems = await validateTree(root);
  for (const p of problems) console.log(`terraform: ${p}`);
  if (problems.length) process.exit(1);
  console.log('terraform: offline validation passed (schema, wiring, policy)');
}
