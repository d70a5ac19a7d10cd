# The account root: what exists once per AWS account and region, applied once before any
# environment (dev, prod). It holds API Gateway's account-level CloudWatch role, which
# stage access logs need, and the S3 bucket that keeps the environments' Terraform state.
# Environments only look these up: destroying an environment must never reset
# account-wide settings (the AWS provider resets API Gateway's account settings when an
# aws_api_gateway_account is destroyed, and logging then stops for every REST API in the
# region).

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

resource "aws_iam_role" "apigw_cloudwatch" {
  name               = var.cloudwatch_role_name
  description        = "API Gateway writes access and execution logs to CloudWatch (account-wide)"
  assume_role_policy = data.aws_iam_policy_document.apigw_assume.json
  tags               = merge(var.tags, { Name = var.cloudwatch_role_name })
}

resource "aws_iam_role_policy_attachment" "apigw_cloudwatch" {
  role       = aws_iam_role.apigw_cloudwatch.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  cloudwatch_role_arn = aws_iam_role.apigw_cloudwatch.arn

  depends_on = [aws_iam_role_policy_attachment.apigw_cloudwatch]
}

# ---- the Terraform state bucket of the environments ----

resource "aws_s3_bucket" "state" {
  bucket = var.state_bucket_name
  tags   = merge(var.tags, { Name = var.state_bucket_name })

  lifecycle {
    prevent_destroy = true # it holds every environment's state
  }
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id

  versioning_configuration {
    status = "Enabled" # an overwritten or deleted state can be restored
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket = aws_s3_bucket.state.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    object_ownership = "BucketOwnerEnforced" # no ACLs at all
  }
}

data "aws_iam_policy_document" "state_tls_only" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id
  policy = data.aws_iam_policy_document.state_tls_only.json

  depends_on = [aws_s3_bucket_public_access_block.state]
}
