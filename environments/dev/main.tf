# dev: a stack to try changes on, torn down at will. environments/prod is this same file
# with production values; the two differ only in the values marked below.

locals {
  environment = "dev"
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, {
      Project     = "tasks-api"
      Environment = local.environment
      ManagedBy   = "terraform"
    })
  }
}

module "tasks_api" {
  source = "../../modules/tasks-api"

  # ---- this environment's values ----
  environment                 = local.environment
  deletion_protection_enabled = false # a dev stack is torn down at will
  lambda_memory_size          = 256
  lambda_timeout              = 10
  lambda_reserved_concurrency = -1
  log_level                   = "debug"
  log_retention_days          = 14
  tracing_enabled             = false
  throttling_rate_limit       = 50
  throttling_burst_limit      = 100
  alarms_enabled              = false  # the topic and the dashboard only
  auth                        = "none" # anyone who reaches the URL shares one task list
  availability_objective      = 99     # dev's burn-rate alarms exist only with alarms on
  error_rate_threshold        = 0.1
  xray_sampling_rate          = 0.05
  waf_enabled                 = false
  waf_rate_limit_per_ip       = 1000
  deployment_config_name      = "CodeDeployDefault.LambdaAllAtOnce"

  # ---- the deployer's settings (variables.tf) ----
  name_prefix                  = var.name_prefix
  architecture                 = var.architecture
  artifact_sha256              = var.artifact_sha256
  cors_allowed_origins         = var.cors_allowed_origins
  api_key_required             = var.api_key_required
  access_logs_enabled          = var.access_logs_enabled
  cognito_user_pool_arn        = var.cognito_user_pool_arn
  cognito_authorization_scopes = var.cognito_authorization_scopes
  alarm_email                  = var.alarm_email
  domain_name                  = var.domain_name
  certificate_arn              = var.certificate_arn
  base_path                    = var.base_path
  hosted_zone_id               = var.hosted_zone_id
}
