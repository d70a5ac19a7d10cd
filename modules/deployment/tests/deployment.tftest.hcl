# Module logic with a mocked provider: the shift, its rollback triggers, the inputs refused.
mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

variables {
  function_name          = "tasks-api-test"
  deployment_config_name = "CodeDeployDefault.LambdaCanary10Percent5Minutes"
}

run "alarms_stop_and_roll_back_a_shift" {
  command = plan

  variables {
    rollback_alarm_names = ["tasks-api-test-lambda-errors", "tasks-api-test-api-error-rate"]
  }

  assert {
    condition     = aws_codedeploy_deployment_group.this.auto_rollback_configuration[0].enabled && contains(aws_codedeploy_deployment_group.this.auto_rollback_configuration[0].events, "DEPLOYMENT_STOP_ON_ALARM")
    error_message = "an alarm during the shift must roll it back"
  }
  assert {
    condition     = aws_codedeploy_deployment_group.this.alarm_configuration[0].enabled && length(aws_codedeploy_deployment_group.this.alarm_configuration[0].alarms) == 2
    error_message = "the environment's alarms watch the shift"
  }
  assert {
    condition     = aws_codedeploy_deployment_group.this.deployment_config_name == "CodeDeployDefault.LambdaCanary10Percent5Minutes" && aws_codedeploy_deployment_group.this.deployment_style[0].deployment_option == "WITH_TRAFFIC_CONTROL"
    error_message = "traffic moves by the canary, under traffic control"
  }
}

run "without_alarms_only_failures_roll_back" {
  command = plan

  assert {
    condition     = !aws_codedeploy_deployment_group.this.alarm_configuration[0].enabled && aws_codedeploy_deployment_group.this.auto_rollback_configuration[0].events == toset(["DEPLOYMENT_FAILURE"])
    error_message = "no alarms: a failed deployment still rolls back"
  }
}

run "refuses_a_config_codedeploy_does_not_have" {
  command = plan

  variables {
    deployment_config_name = "CodeDeployDefault.LambdaCanary50Percent1Minute"
  }

  expect_failures = [var.deployment_config_name]
}

run "refuses_more_alarms_than_codedeploy_takes" {
  command = plan

  variables {
    rollback_alarm_names = [for i in range(11) : "a${i}"]
  }

  expect_failures = [var.rollback_alarm_names]
}
