# Module logic with a mocked provider: the table as the C store uses it, and the inputs
# the module refuses.
mock_provider "aws" {}

variables {
  name = "tasks-api-test"
}

run "the_table_the_store_expects" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.this.hash_key == "id" && aws_dynamodb_table.this.billing_mode == "PAY_PER_REQUEST"
    error_message = "the table is keyed by id, on demand"
  }
  assert {
    condition = toset([for g in aws_dynamodb_table.this.global_secondary_index : "${g.name}:${g.hash_key}:${g.range_key}"]) == toset([
      "by-created:shard:sk", "by-status:statusShard:sk",
    ])
    error_message = "the store queries by-created (shard, sk) and by-status (statusShard, sk)"
  }
  assert {
    condition     = one(aws_dynamodb_table.this.ttl).attribute_name == "expiresAt" && one(aws_dynamodb_table.this.ttl).enabled
    error_message = "tombstones and Idempotency-Key records expire through expiresAt"
  }
  assert {
    condition     = one(aws_dynamodb_table.this.point_in_time_recovery).enabled
    error_message = "point-in-time recovery must be on"
  }
  assert {
    condition     = aws_dynamodb_table.this.deletion_protection_enabled
    error_message = "deletion protection is on unless turned off"
  }
}

run "refuses_a_name_dynamodb_refuses" {
  command = plan

  variables {
    name = "no spaces allowed"
  }

  expect_failures = [var.name]
}

run "refuses_a_key_that_is_not_a_kms_key_arn" {
  command = plan

  variables {
    kms_key_arn = "alias/aws/dynamodb"
  }

  expect_failures = [var.kms_key_arn]
}
