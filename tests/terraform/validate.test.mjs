// The offline Terraform checks pass on the real tree, and each one bites: a copy of the
// tree broken in one way must produce exactly the expected complaint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateTree } from './validate.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function brokenCopy(file, from, to) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-broken-'));
  for (const d of ['modules', 'environments', 'src/store', 'src/lambda', 'docs']) fs.cpSync(path.join(ROOT, d), path.join(dir, d), { recursive: true, verbatimSymlinks: true });
  const target = path.join(dir, file);
  const text = fs.readFileSync(target, 'utf8');
  // a string is replaced once; a /g RegExp everywhere
  assert.ok(typeof from === 'string' ? text.includes(from) : text.match(from), `${file} does not contain ${from}`);
  fs.writeFileSync(target, text.replace(from, to));
  return dir;
}

async function expectProblem(file, from, to, pattern) {
  const dir = brokenCopy(file, from, to);
  try {
    const problems = await validateTree(dir);
    assert.ok(problems.some((p) => pattern.test(p)), `no problem matching ${pattern}; got:\n${problems.join('\n')}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('the real tree passes every check', async () => {
  assert.deepEqual(await validateTree(ROOT), []);
});

const CASES = [
  ['a misspelled resource argument', 'modules/dynamodb/main.tf', 'billing_mode ', 'billing_mod  ', /unknown argument or block "billing_mod"/],
  ['a misspelled nested block argument', 'modules/dynamodb/main.tf', 'projection_type', 'projection_typ', /global_secondary_index: unknown argument or block "projection_typ"/],
  ['an unknown resource type', 'modules/lambda/main.tf', 'resource "aws_cloudwatch_log_group"', 'resource "aws_cloudwatch_loggroup"', /unknown resource type/],
  ['a missing variable declaration', 'modules/lambda/variables.tf', 'variable "log_level" {', 'variable "log_levels" {', /undeclared var\.log_level|does not declare/],
  ['a missing required module input', 'modules/tasks-api/main.tf', '  table_arn            = module.dynamodb.table_arn\n', '', /does not pass required variable "table_arn"/],
  ['an undeclared module output', 'modules/tasks-api/main.tf', 'module.dynamodb.index_arns', 'module.dynamodb.index_arn', /has no output "index_arn"/],
  ['an undeclared local', 'modules/api-gateway/main.tf', 'for_each = local.routes\n\n  rest_api_id      ', 'for_each = local.route\n\n  rest_api_id      ', /undeclared local\.route/],
  ['a dangling resource reference', 'modules/lambda/main.tf', 'role   = aws_iam_role.this.id', 'role   = aws_iam_role.that.id', /undeclared resource aws_iam_role\.that/],
  ['a dynamodb:* action', 'modules/lambda/main.tf', '"dynamodb:Query",', '"dynamodb:*",', /wildcard action "dynamodb:\*"/],
  ['an action the code never calls', 'modules/lambda/main.tf', '"dynamodb:Query",', '"dynamodb:Query",\n      "dynamodb:Scan",', /DynamoDB actions must be exactly/],
  ['a "*" resource', 'modules/lambda/main.tf', 'resources = ["${aws_cloudwatch_log_group.this.arn}:log-stream:*"]', 'resources = ["*"]', /grants resource "\*"/],
  ['a broad managed policy', 'modules/lambda/main.tf', 'policy/AWSXRayDaemonWriteAccess', 'policy/AdministratorAccess', /broad managed policy/],
  ['a route without a method', 'modules/api-gateway/main.tf', '"task-PATCH"  = { resource = "task", method = "PATCH" }', '', /route PATCH \/tasks\/\{id\} has no method/],
  ['a non-proxy integration', 'modules/api-gateway/main.tf', 'type                    = "AWS_PROXY"', 'type                    = "AWS"', /AWS_PROXY integration/],
  ['a Lambda permission without source_arn', 'modules/api-gateway/main.tf', '  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/*/*"\n', '', /has no source_arn/],
  ['a log group without retention', 'modules/lambda/main.tf', '  retention_in_days = var.log_retention_days\n', '', /no retention_in_days/],
  ['a table without point-in-time recovery', 'modules/dynamodb/main.tf', 'point_in_time_recovery {\n    enabled = true', 'point_in_time_recovery {\n    enabled = false', /point_in_time_recovery/],
  ['an index the code does not use', 'modules/dynamodb/main.tf', 'list_index_name   = "by-created"', 'list_index_name   = "by-date"', /needs GSI "by-created"/],
  ['no status index', 'modules/dynamodb/main.tf', 'status_index_name = "by-status"', 'status_index_name = "by-state"', /needs GSI "by-status" \(hash_key statusShard/],
  ['a variable without a type', 'modules/dynamodb/variables.tf', '  type        = bool\n', '', /has no type/],
  ['account-level API Gateway settings in a module', 'modules/api-gateway/main.tf', 'resource "aws_api_gateway_rest_api" "this" {',
    'resource "aws_api_gateway_account" "sneaky" {\n  cloudwatch_role_arn = "arn:aws:iam::123456789012:role/x"\n}\n\nresource "aws_api_gateway_rest_api" "this" {',
    /modules\/api-gateway: manages account-level API Gateway settings \(aws_api_gateway_account\)/],
  ['account-level API Gateway settings in the composition', 'modules/tasks-api/main.tf', 'module "dynamodb" {',
    'resource "aws_api_gateway_account" "this" {\n  cloudwatch_role_arn = "arn:aws:iam::123456789012:role/x"\n}\n\nmodule "dynamodb" {',
    /modules\/tasks-api: manages account-level API Gateway settings/],
  ['an environment with resources of its own', 'environments/dev/main.tf', 'module "tasks_api" {',
    'resource "aws_sns_topic" "extra" {\n  name = "x"\n}\n\nmodule "tasks_api" {', /environments\/dev: main\.tf declares its own resources/],
  ['an account root without the API Gateway account settings', 'environments/account/main.tf', 'resource "aws_api_gateway_account" "this" {', 'resource "aws_api_gateway_rest_api" "this" {',
    /environments\/account: must manage API Gateway's account CloudWatch role/],
  ['a required_version older than use_lockfile', 'environments/dev/versions.tf', 'required_version = ">= 1.10"', 'required_version = ">= 1.6"',
    /environments\/dev: required_version must be ">= 1\.10"/],
  ['a deployment trigger that leaves out the OPTIONS method responses', 'modules/api-gateway/main.tf', ' aws_api_gateway_method_response.options[k].id,', '',
    /triggers leave out aws_api_gateway_method_response\.options/],
  ['a deployment trigger that hashes whole objects', 'modules/api-gateway/main.tf', '[for k, r in aws_api_gateway_gateway_response.this : [k, r.id]]',
    'aws_api_gateway_gateway_response.this', /triggers hash the whole object aws_api_gateway_gateway_response\.this/],
  ['a throttled gateway response without Retry-After', 'modules/api-gateway/main.tf', 'code = "too_many_requests", title = "Too many requests", retry_after = "1"', 'code = "too_many_requests", title = "Too many requests", retry_after = null',
    /gateway response THROTTLED \(429\) has no Retry-After/],
  ['gateway responses that drop Retry-After', 'modules/api-gateway/main.tf', '{ "gatewayresponse.header.Retry-After" = "\'${each.value.retry_after}\'" }', '{}',
    /must send their retry_after as Retry-After/],
  ['CORS gateway responses without Expose-Headers', 'modules/api-gateway/main.tf', '      "gatewayresponse.header.Access-Control-Expose-Headers" = "\'${local.cors_expose_headers}\'"\n', '',
    /must send Access-Control-Expose-Headers/],
  ['a function that does not wait for its X-Ray policy', 'modules/lambda/main.tf', '    aws_iam_role_policy_attachment.xray,\n', '',
    /does not depend on aws_iam_role_policy_attachment\.xray/],
  ['an Allow with a wildcard action in a bucket policy', 'modules/private-bucket/main.tf', 'effect    = "Deny"', 'effect    = "Allow"',
    /policy document "tls_only" grants wildcard action "s3:\*"/],
  ['an environment with a default region', 'environments/dev/variables.tf', '  description = "AWS region of the stack.', '  default     = "eu-west-1"\n  description = "AWS region of the stack.',
    /environments\/dev: variable "region" must have no default/],
  ['a deployer policy without the table', 'environments/account/deployers.tf', /"dynamodb:[A-Za-z]+"/g, '"s3:GetObject"',
    /the environments use dynamodb but their deployer policy allows none of its actions/],
  ['a deployer policy that allows a whole service', 'environments/account/deployers.tf', '"lambda:CreateFunction",', '"lambda:*",',
    /deployer statement Function allows all of "lambda:\*"/],
  // a deployer that cannot escalate
  ['a deployer that may create roles without the boundary', 'environments/account/deployers.tf', 'variable = "iam:PermissionsBoundary"', 'variable = "aws:RequestTag/Name"',
    /deployer statement ChangeOwnRolesWithinTheBoundary allows iam:CreateRole without requiring the role boundary/],
  ['a deployer that may attach any managed policy', 'environments/account/deployers.tf', 'variable = "iam:PolicyARN"', 'variable = "iam:PolicyArn2"',
    /deployer statement AttachOnlyNamedManagedPolicies may attach any managed policy/],
  ['a deployer that may delete user pools', 'environments/account/deployers.tf', '"cognito-idp:DescribeUserPool",', '"cognito-idp:DescribeUserPool", "cognito-idp:DeleteUserPool",',
    /deployer statement UserPools allows cognito-idp:DeleteUserPool/],
  ['a deployer that may lift a boundary', 'environments/account/deployers.tf', '"iam:GetRole", "iam:GetRolePolicy",', '"iam:GetRole", "iam:DeleteRolePermissionsBoundary", "iam:GetRolePolicy",',
    /deployer statement ReadAndTagOwnRoles allows iam:DeleteRolePermissionsBoundary/],
  ['a deployer that reaches every environment\'s state', 'environments/account/deployers.tf', ':${var.state_bucket_name}/${var.name_prefix}/${each.key}/*"', ':${var.state_bucket_name}/*"',
    /deployer statement OwnState reaches other environments' state/],
  ['a function role without the boundary', 'modules/lambda/main.tf', '  permissions_boundary = var.permissions_boundary_arn\n', '',
    /modules\/lambda: aws_iam_role\.this has no permissions_boundary/],
  ['a role boundary that allows IAM', 'environments/account/deployers.tf', 'actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]', 'actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "iam:PassRole"]',
    /the role boundary must allow no IAM action/],
  ['prod without deletion protection', 'environments/prod/main.tf', 'deletion_protection_enabled = true', 'deletion_protection_enabled = false',
    /environments\/prod: the table needs deletion_protection_enabled = true/],
  ['prod without tracing', 'environments/prod/main.tf', 'tracing_enabled             = true', 'tracing_enabled             = false',
    /environments\/prod: the function needs tracing_enabled = true/],
  ['prod without reserved concurrency', 'environments/prod/main.tf', 'lambda_reserved_concurrency = 100', 'lambda_reserved_concurrency = -1',
    /environments\/prod: the function needs a reserved_concurrency above 0/],
  ['prod with short log retention', 'environments/prod/main.tf', 'log_retention_days          = 90', 'log_retention_days          = 14',
    /environments\/prod: the function's logs need log_retention_days >= 30/],
  ['prod without alarms', 'environments/prod/main.tf', 'alarms_enabled              = true', 'alarms_enabled              = false',
    /environments\/prod: alarms must be on/],
  ['prod open to anyone', 'environments/prod/main.tf', 'auth                        = "cognito"', 'auth                        = "none"',
    /environments\/prod: prod must require authentication/],
  ['prod without the WAF', 'environments/prod/main.tf', 'waf_enabled                 = true', 'waf_enabled                 = false',
    /environments\/prod: prod needs the WAF/],
  ['an environment whose wiring differs from the others\'', 'environments/prod/main.tf', 'architecture                 = var.architecture', 'architecture                 = "arm64"',
    /environments\/prod\/main\.tf differs from environments\/dev\/main\.tf in more than values/],
  ['an environment with an output the others lack', 'environments/prod/outputs.tf', 'output "region" {', 'output "where" {',
    /environments\/prod\/outputs\.tf differs from environments\/dev\/outputs\.tf/],
  ['an environment that leaves a setting unset', 'environments/dev/main.tf', '  lambda_timeout              = 10\n', '',
    /environments\/dev: .*does not pass required variable "lambda_timeout"/],
  ['prod sharing dev\'s state key', 'environments/prod/backend.hcl.example', 'tasks-api/prod/', 'tasks-api/dev/', /environments\/prod: backend\.hcl\.example shares its state key with environments\/dev/],
  ['a composition without monitoring', 'modules/tasks-api/main.tf', 'module "monitoring" {', 'module "watching" {', /modules\/tasks-api: has no monitoring module/],
  ['no alarm on function errors', 'modules/monitoring/main.tf', 'metric = "Errors"', 'metric = "Invocations"', /no alarm on AWS\/Lambda Errors/],
  ['no alarm on API 5xx', 'modules/monitoring/main.tf', 'metric = "5XXError"', 'metric = "4XXError"', /no alarm on AWS\/ApiGateway 5XXError/],
  ['no alarm on DynamoDB system errors', 'modules/monitoring/main.tf', 'metric      = "SystemErrors"', 'metric      = "UserErrors"', /no alarm on AWS\/DynamoDB SystemErrors/],
  ['alarms that notify nobody', 'modules/monitoring/main.tf', '  alarm_actions       = [aws_sns_topic.alarms.arn]\n', '', /alarms must notify the SNS topic/],
  ['an alarm without a missing-data policy', 'modules/monitoring/main.tf', 'threshold   = var.api_5xx_threshold, missing = "notBreaching"', 'threshold   = var.api_5xx_threshold, missing = "sometimes"',
    /alarm on 5XXError does not say how to treat missing data/],
  ['no init-error metric filter', 'modules/monitoring/main.tf', 'pattern        = "{ $.msg = \\"init failed*\\" }"', 'pattern        = "{ $.level = \\"error\\" }"',
    /no log metric filter on the bootstrap's init failures/],
  ['a function that publishes no versions', 'modules/lambda/main.tf', 'publish                        = true', 'publish                        = false', /must publish versions/],
  ['an API that invokes $LATEST', 'modules/lambda/outputs.tf', 'value       = aws_lambda_alias.live.invoke_arn', 'value       = aws_lambda_function.this.invoke_arn',
    /output invoke_arn must be the alias's invoke ARN/],
  ['an invoke permission not scoped to the alias', 'modules/api-gateway/main.tf', '  qualifier     = var.lambda_qualifier', '', /aws_lambda_permission\.api must be scoped to the alias/],
  ['a state bucket without versioning', 'modules/private-bucket/main.tf', 'status = "Enabled"', 'status = "Suspended"', /the state bucket needs versioning Enabled/],
  ['a state bucket that allows public policies', 'modules/private-bucket/main.tf', 'block_public_policy     = true', 'block_public_policy     = false', /the state bucket needs every public access block on/],
  ['a state bucket that takes plain HTTP', 'modules/private-bucket/main.tf', 'values   = ["false"]', 'values   = ["true"]', /denies requests without TLS/],
  ['an alarm without a runbook entry', 'docs/runbook.md', '### lambda-throttles\n', '### throttles\n',
    /alarm lambda-throttles has no entry \(a "lambda-throttles" heading\) in docs\/runbook\.md/],
  ['a burn-rate alarm without a runbook link', 'modules/monitoring/main.tf', ' Runbook: ${var.runbook_url}#burn-rate-${each.key}"', '"',
    /an alarm's description .* does not end with its runbook link/],
  ['gateway errors in the old shape', 'modules/api-gateway/main.tf', '"{\\"type\\":\\"tag:tasks-api,2026:problem/${each.value.code}\\",', '"{',
    /gateway responses must be problem details/],
  ['gateway errors without a request id', 'modules/api-gateway/main.tf', '      "gatewayresponse.header.X-Request-Id"           = "context.requestId"\n', '',
    /gateway responses must carry X-Request-Id/],
  ['a gateway error code missing from the contract', 'docs/openapi.yaml', ' quota_exceeded,', '',
    /gateway response QUOTA_EXCEEDED answers code "quota_exceeded", which docs\/openapi.yaml does not list/],
  ['a gateway status missing from the contract', 'docs/openapi.yaml', / {8}'504': \{ \$ref: '#\/components\/responses\/GatewayTimeout' \}\n/g, '',
    /gateway response INTEGRATION_TIMEOUT answers 504, which docs\/openapi.yaml does not document/],
  // authentication
  ['route methods without the authorizer', 'modules/api-gateway/main.tf', 'authorization = local.auth_enabled ? "COGNITO_USER_POOLS" : "NONE"', 'authorization = "NONE"',
    /the route methods \(ANY included\) must use the Cognito authorizer/],
  ['the authorizer on the CORS preflight', 'modules/api-gateway/main.tf', 'http_method   = "OPTIONS"\n  authorization = "NONE"', 'http_method   = "OPTIONS"\n  authorization = "COGNITO_USER_POOLS"',
    /the CORS preflight \(OPTIONS\) must not require authorization/],
  ['no UNAUTHORIZED gateway response', 'modules/api-gateway/main.tf', /\n    UNAUTHORIZED .*\n/, '\n',
    /no UNAUTHORIZED gateway response/],
  ['a 401 without a challenge', 'modules/api-gateway/main.tf', '{ "gatewayresponse.header.WWW-Authenticate" = "\'Bearer\'" }', '{}',
    /must send WWW-Authenticate/],
  ['a preflight that does not allow Authorization', 'modules/api-gateway/main.tf', 'cors_allow_headers = "Authorization,Content-Type,X-Api-Key,', 'cors_allow_headers = "Content-Type,X-Api-Key,',
    /must allow the Authorization header/],
  ['an environment that turns the authorizer on but not the function', 'modules/tasks-api/main.tf', '  auth_mode            = var.auth\n', '',
    /can turn the authorizer on, but the lambda module gets no auth_mode/],
  ['a function that ignores auth_mode', 'modules/lambda/main.tf', ', var.auth_mode == "cognito" ? { TASKS_AUTH = "cognito" } : {})', ')',
    /must get TASKS_AUTH from auth_mode/],
  ['a deployer policy without Cognito', 'environments/account/deployers.tf', /"cognito-idp:[A-Za-z]+"/g, '"iam:GetRole"',
    /use cognito-idp but their deployer policy allows none of its actions/],
  ['a 401 the contract does not list', 'docs/openapi.yaml', '                 unauthorized, method_not_allowed,', '                 method_not_allowed,',
    /gateway response UNAUTHORIZED answers code "unauthorized", which docs\/openapi.yaml does not list/],
  ['a gateway that exposes other headers than the function', 'modules/api-gateway/main.tf', ', Allow, X-Request-Id"', '"',
    /cors_expose_headers .* differs from the function's/],
  ['a preflight that does not allow If-Match', 'modules/api-gateway/main.tf', ',If-Match,If-None-Match', ',If-None-Match',
    /the CORS preflight must allow If-Match/],
  // architecture
  ['a function pinned to x86_64', 'modules/lambda/main.tf', 'architectures                  = [var.architecture]', 'architectures                  = ["x86_64"]',
    /the function must run on var\.architecture/],
  ['an arm64 environment that deploys the x86_64 artifact', 'modules/tasks-api/main.tf', '/lambda-${var.architecture}/', '/lambda-x86_64/',
    /module lambda: the artifact must follow the architecture and its recorded hash/],
  ['a function deployed from a local zip', 'modules/lambda/main.tf', '  s3_bucket                      = var.s3_bucket\n  s3_key                         = var.s3_key\n', '  filename = "../../build/lambda.zip"\n',
    /must deploy the artifact from S3 \(s3_bucket, s3_key\), never a local file/],
  ['an environment that does not pass its architecture', 'modules/tasks-api/main.tf', '  architecture         = var.architecture\n', '',
    /module lambda must get the environment's architecture/],
  ['a reservation not checked against the account quota', 'modules/tasks-api/main.tf', 'quota_code   = "L-B99A9384"', 'quota_code   = "L-00000000"',
    /passes a reserved concurrency without checking it against the account's concurrency quota/],
  ['a custom domain that accepts TLS 1.0', 'modules/api-gateway/main.tf', 'security_policy          = "TLS_1_2"', 'security_policy          = "TLS_1_0"',
    /must use the TLS_1_2 security policy/],
  ['a custom domain beside an open execute-api endpoint', 'modules/api-gateway/main.tf', '  disable_execute_api_endpoint = var.domain_name != null\n', '',
    /the execute-api endpoint \(TLS 1\.0\) must be disabled/],
  ['no 5xx-share alarm', 'modules/monitoring/main.tf', 'requests = "Count"', 'requests = "4XXError"',
    /no alarm on the share of requests answered 5xx/],
  ['a burn-rate alarm on one window only', 'modules/monitoring/main.tf', ') AND ALARM(', ') OR ALARM(',
    /no multi-window burn-rate alarm/],
  ['tracing at X-Ray\'s default rate', 'modules/api-gateway/main.tf', 'resource "aws_xray_sampling_rule" "this" {', 'resource "aws_xray_group" "this" {',
    /tracing without a sampling rule of its own/],
  // gradual rollout with automatic rollback
  ['prod released all at once', 'environments/prod/main.tf', '"CodeDeployDefault.LambdaCanary10Percent5Minutes"', '"CodeDeployDefault.LambdaAllAtOnce"',
    /prod must shift traffic gradually/],
  ['a shift the alarms do not roll back', 'modules/deployment/main.tf', '["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]', '["DEPLOYMENT_FAILURE"]',
    /must roll back when an alarm fires/],
  ['a deployment group that watches no alarms', 'modules/deployment/main.tf', 'alarms  = var.rollback_alarm_names', 'alarms  = []',
    /must watch the rollback alarms/],
  ['Terraform moving the alias behind CodeDeploy', 'modules/lambda/main.tf', 'ignore_changes = [function_version, routing_config]', 'ignore_changes = [routing_config]',
    /the live alias must leave its version to CodeDeploy/],
  ['a deployment without the environment\'s alarms', 'modules/tasks-api/main.tf', 'rollback_alarm_names     = module.monitoring.rollback_alarm_names', 'rollback_alarm_names     = []',
    /module deployment must get the monitoring module's rollback_alarm_names/],
  // GitHub's OIDC trust
  ['a deploy role any GitHub repository may assume', 'environments/account/github.tf', 'variable = "${local.github_host}:sub"\n      values   = ["repo:${var.github_repository}:environment:${each.key}"]',
    'variable = "${local.github_host}:actor"\n      values   = ["someone"]', /trust policy "github_deploy_trust" must name exactly who may assume it/],
  ['a deploy role any branch may assume', 'environments/account/github.tf', 'values   = ["repo:${var.github_repository}:environment:${each.key}"]',
    'values   = ["repo:${var.github_repository}:*"]', /trust policy "github_deploy_trust" lets in more than this repository's environment/],
  ['a plan role without the audience', 'environments/account/github.tf', /values   = \["sts\.amazonaws\.com"\]/g, 'values   = ["anything"]',
    /trust policy "github_plan_trust" must require the audience sts\.amazonaws\.com/],
  ['a trust that lets GitHub do more than assume', 'environments/account/github.tf', 'actions = ["sts:AssumeRoleWithWebIdentity"]', 'actions = ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]',
    /trust policy "github_deploy_trust" may only allow sts:AssumeRoleWithWebIdentity/],
  // alarms that can notify
  ['an alarm topic on the AWS managed key', 'modules/monitoring/main.tf', 'kms_master_key_id = aws_kms_key.alarms.arn', 'kms_master_key_id = "alias/aws/sns"',
    /aws_sns_topic\.alarms is encrypted with alias\/aws\/sns, whose key policy CloudWatch cannot use/],
  ['a topic key CloudWatch may not use', 'modules/monitoring/main.tf', 'actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]', 'actions   = ["kms:Decrypt"]',
    /the key's policy must let cloudwatch\.amazonaws\.com kms:Decrypt and kms:GenerateDataKey\*/],
  ['a key policy granting all of KMS to a service', 'modules/monitoring/main.tf', 'actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]', 'actions   = ["kms:*"]',
    /key policy "alarm_key" grants all of KMS to someone other than the account's root/],
  ['a key policy open to every alarm of any account', 'modules/monitoring/main.tf', 'variable = "aws:SourceArn"', 'variable = "aws:SourceVpc"',
    /key policy "alarm_key" grants a service without an aws:SourceArn condition/],
  ['a deployer policy without KMS', 'environments/account/deployers.tf', /"kms:[A-Za-z*]+"/g, '"iam:GetRole"',
    /use kms but their deployer policy allows none of its actions/],
  ['a table without TTL on the idempotency tombstones', 'modules/dynamodb/main.tf', 'attribute_name = "expiresAt"', 'attribute_name = "ttl"',
    /needs ttl \{ attribute_name = "expiresAt"/],
];

for (const [name, file, from, to, pattern] of CASES) {
  test(`catches ${name}`, () => expectProblem(file, from, to, pattern));
}

test('catches an environment file that is a symbolic link', async () => {
  const dir = brokenCopy('environments/prod/versions.tf', 'terraform {', 'terraform {');
  try {
    fs.rmSync(path.join(dir, 'environments/prod/versions.tf'));
    fs.symlinkSync('../dev/versions.tf', path.join(dir, 'environments/prod/versions.tf'));
    const problems = await validateTree(dir);
    assert.ok(problems.some((p) => /environments\/prod\/versions\.tf is a symbolic link/.test(p)), problems.join('\n'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
