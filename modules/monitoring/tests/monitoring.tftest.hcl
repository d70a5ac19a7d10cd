# Module logic with a mocked provider (no AWS, no emulator): which alarms exist, where
# init errors are counted, and the inputs the module refuses.
mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" } # the provider checks a key policy is JSON
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
}

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

run "burn_rate_pages_on_both_windows_of_the_objective" {
  command = plan

  variables {
    alarms_enabled         = true
    availability_objective = 99.9
  }

  assert {
    condition     = length(aws_cloudwatch_composite_alarm.burn_rate) == 2
    error_message = "expected a fast and a slow burn-rate alarm"
  }
  assert {
    condition     = abs(aws_cloudwatch_metric_alarm.error_share["burn-fast-long"].threshold - 0.0144) < 1e-9 && abs(aws_cloudwatch_metric_alarm.error_share["burn-slow-short"].threshold - 0.006) < 1e-9
    error_message = "burn thresholds must be 14.4x and 6x the 0.1% error budget"
  }
  assert {
    condition     = one([for q in aws_cloudwatch_metric_alarm.error_share["burn-fast-long"].metric_query : q.metric[0].period if q.id == "errors"]) == 3600 && one([for q in aws_cloudwatch_metric_alarm.error_share["burn-fast-short"].metric_query : q.metric[0].period if q.id == "errors"]) == 300
    error_message = "the fast window is 1 h long and 5 min short"
  }
  assert {
    condition     = aws_cloudwatch_composite_alarm.burn_rate["fast"].alarm_rule == "ALARM(\"tasks-api-test-burn-fast-long\") AND ALARM(\"tasks-api-test-burn-fast-short\")"
    error_message = "a window pages only when its long and short halves both are in ALARM"
  }
  assert {
    condition     = alltrue([for c in aws_cloudwatch_composite_alarm.burn_rate : length(c.alarm_actions) == 1]) && alltrue([for k, a in aws_cloudwatch_metric_alarm.error_share : length(coalesce(a.alarm_actions, [])) == 0 if startswith(k, "burn-")])
    error_message = "the composite alarms notify; their halves do not"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.error_share["api-error-rate"].threshold == 0.05 && length(aws_cloudwatch_metric_alarm.error_share["api-error-rate"].alarm_actions) == 1
    error_message = "expected the 5xx-share alarm"
  }
}

run "concurrency_alarm_only_with_a_reservation" {
  command = plan

  variables {
    alarms_enabled       = true
    reserved_concurrency = 100
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["lambda-concurrency"].threshold == 80
    error_message = "the concurrency alarm fires at 80% of the reservation"
  }
}

run "refuses_an_objective_of_a_hundred_percent" {
  command = plan

  variables {
    availability_objective = 100
  }

  expect_failures = [var.availability_objective]
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
