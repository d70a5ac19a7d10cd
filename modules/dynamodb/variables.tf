variable "name" {
  description = "Name of the tasks table (the Lambda function's TABLE_NAME)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.name))
    error_message = "The table name must be 3-255 characters of A-Z, a-z, 0-9, '_', '-' and '.'."
  }
}

variable "deletion_protection_enabled" {
  description = "Refuse DeleteTable while true. Turn off only to tear a stack down on purpose."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for encryption at rest; null uses the AWS-managed key aws/dynamodb (server-side encryption is always on, so never the AWS-owned key)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>) or null."
  }
}

variable "tags" {
  description = "Tags for every taggable resource of this module."
  type        = map(string)
  default     = {}
}
