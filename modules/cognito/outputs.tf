output "user_pool_id" {
  description = "ID of the user pool."
  value       = aws_cognito_user_pool.this.id
}

output "user_pool_arn" {
  description = "ARN of the user pool (for the api-gateway module's cognito_user_pool_arns)."
  value       = aws_cognito_user_pool.this.arn
}

output "client_id" {
  description = "ID of the public app client: the tokens' audience (aud, or client_id in access tokens)."
  value       = aws_cognito_user_pool_client.this.id
}

output "issuer" {
  description = "The tokens' issuer (iss), also what the local server's --auth-issuer takes."
  value       = "https://cognito-idp.${data.aws_region.current.id}.amazonaws.com/${aws_cognito_user_pool.this.id}"
}

output "jwks_url" {
  description = "Where the pool publishes its signing keys (a JWKS for the local server's --auth-jwks)."
  value       = "https://cognito-idp.${data.aws_region.current.id}.amazonaws.com/${aws_cognito_user_pool.this.id}/.well-known/jwks.json"
}
