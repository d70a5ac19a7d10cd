variable "region" {
  description = "AWS region these account-level settings are for (API Gateway's account settings are per region). No default: say where you deploy."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like an AWS region, e.g. eu-west-1."
  }
}

variable "state_bucket_name" {
  description = "Globally unique name of the S3 bucket for the environments' Terraform state, e.g. tasks-api-tfstate-123456789012-eu-west-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name)) && !can(regex("\\.\\.", var.state_bucket_name))
    error_message = "state_bucket_name must be a valid S3 bucket name: 3-63 lowercase letters, digits, '.' and '-'."
  }
}

variable "cloudwatch_role_name" {
  description = "Name of API Gateway's account CloudWatch role, before the region that ends it (<name>-<region>); the environments look up their region's (account_cloudwatch_role_name of modules/api-gateway)."
  type        = string
  default     = "apigateway-cloudwatch-logs"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.cloudwatch_role_name))
    error_message = "cloudwatch_role_name must be an IAM role name (1-64 characters of A-Z a-z 0-9 +=,.@_-)."
  }
}

variable "create_shared_resources" {
  description = "true in the first region applied: it makes what exists once per account (the environments' state bucket, the deployer policies and the role boundary). false in every further region (its own workspace), which then only sets that region's API Gateway logging."
  type        = bool
  default     = true
}

variable "name_prefix" {
  description = "Prefix of the environments' resource names (name_prefix of the environments): the deployer policies are scoped to <prefix>-<environment>*."
  type        = string
  default     = "tasks-api"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name_prefix))
    error_message = "name_prefix must be 2-31 characters: lowercase letters, digits and '-', starting with a letter."
  }
}

variable "environments" {
  description = "The environments that get a deployer policy each (<prefix>-deployer-<environment>), scoped to their own state key and resources."
  type        = list(string)
  default     = ["dev", "prod"]

  validation {
    condition     = alltrue([for e in var.environments : can(regex("^[a-z0-9]{1,16}$", e))])
    error_message = "environments must be names of 1-16 lowercase letters or digits."
  }
}

variable "publishing_environments" {
  description = "Environments whose deployer may upload new release artifacts (`make publish`); the others deploy only what was promoted to them."
  type        = list(string)
  default     = ["dev"]
}

variable "github_repository" {
  description = "owner/name of the GitHub repository whose Actions deploy (OIDC, no stored keys): creates GitHub's OIDC provider, a deploy role per environment that only that environment's GitHub environment may assume, and a plan role for pull requests. null: none."
  type        = string
  default     = null

  validation {
    condition     = var.github_repository == null || can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must look like owner/name, or be null."
  }
}

variable "tags" {
  description = "Extra tags for every resource (added to the provider's default_tags)."
  type        = map(string)
  default     = {}
}
