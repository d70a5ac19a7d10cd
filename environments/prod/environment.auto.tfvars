# What makes this environment prod: Terraform loads this file by itself. environments/dev
# has the same wiring and differs only in these values.
environment                 = "prod"
deletion_protection_enabled = true # DeleteTable is refused; turn off on purpose only
lambda_memory_size          = 512
lambda_timeout              = 10
lambda_reserved_concurrency = 100 # bounds cost and protects the account's other functions
log_level                   = "info"
log_retention_days          = 90
tracing_enabled             = true
throttling_rate_limit       = 500
throttling_burst_limit      = 1000
alarms_enabled              = true
