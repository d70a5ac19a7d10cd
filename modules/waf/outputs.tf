output "web_acl_arn" {
  description = "The web ACL."
  value       = aws_wafv2_web_acl.this.arn
}

output "web_acl_name" {
  description = "The web ACL's name (its metrics' WebACL dimension)."
  value       = aws_wafv2_web_acl.this.name
}
