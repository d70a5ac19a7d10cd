output "cloudwatch_role_arn" {
  description = "API Gateway's account CloudWatch role."
  value       = aws_iam_role.apigw_cloudwatch.arn
}

output "state_bucket_name" {
  description = "The state bucket: put it in each environment's backend.hcl."
  value       = aws_s3_bucket.state.id
}

output "state_bucket_region" {
  description = "Region of the state bucket (backend.hcl's region)."
  value       = var.region
}
