# The deployer's settings (terraform.tfvars or -var). null leaves the composition's
# default (modules/tasks-api/variables.tf says each one). What makes this environment what
# it is lives in main.tf, committed.

variable "region" {
  description = "AWS region of the stack. No default, so nothing lands in a region by accident: set it in terraform.tfvars (copy terraform.tfvars.example) or with -var."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like an AWS region, e.g. eu-west-1."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name; null: tasks-api."
  type        = string
  default     = null
}

variable "architecture" {
  description = "x86_64 or arm64 (Graviton): the artifact's, recorded with it in release.auto.tfvars.json by make publish (ARCH=arm64) and make promote."
  type        = string
  default     = null
}

variable "artifact_sha256" {
  description = "The release artifact to run: recorded in release.auto.tfvars.json by `make publish ENV=…`, `make promote` and `make rollback` (committed: what the environment runs)."
  type        = string
}

variable "previous_artifact_sha256" {
  description = "The artifact this environment ran before (recorded with artifact_sha256; `make rollback` returns to it). Not deployed."
  type        = string
  default     = null
}

variable "cors_allowed_origins" {
  description = "At most one origin allowed by CORS; null or empty: no CORS."
  type        = list(string)
  default     = null
}

variable "api_key_required" {
  description = "Require an API key on every method; null: false."
  type        = bool
  default     = null
}

variable "access_logs_enabled" {
  description = "API access logs (they need environments/account applied); null: true."
  type        = bool
  default     = null
}

variable "cognito_user_pool_arn" {
  description = "With auth = \"cognito\": an existing user pool whose tokens the API accepts; null creates one."
  type        = string
  default     = null
}

variable "cognito_authorization_scopes" {
  description = "With auth = \"cognito\": OAuth scopes every method requires; null or empty: ID tokens."
  type        = list(string)
  default     = null
}

variable "alarm_email" {
  description = "Email address subscribed to the alarm topic (confirm the mail AWS sends); null for none."
  type        = string
  default     = null
}

variable "domain_name" {
  description = "A custom domain for the API (e.g. api.example.com): TLS 1.2 at least, and the execute-api endpoint (which accepts TLS 1.0) disabled. null: the execute-api URL."
  type        = string
  default     = null
}

variable "certificate_arn" {
  description = "With domain_name: its ACM certificate, in the stack's region."
  type        = string
  default     = null
}

variable "base_path" {
  description = "With domain_name: the path the API is mapped at (e.g. v1); null: the domain's root."
  type        = string
  default     = null
}

variable "hosted_zone_id" {
  description = "With domain_name: a Route 53 hosted zone to add its alias record to; null: point your DNS at output domain_regional_name."
  type        = string
  default     = null
}

variable "tags" {
  description = "Extra tags for every resource (added to the provider's default_tags)."
  type        = map(string)
  default     = {}
}
