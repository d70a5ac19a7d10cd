# The API's function: the static C bootstrap on provided.al2023, its own log group
# (created first, so Lambda never creates an unmanaged one), and an execution role with
# exactly what the code calls — five DynamoDB actions on the table and its index, and log
# writes to its own log group.

data "aws_iam_policy_document" "assume" {
  statement {
    sid     = "LambdaAssumesRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = "${var.function_name}-exec"
  description          = "Execution role of the ${var.function_name} Lambda function"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  max_session_duration = 3600
  # the most this role may ever do, whatever policy a deployer puts on it
  permissions_boundary = var.permissions_boundary_arn
  tags                 = merge(var.tags, { Name = "${var.function_name}-exec" })
}

data "aws_iam_policy_document" "this" {
  statement {
    sid    = "TasksTable"
    effect = "Allow"
    # exactly the operations src/store/dynamodb.c performs (a delete is an UpdateItem that
    # leaves a tombstone, so DeleteItem is not among them)
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]
    resources = concat([var.table_arn], var.table_index_arns)
  }

  statement {
    sid       = "OwnLogGroup"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:log-stream:*"]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.function_name}-least-privilege"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

# X-Ray's write actions support no resource-level scoping, so tracing uses AWS's
# narrow daemon-write policy rather than a "*" statement of our own.
resource "aws_iam_role_policy_attachment" "xray" {
  count      = var.tracing_enabled ? 1 : 0
  role       = aws_iam_role.this.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"
}

data "aws_partition" "current" {}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = merge(var.tags, { Name = "/aws/lambda/${var.function_name}" })
}

resource "aws_lambda_function" "this" {
  function_name = var.function_name
  description   = "Tasks REST API (C custom runtime)"
  role          = aws_iam_role.this.arn
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  # the immutable, content-addressed artifact: never a local file, so a fresh clone with
  # no build can plan, roll back and destroy
  s3_bucket                      = var.s3_bucket
  s3_key                         = var.s3_key
  source_code_hash               = var.package_sha256
  architectures                  = [var.architecture]
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrency
  publish                        = true # every change is a numbered version; the alias picks one

  environment {
    variables = merge(var.environment, {
      TABLE_NAME       = var.table_name
      TASKS_STORE      = "dynamodb"
      TASKS_DDB_SHARDS = tostring(var.list_shards)
      LOG_LEVEL        = var.log_level
      # CloudWatch Embedded Metric Format lines, one per invocation
      TASKS_METRICS_NAMESPACE = var.metrics_namespace
    }, var.auth_mode == "cognito" ? { TASKS_AUTH = "cognito" } : {})
  }

  logging_config {
    log_format = "Text" # the bootstrap already writes one JSON object per line
    log_group  = aws_cloudwatch_log_group.this.name
  }

  tracing_config {
    mode = var.tracing_enabled ? "Active" : "PassThrough"
  }

  tags = merge(var.tags, { Name = var.function_name })

  # the role must be able to do everything before the first invocation can need it
  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy.this,
    aws_iam_role_policy_attachment.xray,
  ]
}

# What API Gateway invokes: the alias, never $LATEST. An apply publishes a new version; the
# alias starts at the first one and from then on only CodeDeploy moves it (gradually, with
# alarms that roll it back: modules/deployment, started by scripts/release.sh).
resource "aws_lambda_alias" "live" {
  name             = var.alias_name
  description      = "The version API Gateway serves"
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version

  lifecycle {
    ignore_changes = [function_version, routing_config] # CodeDeploy's from the first version on
  }
}
