output "alarm_topic_arn" {
  description = "The SNS topic every alarm notifies; subscribe pagers or chat to it."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_names" {
  description = "Names of the alarms."
  value       = [for a in aws_cloudwatch_metric_alarm.this : a.alarm_name]
}

output "dashboard_name" {
  description = "The CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "rollback_alarm_names" {
  description = "The alarms a bad release trips (function errors, p99 duration, init failures, API 5xx count and share): a deployment's traffic shift rolls back while one is in ALARM. Empty with alarms off."
  value = local.alarms_on ? concat(
    [for k in ["lambda-errors", "lambda-duration-p99", "init-errors", "api-5xx"] : aws_cloudwatch_metric_alarm.this[k].alarm_name],
    [aws_cloudwatch_metric_alarm.error_share["api-error-rate"].alarm_name],
  ) : []
}
