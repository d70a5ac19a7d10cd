# The composition's logic with a mocked provider (no AWS, no emulator): the reservation
# checked against the account's concurrency quota, prod-like and dev-like values wired
# through, and the names an environment gets.
mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_region" {
    defaults = { id = "eu-west-1", name = "eu-west-1" }
  }
  mock_data "aws_servicequotas_service_quota" {
    defaults = { value = 1000 }
  }
  mock_data "aws_iam_roles" {
    defaults = { names = ["apigateway-cloudwatch-logs-eu-west-1"] }
  }
}

variables {
  environment                 = "test"
  deletion_protection_enabled = true
  lambda_memory_size          = 512
  lambda_timeout              = 10
  lambda_reserved_concurrency = 100
  log_level                   = "info"
  log_retention_days          = 90
  tracing_enabled             = true
  throttling_rate_limit       = 500
  throttling_burst_limit      = 1000
  alarms_enabled              = true
  auth                        = "cognito"
  availability_objective      = 99.9
  error_rate_threshold        = 0.05
  xray_sampling_rate          = 0.01
  waf_enabled                 = true
  waf_rate_limit_per_ip       = 3000
  deployment_config_name      = "CodeDeployDefault.LambdaCanary10Percent5Minutes"
  artifact_sha256             = "0000000000000000000000000000000000000000000000000000000000000000"
}

run "a_new_account_quota_stops_the_reservation" {
  command = plan

  override_data {
    target = data.aws_servicequotas_service_quota.lambda_concurrency[0]
    values = { value = 10 }
  }

  expect_failures = [data.aws_servicequotas_service_quota.lambda_concurrency[0]]
}

run "a_quota_with_room_for_the_reservation_plans" {
  command = plan

  assert {
    condition     = output.function_name == "tasks-api-test"
    error_message = "resources are named <name_prefix>-<environment>"
  }
  assert {
    condition     = length(module.cognito) == 1
    error_message = "auth = cognito without a pool of one's own creates one"
  }
  assert {
    condition     = length(module.waf) == 1
    error_message = "waf_enabled puts a web ACL on the stage"
  }
}

run "an_unreserved_function_reads_no_quota" {
  command = plan

  variables {
    lambda_reserved_concurrency = -1
  }

  assert {
    condition     = length(data.aws_servicequotas_service_quota.lambda_concurrency) == 0
    error_message = "the quota is read only for a reservation"
  }
}

run "deploys_the_recorded_artifact_from_its_regions_bucket" {
  command = plan

  variables {
    architecture    = "arm64"
    artifact_sha256 = "ab00000000000000000000000000000000000000000000000000000000000000"
  }

  assert {
    condition     = output.artifact.bucket == "tasks-api-artifacts-123456789012-eu-west-1" && output.artifact.key == "tasks-api/lambda-arm64/ab00000000000000000000000000000000000000000000000000000000000000.zip"
    error_message = "the artifact is <prefix>/lambda-<architecture>/<sha256>.zip in the region's artifact bucket"
  }
  assert {
    condition     = module.lambda.function_name == "tasks-api-test"
    error_message = "the function deploys from S3"
  }
}

run "refuses_an_unrecorded_artifact" {
  command = plan

  variables {
    artifact_sha256 = "latest"
  }

  expect_failures = [var.artifact_sha256]
}

run "refuses_an_unknown_auth_mode" {
  command = plan

  variables {
    auth = "basic"
  }

  expect_failures = [var.auth]
}
