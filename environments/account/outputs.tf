output "cloudwatch_role_arn" {
  description = "API Gateway's account CloudWatch role."
  value       = aws_iam_role.apigw_cloudwatch.arn
}

output "state_bucket_name" {
  description = "The state bucket: put it in each environment's backend.hcl."
  value       = var.create_shared_resources ? aws_s3_bucket.state[0].id : var.state_bucket_name
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
