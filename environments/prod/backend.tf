# Remote state in S3 with native locking. Partial configuration: the bucket, key and
# region come from backend.hcl (copy backend.hcl.example) at `terraform init`.
terraform {
  backend "s3" {}
}
