# Who may deploy what. Three kinds of managed policy, attached to whoever (a person's role,
# a CI role) deploys:
#
# - <prefix>-deployer-<environment>: applies and destroys one environment and nothing
#   else: its own state objects, and resources named <prefix>-<environment>*. Every role
#   it creates or changes must carry the role boundary, and the only managed policy it may
#   attach is X-Ray's daemon-write policy, so updating function code (which runs with the
#   function's role) never reaches beyond the boundary. It cannot delete user pools.
# - <prefix>-role-boundary: the most any role an environment creates may ever do (the
#   function's table access, its log writes, X-Ray), whatever policy is put on it.
# - <prefix>-account-deployer: applies this root. It can create the policies above, so it
#   is administrative by nature: for the account's administrators only.
#
# API Gateway names REST APIs by generated id, so an environment's deployer can change any
# REST API of the account and region (no name to scope by); everything else is scoped.

locals {
  partition    = data.aws_partition.current.partition
  account_id   = data.aws_caller_identity.current.account_id
  boundary_arn = "arn:${local.partition}:iam::${local.account_id}:policy/${var.name_prefix}-role-boundary"
  # the managed policies an environment's role may have attached
  attachable_policy_arns = ["arn:${local.partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"]
}

data "aws_caller_identity" "current" {}

# ---- the boundary of every role an environment creates ----

data "aws_iam_policy_document" "role_boundary" {
  statement {
    sid       = "TasksTables"
    effect    = "Allow"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]
    resources = ["arn:${local.partition}:dynamodb:*:${local.account_id}:table/${var.name_prefix}-*"]
  }

  statement {
    sid       = "FunctionLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:${local.partition}:logs:*:${local.account_id}:log-group:/aws/lambda/${var.name_prefix}-*:log-stream:*"]
  }

  # CodeDeploy's role shifts an environment's alias and reads its alarms
  statement {
    sid       = "ShiftAliases"
    effect    = "Allow"
    actions   = ["lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig"]
    resources = ["arn:${local.partition}:lambda:*:${local.account_id}:function:${var.name_prefix}-*:*"]
  }

  statement {
    sid       = "ReadAlarms"
    effect    = "Allow"
    actions   = ["cloudwatch:DescribeAlarms"]
    resources = ["arn:${local.partition}:cloudwatch:*:${local.account_id}:alarm:${var.name_prefix}-*"]
  }

  statement {
    sid       = "Traces"
    effect    = "Allow"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"]
    resources = ["*"] # X-Ray's write actions have no resource-level scoping
  }
}

# IAM is global: the policies are made once, in the first region (create_shared_resources)
resource "aws_iam_policy" "role_boundary" {
  count = var.create_shared_resources ? 1 : 0

  name        = "${var.name_prefix}-role-boundary"
  description = "The most any role a ${var.name_prefix} environment creates may do"
  policy      = data.aws_iam_policy_document.role_boundary.json
  tags        = merge(var.tags, { Name = "${var.name_prefix}-role-boundary" })
}

# ---- one deployer policy per environment ----

data "aws_iam_policy_document" "deployer" {
  for_each = toset(var.environments)

  statement {
    sid    = "LookupsThatNameNoResource"
    effect = "Allow"
    actions = [
      "sts:GetCallerIdentity", "iam:ListRoles", "logs:DescribeLogGroups", "kms:ListAliases",
      "xray:GetSamplingRules", "cognito-idp:CreateUserPool", "kms:CreateKey",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "ListOwnState"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = ["arn:${local.partition}:s3:::${var.state_bucket_name}"]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.name_prefix}/${each.key}/*"]
    }
  }

  statement {
    sid       = "OwnState"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["arn:${local.partition}:s3:::${var.state_bucket_name}/${var.name_prefix}/${each.key}/*"]
  }

  # the release artifacts: every environment's function is created from them (Lambda
  # needs the caller to read the object); only dev publishes new ones
  statement {
    sid       = "ReadArtifacts"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["arn:${local.partition}:s3:::${var.name_prefix}-artifacts-${local.account_id}-*/${var.name_prefix}/*"]
  }

  dynamic "statement" {
    for_each = contains(var.publishing_environments, each.key) ? [1] : []

    content {
      sid       = "PublishArtifacts"
      effect    = "Allow"
      actions   = ["s3:PutObject"]
      resources = ["arn:${local.partition}:s3:::${var.name_prefix}-artifacts-${local.account_id}-*/${var.name_prefix}/*"]
    }
  }

  statement {
    sid    = "Table"
    effect = "Allow"
    actions = [
      "dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:DescribeTable", "dynamodb:UpdateTable",
      "dynamodb:DescribeContinuousBackups", "dynamodb:UpdateContinuousBackups", "dynamodb:DescribeTimeToLive",
      "dynamodb:UpdateTimeToLive", "dynamodb:ListTagsOfResource", "dynamodb:TagResource", "dynamodb:UntagResource",
    ]
    resources = ["arn:${local.partition}:dynamodb:*:${local.account_id}:table/${var.name_prefix}-${each.key}"]
  }

  statement {
    sid    = "Function"
    effect = "Allow"
    actions = [
      "lambda:CreateFunction", "lambda:DeleteFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration",
      "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:GetFunctionCodeSigningConfig",
      "lambda:ListVersionsByFunction", "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency",
      "lambda:GetFunctionConcurrency", "lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy",
      "lambda:ListTags", "lambda:TagResource", "lambda:UntagResource", "lambda:PublishVersion",
      "lambda:CreateAlias", "lambda:UpdateAlias", "lambda:DeleteAlias", "lambda:GetAlias",
    ]
    resources = [
      "arn:${local.partition}:lambda:*:${local.account_id}:function:${var.name_prefix}-${each.key}",
      "arn:${local.partition}:lambda:*:${local.account_id}:function:${var.name_prefix}-${each.key}:*",
    ]
  }

  statement {
    sid    = "ReadAndTagOwnRoles"
    effect = "Allow"
    actions = [
      "iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateRole", "iam:DeleteRole",
    ]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/${var.name_prefix}-${each.key}-*"]
  }

  # what could widen a role is allowed only on roles that carry the boundary
  statement {
    sid    = "ChangeOwnRolesWithinTheBoundary"
    effect = "Allow"
    actions = [
      "iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary",
      "iam:UpdateAssumeRolePolicy",
    ]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/${var.name_prefix}-${each.key}-*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arn]
    }
  }

  statement {
    sid       = "AttachOnlyNamedManagedPolicies"
    effect    = "Allow"
    actions   = ["iam:AttachRolePolicy", "iam:DetachRolePolicy"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/${var.name_prefix}-${each.key}-*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arn]
    }

    condition {
      test     = "ArnEquals"
      variable = "iam:PolicyARN"
      values   = local.attachable_policy_arns
    }
  }

  statement {
    sid       = "PassOwnRolesToTheirServicesOnly"
    effect    = "Allow"
    actions   = ["iam:PassRole"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/${var.name_prefix}-${each.key}-*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["lambda.amazonaws.com", "codedeploy.amazonaws.com"]
    }
  }

  statement {
    sid    = "Deployments"
    effect = "Allow"
    actions = [
      "codedeploy:CreateApplication", "codedeploy:DeleteApplication", "codedeploy:GetApplication",
      "codedeploy:CreateDeploymentGroup", "codedeploy:UpdateDeploymentGroup", "codedeploy:DeleteDeploymentGroup",
      "codedeploy:GetDeploymentGroup", "codedeploy:CreateDeployment", "codedeploy:GetDeployment",
      "codedeploy:StopDeployment", "codedeploy:ListDeployments", "codedeploy:GetDeploymentConfig",
      "codedeploy:ListTagsForResource", "codedeploy:TagResource", "codedeploy:UntagResource",
    ]
    resources = [
      "arn:${local.partition}:codedeploy:*:${local.account_id}:application:${var.name_prefix}-${each.key}",
      "arn:${local.partition}:codedeploy:*:${local.account_id}:deploymentgroup:${var.name_prefix}-${each.key}/*",
      "arn:${local.partition}:codedeploy:*:${local.account_id}:deploymentconfig:*",
    ]
  }

  statement {
    sid    = "LogGroups"
    effect = "Allow"
    actions = [
      "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
      "logs:ListTagsForResource", "logs:TagResource", "logs:UntagResource", "logs:AssociateKmsKey",
      "logs:DisassociateKmsKey", "logs:PutMetricFilter", "logs:DeleteMetricFilter", "logs:DescribeMetricFilters",
    ]
    resources = [
      "arn:${local.partition}:logs:*:${local.account_id}:log-group:/aws/lambda/${var.name_prefix}-${each.key}",
      "arn:${local.partition}:logs:*:${local.account_id}:log-group:/aws/lambda/${var.name_prefix}-${each.key}:*",
      "arn:${local.partition}:logs:*:${local.account_id}:log-group:/aws/apigateway/${var.name_prefix}-${each.key}/*",
    ]
  }

  statement {
    sid     = "RestApis"
    effect  = "Allow"
    actions = ["apigateway:GET", "apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"]
    resources = [
      "arn:${local.partition}:apigateway:*::/restapis", "arn:${local.partition}:apigateway:*::/restapis/*",
      "arn:${local.partition}:apigateway:*::/apikeys", "arn:${local.partition}:apigateway:*::/apikeys/*",
      "arn:${local.partition}:apigateway:*::/usageplans", "arn:${local.partition}:apigateway:*::/usageplans/*",
      "arn:${local.partition}:apigateway:*::/tags/*",
      "arn:${local.partition}:apigateway:*::/domainnames", "arn:${local.partition}:apigateway:*::/domainnames/*",
    ]
  }

  statement {
    sid       = "DomainRecord"
    effect    = "Allow"
    actions   = ["route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ChangeResourceRecordSets"]
    resources = ["arn:${local.partition}:route53:::hostedzone/*"]
  }

  statement {
    sid       = "DomainRecordChange"
    effect    = "Allow"
    actions   = ["route53:GetChange"]
    resources = ["arn:${local.partition}:route53:::change/*"]
  }

  statement {
    sid    = "Alarms"
    effect = "Allow"
    actions = [
      "cloudwatch:PutMetricAlarm", "cloudwatch:PutCompositeAlarm", "cloudwatch:DeleteAlarms",
      "cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource", "cloudwatch:TagResource",
      "cloudwatch:UntagResource",
    ]
    resources = ["arn:${local.partition}:cloudwatch:*:${local.account_id}:alarm:${var.name_prefix}-${each.key}-*"]
  }

  statement {
    sid       = "Dashboard"
    effect    = "Allow"
    actions   = ["cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"]
    resources = ["arn:${local.partition}:cloudwatch::${local.account_id}:dashboard/${var.name_prefix}-${each.key}"]
  }

  statement {
    sid    = "AlarmTopic"
    effect = "Allow"
    actions = [
      "sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe",
      "sns:Unsubscribe", "sns:GetSubscriptionAttributes", "sns:ListSubscriptionsByTopic", "sns:TagResource",
      "sns:UntagResource", "sns:ListTagsForResource",
    ]
    resources = ["arn:${local.partition}:sns:*:${local.account_id}:${var.name_prefix}-${each.key}-*"]
  }

  # keys have generated ids: the deployer manages only keys tagged as its environment's
  statement {
    sid    = "AlarmTopicKey"
    effect = "Allow"
    actions = [
      "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:GetKeyRotationStatus", "kms:EnableKeyRotation",
      "kms:ListResourceTags", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion",
      "kms:CreateAlias", "kms:DeleteAlias",
    ]
    resources = ["arn:${local.partition}:kms:*:${local.account_id}:key/*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/Name"
      values   = ["${var.name_prefix}-${each.key}-alarms"]
    }
  }

  statement {
    sid       = "AlarmTopicKeyAlias"
    effect    = "Allow"
    actions   = ["kms:CreateAlias", "kms:DeleteAlias"]
    resources = ["arn:${local.partition}:kms:*:${local.account_id}:alias/${var.name_prefix}-${each.key}-*"]
  }

  statement {
    sid    = "TraceSampling"
    effect = "Allow"
    actions = [
      "xray:CreateSamplingRule", "xray:UpdateSamplingRule", "xray:DeleteSamplingRule", "xray:TagResource",
      "xray:UntagResource", "xray:ListTagsForResource",
    ]
    resources = ["arn:${local.partition}:xray:*:${local.account_id}:sampling-rule/${var.name_prefix}-${each.key}-*"]
  }

  # no DeleteUserPool: a pool holds the users; removing one is an administrator's act
  statement {
    sid    = "UserPools"
    effect = "Allow"
    actions = [
      "cognito-idp:DescribeUserPool", "cognito-idp:UpdateUserPool", "cognito-idp:GetUserPoolMfaConfig",
      "cognito-idp:SetUserPoolMfaConfig", "cognito-idp:CreateUserPoolClient", "cognito-idp:DescribeUserPoolClient",
      "cognito-idp:UpdateUserPoolClient", "cognito-idp:DeleteUserPoolClient", "cognito-idp:TagResource",
      "cognito-idp:UntagResource", "cognito-idp:ListTagsForResource",
    ]
    resources = ["arn:${local.partition}:cognito-idp:*:${local.account_id}:userpool/*"]
  }

  statement {
    sid    = "WebAcl"
    effect = "Allow"
    actions = [
      "wafv2:CreateWebACL", "wafv2:GetWebACL", "wafv2:UpdateWebACL", "wafv2:DeleteWebACL",
      "wafv2:ListTagsForResource", "wafv2:TagResource", "wafv2:UntagResource", "wafv2:AssociateWebACL",
      "wafv2:DisassociateWebACL", "wafv2:GetWebACLForResource",
    ]
    resources = [
      "arn:${local.partition}:wafv2:*:${local.account_id}:regional/webacl/${var.name_prefix}-${each.key}-*/*",
      "arn:${local.partition}:apigateway:*::/restapis/*/stages/${each.key}",
    ]
  }

  statement {
    sid       = "WebAclOnTheStage"
    effect    = "Allow"
    actions   = ["apigateway:SetWebACL"]
    resources = ["arn:${local.partition}:apigateway:*::/restapis/*/stages/${each.key}"]
  }

  statement {
    sid       = "ConcurrencyQuota"
    effect    = "Allow"
    actions   = ["servicequotas:GetServiceQuota"]
    resources = ["arn:${local.partition}:servicequotas:*:${local.account_id}:lambda/L-B99A9384"]
  }
}

resource "aws_iam_policy" "deployer" {
  for_each = var.create_shared_resources ? toset(var.environments) : toset([])

  name        = "${var.name_prefix}-deployer-${each.key}"
  description = "Applies and destroys the ${each.key} environment of ${var.name_prefix}, and nothing else"
  policy      = data.aws_iam_policy_document.deployer[each.key].json
  tags        = merge(var.tags, { Name = "${var.name_prefix}-deployer-${each.key}" })
}

# ---- who applies this root ----

data "aws_iam_policy_document" "account_deployer" {
  statement {
    sid       = "LookupsThatNameNoResource"
    effect    = "Allow"
    actions   = ["sts:GetCallerIdentity"]
    resources = ["*"]
  }

  statement {
    sid    = "StateBucket"
    effect = "Allow"
    actions = [
      "s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketLocation",
      "s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:GetBucketVersioning",
      "s3:PutBucketVersioning", "s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration",
      "s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock", "s3:GetBucketOwnershipControls",
      "s3:PutBucketOwnershipControls", "s3:GetBucketTagging", "s3:PutBucketTagging", "s3:GetBucketAcl",
      "s3:GetBucketCORS", "s3:GetBucketWebsite", "s3:GetBucketLogging", "s3:GetLifecycleConfiguration",
      "s3:GetReplicationConfiguration", "s3:GetBucketRequestPayment", "s3:GetBucketObjectLockConfiguration",
      "s3:GetAccelerateConfiguration",
    ]
    resources = ["arn:${local.partition}:s3:::${var.state_bucket_name}"]
  }

  statement {
    sid       = "ApiGatewayLogRole"
    effect    = "Allow"
    actions   = ["iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:TagRole", "iam:UntagRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole", "iam:UpdateAssumeRolePolicy"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/${var.cloudwatch_role_name}-*"]
  }

  statement {
    sid       = "ApiGatewayLogRolePolicy"
    effect    = "Allow"
    actions   = ["iam:AttachRolePolicy", "iam:DetachRolePolicy"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/${var.cloudwatch_role_name}-*"]

    condition {
      test     = "ArnEquals"
      variable = "iam:PolicyARN"
      values   = ["arn:${local.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"]
    }
  }

  statement {
    sid       = "PassLogRoleToApiGateway"
    effect    = "Allow"
    actions   = ["iam:PassRole"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/${var.cloudwatch_role_name}-*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["apigateway.amazonaws.com"]
    }
  }

  statement {
    sid       = "ApiGatewayAccountSetting"
    effect    = "Allow"
    actions   = ["apigateway:GET", "apigateway:PATCH"]
    resources = ["arn:${local.partition}:apigateway:*::/account"]
  }

  statement {
    sid    = "GitHubOidc"
    effect = "Allow"
    actions = [
      "iam:CreateOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider", "iam:GetOpenIDConnectProvider",
      "iam:TagOpenIDConnectProvider", "iam:UntagOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint",
    ]
    resources = ["arn:${local.partition}:iam::${local.account_id}:oidc-provider/token.actions.githubusercontent.com"]
  }

  statement {
    sid    = "GitHubRoles"
    effect = "Allow"
    actions = [
      "iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy",
      "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole", "iam:AttachRolePolicy",
      "iam:DetachRolePolicy", "iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy",
      "iam:PutRolePermissionsBoundary",
    ]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/${var.name_prefix}-github-*"]
  }

  statement {
    sid    = "DeployerPolicies"
    effect = "Allow"
    actions = [
      "iam:CreatePolicy", "iam:DeletePolicy", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions",
      "iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:TagPolicy", "iam:UntagPolicy",
    ]
    resources = ["arn:${local.partition}:iam::${local.account_id}:policy/${var.name_prefix}-*"]
  }
}

resource "aws_iam_policy" "account_deployer" {
  count = var.create_shared_resources ? 1 : 0

  name        = "${var.name_prefix}-account-deployer"
  description = "Applies environments/account of ${var.name_prefix} (administrators only: it writes the other policies)"
  policy      = data.aws_iam_policy_document.account_deployer.json
  tags        = merge(var.tags, { Name = "${var.name_prefix}-account-deployer" })
}
