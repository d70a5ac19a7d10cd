# Module logic with a mocked provider (no AWS, no emulator): which alarms exist, where
# init errors are counted, and the inputs the module refuses.
mock_provider "aws" {}

variables {
  name                    = "tasks-api-test"
  region                  = "us-east-1"
  function_name           = "tasks-api-test"
  function_timeout_s      = 10
  function_log_group_name = "/aws/lambda/tasks-api-test"
  api_name                = "tasks-api-test"
  stage_name              = "test"
  table_name              = "tasks-api-test"
}

run "alarms_off_watch_nothing" {
  command = plan

  variables {
    alarms_enabled = false
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.this) == 0
    error_message = "alarms were made with alarms off"
  }
  assert {
    condition     = length(aws_cloudwatch_log_metric_filter.init_errors) == 0
    error_message = "an init-error metric filter nobody watches"
  }
}

run "alarms_on_cover_function_api_table_and_init" {
  command = plan

  variables {
    alarms_enabled = true
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.this) == 6 + 2 * 4
    error_message = "expected 6 alarms plus 2 per DynamoDB operation the store performs (4)"
  }
  assert {
    condition     = aws_cloudwatch_log_metric_filter.init_errors[0].metric_transformation[0].namespace == "TasksApi/tasks-api-test"
    error_message = "init errors must be counted in the environment's own namespace"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.this["init-errors"].namespace == "TasksApi/tasks-api-test"
    error_message = "the init-error alarm must watch the environment's own metric"
  }
  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.this : length(a.alarm_actions) == 1])
    error_message = "every alarm must notify the topic"
  }
  assert {
    condition     = !contains(keys(aws_cloudwatch_metric_alarm.this), "dynamodb-throttled-requests-DeleteItem")
    error_message = "an alarm on an operation the store never performs"
  }
}

run "refuses_a_malformed_email" {
  command = plan

  variables {
    alarm_email = "not-an-address"
  }

  expect_failures = [var.alarm_email]
}

run "refuses_an_alarm_period_cloudwatch_does_not_offer" {
  command = plan

  variables {
    alarm_period_s = 120
  }

  expect_failures = [var.alarm_period_s]
}

run "refuses_a_duration_ratio_outside_zero_to_one" {
  command = plan

  variables {
    duration_alarm_ratio = 1.5
  }

  expect_failures = [var.duration_alarm_ratio]
}
