# One environment: table, function, API and monitoring wired together. environments/dev
# and environments/prod share this file; they differ only in the values of their
# environment.auto.tfvars (and their state key).

provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, {
      Project     = "tasks-api"
      Environment = var.environment
      ManagedBy   = "terraform"
    })
  }
}

locals {
  name             = "${var.name_prefix}-${var.environment}"
  create_user_pool = var.auth == "cognito" && var.cognito_user_pool_arn == null
  user_pool_arns = var.auth != "cognito" ? [] : (
    local.create_user_pool ? [module.cognito[0].user_pool_arn] : [var.cognito_user_pool_arn]
  )
  # the zip `make package [ARCH=arm64]` (or scripts/package-in-container.sh) builds for
  # this architecture
  package_path = coalesce(var.package_path, var.architecture == "arm64" ? "${path.root}/../../build/lambda-arm64.zip" : "${path.root}/../../build/lambda.zip")
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
  package_path         = local.package_path
  architecture         = var.architecture
  memory_size          = var.lambda_memory_size
  timeout              = var.lambda_timeout
  reserved_concurrency = var.lambda_reserved_concurrency
  log_level            = var.log_level
  log_retention_days   = var.log_retention_days
  tracing_enabled      = var.tracing_enabled
  live_version         = var.live_version
  auth_mode            = var.auth
  environment          = length(var.cors_allowed_origins) > 0 ? { CORS_ALLOW_ORIGIN = var.cors_allowed_origins[0] } : {}
  table_name           = module.dynamodb.table_name
  table_arn            = module.dynamodb.table_arn
  table_index_arns     = module.dynamodb.index_arns
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
  cors_allowed_origins   = var.cors_allowed_origins
  api_key_required       = var.api_key_required
  access_logs_enabled    = var.access_logs_enabled
  cognito_user_pool_arns = local.user_pool_arns

  cognito_authorization_scopes = var.cognito_authorization_scopes
}

module "monitoring" {
  source = "../../modules/monitoring"

  name                    = local.name
  region                  = var.region
  function_name           = module.lambda.function_name
  function_timeout_s      = module.lambda.timeout
  function_log_group_name = module.lambda.log_group_name
  api_name                = local.name
  stage_name              = module.api_gateway.stage_name
  table_name              = module.dynamodb.table_name
  alarms_enabled          = var.alarms_enabled
  alarm_email             = var.alarm_email
}
