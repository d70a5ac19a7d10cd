# A WAF web ACL in front of the API's stage: what API Gateway's stage-wide throttle cannot
# do. One client's flood is refused per source IP (rate-based rule) instead of eating the
# stage's shared bucket, and bodies larger than the API accepts get 413 before Lambda
# runs (API Gateway passes bodies up to 10 MB, Lambda refuses invokes over 6 MB, and the
# gateway then answers 500: anyone could page on-call). Both refusals keep the API's
# error shape.

locals {
  # the API's own limit (TAPI_MAX_BODY_BYTES); WAF reads bodies up to 64 KB with the
  # association_config below, and "oversize" (larger) bodies count as matching
  max_body_bytes = var.max_body_bytes
}

locals {
  # The API's problem details (RFC 9457), as the function and the gateway write them; WAF
  # fixes the media type to application/json and has no request id to give.
  problems = {
    for code, p in {
      payload_too_large = { title = "Request body too large", status = 413, detail = "The request body is larger than ${local.max_body_bytes} bytes." }
      too_many_requests = { title = "Too many requests", status = 429, detail = "Too many requests from this address; retry later." }
      } : code => {
      type = "tag:tasks-api,2026:problem/${code}", title = p.title, status = p.status, detail = p.detail,
      code = code, error = { code = code, message = p.detail }
    }
  }
}

resource "aws_wafv2_web_acl" "this" {
  name        = "${var.name}-waf"
  description = "Per-IP rate limit and body size for ${var.name}"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  # inspect bodies up to the API's own limit (the default is 16 KB for API Gateway)
  association_config {
    request_body {
      api_gateway {
        default_size_inspection_limit = "KB_64"
      }
    }
  }

  custom_response_body {
    key          = "payload_too_large"
    content_type = "APPLICATION_JSON"
    content      = jsonencode(local.problems.payload_too_large)
  }

  custom_response_body {
    key          = "too_many_requests"
    content_type = "APPLICATION_JSON"
    content      = jsonencode(local.problems.too_many_requests)
  }

  rule {
    name     = "body-too-large"
    priority = 1

    action {
      block {
        custom_response {
          response_code            = 413
          custom_response_body_key = "payload_too_large"
        }
      }
    }

    statement {
      size_constraint_statement {
        comparison_operator = "GT"
        size                = local.max_body_bytes

        field_to_match {
          body {
            oversize_handling = "MATCH"
          }
        }

        text_transformation {
          priority = 0
          type     = "NONE"
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-body-too-large"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "rate-per-ip"
    priority = 2

    action {
      block {
        custom_response {
          response_code            = 429
          custom_response_body_key = "too_many_requests"

          response_header {
            name  = "Retry-After"
            value = "60"
          }
        }
      }
    }

    statement {
      rate_based_statement {
        limit                 = var.rate_limit_per_ip
        evaluation_window_sec = 300
        aggregate_key_type    = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate-per-ip"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${var.name}-waf"
    sampled_requests_enabled   = true
  }

  tags = merge(var.tags, { Name = "${var.name}-waf" })
}

resource "aws_wafv2_web_acl_association" "this" {
  resource_arn = var.stage_arn
  web_acl_arn  = aws_wafv2_web_acl.this.arn
}
