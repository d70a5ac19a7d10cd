# The tasks table exactly as the C DynamoDB store (src/store/dynamodb.h) uses it:
# partition key "id", the GSI "by-created" (partition "shard" = "[<owner>#]<k>", sort
# "sk" = "<createdAt>#<id>") that GET /tasks queries shard by shard, newest first, and
# the GSI "by-status" (partition "statusShard" = "[<owner>#]<status>#<k>", same sort key)
# that GET /tasks?status= queries for just the wanted statuses.

resource "aws_dynamodb_table" "this" {
  name                        = var.name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "id"
  deletion_protection_enabled = var.deletion_protection_enabled

  attribute {
    name = "id"
    type = "S"
  }

  attribute {
    name = "shard"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  attribute {
    name = "statusShard"
    type = "S"
  }

  global_secondary_index {
    name            = local.list_index_name
    hash_key        = "shard"
    range_key       = "sk"
    projection_type = "ALL"
  }

  global_secondary_index {
    name            = local.status_index_name
    hash_key        = "statusShard"
    range_key       = "sk"
    projection_type = "ALL"
  }

  # Tombstones of deleted tasks (8 days, longer than any Idempotency-Key window) and
  # Idempotency-Key records (the end of their window) carry expiresAt (epoch seconds);
  # live tasks never do. DynamoDB deletes expired items lazily; the store enforces the
  # window on read.
  ttl {
    attribute_name = "expiresAt"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = merge(var.tags, { Name = var.name })
}

locals {
  # must equal TAPI_DDB_INDEX and TAPI_DDB_STATUS_INDEX in src/store/dynamodb.h
  list_index_name   = "by-created"
  status_index_name = "by-status"
}
