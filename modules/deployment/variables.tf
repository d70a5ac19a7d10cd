variable "function_name" {
  description = "The function whose alias the deployments shift (also the CodeDeploy application and group name)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,52}$", var.function_name))
    error_message = "function_name must be 1-52 characters of A-Z a-z 0-9 _ - (room for the role's '-codedeploy')."
  }
}

variable "alias_name" {
  description = "The alias API Gateway invokes."
  type        = string
  default     = "live"
}

variable "deployment_config_name" {
  description = "How traffic moves: CodeDeployDefault.LambdaAllAtOnce, LambdaCanary10Percent5Minutes (10% for 5 minutes, then the rest), LambdaCanary10Percent10/15/30Minutes, LambdaLinear10PercentEvery1/2/3/10Minutes."
  type        = string

  validation {
    condition     = can(regex("^CodeDeployDefault\\.Lambda(AllAtOnce|Canary10Percent(5|10|15|30)Minutes|Linear10PercentEvery(1|2|3|10)Minute(s)?)$", var.deployment_config_name))
    error_message = "deployment_config_name must be one of CodeDeploy's predefined Lambda configurations (CodeDeployDefault.LambdaAllAtOnce, ...Canary10Percent5Minutes, ...Linear10PercentEvery1Minute, ...)."
  }
}

variable "rollback_alarm_names" {
  description = "Alarms that stop a deployment and move traffic back to the version before while they are in ALARM (at most 10)."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.rollback_alarm_names) <= 10
    error_message = "CodeDeploy takes at most 10 alarms per deployment group."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of CodeDeploy's role (environments/account's role boundary); null for none."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every taggable resource of this module."
  type        = map(string)
  default     = {}
}
