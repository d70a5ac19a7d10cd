variable "name" {
  description = "Prefix of the web ACL's name and metrics (e.g. tasks-api-prod)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,120}$", var.name))
    error_message = "name must be 1-120 characters of A-Z a-z 0-9 _ -."
  }
}

variable "stage_arn" {
  description = "ARN of the API Gateway stage the web ACL protects."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:apigateway:[a-z0-9-]+::/restapis/[^/]+/stages/[^/]+$", var.stage_arn))
    error_message = "stage_arn must be an API Gateway stage ARN (arn:aws:apigateway:<region>::/restapis/<id>/stages/<stage>)."
  }
}

variable "rate_limit_per_ip" {
  description = "Requests one source IP may send in 5 minutes before it gets 429 (WAF's rate-based rule; AWS accepts 10 to 2,000,000,000)."
  type        = number
  default     = 2000

  validation {
    condition     = var.rate_limit_per_ip >= 10 && var.rate_limit_per_ip <= 2000000000
    error_message = "rate_limit_per_ip must be 10..2000000000 (requests per 5 minutes)."
  }
}

variable "max_body_bytes" {
  description = "Largest request body let through (the API's own limit is 65536); larger ones get 413 from WAF. WAF inspects at most 64 KB of an API Gateway body, so at most 65536."
  type        = number
  default     = 65536

  validation {
    condition     = var.max_body_bytes >= 1 && var.max_body_bytes <= 65536
    error_message = "max_body_bytes must be 1..65536 (WAF inspects at most 64 KB of an API Gateway body)."
  }
}

variable "tags" {
  description = "Tags for every taggable resource of this module."
  type        = map(string)
  default     = {}
}
