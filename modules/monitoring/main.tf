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

  # near the reservation, before requests are throttled (only with a reservation)
  concurrency_alarm = var.reserved_concurrency < 1 ? {} : {
    lambda-concurrency = {
      description = "Concurrent executions are near the function's reserved concurrency: requests will be throttled next."
      namespace   = "AWS/Lambda", metric = "ConcurrentExecutions", statistic = "Maximum", extended = null
      threshold   = max(1, floor(var.reserved_concurrency * var.concurrency_alarm_ratio)), missing = "notBreaching"
      dimensions  = { FunctionName = var.function_name }
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

  all_alarms = merge(local.alarms, local.concurrency_alarm, {
    for pair in setproduct(keys(local.dynamodb_alarms), local.dynamodb_operations) :
    "dynamodb-${pair[0]}-${pair[1]}" => {
      description = local.dynamodb_alarms[pair[0]].description
      namespace   = "AWS/DynamoDB", metric = local.dynamodb_alarms[pair[0]].metric, statistic = "Sum", extended = null
      threshold   = local.dynamodb_alarms[pair[0]].threshold, missing = "notBreaching"
      dimensions  = { TableName = var.table_name, Operation = pair[1] }
    }
  })
}

locals {
  # Multi-window burn rates of the availability objective's error budget (the SRE
  # workbook's pair): a window pages only when both its long and its short alarm are in
  # ALARM, so it pages fast on a real burn and stops soon after the burn does.
  error_budget = 1 - var.availability_objective / 100
  burn_windows = {
    fast = { factor = 14.4, long_s = 3600, short_s = 300 } # 2% of a 30-day budget in 1 h
    slow = { factor = 6, long_s = 21600, short_s = 1800 }  # 5% of it in 6 h
  }
  burn_alarms = merge([for w, cfg in local.burn_windows : {
    "${w}-long"  = { window = w, period = cfg.long_s, threshold = cfg.factor * local.error_budget }
    "${w}-short" = { window = w, period = cfg.short_s, threshold = cfg.factor * local.error_budget }
  }]...)
  api_dimensions = { ApiName = var.api_name, Stage = var.stage_name }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

# The topic's key. A customer managed key, because CloudWatch can publish to an encrypted
# topic only when the key's policy lets cloudwatch.amazonaws.com use it, and the AWS
# managed key alias/aws/sns cannot be given that (every notification would fail with a KMS
# access error while the alarm shows ALARM). The grant is scoped to this account's alarms
# of this environment.
data "aws_iam_policy_document" "alarm_key" {
  statement {
    sid       = "AccountAdministersTheKey"
    effect    = "Allow"
    actions   = ["kms:*"]
    resources = ["*"] # in a key policy, "*" is this key

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchPublishesAlarms"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:cloudwatch:${var.region}:${data.aws_caller_identity.current.account_id}:alarm:${var.name}-*"]
    }
  }
}

resource "aws_kms_key" "alarms" {
  description             = "Encrypts the ${var.name} alarm topic; CloudWatch may use it to publish"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.alarm_key.json
  tags                    = merge(var.tags, { Name = "${var.name}-alarms" })
}

resource "aws_kms_alias" "alarms" {
  name          = "alias/${var.name}-alarms"
  target_key_id = aws_kms_key.alarms.key_id
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = aws_kms_key.alarms.arn
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
  alarm_description   = "${each.value.description} Runbook: ${var.runbook_url}#${replace(each.key, "/-(GetItem|PutItem|UpdateItem|Query)$/", "")}"
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

# The share of requests answered 5xx (metric math: 5XXError / Count, 0 without requests):
# over one alarm period it notifies (a busy hour's few errors do not page, a quiet hour's
# every-request failure does); over each burn-rate window's long and short halves it
# notifies nobody itself (the composite alarm of the window does).
locals {
  error_share_alarms = local.alarms_on ? merge({
    api-error-rate = {
      description = "Share of API requests answered 5xx is above ${var.error_rate_threshold * 100}%."
      period      = var.alarm_period_s, evaluation = var.alarm_evaluation_periods
      threshold   = var.error_rate_threshold, notify = true
    }
    }, {
    for k, v in local.burn_alarms : "burn-${k}" => {
      description = "Error budget of ${var.availability_objective}% burning at ${local.burn_windows[v.window].factor}x over ${v.period / 60} min (half of the ${v.window} burn-rate alarm)."
      period      = v.period, evaluation = 1, threshold = v.threshold, notify = false
    }
  }) : {}
}

resource "aws_cloudwatch_metric_alarm" "error_share" {
  for_each = local.error_share_alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "${each.value.description} Runbook: ${var.runbook_url}#${replace(each.key, "/^burn-(fast|slow)-(long|short)$/", "burn-rate-$1")}"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  evaluation_periods  = each.value.evaluation
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching" # no requests, no errors
  alarm_actions       = each.value.notify ? [aws_sns_topic.alarms.arn] : null
  ok_actions          = each.value.notify ? [aws_sns_topic.alarms.arn] : null
  tags                = merge(var.tags, { Name = "${var.name}-${each.key}" })

  metric_query {
    id          = "rate"
    expression  = "IF(requests > 0, errors / requests, 0)"
    label       = "5xx share"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = { errors = "5XXError", requests = "Count" }

    content {
      id = metric_query.key
      metric {
        namespace   = "AWS/ApiGateway"
        metric_name = metric_query.value
        dimensions  = local.api_dimensions
        period      = each.value.period
        stat        = "Sum"
      }
    }
  }
}

resource "aws_cloudwatch_composite_alarm" "burn_rate" {
  for_each = local.alarms_on ? local.burn_windows : {}

  alarm_name        = "${var.name}-burn-rate-${each.key}"
  alarm_description = "The ${var.availability_objective}% availability objective's error budget is burning ${each.value.factor}x too fast (over ${each.value.long_s / 3600} h and ${each.value.short_s / 60} min). Runbook: ${var.runbook_url}#burn-rate-${each.key}"
  alarm_rule        = "ALARM(\"${aws_cloudwatch_metric_alarm.error_share["burn-${each.key}-long"].alarm_name}\") AND ALARM(\"${aws_cloudwatch_metric_alarm.error_share["burn-${each.key}-short"].alarm_name}\")"
  alarm_actions     = [aws_sns_topic.alarms.arn]
  ok_actions        = [aws_sns_topic.alarms.arn]
  tags              = merge(var.tags, { Name = "${var.name}-burn-rate-${each.key}" })
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
