# The account root: what exists once per AWS account and region, applied once before any
# environment (dev, prod). It holds API Gateway's account-level CloudWatch role, which
# stage access logs need, and the S3 bucket that keeps the environments' Terraform state.
# Environments only look these up: destroying an environment must never reset
# account-wide settings (the AWS provider resets API Gateway's account settings when an
# aws_api_gateway_account is destroyed, and logging then stops for every REST API in the
# region).

locals {
  cloudwatch_role_name = "${var.cloudwatch_role_name}-${var.region}"
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, {
      Project   = "tasks-api"
      Scope     = "account"
      ManagedBy = "terraform"
    })
  }
}

data "aws_partition" "current" {}

# ---- API Gateway's account settings: the CloudWatch role for access logs ----

data "aws_iam_policy_document" "apigw_assume" {
  statement {
    sid     = "ApiGatewayAssumesRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

# The role is global (IAM) but the setting that names it is per region, so each region's
# account root makes its own role, named after the region: an environment looks up its
# region's role, which exists only where this root (and so the setting) was applied.
resource "aws_iam_role" "apigw_cloudwatch" {
  name               = local.cloudwatch_role_name
  description        = "API Gateway writes access and execution logs to CloudWatch (account-wide, ${var.region})"
  assume_role_policy = data.aws_iam_policy_document.apigw_assume.json
  tags               = merge(var.tags, { Name = local.cloudwatch_role_name })
}

resource "aws_iam_role_policy_attachment" "apigw_cloudwatch" {
  role       = aws_iam_role.apigw_cloudwatch.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  cloudwatch_role_arn = aws_iam_role.apigw_cloudwatch.arn

  depends_on = [aws_iam_role_policy_attachment.apigw_cloudwatch]
}

# ---- the Terraform state bucket of the environments (one, in the first region) ----

module "state_bucket" {
  source = "../../modules/private-bucket"
  count  = var.create_shared_resources ? 1 : 0

  name = var.state_bucket_name
  tags = var.tags
}

# ---- the release artifacts (one per region: Lambda takes code from its own region) ----

locals {
  artifact_bucket_name = "${var.name_prefix}-artifacts-${data.aws_caller_identity.current.account_id}-${var.region}"
}

module "artifact_bucket" {
  source = "../../modules/private-bucket"

  name                               = local.artifact_bucket_name
  noncurrent_version_expiration_days = 90 # keys are content hashes: a current object is never replaced
  tags                               = var.tags
}

# the state bucket moved into modules/private-bucket (by way of a count): the same objects
moved {
  from = aws_s3_bucket.state[0]
  to   = module.state_bucket[0].aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket.state
  to   = aws_s3_bucket.state[0]
}

moved {
  from = aws_s3_bucket_versioning.state[0]
  to   = module.state_bucket[0].aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_versioning.state
  to   = aws_s3_bucket_versioning.state[0]
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.state[0]
  to   = module.state_bucket[0].aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.state
  to   = aws_s3_bucket_server_side_encryption_configuration.state[0]
}

moved {
  from = aws_s3_bucket_public_access_block.state[0]
  to   = module.state_bucket[0].aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_public_access_block.state
  to   = aws_s3_bucket_public_access_block.state[0]
}

moved {
  from = aws_s3_bucket_ownership_controls.state[0]
  to   = module.state_bucket[0].aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_ownership_controls.state
  to   = aws_s3_bucket_ownership_controls.state[0]
}

moved {
  from = aws_s3_bucket_policy.state[0]
  to   = module.state_bucket[0].aws_s3_bucket_policy.this
}

moved {
  from = aws_s3_bucket_policy.state
  to   = aws_s3_bucket_policy.state[0]
}
