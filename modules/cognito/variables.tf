variable "name" {
  description = "Name of the user pool (the app client is \"<name>-client\")."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.name))
    error_message = "name must be 1-128 characters of A-Z, a-z, 0-9, '_' and '-'."
  }
}

variable "deletion_protection_enabled" {
  description = "Refuse to delete the user pool (and with it every user) while true."
  type        = bool
  default     = true
}

variable "self_sign_up_enabled" {
  description = "Let anyone sign up; false: only administrators create users."
  type        = bool
  default     = false
}

variable "password_minimum_length" {
  description = "Shortest password accepted (upper case, lower case, digit and symbol are required too)."
  type        = number
  default     = 12

  validation {
    condition     = var.password_minimum_length >= 8 && var.password_minimum_length <= 99
    error_message = "password_minimum_length must be from 8 to 99."
  }
}

variable "mfa_configuration" {
  description = "Multi-factor authentication with an authenticator app: OFF, OPTIONAL or ON."
  type        = string
  default     = "OPTIONAL"

  validation {
    condition     = contains(["OFF", "OPTIONAL", "ON"], var.mfa_configuration)
    error_message = "mfa_configuration must be OFF, OPTIONAL or ON."
  }
}

variable "password_auth_enabled" {
  description = "Allow the USER_PASSWORD_AUTH flow (a password sent to Cognito over TLS; what `aws cognito-idp initiate-auth` uses). false: SRP only, as browser SDKs do."
  type        = bool
  default     = true
}

variable "token_validity_minutes" {
  description = "Lifetime of ID and access tokens, in minutes."
  type        = number
  default     = 60

  validation {
    condition     = var.token_validity_minutes >= 5 && var.token_validity_minutes <= 1440
    error_message = "token_validity_minutes must be from 5 to 1440."
  }
}

variable "refresh_token_validity_days" {
  description = "Lifetime of refresh tokens, in days."
  type        = number
  default     = 30

  validation {
    condition     = var.refresh_token_validity_days >= 1 && var.refresh_token_validity_days <= 3650
    error_message = "refresh_token_validity_days must be from 1 to 3650."
  }
}

variable "tags" {
  description = "Tags for every taggable resource of this module."
  type        = map(string)
  default     = {}
}
