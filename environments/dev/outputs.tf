# What this environment shows its deployer: the composition's outputs, one by one, so that
# `terraform output -raw api_invoke_url` and the like work here.

output "api_invoke_url" {
  description = "Base URL of the API: curl \"$(terraform output -raw api_invoke_url)/tasks\"."
  value       = module.tasks_api.api_invoke_url
}

output "table_name" {
  description = "The tasks table."
  value       = module.tasks_api.table_name
}

output "function_name" {
  description = "The Lambda function."
  value       = module.tasks_api.function_name
}

output "api_key_value" {
  description = "The API key when api_key_required is true (terraform output -raw api_key_value)."
  value       = module.tasks_api.api_key_value
  sensitive   = true
}

output "access_log_group_name" {
  description = "Log group of the API's access logs; null without access logs."
  value       = module.tasks_api.access_log_group_name
}

output "api_id" {
  description = "ID of the REST API."
  value       = module.tasks_api.api_id
}

output "stage_name" {
  description = "The API's stage; the first path segment of the invoke URL."
  value       = module.tasks_api.stage_name
}

output "function_log_group_name" {
  description = "The function's log group: aws logs tail <name> --follow."
  value       = module.tasks_api.function_log_group_name
}

output "region" {
  description = "Region of the stack."
  value       = module.tasks_api.region
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms: subscribe a pager or chat to it."
  value       = module.tasks_api.alarm_topic_arn
}

output "dashboard_name" {
  description = "The CloudWatch dashboard."
  value       = module.tasks_api.dashboard_name
}

output "live_version" {
  description = "The function version the live alias (and so the API) serves."
  value       = module.tasks_api.live_version
}

output "latest_version" {
  description = "The newest published function version."
  value       = module.tasks_api.latest_version
}

output "auth" {
  description = "How the API authenticates: none or cognito."
  value       = module.tasks_api.auth
}

output "cognito_user_pool_id" {
  description = "The user pool this environment created; null otherwise."
  value       = module.tasks_api.cognito_user_pool_id
}

output "cognito_client_id" {
  description = "The created pool's public app client id; null otherwise."
  value       = module.tasks_api.cognito_client_id
}

output "cognito_issuer" {
  description = "The created pool's token issuer (the local server's --auth-issuer); null otherwise."
  value       = module.tasks_api.cognito_issuer
}

output "cognito_jwks_url" {
  description = "The created pool's signing keys; null otherwise."
  value       = module.tasks_api.cognito_jwks_url
}

output "domain_regional_name" {
  description = "With a custom domain: the name its DNS record must point at; null otherwise."
  value       = module.tasks_api.domain_regional_name
}

output "artifact" {
  description = "The release artifact this environment runs (sha256, architecture, bucket, key)."
  value       = module.tasks_api.artifact
}

output "deployment" {
  description = "The CodeDeploy application, group and traffic shift new versions go through."
  value       = module.tasks_api.deployment
}
