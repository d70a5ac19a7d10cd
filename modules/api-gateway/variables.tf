variable "name" {
  description = "Name of the REST API (also prefixes its log group, key and plan)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "name must be 1-64 characters of A-Z, a-z, 0-9, '_' and '-'."
  }
}

variable "stage_name" {
  description = "Stage to deploy (the first path segment of the invoke URL)."
  type        = string
  default     = "dev"

  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,128}$", var.stage_name))
    error_message = "stage_name must be 1-128 characters of A-Z, a-z, 0-9 and '_'."
  }
}

variable "lambda_function_name" {
  description = "Name of the function the API invokes (for the invoke permission)."
  type        = string
}

variable "lambda_qualifier" {
  description = "The alias the API invokes (the lambda module's alias_name); the invoke permission is scoped to it."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_-]{0,127}$", var.lambda_qualifier))
    error_message = "lambda_qualifier must be an alias name."
  }
}

variable "lambda_invoke_arn" {
  description = "Invoke ARN of the function's alias (the lambda module's invoke_arn output)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/.+/invocations$", var.lambda_invoke_arn))
    error_message = "lambda_invoke_arn must be a Lambda invoke ARN (arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations)."
  }
}

variable "integration_timeout_ms" {
  description = "How long API Gateway waits for the function, in milliseconds."
  type        = number
  default     = 29000

  validation {
    condition     = var.integration_timeout_ms >= 50 && var.integration_timeout_ms <= 29000
    error_message = "integration_timeout_ms must be from 50 to 29000."
  }
}

variable "throttling_rate_limit" {
  description = "Stage-wide steady-state requests per second (also the usage plan's rate)."
  type        = number
  default     = 100

  validation {
    condition     = var.throttling_rate_limit > 0 && var.throttling_rate_limit <= 10000
    error_message = "throttling_rate_limit must be from 1 to 10000 requests per second."
  }
}

variable "throttling_burst_limit" {
  description = "Stage-wide burst of requests (also the usage plan's burst)."
  type        = number
  default     = 200

  validation {
    condition     = var.throttling_burst_limit >= 1 && var.throttling_burst_limit <= 5000 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "throttling_burst_limit must be a whole number from 1 to 5000."
  }
}

variable "log_retention_days" {
  description = "Retention of the access-log group."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "xray_tracing_enabled" {
  description = "X-Ray tracing on the stage."
  type        = bool
  default     = false
}

variable "xray_sampling_rate" {
  description = "With tracing on: the share of requests traced beyond the first each second (X-Ray's default is 5%; at 500 requests/s that alone is about 2,000 traces a minute)."
  type        = number
  default     = 0.01

  validation {
    condition     = var.xray_sampling_rate >= 0 && var.xray_sampling_rate <= 1
    error_message = "xray_sampling_rate must be between 0 and 1."
  }
}

variable "cors_allowed_origins" {
  description = "Origin allowed by CORS (e.g. [\"https://app.example.com\"]); empty disables CORS. API Gateway's MOCK preflight can return one fixed origin, so at most one."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.cors_allowed_origins) <= 1 && alltrue([for o in var.cors_allowed_origins : can(regex("^(\\*|https?://[A-Za-z0-9.-]+(:[0-9]+)?)$", o))])
    error_message = "cors_allowed_origins holds at most one origin: \"*\" or scheme://host[:port]."
  }
}

variable "api_key_required" {
  description = "Require an API key (x-api-key) on every method, with a usage plan."
  type        = bool
  default     = false
}

variable "usage_plan_quota_limit" {
  description = "Requests per quota period allowed to the API key."
  type        = number
  default     = 100000

  validation {
    condition     = var.usage_plan_quota_limit >= 1 && floor(var.usage_plan_quota_limit) == var.usage_plan_quota_limit
    error_message = "usage_plan_quota_limit must be a whole number >= 1."
  }
}

variable "usage_plan_quota_period" {
  description = "Quota period: DAY, WEEK or MONTH."
  type        = string
  default     = "MONTH"

  validation {
    condition     = contains(["DAY", "WEEK", "MONTH"], var.usage_plan_quota_period)
    error_message = "usage_plan_quota_period must be DAY, WEEK or MONTH."
  }
}

variable "access_logs_enabled" {
  description = "Write access logs to a log group of this stage. Needs API Gateway's account-level CloudWatch role (environments/account); the plan stops with a clear message when it is missing."
  type        = bool
  default     = true
}

variable "account_cloudwatch_role_name" {
  description = "Name of the IAM roles environments/account sets as API Gateway's account CloudWatch role, before the region that ends it (<name>-<region>); only looked up, never managed here."
  type        = string
  default     = "apigateway-cloudwatch-logs"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.account_cloudwatch_role_name))
    error_message = "account_cloudwatch_role_name must be an IAM role name (1-64 characters of A-Z a-z 0-9 +=,.@_-)."
  }
}

variable "cognito_user_pool_arns" {
  description = "Cognito user pools whose tokens the API accepts. Non-empty: a COGNITO_USER_POOLS authorizer on every method (never on the CORS preflight), so each request needs Authorization: <ID or access token>. Empty: no authentication."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.cognito_user_pool_arns) <= 1000 && alltrue([for a in var.cognito_user_pool_arns : can(regex("^arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:[0-9]{12}:userpool/[a-z0-9-]+_[0-9A-Za-z]+$", a))])
    error_message = "cognito_user_pool_arns must be user pool ARNs (arn:aws:cognito-idp:<region>:<account>:userpool/<region>_<id>)."
  }
}

variable "cognito_authorization_scopes" {
  description = "With the Cognito authorizer: OAuth scopes every method requires. Empty: callers send ID tokens (API Gateway's default). Non-empty: callers send access tokens carrying one of these scopes (e.g. aws.cognito.signin.user.admin, or a resource server's custom scope); ID tokens are then refused."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.cognito_authorization_scopes : can(regex("^[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,256}$", s))])
    error_message = "cognito_authorization_scopes must be OAuth scope tokens (printable ASCII without spaces, quotes or backslashes)."
  }
}

variable "tags" {
  description = "Tags for every taggable resource of this module."
  type        = map(string)
  default     = {}
}

variable "domain_name" {
  description = "A custom domain for the API (e.g. api.example.com), served with the TLS_1_2 security policy; the default execute-api endpoint is then disabled (it accepts TLS 1.0). null: the execute-api URL only."
  type        = string
  default     = null

  validation {
    condition     = var.domain_name == null || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be a lowercase DNS name such as api.example.com, or null."
  }
}

variable "certificate_arn" {
  description = "With domain_name: the ACM certificate for it, in this region."
  type        = string
  default     = null

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN, or null."
  }
}

variable "base_path" {
  description = "With domain_name: the path the stage is mapped at (e.g. v1 serves https://api.example.com/v1/tasks); null maps it at the root."
  type        = string
  default     = null

  validation {
    condition     = var.base_path == null || can(regex("^[A-Za-z0-9._-]{1,128}$", var.base_path))
    error_message = "base_path must be one path segment of letters, digits, '.', '_' or '-', or null."
  }
}

variable "hosted_zone_id" {
  description = "With domain_name: a Route 53 hosted zone to add the domain's alias record to; null leaves DNS to you (point it at the domain's regional name)."
  type        = string
  default     = null
}
