# What makes this environment dev: Terraform loads this file by itself. environments/prod
# has the same wiring and differs only in these values.
environment                 = "dev"
deletion_protection_enabled = false # a dev stack is torn down at will
lambda_memory_size          = 256
lambda_timeout              = 10
lambda_reserved_concurrency = -1
log_level                   = "debug"
log_retention_days          = 14
tracing_enabled             = false
throttling_rate_limit       = 50
throttling_burst_limit      = 100
alarms_enabled              = false # the topic and the dashboard only
