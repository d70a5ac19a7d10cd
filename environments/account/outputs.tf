output "cloudwatch_role_arn" {
  description = "API Gateway's account CloudWatch role."
  value       = aws_iam_role.apigw_cloudwatch.arn
}

output "state_bucket_name" {
  description = "The state bucket: put it in each environment's backend.hcl."
  value       = var.create_shared_resources ? module.state_bucket[0].name : var.state_bucket_name
}

output "state_bucket_region" {
  description = "Region of the state bucket (backend.hcl's region)."
  value       = var.region
}

output "deployer_policy_arns" {
  description = "Per environment: the policy to attach to whoever deploys it (empty in a further region)."
  value       = { for env, p in aws_iam_policy.deployer : env => p.arn }
}

output "account_deployer_policy_arn" {
  description = "The policy for administrators who apply this root; null in a further region."
  value       = try(aws_iam_policy.account_deployer[0].arn, null)
}

output "role_boundary_arn" {
  description = "The permissions boundary every role of an environment carries; null in a further region."
  value       = try(aws_iam_policy.role_boundary[0].arn, null)
}

output "artifact_bucket_name" {
  description = "This region's artifact bucket: make publish uploads to it, environments deploy from it."
  value       = module.artifact_bucket.name
}

output "github_deploy_role_arns" {
  description = "Per environment, the role GitHub Actions assumes to deploy it (the AWS_DEPLOY_ROLE_ARN variable of that GitHub environment); empty without github_repository."
  value       = { for env, r in aws_iam_role.github_deploy : env => r.arn }
}

output "github_plan_role_arn" {
  description = "The role pull requests assume to plan (repository variable AWS_PLAN_ROLE_ARN); null without github_repository."
  value       = try(aws_iam_role.github_plan[0].arn, null)
}
