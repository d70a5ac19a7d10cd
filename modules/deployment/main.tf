# How a new function version reaches the live alias: a CodeDeploy Lambda deployment, so
# traffic moves gradually (a canary or linear shift: prod) or at once (dev), and moves back
# by itself when one of the environment's alarms fires during the shift. Terraform publishes
# versions and never moves the alias after creating it; scripts/release.sh starts the
# deployment after each apply.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  alias_arn = "arn:${data.aws_partition.current.partition}:lambda:${data.aws_region.current.id}:${data.aws_caller_identity.current.account_id}:function:${var.function_name}:${var.alias_name}"
}

resource "aws_codedeploy_app" "this" {
  name             = var.function_name
  compute_platform = "Lambda"
  tags             = merge(var.tags, { Name = var.function_name })
}

data "aws_iam_policy_document" "assume" {
  statement {
    sid     = "CodeDeployAssumesRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["codedeploy.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = "${var.function_name}-codedeploy"
  description          = "CodeDeploy shifts the ${var.function_name} alias between versions"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = merge(var.tags, { Name = "${var.function_name}-codedeploy" })
}

# what CodeDeploy's Lambda deployments do: read and weight the one alias, read the
# rollback alarms (AWS's AWSCodeDeployRoleForLambdaLimited, scoped to this function)
data "aws_iam_policy_document" "this" {
  statement {
    sid       = "ShiftTheAlias"
    effect    = "Allow"
    actions   = ["lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig"]
    resources = [local.alias_arn]
  }

  statement {
    sid       = "ReadRollbackAlarms"
    effect    = "Allow"
    actions   = ["cloudwatch:DescribeAlarms"]
    resources = ["arn:${data.aws_partition.current.partition}:cloudwatch:${data.aws_region.current.id}:${data.aws_caller_identity.current.account_id}:alarm:${var.function_name}-*"]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.function_name}-codedeploy"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

resource "aws_codedeploy_deployment_group" "this" {
  app_name               = aws_codedeploy_app.this.name
  deployment_group_name  = var.function_name
  service_role_arn       = aws_iam_role.this.arn
  deployment_config_name = var.deployment_config_name

  deployment_style {
    deployment_type   = "BLUE_GREEN"
    deployment_option = "WITH_TRAFFIC_CONTROL"
  }

  auto_rollback_configuration {
    enabled = true
    events  = length(var.rollback_alarm_names) > 0 ? ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] : ["DEPLOYMENT_FAILURE"]
  }

  alarm_configuration {
    enabled = length(var.rollback_alarm_names) > 0
    alarms  = var.rollback_alarm_names
  }

  tags = merge(var.tags, { Name = var.function_name })

  depends_on = [aws_iam_role_policy.this]
}
