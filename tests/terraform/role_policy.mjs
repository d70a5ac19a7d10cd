// Renders, from the Terraform itself, what a least-privilege test against a DynamoDB
// emulator needs: the Lambda role's policy (modules/lambda, data.aws_iam_policy_document
// .this) with its ARNs mapped to the given account/region/table, and the table definition
// (modules/dynamodb). Only the expressions those blocks use are evaluated; anything else
// is an error, so the test cannot silently drift from the Terraform.
// Usage: node tests/terraform/role_policy.mjs ACCOUNT REGION TABLE  -> JSON on stdout
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const hcl2json = require('@cdktf/hcl2json');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const [account, region, table] = process.argv.slice(2);
if (!table) throw new Error('usage: role_policy.mjs ACCOUNT REGION TABLE');

const parse = async (rel) => hcl2json.parse(rel, fs.readFileSync(path.join(ROOT, rel), 'utf8'));

/** Evaluates the HCL expressions of a value in a context of known names. */
function evaluate(value, ctx) {
  if (Array.isArray(value)) return value.flatMap((v) => [].concat(evaluate(v, ctx)));
  if (typeof value !== 'string') return value;
  const whole = /^\$\{([^}]*)\}$/.exec(value);
  const js = (expr) => {
    const code = expr.replace(/\bvar\./g, 'v.').replace(/\blocal\./g, 'l.').replace(/\b(aws_\w+)\.(\w+)\.(\w+)/g, 'r["$1.$2"].$3');
    if (!/^[\w.\[\]", ()"]+$/.test(code.replace(/r\["[\w.]+"\]/g, 'r'))) throw new Error(`cannot evaluate ${expr}`);
    const result = new Function('v', 'l', 'r', 'concat', `return (${code});`)(ctx.var, ctx.local, ctx.resource, (...xs) => xs.flat());
    if (result === undefined || (Array.isArray(result) && result.includes(undefined))) throw new Error(`unknown name in ${expr}`);
    return result;
  };
  if (whole && !whole[1].includes('${')) return js(whole[1]);
  return value.replace(/\$\{([^}]*)\}/g, (_, e) => js(e));
}

const ddbMain = await parse('modules/dynamodb/main.tf');
const ddbOut = await parse('modules/dynamodb/outputs.tf');
const lambdaMain = await parse('modules/lambda/main.tf');

const tableDef = ddbMain.resource.aws_dynamodb_table.this[0];
const tableArn = `arn:aws:dynamodb:${region}:${account}:table/${table}`;
const ddbCtx = {
  var: { name: table },
  local: Object.assign({}, ...ddbMain.locals),
  resource: { 'aws_dynamodb_table.this': { arn: tableArn } },
};
const indexArns = evaluate(ddbOut.output.index_arns[0].value, ddbCtx);

const fn = `tasks-moto`;
const lambdaCtx = {
  var: { table_arn: tableArn, table_index_arns: indexArns, function_name: fn },
  local: {},
  resource: { 'aws_cloudwatch_log_group.this': { arn: `arn:aws:logs:${region}:${account}:log-group:/aws/lambda/${fn}` } },
};
const doc = lambdaMain.data.aws_iam_policy_document.this[0];
const policy = {
  Version: '2012-10-17',
  Statement: doc.statement.map((st) => ({
    Sid: st.sid,
    Effect: st.effect || 'Allow',
    Action: evaluate(st.actions, lambdaCtx),
    Resource: evaluate(st.resources, lambdaCtx),
  })),
};

const createTable = {
  TableName: table,
  BillingMode: tableDef.billing_mode,
  AttributeDefinitions: tableDef.attribute.map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
  KeySchema: [{ AttributeName: tableDef.hash_key, KeyType: 'HASH' }],
  GlobalSecondaryIndexes: tableDef.global_secondary_index.map((gsi) => ({
    IndexName: evaluate(gsi.name, ddbCtx),
    KeySchema: [{ AttributeName: gsi.hash_key, KeyType: 'HASH' }, { AttributeName: gsi.range_key, KeyType: 'RANGE' }],
    Projection: { ProjectionType: gsi.projection_type },
  })),
};
console.log(JSON.stringify({ policy, createTable }, null, 2));
