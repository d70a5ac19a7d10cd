# What an environment root shows its deployer (it passes these on).

output "api_invoke_url" {
  description = "Base URL of the API (the custom domain when there is one): curl \"$(terraform output -raw api_invoke_url)/tasks\"."
  value       = module.api_gateway.url
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

output "api_id" {
  description = "ID of the REST API (aws apigateway get-stages --rest-api-id ...)."
  value       = module.api_gateway.rest_api_id
}

output "stage_name" {
  description = "The API's stage; the first path segment of the invoke URL."
  value       = module.api_gateway.stage_name
}

output "function_log_group_name" {
  description = "The function's log group: aws logs tail <name> --follow."
  value       = module.lambda.log_group_name
}

output "region" {
  description = "Region of the stack."
  value       = data.aws_region.current.id
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms: subscribe a pager or chat to it."
  value       = module.monitoring.alarm_topic_arn
}

output "dashboard_name" {
  description = "The CloudWatch dashboard."
  value       = module.monitoring.dashboard_name
}

output "live_version" {
  description = "The function version the live alias (and so the API) serves."
  value       = module.lambda.live_version
}

output "latest_version" {
  description = "The newest published function version."
  value       = module.lambda.latest_version
}

output "auth" {
  description = "How the API authenticates: none or cognito."
  value       = var.auth
}

output "cognito_user_pool_id" {
  description = "The user pool this environment created (auth = \"cognito\" without cognito_user_pool_arn); null otherwise."
  value       = local.create_user_pool ? module.cognito[0].user_pool_id : null
}

output "cognito_client_id" {
  description = "The created pool's public app client: the client id for sign-in and the tokens' audience; null otherwise."
  value       = local.create_user_pool ? module.cognito[0].client_id : null
}

output "cognito_issuer" {
  description = "The created pool's token issuer (the local server's --auth-issuer); null otherwise."
  value       = local.create_user_pool ? module.cognito[0].issuer : null
}

output "cognito_jwks_url" {
  description = "The created pool's signing keys (fetch for the local server's --auth-jwks); null otherwise."
  value       = local.create_user_pool ? module.cognito[0].jwks_url : null
}

output "domain_regional_name" {
  description = "With a custom domain: the name its DNS record must point at; null otherwise."
  value       = module.api_gateway.domain_regional_name
}

output "environment" {
  description = "The environment's name."
  value       = var.environment
}

output "artifact" {
  description = "The release artifact this environment runs: its SHA-256, architecture, bucket and key."
  value = {
    sha256       = var.artifact_sha256
    architecture = var.architecture
    bucket       = local.artifact_bucket
    key          = local.artifact_key
  }
}

output "deployment" {
  description = "The CodeDeploy application, group and traffic shift new versions go through."
  value = {
    application = module.deployment.application_name
    group       = module.deployment.deployment_group_name
    config      = module.deployment.deployment_config_name
  }
}
