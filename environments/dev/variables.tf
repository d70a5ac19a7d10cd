variable "region" {
  description = "AWS region of the stack. No default, so nothing lands in a region by accident: set it in terraform.tfvars (copy terraform.tfvars.example) or with -var."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like an AWS region, e.g. eu-west-1."
  }
}

variable "environment" {
  description = "Environment name: the stage name and a suffix of every resource name."
  type        = string
  default     = "dev"

  validation {
    condition     = can(regex("^[a-z0-9]{1,16}$", var.environment))
    error_message = "environment must be 1-16 lowercase letters or digits."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "tasks-api"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name_prefix))
    error_message = "name_prefix must be 2-31 characters: lowercase letters, digits and '-', starting with a letter."
  }
}

variable "architecture" {
  description = "Instruction set of the function: x86_64, or arm64 (Graviton). The zip is picked to match."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "package_path" {
  description = "The Lambda zip; null picks what `make package` builds for the architecture (../../build/lambda.zip, or lambda-arm64.zip for arm64)."
  type        = string
  default     = null
}

variable "deletion_protection_enabled" {
  description = "Protect the table from deletion (off for a dev stack you tear down)."
  type        = bool
  default     = false
}

variable "lambda_memory_size" {
  description = "Function memory in MB."
  type        = number
  default     = 256
}

variable "lambda_timeout" {
  description = "Function timeout in seconds."
  type        = number
  default     = 10
}

variable "lambda_reserved_concurrency" {
  description = "Reserved concurrency (-1: unreserved). A small dev cap bounds cost."
  type        = number
  default     = -1
}

variable "log_level" {
  description = "LOG_LEVEL of the function."
  type        = string
  default     = "info"
}

variable "log_retention_days" {
  description = "Retention of the function's and the API's log groups."
  type        = number
  default     = 14
}

variable "tracing_enabled" {
  description = "X-Ray tracing on the function and the stage."
  type        = bool
  default     = false
}

variable "throttling_rate_limit" {
  description = "Stage-wide requests per second."
  type        = number
  default     = 50
}

variable "throttling_burst_limit" {
  description = "Stage-wide burst."
  type        = number
  default     = 100
}

variable "cors_allowed_origins" {
  description = "At most one origin allowed by CORS; empty disables CORS."
  type        = list(string)
  default     = []
}

variable "api_key_required" {
  description = "Require an API key on every method."
  type        = bool
  default     = false
}

variable "access_logs_enabled" {
  description = "API access logs. They need the account root (environments/account) applied once per account and region; without it the plan stops and says so. false skips them."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Extra tags for every resource (added to the provider's default_tags)."
  type        = map(string)
  default     = {}
}
