variable "function_name" {
  description = "Name of the Lambda function."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,58}$", var.function_name))
    error_message = "function_name must be 1-58 characters of A-Z, a-z, 0-9, '_' and '-' (room is left for the role's '-exec' suffix)."
  }
}

variable "s3_bucket" {
  description = "Bucket holding the release artifact (environments/account's artifact bucket, in the function's region)."
  type        = string
}

variable "s3_key" {
  description = "Key of the artifact: the zip `make publish` uploaded, named by its SHA-256."
  type        = string

  validation {
    condition     = endswith(var.s3_key, ".zip")
    error_message = "s3_key must name a .zip object."
  }
}

variable "package_sha256" {
  description = "SHA-256 of the artifact (64 hex digits), as `make publish` printed and recorded it: a new value deploys new code."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{64}$", var.package_sha256))
    error_message = "package_sha256 must be 64 lowercase hex digits."
  }
}

variable "architecture" {
  description = "Instruction set of the function; must match how the bootstrap was built."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "memory_size" {
  description = "Memory in MB (CPU scales with it). The C bootstrap needs little; 256 MB buys faster TLS handshakes."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "timeout" {
  description = "Invocation timeout in seconds. API Gateway gives up after 29 s, so more is useless."
  type        = number
  default     = 10

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 29
    error_message = "timeout must be from 1 to 29 seconds (API Gateway's integration limit)."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions; -1 leaves the function unreserved, 0 disables it."
  type        = number
  default     = -1

  validation {
    condition     = var.reserved_concurrency >= -1 && floor(var.reserved_concurrency) == var.reserved_concurrency
    error_message = "reserved_concurrency must be -1 (unreserved) or a whole number >= 0."
  }
}

variable "table_name" {
  description = "Name of the tasks table (TABLE_NAME)."
  type        = string
}

variable "table_arn" {
  description = "ARN of the tasks table; the role may use it and nothing else."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]+$", var.table_arn))
    error_message = "table_arn must be a DynamoDB table ARN."
  }
}

variable "table_index_arns" {
  description = "ARNs of the table's indexes the function queries."
  type        = list(string)

  validation {
    condition     = alltrue([for a in var.table_index_arns : can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]+/index/[A-Za-z0-9_.-]+$", a))])
    error_message = "Every entry must be a DynamoDB index ARN (.../table/<name>/index/<index>)."
  }
}

variable "list_shards" {
  description = "TASKS_DDB_SHARDS: partitions of the list index. Fixed for the table's lifetime."
  type        = number
  default     = 4

  validation {
    condition     = var.list_shards >= 1 && var.list_shards <= 32 && floor(var.list_shards) == var.list_shards
    error_message = "list_shards must be a whole number from 1 to 32."
  }
}

variable "log_level" {
  description = "LOG_LEVEL of the bootstrap."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level must be debug, info, warn or error."
  }
}

variable "auth_mode" {
  description = "\"cognito\": the API's Cognito authorizer verifies every request and the function takes each task's owner from the verified claims, refusing events without them (TASKS_AUTH=cognito). \"none\": no authentication; every task belongs to one shared owner."
  type        = string
  default     = "none"

  validation {
    condition     = contains(["none", "cognito"], var.auth_mode)
    error_message = "auth_mode must be \"none\" or \"cognito\"."
  }
}

variable "environment" {
  description = "Extra environment variables (TABLE_NAME, TASKS_STORE, TASKS_DDB_SHARDS, LOG_LEVEL, TASKS_METRICS_NAMESPACE and TASKS_AUTH are set by the module and win)."
  type        = map(string)
  default     = {}
}

variable "log_retention_days" {
  description = "Retention of the function's log group."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key for the log group; null uses CloudWatch's default encryption."
  type        = string
  default     = null
}

variable "tracing_enabled" {
  description = "Active X-Ray tracing (adds the AWSXRayDaemonWriteAccess policy to the role)."
  type        = bool
  default     = false
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the function's Embedded Metric Format metrics (TASKS_METRICS_NAMESPACE)."
  type        = string
  default     = "TasksApi"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.metrics_namespace))
    error_message = "metrics_namespace must be 1-255 characters of A-Z a-z 0-9 . _ / # : -."
  }
}

variable "alias_name" {
  description = "Alias API Gateway invokes."
  type        = string
  default     = "live"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_-]{0,127}$", var.alias_name)) && var.alias_name != "$LATEST"
    error_message = "alias_name must be a Lambda alias name (a letter, then letters, digits, '_' or '-')."
  }
}

variable "tags" {
  description = "Tags for every taggable resource of this module."
  type        = map(string)
  default     = {}
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the execution role (environments/account's role boundary policy); null for none. A deployer whose policy requires it cannot give the function more than the boundary allows."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN, or null."
  }
}
