# The REST API in front of the function: explicit resources and methods (no {proxy+}),
# each an AWS_PROXY integration. An ANY method on each resource sends a wrong method to
# the function too, which answers 405 with Allow, and gateway responses give API
# Gateway's own answers (unknown path, throttling, too large, timeouts) the API's
# {"error":{"code","message"}} shape and security headers. With user pools given, a
# Cognito authorizer guards every method but the CORS preflight; the function then reads
# the verified claims (TASKS_AUTH=cognito). Account-level settings (the CloudWatch role
# for access logs) are not here: see environments/account.

locals {
  # every route of the contract (docs/openapi.yaml; HEAD is GET without the body), plus
  # ANY for wrong methods
  routes = {
    "tasks-POST"  = { resource = "tasks", method = "POST" }
    "tasks-GET"   = { resource = "tasks", method = "GET" }
    "tasks-HEAD"  = { resource = "tasks", method = "HEAD" }
    "tasks-ANY"   = { resource = "tasks", method = "ANY" }
    "task-GET"    = { resource = "task", method = "GET" }
    "task-HEAD"   = { resource = "task", method = "HEAD" }
    "task-PATCH"  = { resource = "task", method = "PATCH" }
    "task-DELETE" = { resource = "task", method = "DELETE" }
    "task-ANY"    = { resource = "task", method = "ANY" }
  }
  resource_ids = {
    tasks = aws_api_gateway_resource.tasks.id
    task  = aws_api_gateway_resource.task.id
  }

  auth_enabled = length(var.cognito_user_pool_arns) > 0

  cors_enabled = length(var.cors_allowed_origins) > 0
  cors_origin  = local.cors_enabled ? var.cors_allowed_origins[0] : ""
  # what a browser script may read; the function sends the same (TAPI_CORS_EXPOSE_HEADERS)
  cors_expose_headers = "Location, Retry-After, WWW-Authenticate, ETag, Idempotent-Replayed, Accept-Patch, Allow, X-Request-Id"
  # what a browser script may send
  cors_allow_headers = "Authorization,Content-Type,X-Api-Key,If-Match,If-None-Match,Idempotency-Key"

  security_headers = merge(
    {
      "gatewayresponse.header.Content-Type"           = "'application/problem+json'"
      "gatewayresponse.header.X-Content-Type-Options" = "'nosniff'"
      "gatewayresponse.header.Cache-Control"          = "'no-store'"
      "gatewayresponse.header.X-Request-Id"           = "context.requestId"
    },
    local.cors_enabled ? {
      "gatewayresponse.header.Access-Control-Allow-Origin"   = "'${local.cors_origin}'"
      "gatewayresponse.header.Access-Control-Expose-Headers" = "'${local.cors_expose_headers}'"
    } : {},
  )

  # API Gateway's own answers, in the API's error shape (docs/openapi.yaml lists each).
  # retry_after: seconds, as the function's own 503 says it; a quota resets only at the
  # end of the usage plan's period, so its answer asks for an hour.
  gateway_responses = {
    MISSING_AUTHENTICATION_TOKEN = { status = "404", code = "not_found", title = "Not found", retry_after = null, message = "\"The requested resource does not exist.\"" }
    RESOURCE_NOT_FOUND           = { status = "404", code = "not_found", title = "Not found", retry_after = null, message = "\"The requested resource does not exist.\"" }
    THROTTLED                    = { status = "429", code = "too_many_requests", title = "Too many requests", retry_after = "1", message = "$context.error.messageString" }
    QUOTA_EXCEEDED               = { status = "429", code = "quota_exceeded", title = "Quota exceeded", retry_after = "3600", message = "$context.error.messageString" }
    REQUEST_TOO_LARGE            = { status = "413", code = "payload_too_large", title = "Request body too large", retry_after = null, message = "$context.error.messageString" }
    INVALID_API_KEY              = { status = "403", code = "forbidden", title = "Forbidden", retry_after = null, message = "\"A valid API key is required.\"" }
    UNAUTHORIZED                 = { status = "401", code = "unauthorized", title = "Authentication required", retry_after = null, message = "\"Authentication required: send Authorization with a valid token.\"" }
    ACCESS_DENIED                = { status = "403", code = "forbidden", title = "Forbidden", retry_after = null, message = "$context.error.messageString" }
    INTEGRATION_TIMEOUT          = { status = "504", code = "gateway_timeout", title = "Gateway timeout", retry_after = "1", message = "\"The request took too long; retry later.\"" }
    INTEGRATION_FAILURE          = { status = "502", code = "bad_gateway", title = "Bad gateway", retry_after = "1", message = "\"The service failed to answer; retry later.\"" }
    DEFAULT_4XX                  = { status = null, code = "bad_request", title = "Bad request", retry_after = null, message = "$context.error.messageString" }
    DEFAULT_5XX                  = { status = null, code = "service_unavailable", title = "Service unavailable", retry_after = "1", message = "\"The service is temporarily unable to handle the request; retry later.\"" }
  }

  # the role the account root (environments/account) made for this region with the
  # region's API Gateway account setting
  account_role_found = !var.access_logs_enabled || length(try(data.aws_iam_roles.account_cloudwatch[0].names, [])) > 0
}

resource "aws_api_gateway_rest_api" "this" {
  name        = var.name
  description = "Tasks REST API"
  # with a custom domain, its TLS 1.2 policy is the only way in: the default
  # execute-api endpoint still accepts TLS 1.0
  disable_execute_api_endpoint = var.domain_name != null

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_api_gateway_resource" "tasks" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "tasks"
}

resource "aws_api_gateway_resource" "task" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.tasks.id
  path_part   = "{id}"
}

resource "aws_api_gateway_authorizer" "cognito" {
  count = local.auth_enabled ? 1 : 0

  name            = "${var.name}-cognito"
  rest_api_id     = aws_api_gateway_rest_api.this.id
  type            = "COGNITO_USER_POOLS"
  provider_arns   = var.cognito_user_pool_arns
  identity_source = "method.request.header.Authorization"
}

# Every route, ANY included (a wrong method must not reach the function unauthenticated).
resource "aws_api_gateway_method" "route" {
  for_each = local.routes

  rest_api_id   = aws_api_gateway_rest_api.this.id
  resource_id   = local.resource_ids[each.value.resource]
  http_method   = each.value.method
  authorization = local.auth_enabled ? "COGNITO_USER_POOLS" : "NONE"
  authorizer_id = local.auth_enabled ? aws_api_gateway_authorizer.cognito[0].id : null
  # no scopes: the authorizer takes ID tokens; scopes: access tokens with one of them
  authorization_scopes = local.auth_enabled && length(var.cognito_authorization_scopes) > 0 ? var.cognito_authorization_scopes : null
  api_key_required     = var.api_key_required
  request_parameters = each.value.resource == "task" ? {
    "method.request.path.id" = true
  } : {}
}

resource "aws_api_gateway_integration" "route" {
  for_each = local.routes

  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = local.resource_ids[each.value.resource]
  http_method             = aws_api_gateway_method.route[each.key].http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST" # Lambda is always invoked with POST
  uri                     = var.lambda_invoke_arn
  timeout_milliseconds    = var.integration_timeout_ms
}

resource "aws_api_gateway_gateway_response" "this" {
  for_each = local.gateway_responses

  rest_api_id   = aws_api_gateway_rest_api.this.id
  response_type = each.key
  status_code   = each.value.status
  response_parameters = merge(
    local.security_headers,
    each.value.retry_after == null ? {} : { "gatewayresponse.header.Retry-After" = "'${each.value.retry_after}'" },
    # RFC 6750's challenge; the gateway cannot tell a missing token from a bad one here,
    # so it is the bare scheme for both (the function adds error="invalid_token")
    each.value.status == "401" ? { "gatewayresponse.header.WWW-Authenticate" = "'Bearer'" } : {},
  )
  # RFC 9457 problem details, as the function writes them (core/problem.c); a DEFAULT_*
  # answer has no status member, its status not being known here
  response_templates = {
    "application/json" = join("", [
      "{\"type\":\"tag:tasks-api,2026:problem/${each.value.code}\",\"title\":\"${each.value.title}\",",
      each.value.status == null ? "" : "\"status\":${each.value.status},",
      "\"detail\":${each.value.message},\"code\":\"${each.value.code}\",\"requestId\":\"$context.requestId\",",
      "\"error\":{\"code\":\"${each.value.code}\",\"message\":${each.value.message}}}",
    ])
  }
}

# Only this API, in any stage, method and path, may invoke the function.
resource "aws_lambda_permission" "api" {
  statement_id  = "AllowInvokeFrom-${var.name}"
  action        = "lambda:InvokeFunction"
  function_name = var.lambda_function_name
  qualifier     = var.lambda_qualifier # the alias only: $LATEST and old versions stay closed
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/*/*"
}

# CORS preflight: OPTIONS answered by API Gateway itself (MOCK), never by the function,
# and never behind the authorizer (browsers send a preflight without credentials).
resource "aws_api_gateway_method" "options" {
  for_each = local.cors_enabled ? local.resource_ids : {}

  rest_api_id   = aws_api_gateway_rest_api.this.id
  resource_id   = each.value
  http_method   = "OPTIONS"
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "options" {
  for_each = aws_api_gateway_method.options

  rest_api_id = aws_api_gateway_rest_api.this.id
  resource_id = each.value.resource_id
  http_method = each.value.http_method
  type        = "MOCK"
  request_templates = {
    "application/json" = "{\"statusCode\": 204}"
  }
}

resource "aws_api_gateway_method_response" "options" {
  for_each = aws_api_gateway_method.options

  rest_api_id = aws_api_gateway_rest_api.this.id
  resource_id = each.value.resource_id
  http_method = each.value.http_method
  status_code = "204"
  response_parameters = {
    "method.response.header.Access-Control-Allow-Origin"  = true
    "method.response.header.Access-Control-Allow-Methods" = true
    "method.response.header.Access-Control-Allow-Headers" = true
    "method.response.header.Access-Control-Max-Age"       = true
  }
}

resource "aws_api_gateway_integration_response" "options" {
  for_each = aws_api_gateway_method.options

  rest_api_id = aws_api_gateway_rest_api.this.id
  resource_id = each.value.resource_id
  http_method = each.value.http_method
  status_code = aws_api_gateway_method_response.options[each.key].status_code
  response_parameters = {
    "method.response.header.Access-Control-Allow-Origin"  = "'${local.cors_origin}'"
    "method.response.header.Access-Control-Allow-Methods" = each.key == "tasks" ? "'GET,HEAD,POST,OPTIONS'" : "'GET,HEAD,PATCH,DELETE,OPTIONS'"
    "method.response.header.Access-Control-Allow-Headers" = "'${local.cors_allow_headers}'"
    "method.response.header.Access-Control-Max-Age"       = "'600'"
  }

  depends_on = [aws_api_gateway_integration.options]
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "Tasks API deployment"

  # Any change to what the API serves makes a new deployment, so a stage can never keep
  # serving an old one. The hash covers the configuration these resources are made from
  # and their ids, never the objects themselves: an unset collection is null when created
  # and [] or {} when read back, which replaced the deployment on the plan after every
  # apply (tests/terraform/executed.py's second plan guards it).
  triggers = {
    redeployment = sha1(jsonencode({
      config = [
        local.routes, local.auth_enabled, var.cognito_user_pool_arns, var.cognito_authorization_scopes,
        var.api_key_required, var.lambda_invoke_arn, var.integration_timeout_ms,
        local.gateway_responses, local.security_headers, local.cors_origin, local.cors_allow_headers,
      ]
      ids = [
        aws_api_gateway_resource.tasks.id, aws_api_gateway_resource.task.id,
        [for a in aws_api_gateway_authorizer.cognito : a.id],
        [for k, m in aws_api_gateway_method.route : [k, m.id, aws_api_gateway_integration.route[k].id]],
        [for k, r in aws_api_gateway_gateway_response.this : [k, r.id]],
        [for k, m in aws_api_gateway_method.options : [
          k, m.id, aws_api_gateway_integration.options[k].id, aws_api_gateway_method_response.options[k].id,
          aws_api_gateway_integration_response.options[k].id,
        ]],
      ]
    }))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [
    aws_api_gateway_integration.route,
    aws_api_gateway_integration_response.options,
  ]
}

resource "aws_cloudwatch_log_group" "access" {
  count = var.access_logs_enabled ? 1 : 0

  name              = "/aws/apigateway/${var.name}/${var.stage_name}/access"
  retention_in_days = var.log_retention_days
  tags              = merge(var.tags, { Name = "/aws/apigateway/${var.name}/${var.stage_name}/access" })
}

# Access logs need API Gateway's account-level CloudWatch role set in this region, which
# belongs to the account root (environments/account), never to an environment: a destroy
# of the environment would reset the account's settings for every API in the region. The
# setting is per region but the provider cannot read it, so the account root names the
# role after the region it set it in, and this looks up this region's role: a missing one
# stops the plan with a clear message instead of failing half-way through an apply.
data "aws_region" "current" {}

data "aws_iam_roles" "account_cloudwatch" {
  count = var.access_logs_enabled ? 1 : 0

  name_regex = "^${var.account_cloudwatch_role_name}-${data.aws_region.current.id}$"
}

resource "aws_api_gateway_stage" "this" {
  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = var.stage_name
  xray_tracing_enabled = var.xray_tracing_enabled

  dynamic "access_log_settings" {
    for_each = var.access_logs_enabled ? [1] : []

    content {
      destination_arn = aws_cloudwatch_log_group.access[0].arn
      format = jsonencode({
        requestId          = "$context.requestId"
        ip                 = "$context.identity.sourceIp"
        userAgent          = "$context.identity.userAgent"
        requestTime        = "$context.requestTime"
        httpMethod         = "$context.httpMethod"
        resourcePath       = "$context.resourcePath"
        path               = "$context.path"
        status             = "$context.status"
        responseLength     = "$context.responseLength"
        responseLatency    = "$context.responseLatency"
        integrationLatency = "$context.integration.latency"
        integrationStatus  = "$context.integration.status"
        integrationError   = "$context.integration.error"
        errorType          = "$context.error.responseType"
        errorMessage       = "$context.error.message"
        xrayTraceId        = "$context.xrayTraceId"
      })
    }
  }

  tags = merge(var.tags, { Name = "${var.name}-${var.stage_name}" })

  lifecycle {
    precondition {
      condition     = local.account_role_found
      error_message = "Access logs need API Gateway's account CloudWatch role for this region (IAM role \"${var.account_cloudwatch_role_name}-${data.aws_region.current.id}\", which environments/account makes with the region's API Gateway account setting), and this account has none. Apply environments/account for this region first (a further region: its own workspace with create_shared_resources = false), or set access_logs_enabled = false."
    }
  }
}

# With tracing on, API Gateway decides which requests are traced (the function follows its
# decision): this rule states the rate instead of inheriting the account's default rule
# (1 request/s plus 5%), whose traces cost real money at production rates.
resource "aws_xray_sampling_rule" "this" {
  count = var.xray_tracing_enabled ? 1 : 0

  rule_name      = substr("${var.name}-${var.stage_name}", 0, 32)
  priority       = 1000
  version        = 1
  reservoir_size = 1 # traced each second whatever the rate, so quiet hours still show traces
  fixed_rate     = var.xray_sampling_rate
  service_name   = "${var.name}/${var.stage_name}"
  service_type   = "AWS::ApiGateway::Stage"
  host           = "*"
  http_method    = "*"
  url_path       = "*"
  resource_arn   = "*"
  tags           = merge(var.tags, { Name = "${var.name}-${var.stage_name}" })
}

resource "aws_api_gateway_method_settings" "all" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    throttling_rate_limit  = var.throttling_rate_limit
    throttling_burst_limit = var.throttling_burst_limit
    metrics_enabled        = true
    logging_level          = "OFF" # access logs above; execution logs would hold bodies
  }
}

# Optional API keys: a usage plan with quota and throttling for this stage.
resource "aws_api_gateway_api_key" "this" {
  count = var.api_key_required ? 1 : 0

  name = "${var.name}-${var.stage_name}"
  tags = merge(var.tags, { Name = "${var.name}-${var.stage_name}" })
}

resource "aws_api_gateway_usage_plan" "this" {
  count = var.api_key_required ? 1 : 0

  name = "${var.name}-${var.stage_name}"

  api_stages {
    api_id = aws_api_gateway_rest_api.this.id
    stage  = aws_api_gateway_stage.this.stage_name
  }

  quota_settings {
    limit  = var.usage_plan_quota_limit
    period = var.usage_plan_quota_period
  }

  throttle_settings {
    rate_limit  = var.throttling_rate_limit
    burst_limit = var.throttling_burst_limit
  }

  tags = merge(var.tags, { Name = "${var.name}-${var.stage_name}" })
}

resource "aws_api_gateway_usage_plan_key" "this" {
  count = var.api_key_required ? 1 : 0

  key_id        = aws_api_gateway_api_key.this[0].id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.this[0].id
}

# ---- optional custom domain: TLS 1.2 at least, the stage mapped at base_path ----

resource "aws_api_gateway_domain_name" "this" {
  count = var.domain_name == null ? 0 : 1

  domain_name              = var.domain_name
  regional_certificate_arn = var.certificate_arn
  security_policy          = "TLS_1_2"

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  tags = merge(var.tags, { Name = var.domain_name })

  lifecycle {
    precondition {
      condition     = var.certificate_arn != null
      error_message = "domain_name needs certificate_arn: an ACM certificate for ${var.domain_name} in this region."
    }
  }
}

resource "aws_api_gateway_base_path_mapping" "this" {
  count = var.domain_name == null ? 0 : 1

  api_id      = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  domain_name = aws_api_gateway_domain_name.this[0].domain_name
  base_path   = var.base_path # null: the API at the domain's root
}

resource "aws_route53_record" "this" {
  count = var.domain_name != null && var.hosted_zone_id != null ? 1 : 0

  zone_id = var.hosted_zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = aws_api_gateway_domain_name.this[0].regional_domain_name
    zone_id                = aws_api_gateway_domain_name.this[0].regional_zone_id
    evaluate_target_health = false
  }
}
