# The composition: one environment of tasks-api (table, function, API, monitoring and the
# optional user pool) wired together. environments/dev and environments/prod are thin roots
# over this module; they differ only in the values they pass it.

data "aws_region" "current" {}
data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  name             = "${var.name_prefix}-${var.environment}"
  create_user_pool = var.auth == "cognito" && var.cognito_user_pool_arn == null
  user_pool_arns = var.auth != "cognito" ? [] : (
    local.create_user_pool ? [module.cognito[0].user_pool_arn] : [var.cognito_user_pool_arn]
  )
  # the release artifact `make publish` uploaded to this region's artifact bucket
  artifact_bucket = "${var.name_prefix}-artifacts-${data.aws_caller_identity.current.account_id}-${data.aws_region.current.id}"
  artifact_key    = "${var.name_prefix}/lambda-${var.architecture}/${var.artifact_sha256}.zip"
  # the boundary environments/account makes for every role an environment creates
  permissions_boundary_arn = var.permissions_boundary_enabled ? "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:policy/${var.name_prefix}-role-boundary" : null
}

# A reservation must leave the account's unreserved pool at 100 or more, or Lambda refuses
# it half-way through the first apply. New accounts often have a concurrency quota of 10,
# so the plan reads the quota and stops with what to request.
data "aws_servicequotas_service_quota" "lambda_concurrency" {
  count = var.lambda_reserved_concurrency > 0 && var.concurrency_quota_check ? 1 : 0

  service_code = "lambda"
  quota_code   = "L-B99A9384" # Concurrent executions

  lifecycle {
    postcondition {
      condition     = self.value - var.lambda_reserved_concurrency >= 100
      error_message = "lambda_reserved_concurrency = ${var.lambda_reserved_concurrency} needs an account concurrency quota of at least ${var.lambda_reserved_concurrency + 100} in this region (Lambda keeps 100 unreserved), and this account's is ${self.value}. Request an increase of Service Quotas > AWS Lambda > Concurrent executions (L-B99A9384) to ${var.lambda_reserved_concurrency + 100} or more, or set lambda_reserved_concurrency = -1 until it is granted."
    }
  }
}

module "dynamodb" {
  source = "../../modules/dynamodb"

  name                        = local.name
  deletion_protection_enabled = var.deletion_protection_enabled
}

module "cognito" {
  source = "../../modules/cognito"
  count  = local.create_user_pool ? 1 : 0

  name                        = local.name
  deletion_protection_enabled = var.deletion_protection_enabled
}

module "lambda" {
  source = "../../modules/lambda"

  function_name        = local.name
  s3_bucket            = local.artifact_bucket
  s3_key               = local.artifact_key
  package_sha256       = var.artifact_sha256
  architecture         = var.architecture
  memory_size          = var.lambda_memory_size
  timeout              = var.lambda_timeout
  reserved_concurrency = var.lambda_reserved_concurrency
  log_level            = var.log_level
  log_retention_days   = var.log_retention_days
  tracing_enabled      = var.tracing_enabled
  auth_mode            = var.auth
  environment          = length(var.cors_allowed_origins) > 0 ? { CORS_ALLOW_ORIGIN = var.cors_allowed_origins[0] } : {}
  table_name           = module.dynamodb.table_name
  table_arn            = module.dynamodb.table_arn
  table_index_arns     = module.dynamodb.index_arns

  permissions_boundary_arn = local.permissions_boundary_arn
}

module "api_gateway" {
  source = "../../modules/api-gateway"

  name                   = local.name
  stage_name             = var.environment
  lambda_function_name   = module.lambda.function_name
  lambda_qualifier       = module.lambda.alias_name
  lambda_invoke_arn      = module.lambda.invoke_arn
  throttling_rate_limit  = var.throttling_rate_limit
  throttling_burst_limit = var.throttling_burst_limit
  log_retention_days     = var.log_retention_days
  xray_tracing_enabled   = var.tracing_enabled
  xray_sampling_rate     = var.xray_sampling_rate
  cors_allowed_origins   = var.cors_allowed_origins
  api_key_required       = var.api_key_required
  access_logs_enabled    = var.access_logs_enabled
  cognito_user_pool_arns = local.user_pool_arns

  cognito_authorization_scopes = var.cognito_authorization_scopes

  domain_name     = var.domain_name
  certificate_arn = var.certificate_arn
  base_path       = var.base_path
  hosted_zone_id  = var.hosted_zone_id
}

module "waf" {
  source = "../../modules/waf"
  count  = var.waf_enabled ? 1 : 0

  name              = local.name
  stage_arn         = module.api_gateway.stage_arn
  rate_limit_per_ip = var.waf_rate_limit_per_ip
}

module "deployment" {
  source = "../../modules/deployment"

  function_name            = module.lambda.function_name
  alias_name               = module.lambda.alias_name
  deployment_config_name   = var.deployment_config_name
  rollback_alarm_names     = module.monitoring.rollback_alarm_names
  permissions_boundary_arn = local.permissions_boundary_arn
}

module "monitoring" {
  source = "../../modules/monitoring"

  name                    = local.name
  region                  = data.aws_region.current.id
  function_name           = module.lambda.function_name
  function_timeout_s      = module.lambda.timeout
  function_log_group_name = module.lambda.log_group_name
  api_name                = local.name
  stage_name              = module.api_gateway.stage_name
  table_name              = module.dynamodb.table_name
  alarms_enabled          = var.alarms_enabled
  alarm_email             = var.alarm_email
  availability_objective  = var.availability_objective
  error_rate_threshold    = var.error_rate_threshold
  reserved_concurrency    = var.lambda_reserved_concurrency
  runbook_url             = var.runbook_url
}
