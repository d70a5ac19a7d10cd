# Module logic with a mocked provider (no AWS, no emulator): the custom domain (TLS 1.2,
# the execute-api endpoint off, the URL with its base path), the region's logging role
# the plan insists on, and the sampling rule tracing brings.
mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { id = "eu-west-1", name = "eu-west-1" }
  }
  mock_data "aws_iam_roles" {
    defaults = { names = ["apigateway-cloudwatch-logs-eu-west-1"] }
  }
}

variables {
  name                 = "tasks-api-test"
  stage_name           = "test"
  lambda_function_name = "tasks-api-test"
  lambda_qualifier     = "live"
  lambda_invoke_arn    = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:tasks-api-test:live/invocations"
}

run "execute_api_url_without_a_domain" {
  command = plan

  assert {
    condition     = aws_api_gateway_rest_api.this.disable_execute_api_endpoint == false && length(aws_api_gateway_domain_name.this) == 0
    error_message = "without a domain the execute-api endpoint serves the API"
  }
}

run "a_custom_domain_takes_over_with_tls_1_2" {
  command = plan

  variables {
    domain_name     = "api.example.com"
    certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/abc"
    base_path       = "v1"
    hosted_zone_id  = "Z123"
  }

  assert {
    condition     = aws_api_gateway_domain_name.this[0].security_policy == "TLS_1_2"
    error_message = "the domain must refuse TLS 1.0 and 1.1"
  }
  assert {
    condition     = aws_api_gateway_rest_api.this.disable_execute_api_endpoint == true
    error_message = "with a domain the execute-api endpoint (TLS 1.0) must be off"
  }
  assert {
    condition     = output.url == "https://api.example.com/v1"
    error_message = "the URL is the domain's, with its base path"
  }
  assert {
    condition     = length(aws_route53_record.this) == 1
    error_message = "a hosted zone gets the alias record"
  }
}

run "a_domain_without_a_certificate_is_refused" {
  command = plan

  variables {
    domain_name = "api.example.com"
  }

  expect_failures = [aws_api_gateway_domain_name.this]
}

run "a_region_without_its_logging_role_stops_the_plan" {
  command = plan

  override_data {
    target = data.aws_iam_roles.account_cloudwatch[0]
    values = { names = [] }
  }

  expect_failures = [aws_api_gateway_stage.this]
}

run "tracing_brings_its_sampling_rule" {
  command = plan

  variables {
    xray_tracing_enabled = true
    xray_sampling_rate   = 0.01
  }

  assert {
    condition     = aws_xray_sampling_rule.this[0].fixed_rate == 0.01 && aws_xray_sampling_rule.this[0].reservoir_size == 1 && aws_xray_sampling_rule.this[0].service_name == "tasks-api-test/test"
    error_message = "the stage's sampling rule states the rate"
  }
}
