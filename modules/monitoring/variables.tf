variable "name" {
  description = "Prefix of the alarm, topic, filter and dashboard names (e.g. tasks-api-prod)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,200}$", var.name))
    error_message = "name must be 1-200 characters of A-Z a-z 0-9 _ -."
  }
}

variable "region" {
  description = "Region of the watched resources (the dashboard's widgets)."
  type        = string
}

variable "function_name" {
  description = "The Lambda function (also the Service dimension of its EMF metrics)."
  type        = string
}

variable "function_timeout_s" {
  description = "The function's timeout; the duration alarm fires near it."
  type        = number
}

variable "function_log_group_name" {
  description = "The function's log group, for the init-error metric filter."
  type        = string
}

variable "api_name" {
  description = "The REST API's name (ApiName dimension)."
  type        = string
}

variable "stage_name" {
  description = "The stage (Stage dimension)."
  type        = string
}

variable "table_name" {
  description = "The tasks table."
  type        = string
}

variable "metrics_namespace" {
  description = "Namespace of the function's EMF metrics; InitErrors go to <namespace>/<function name>."
  type        = string
  default     = "TasksApi"
}

variable "alarms_enabled" {
  description = "Create the alarms (the topic, filter and dashboard exist either way)."
  type        = bool
  default     = true
}

variable "alarm_email" {
  description = "Email address subscribed to the alarm topic (confirm the mail AWS sends); null for none."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an email address, or null."
  }
}

variable "alarm_period_s" {
  description = "Period of every alarm's statistic, in seconds."
  type        = number
  default     = 300

  validation {
    condition     = contains([60, 300, 900, 3600], var.alarm_period_s)
    error_message = "alarm_period_s must be 60, 300, 900 or 3600."
  }
}

variable "alarm_evaluation_periods" {
  description = "Periods in a row an alarm's condition must hold."
  type        = number
  default     = 1

  validation {
    condition     = var.alarm_evaluation_periods >= 1 && var.alarm_evaluation_periods <= 24
    error_message = "alarm_evaluation_periods must be 1..24."
  }
}

variable "lambda_errors_threshold" {
  description = "Function errors per period that raise the alarm."
  type        = number
  default     = 5
}

variable "lambda_throttles_threshold" {
  description = "Throttled invocations per period that raise the alarm."
  type        = number
  default     = 1
}

variable "duration_alarm_ratio" {
  description = "The duration alarm fires when p99 reaches this share of the timeout."
  type        = number
  default     = 0.8

  validation {
    condition     = var.duration_alarm_ratio > 0 && var.duration_alarm_ratio < 1
    error_message = "duration_alarm_ratio must be between 0 and 1."
  }
}

variable "api_5xx_threshold" {
  description = "5xx answers per period that raise the alarm."
  type        = number
  default     = 5
}

variable "api_latency_p99_ms" {
  description = "API p99 latency (ms) that raises the alarm."
  type        = number
  default     = 2000
}

variable "dynamodb_throttles_threshold" {
  description = "Throttled DynamoDB requests per period and operation that raise the alarm."
  type        = number
  default     = 1
}

variable "dynamodb_system_errors_threshold" {
  description = "DynamoDB system errors per period and operation that raise the alarm."
  type        = number
  default     = 1
}

variable "runbook_url" {
  description = "Where the runbook (docs/runbook.md of tasks-api) is published, e.g. its URL on your Git host; every alarm's description ends with a link to its entry there (<runbook_url>#<alarm>)."
  type        = string
  default     = "docs/runbook.md"

  validation {
    condition     = length(var.runbook_url) > 0 && length(var.runbook_url) <= 512 && !strcontains(var.runbook_url, "#")
    error_message = "runbook_url must be 1 to 512 characters, without a fragment (the alarm's anchor is added)."
  }
}

variable "availability_objective" {
  description = "Availability objective in percent (the share of requests not answered 5xx over 30 days), e.g. 99.9. The burn-rate alarms page when the error budget it leaves burns fast (14.4x over 1 h and 5 min: 2% of a 30-day budget in an hour) or steadily (6x over 6 h and 30 min)."
  type        = number
  default     = 99.9

  validation {
    condition     = var.availability_objective >= 90 && var.availability_objective < 100
    error_message = "availability_objective must be at least 90 and below 100 (percent)."
  }
}

variable "error_rate_threshold" {
  description = "Share of requests answered 5xx in one period (0..1) that raises the error-rate alarm, e.g. 0.05."
  type        = number
  default     = 0.05

  validation {
    condition     = var.error_rate_threshold > 0 && var.error_rate_threshold < 1
    error_message = "error_rate_threshold must be between 0 and 1."
  }
}

variable "reserved_concurrency" {
  description = "The function's reserved concurrency (-1: unreserved, no concurrency alarm). The concurrency alarm fires at concurrency_alarm_ratio of it, before requests are throttled."
  type        = number
  default     = -1

  validation {
    condition     = var.reserved_concurrency == -1 || var.reserved_concurrency >= 1
    error_message = "reserved_concurrency must be -1 or at least 1."
  }
}

variable "concurrency_alarm_ratio" {
  description = "Share of the reserved concurrency at which the concurrency alarm fires."
  type        = number
  default     = 0.8

  validation {
    condition     = var.concurrency_alarm_ratio > 0 && var.concurrency_alarm_ratio <= 1
    error_message = "concurrency_alarm_ratio must be above 0 and at most 1."
  }
}

variable "tags" {
  description = "Tags for every taggable resource of this module."
  type        = map(string)
  default     = {}
}
