output "table_name" {
  description = "Name of the tasks table."
  value       = aws_dynamodb_table.this.name
}

output "table_arn" {
  description = "ARN of the tasks table."
  value       = aws_dynamodb_table.this.arn
}

output "index_name" {
  description = "Name of the list index (by-created)."
  value       = local.list_index_name
}

output "index_arns" {
  description = "ARNs of the table's indexes (what the Lambda role may Query)."
  value = [
    "${aws_dynamodb_table.this.arn}/index/${local.list_index_name}",
    "${aws_dynamodb_table.this.arn}/index/${local.status_index_name}",
  ]
}
