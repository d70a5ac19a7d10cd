# Module logic with a mocked provider: the two rules and their answers, and the inputs
# refused.
mock_provider "aws" {}

variables {
  name      = "tasks-api-test"
  stage_arn = "arn:aws:apigateway:eu-west-1::/restapis/abc123/stages/test"
}

run "oversized_bodies_413_and_floods_429" {
  command = plan

  assert {
    condition     = one([for r in aws_wafv2_web_acl.this.rule : r.action[0].block[0].custom_response[0].response_code if r.name == "body-too-large"]) == 413
    error_message = "bodies over the limit get 413"
  }
  assert {
    condition     = one([for r in aws_wafv2_web_acl.this.rule : r.statement[0].size_constraint_statement[0].size if r.name == "body-too-large"]) == 65536
    error_message = "the limit is the API's own 64 KiB"
  }
  assert {
    condition     = one([for r in aws_wafv2_web_acl.this.rule : r.statement[0].rate_based_statement[0].aggregate_key_type if r.name == "rate-per-ip"]) == "IP"
    error_message = "the rate limit counts per source IP"
  }
  assert {
    condition     = one([for r in aws_wafv2_web_acl.this.rule : r.action[0].block[0].custom_response[0].response_code if r.name == "rate-per-ip"]) == 429
    error_message = "a flood gets 429"
  }
  assert {
    condition     = aws_wafv2_web_acl.this.association_config[0].request_body[0].api_gateway[0].default_size_inspection_limit == "KB_64"
    error_message = "WAF must read bodies up to the API's limit"
  }
}

run "refuses_a_body_limit_waf_cannot_inspect" {
  command = plan

  variables {
    max_body_bytes = 100000
  }

  expect_failures = [var.max_body_bytes]
}

run "refuses_a_rate_below_awss_minimum" {
  command = plan

  variables {
    rate_limit_per_ip = 5
  }

  expect_failures = [var.rate_limit_per_ip]
}

run "refuses_something_that_is_not_a_stage" {
  command = plan

  variables {
    stage_arn = "arn:aws:lambda:eu-west-1:123456789012:function:x"
  }

  expect_failures = [var.stage_arn]
}
