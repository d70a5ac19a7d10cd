output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the function."
  value       = aws_lambda_function.this.arn
}

output "invoke_arn" {
  description = "ARN API Gateway uses to invoke the function: the alias's, so the API serves the version the alias points at."
  value       = aws_lambda_alias.live.invoke_arn
}

output "alias_name" {
  description = "The alias API Gateway invokes (its permission is scoped to it)."
  value       = aws_lambda_alias.live.name
}

output "live_version" {
  description = "The version the alias points at."
  value       = aws_lambda_alias.live.function_version
}

output "latest_version" {
  description = "The newest published version."
  value       = aws_lambda_function.this.version
}

output "timeout" {
  description = "The function's timeout in seconds (for the duration alarm)."
  value       = aws_lambda_function.this.timeout
}

output "role_arn" {
  description = "ARN of the execution role."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "The function's log group."
  value       = aws_cloudwatch_log_group.this.name
}
