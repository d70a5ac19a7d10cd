# GitHub Actions deploys with short-lived credentials from GitHub's OIDC provider: no
# stored keys. Each environment has a deploy role that only a job of this repository
# running in the GitHub environment of the same name may assume (audience
# sts.amazonaws.com), so a required-reviewers rule on the "prod" environment gates prod.
# The deploy role carries its environment's deployer policy, with that same policy as its
# permissions boundary: nothing attached later can widen it. Pull requests get a plan role
# that can read (ReadOnlyAccess and the state objects) and change nothing.

locals {
  github       = var.github_repository != null && var.create_shared_resources
  github_host  = "token.actions.githubusercontent.com"
  github_roles = local.github ? toset(var.environments) : toset([])
}

resource "aws_iam_openid_connect_provider" "github" {
  count = local.github ? 1 : 0

  url            = "https://${local.github_host}"
  client_id_list = ["sts.amazonaws.com"]
  tags           = merge(var.tags, { Name = "github-actions" })
}

data "aws_iam_policy_document" "github_deploy_trust" {
  for_each = local.github_roles

  statement {
    sid     = "GitHubEnvironmentOnly"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.github[0].arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_host}:sub"
      values   = ["repo:${var.github_repository}:environment:${each.key}"]
    }
  }
}

resource "aws_iam_role" "github_deploy" {
  for_each = local.github_roles

  name                 = "${var.name_prefix}-github-deploy-${each.key}"
  description          = "GitHub Actions deploys ${each.key} (environment ${each.key} of ${var.github_repository})"
  assume_role_policy   = data.aws_iam_policy_document.github_deploy_trust[each.key].json
  max_session_duration = 3600
  permissions_boundary = aws_iam_policy.deployer[each.key].arn
  tags                 = merge(var.tags, { Name = "${var.name_prefix}-github-deploy-${each.key}" })
}

resource "aws_iam_role_policy_attachment" "github_deploy" {
  for_each = local.github_roles

  role       = aws_iam_role.github_deploy[each.key].name
  policy_arn = aws_iam_policy.deployer[each.key].arn
}

data "aws_iam_policy_document" "github_plan_trust" {
  count = local.github ? 1 : 0

  statement {
    sid     = "PullRequestsOnly"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.github[0].arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_host}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_host}:sub"
      values   = ["repo:${var.github_repository}:pull_request"]
    }
  }
}

data "aws_iam_policy_document" "github_plan_state" {
  count = local.github ? 1 : 0

  statement {
    sid       = "ReadState"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["arn:${local.partition}:s3:::${var.state_bucket_name}/${var.name_prefix}/*"]
  }
}

resource "aws_iam_role" "github_plan" {
  count = local.github ? 1 : 0

  name                 = "${var.name_prefix}-github-plan"
  description          = "GitHub Actions plans (pull requests of ${var.github_repository}); changes nothing"
  assume_role_policy   = data.aws_iam_policy_document.github_plan_trust[0].json
  max_session_duration = 3600
  tags                 = merge(var.tags, { Name = "${var.name_prefix}-github-plan" })
}

resource "aws_iam_role_policy_attachment" "github_plan" {
  count = local.github ? 1 : 0

  role       = aws_iam_role.github_plan[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_role_policy" "github_plan_state" {
  count = local.github ? 1 : 0

  name   = "read-state"
  role   = aws_iam_role.github_plan[0].id
  policy = data.aws_iam_policy_document.github_plan_state[0].json
}
