output "rest_api_id" {
  description = "ID of the REST API."
  value       = aws_api_gateway_rest_api.this.id
}

output "execution_arn" {
  description = "Execution ARN of the REST API."
  value       = aws_api_gateway_rest_api.this.execution_arn
}

output "stage_name" {
  description = "The deployed stage."
  value       = aws_api_gateway_stage.this.stage_name
}

output "url" {
  description = "Base URL of the API: the custom domain (with its base path) when there is one, else the stage's invoke URL."
  value       = var.domain_name == null ? aws_api_gateway_stage.this.invoke_url : "https://${var.domain_name}${var.base_path == null ? "" : "/${var.base_path}"}"
}

output "domain_regional_name" {
  description = "With a custom domain: the name its DNS record must point at (CNAME or alias); null otherwise."
  value       = var.domain_name == null ? null : aws_api_gateway_domain_name.this[0].regional_domain_name
}

output "invoke_url" {
  description = "Base URL of the stage (append /tasks)."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "access_log_group_name" {
  description = "Log group of the stage's access logs (null when access_logs_enabled is false)."
  value       = var.access_logs_enabled ? aws_cloudwatch_log_group.access[0].name : null
}

output "api_key_value" {
  description = "The API key when api_key_required is true, else null."
  value       = var.api_key_required ? aws_api_gateway_api_key.this[0].value : null
  sensitive   = true
}

output "authorizer_id" {
  description = "ID of the Cognito authorizer (null when cognito_user_pool_arns is empty)."
  value       = local.auth_enabled ? aws_api_gateway_authorizer.cognito[0].id : null
}

output "stage_arn" {
  description = "ARN of the stage (what a WAF web ACL is associated with)."
  value       = aws_api_gateway_stage.this.arn
}
