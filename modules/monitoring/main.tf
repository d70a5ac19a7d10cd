# What someone on call needs: alarms on the function, the API and the table, sent to one
# SNS topic (with an optional email subscription), a log metric filter that turns the
# bootstrap's init failures into a metric, and a dashboard with the AWS metrics beside the
# function's own Embedded Metric Format metrics (requests by route, latency, store time).

locals {
  alarms_on = var.alarms_enabled
  # the environment's own: a log metric filter's metric has no dimensions to tell
  # environments apart, and one shared InitErrors would page prod for dev's failures
  init_errors_namespace = "${var.metrics_namespace}/${var.function_name}"

  # Each alarm: what it watches, its threshold, and what missing data means for it. Errors,
  # throttles and faults are counts that are simply absent when nothing happens, so
  # missing data is fine; latency percentiles are absent without traffic, which is fine too.
  alarms = {
    lambda-errors = {
      description = "The function returned errors (invocation failures, not 4xx/5xx answers)."
      namespace   = "AWS/Lambda", metric = "Errors", statistic = "Sum", extended = null
      threshold   = var.lambda_errors_threshold, missing = "notBreaching"
      dimensions  = { FunctionName = var.function_name }
    }
    lambda-throttles = {
      description = "Invocations were throttled: reserved concurrency or the account limit is too low."
      namespace   = "AWS/Lambda", metric = "Throttles", statistic = "Sum", extended = null
      threshold   = var.lambda_throttles_threshold, missing = "notBreaching"
      dimensions  = { FunctionName = var.function_name }
    }
    lambda-duration-p99 = {
      description = "p99 duration is near the function's timeout."
      namespace   = "AWS/Lambda", metric = "Duration", statistic = null, extended = "p99"
      threshold   = floor(var.function_timeout_s * 1000 * var.duration_alarm_ratio), missing = "notBreaching"
      dimensions  = { FunctionName = var.function_name }
    }
    api-5xx = {
      description = "The API answered 5xx (the function's 503s and the gateway's 502/504)."
      namespace   = "AWS/ApiGateway", metric = "5XXError", statistic = "Sum", extended = null
      threshold   = var.api_5xx_threshold, missing = "notBreaching"
      dimensions  = { ApiName = var.api_name, Stage = var.stage_name }
    }
    api-latency-p99 = {
      description = "The API's p99 latency is high."
      namespace   = "AWS/ApiGateway", metric = "Latency", statistic = null, extended = "p99"
      threshold   = var.api_latency_p99_ms, missing = "notBreaching"
      dimensions  = { ApiName = var.api_name, Stage = var.stage_name }
    }
    init-errors = {
      description = "The bootstrap failed to start (bad configuration, missing table or permissions): every request fails."
      namespace   = local.init_errors_namespace, metric = "InitErrors", statistic = "Sum", extended = null
      threshold   = 1, missing = "notBreaching"
      dimensions  = {}
    }
  }

  # DynamoDB reports these per operation; one alarm per operation the store performs.
  dynamodb_alarms = {
    throttled-requests = {
      description = "DynamoDB throttled requests (the store retried them; clients may have seen 503)."
      metric      = "ThrottledRequests", threshold = var.dynamodb_throttles_threshold
    }
    system-errors = {
      description = "DynamoDB answered with internal errors (HTTP 500)."
      metric      = "SystemErrors", threshold = var.dynamodb_system_errors_threshold
    }
  }
  dynamodb_operations = ["GetItem", "PutItem", "UpdateItem", "Query"]

  all_alarms = merge(local.alarms, {
    for pair in setproduct(keys(local.dynamodb_alarms), local.dynamodb_operations) :
    "dynamodb-${pair[0]}-${pair[1]}" => {
      description = local.dynamodb_alarms[pair[0]].description
      namespace   = "AWS/DynamoDB", metric = local.dynamodb_alarms[pair[0]].metric, statistic = "Sum", extended = null
      threshold   = local.dynamodb_alarms[pair[0]].threshold, missing = "notBreaching"
      dimensions  = { TableName = var.table_name, Operation = pair[1] }
    }
  })
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = "alias/aws/sns"
  tags              = merge(var.tags, { Name = "${var.name}-alarms" })
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email # AWS sends a confirmation mail first
}

# The bootstrap logs {"level":"error","msg":"init failed: ..."} before it exits. Only
# where its alarm is: with alarms off, nothing counts or watches it.
resource "aws_cloudwatch_log_metric_filter" "init_errors" {
  count = local.alarms_on ? 1 : 0

  name           = "${var.name}-init-errors"
  log_group_name = var.function_log_group_name
  pattern        = "{ $.msg = \"init failed*\" }"

  metric_transformation {
    name      = "InitErrors"
    namespace = local.init_errors_namespace
    value     = "1"
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms_on ? local.all_alarms : {}

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  statistic           = each.value.statistic
  extended_statistic  = each.value.extended
  dimensions          = each.value.dimensions
  period              = var.alarm_period_s
  evaluation_periods  = var.alarm_evaluation_periods
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = each.value.missing
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = merge(var.tags, { Name = "${var.name}-${each.key}" })

  depends_on = [aws_cloudwatch_log_metric_filter.init_errors]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  dashboard_body = jsonencode({
    widgets = [
      { type = "metric", x = 0, y = 0, width = 12, height = 6, properties = {
        title = "API: requests, 4xx, 5xx", region = var.region, stat = "Sum", period = 60
        metrics = [
          ["AWS/ApiGateway", "Count", "ApiName", var.api_name, "Stage", var.stage_name],
          [".", "4XXError", ".", ".", ".", "."],
          [".", "5XXError", ".", ".", ".", "."],
        ]
      } },
      { type = "metric", x = 12, y = 0, width = 12, height = 6, properties = {
        title = "API: latency p50 / p99 (ms)", region = var.region, period = 60
        metrics = [
          ["AWS/ApiGateway", "Latency", "ApiName", var.api_name, "Stage", var.stage_name, { stat = "p50" }],
          ["...", { stat = "p99" }],
          [".", "IntegrationLatency", ".", ".", ".", ".", { stat = "p99" }],
        ]
      } },
      { type = "metric", x = 0, y = 6, width = 12, height = 6, properties = {
        title = "Function: invocations, errors, throttles", region = var.region, stat = "Sum", period = 60
        metrics = [
          ["AWS/Lambda", "Invocations", "FunctionName", var.function_name],
          [".", "Errors", ".", "."],
          [".", "Throttles", ".", "."],
          [".", "ConcurrentExecutions", ".", ".", { stat = "Maximum" }],
        ]
      } },
      { type = "metric", x = 12, y = 6, width = 12, height = 6, properties = {
        title = "Function: duration p50 / p99 (ms)", region = var.region, period = 60
        metrics = [
          ["AWS/Lambda", "Duration", "FunctionName", var.function_name, { stat = "p50" }],
          ["...", { stat = "p99" }],
        ]
      } },
      { type = "metric", x = 0, y = 12, width = 12, height = 6, properties = {
        title   = "Requests by route and status class (EMF)", region = var.region, stat = "Sum", period = 60
        metrics = [[{ expression = "SEARCH('{${var.metrics_namespace},Service,Route,StatusClass} MetricName=\"Requests\" Service=\"${var.function_name}\"', 'Sum', 60)", id = "requests" }]]
      } },
      { type = "metric", x = 12, y = 12, width = 12, height = 6, properties = {
        title = "Latency by route, store time, retries, cold starts (EMF)", region = var.region, period = 60
        metrics = [
          [{ expression = "SEARCH('{${var.metrics_namespace},Service,Route} MetricName=\"Latency\" Service=\"${var.function_name}\"', 'p99', 60)", id = "latency" }],
          [var.metrics_namespace, "StoreLatency", "Service", var.function_name, { stat = "p99" }],
          [".", "StoreRetries", ".", ".", { stat = "Sum" }],
          [".", "StoreThrottles", ".", ".", { stat = "Sum" }],
          [".", "ColdStart", ".", ".", { stat = "Sum" }],
        ]
      } },
      { type = "metric", x = 0, y = 18, width = 24, height = 6, properties = {
        title = "DynamoDB: throttles, system errors, consumed capacity", region = var.region, stat = "Sum", period = 60
        metrics = [
          ["AWS/DynamoDB", "ConsumedReadCapacityUnits", "TableName", var.table_name],
          [".", "ConsumedWriteCapacityUnits", ".", "."],
          [".", "ReadThrottleEvents", ".", "."],
          [".", "WriteThrottleEvents", ".", "."],
        ]
      } },
    ]
  })
}
