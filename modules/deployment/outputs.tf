output "application_name" {
  description = "The CodeDeploy application (aws deploy list-deployments --application-name ...)."
  value       = aws_codedeploy_app.this.name
}

output "deployment_group_name" {
  description = "The deployment group scripts/release.sh deploys through."
  value       = aws_codedeploy_deployment_group.this.deployment_group_name
}

output "deployment_config_name" {
  description = "How traffic moves to a new version."
  value       = aws_codedeploy_deployment_group.this.deployment_config_name
}
