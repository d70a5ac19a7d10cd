# The inputs of one environment. The first group has no defaults: an environment root
# passes them as its committed values, which is all that tells dev from prod. The second
# group has defaults; the roots pass them from their own variables, which the person
# deploying sets (terraform.tfvars or -var).

variable "environment" {
  description = "Environment name: the stage name and a suffix of every resource name."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{1,16}$", var.environment))
    error_message = "environment must be 1-16 lowercase letters or digits."
  }
}

variable "deletion_protection_enabled" {
  description = "Refuse DeleteTable (turn off on purpose only, to tear the stack down)."
  type        = bool
}

variable "lambda_memory_size" {
  description = "Function memory in MB (CPU scales with it)."
  type        = number

  validation {
    condition     = var.lambda_memory_size >= 128 && var.lambda_memory_size <= 10240
    error_message = "lambda_memory_size must be 128..10240."
  }
}

variable "lambda_timeout" {
  description = "Function timeout in seconds (API Gateway gives up after 29)."
  type        = number

  validation {
    condition     = var.lambda_timeout >= 1 && var.lambda_timeout <= 29
    error_message = "lambda_timeout must be 1..29."
  }
}

variable "lambda_reserved_concurrency" {
  description = "Reserved concurrency: -1 unreserved, or a limit (bounds cost, protects other functions)."
  type        = number

  validation {
    condition     = var.lambda_reserved_concurrency == -1 || var.lambda_reserved_concurrency >= 1
    error_message = "lambda_reserved_concurrency must be -1 or at least 1."
  }
}

variable "log_level" {
  description = "LOG_LEVEL of the function."
  type        = string

  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level must be debug, info, warn or error."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's and the API's log groups."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "tracing_enabled" {
  description = "X-Ray tracing on the function and the stage."
  type        = bool
}

variable "throttling_rate_limit" {
  description = "Stage-wide requests per second."
  type        = number
}

variable "throttling_burst_limit" {
  description = "Stage-wide burst."
  type        = number
}

variable "alarms_enabled" {
  description = "Alarms to the SNS topic (the topic and the dashboard exist either way)."
  type        = bool
}

variable "availability_objective" {
  description = "Availability objective in percent (requests not answered 5xx over 30 days); the burn-rate alarms page on its error budget."
  type        = number

  validation {
    condition     = var.availability_objective >= 90 && var.availability_objective < 100
    error_message = "availability_objective must be at least 90 and below 100 (percent)."
  }
}

variable "error_rate_threshold" {
  description = "Share of requests answered 5xx in one alarm period (0..1) that raises the error-rate alarm."
  type        = number

  validation {
    condition     = var.error_rate_threshold > 0 && var.error_rate_threshold < 1
    error_message = "error_rate_threshold must be between 0 and 1."
  }
}

variable "xray_sampling_rate" {
  description = "With tracing on: the share of requests traced beyond the first each second."
  type        = number

  validation {
    condition     = var.xray_sampling_rate >= 0 && var.xray_sampling_rate <= 1
    error_message = "xray_sampling_rate must be between 0 and 1."
  }
}

variable "waf_enabled" {
  description = "A WAF web ACL on the stage (modules/waf): 429 per source IP over waf_rate_limit_per_ip requests in 5 minutes, 413 for bodies over the API's 64 KiB before Lambda runs."
  type        = bool
}

variable "waf_rate_limit_per_ip" {
  description = "With the WAF: requests one source IP may send in 5 minutes."
  type        = number

  validation {
    condition     = var.waf_rate_limit_per_ip >= 10
    error_message = "waf_rate_limit_per_ip must be at least 10 (requests per 5 minutes)."
  }
}

variable "deployment_config_name" {
  description = "How a new version reaches the live alias (CodeDeploy): CodeDeployDefault.LambdaAllAtOnce, or a canary or linear shift such as CodeDeployDefault.LambdaCanary10Percent5Minutes; the environment's alarms roll a shift back."
  type        = string
}

# ---- with defaults: the roots pass the deployer's settings ----

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "tasks-api"
  nullable    = false # a root passing null gets this default

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name_prefix))
    error_message = "name_prefix must be 2-31 characters: lowercase letters, digits and '-', starting with a letter."
  }
}

variable "architecture" {
  description = "Instruction set of the function: x86_64, or arm64 (Graviton). The zip is picked to match."
  type        = string
  default     = "x86_64"
  nullable    = false # a root passing null gets this default

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "artifact_sha256" {
  description = "SHA-256 of the release artifact to run (`make publish` uploads build/lambda[-arm64].zip as <name_prefix>/lambda-<architecture>/<sha256>.zip to this region's artifact bucket and records it in the environment's release.auto.tfvars.json)."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{64}$", var.artifact_sha256))
    error_message = "artifact_sha256 must be 64 lowercase hex digits: run `make publish ENV=<environment>` first (it records the artifact)."
  }
}

variable "cors_allowed_origins" {
  description = "At most one origin allowed by CORS; empty disables CORS."
  type        = list(string)
  default     = []
  nullable    = false # a root passing null gets this default
}

variable "api_key_required" {
  description = "Require an API key on every method."
  type        = bool
  default     = false
  nullable    = false # a root passing null gets this default
}

variable "access_logs_enabled" {
  description = "API access logs. They need the account root (environments/account) applied once per account and region; without it the plan stops and says so. false skips them."
  type        = bool
  default     = true
  nullable    = false # a root passing null gets this default
}

variable "auth" {
  description = "Authentication: \"none\" (anyone who can reach the API uses one shared task list), \"cognito\" (every request needs a token of the user pool; each user sees only their own tasks). With \"cognito\", cognito_user_pool_arn names an existing pool, or null creates one with an app client."
  type        = string
  default     = "none"

  validation {
    condition     = contains(["none", "cognito"], var.auth)
    error_message = "auth must be \"none\" or \"cognito\"."
  }
}

variable "cognito_user_pool_arn" {
  description = "With auth = \"cognito\": an existing user pool whose tokens the API accepts; null creates a pool and a public app client (modules/cognito)."
  type        = string
  default     = null

  validation {
    condition     = var.cognito_user_pool_arn == null || can(regex("^arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:[0-9]{12}:userpool/[a-z0-9-]+_[0-9A-Za-z]+$", var.cognito_user_pool_arn))
    error_message = "cognito_user_pool_arn must be a user pool ARN (arn:aws:cognito-idp:<region>:<account>:userpool/<region>_<id>)."
  }
}

variable "cognito_authorization_scopes" {
  description = "With auth = \"cognito\": OAuth scopes every method requires. Empty: callers send ID tokens; non-empty: access tokens carrying one of these scopes (e.g. [\"aws.cognito.signin.user.admin\"])."
  type        = list(string)
  default     = []
  nullable    = false # a root passing null gets this default
}

variable "alarm_email" {
  description = "Email address subscribed to the alarm topic (confirm the mail AWS sends); null for none."
  type        = string
  default     = null
}

variable "concurrency_quota_check" {
  description = "Read the account's Lambda concurrency quota in the plan and stop when lambda_reserved_concurrency does not fit it (needs servicequotas:GetServiceQuota)."
  type        = bool
  default     = true
  nullable    = false
}

variable "permissions_boundary_enabled" {
  description = "Give every role of this environment the permissions boundary environments/account makes (<name_prefix>-role-boundary); the environments' deployer policies refuse to create roles without it. false only in an account without environments/account."
  type        = bool
  default     = true
  nullable    = false
}

variable "domain_name" {
  description = "A custom domain for the API (TLS 1.2 at least; the execute-api endpoint is then disabled); null: the execute-api URL."
  type        = string
  default     = null
}

variable "certificate_arn" {
  description = "With domain_name: its ACM certificate in this region."
  type        = string
  default     = null
}

variable "base_path" {
  description = "With domain_name: the path the API is mapped at (e.g. v1); null: the domain's root."
  type        = string
  default     = null
}

variable "hosted_zone_id" {
  description = "With domain_name: a Route 53 hosted zone for the domain's alias record; null: DNS is yours."
  type        = string
  default     = null
}

variable "runbook_url" {
  description = "Where the runbook (docs/runbook.md) is published, e.g. its URL on your Git host; every alarm's description links to its entry there."
  type        = string
  default     = "docs/runbook.md"
}
