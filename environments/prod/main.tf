# prod: the stack someone is on call for. environments/dev is this same file with dev
# values; the two differ only in the values marked below.

locals {
  environment = "prod"
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
  deletion_protection_enabled = true # DeleteTable is refused; turn off on purpose only
  lambda_memory_size          = 512
  lambda_timeout              = 10
  lambda_reserved_concurrency = 100 # bounds cost and protects the account's other functions
  log_level                   = "info"
  log_retention_days          = 90
  tracing_enabled             = true
  throttling_rate_limit       = 500
  throttling_burst_limit      = 1000
  alarms_enabled              = true
  auth                        = "cognito" # every request needs a token; each user sees their own tasks
  availability_objective      = 99.9      # the objective the README states
  error_rate_threshold        = 0.05
  xray_sampling_rate          = 0.01                                              # 1 trace/s plus 1%: about 5 a second at 500 requests/s
  waf_enabled                 = true                                              # 429 per IP, 413 for oversized bodies before Lambda
  waf_rate_limit_per_ip       = 3000                                              # per 5 minutes: 10 requests/s from one address
  deployment_config_name      = "CodeDeployDefault.LambdaCanary10Percent5Minutes" # alarms roll it back

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
