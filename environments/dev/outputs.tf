output "api_invoke_url" {
  description = "Base URL of the API: curl \"$(terraform output -raw api_invoke_url)/tasks\"."
  value       = module.api_gateway.invoke_url
}

output "table_name" {
  description = "The tasks table."
  value       = module.dynamodb.table_name
}

output "function_name" {
  description = "The Lambda function."
  value       = module.lambda.function_name
}

output "api_key_value" {
  description = "The API key when api_key_required is true (terraform output -raw api_key_value)."
  value       = module.api_gateway.api_key_value
  sensitive   = true
}

output "access_log_group_name" {
  description = "Log group of the API's access logs (aws logs tail <name> --follow); null without access logs."
  value       = module.api_gateway.access_log_group_name
}
