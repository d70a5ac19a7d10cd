# The inputs of an environment; environments/prod shares this file (a symbolic link), so
# dev and prod take the same inputs and differ only in the values in their main.tf.

variable "region" {
  description = "AWS region of the stack. No default, so nothing lands in a region by accident: set it in terraform.tfvars (copy terraform.tfvars.example) or with -var."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like an AWS region, e.g. eu-west-1."
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

variable "alarm_email" {
  description = "Email address subscribed to the alarm topic (confirm the mail AWS sends); null for none."
  type        = string
  default     = null
}

variable "live_version" {
  description = "Pin the live alias to this published version (a rollback); null follows the newest."
  type        = string
  default     = null
}

variable "tags" {
  description = "Extra tags for every resource (added to the provider's default_tags)."
  type        = map(string)
  default     = {}
}
