#!/bin/sh
# Releases from the repository root: one artifact per build, deployed by its hash.
#   publish ENV|-  package the zip (PACKAGE=make|none), upload it to the region's artifact
#                  bucket as <prefix>/lambda-<arch>/<sha256>.zip (never overwritten), and
#                  record it in environments/ENV/release.auto.tfvars.json (- records nothing)
#   deploy ENV     terraform init + apply of what ENV records (no build; ENV=account: the
#                  account root), then live moves to the new version through CodeDeploy
#   promote FROM TO  make TO record exactly the artifact FROM records (no rebuild)
#   rollback ENV   record the artifact ENV ran before (or ARTIFACT=<sha256>) and deploy it;
#                  VERSION=<n> instead moves live back to that published version at once
#   destroy ENV    terraform init + destroy (no build, no artifact needed)
# Further arguments go to terraform unchanged. ARCH=x86_64|arm64 picks what publish builds
# (else the architecture in ENV's terraform.tfvars, else the one ENV records, else this
# machine's). The bucket is
# ARTIFACT_BUCKET, else <NAME_PREFIX:-tasks-api>-artifacts-<account>-<region> (account
# from `aws sts get-caller-identity`, region from AWS_REGION or ENV's terraform.tfvars).
set -eu
usage() { echo "usage: $0 publish ENV|- | deploy ENV | promote FROM TO | rollback ENV | destroy ENV [terraform args...]" >&2; exit 2; }
action=${1:-}
env=${2:-}
case $action in publish|deploy|promote|rollback|destroy) ;; *) usage ;; esac
[ -n "$env" ] || usage
shift 2
repo=$(cd "$(dirname "$0")/.." && pwd)
prefix=${NAME_PREFIX:-tasks-api}

env_dir() {
    case $1 in */*|.*|'') echo "release: ENV must name a folder of environments/ (got '$1')" >&2; exit 2 ;; esac
    [ -f "$repo/environments/$1/main.tf" ] || { echo "release: no environment '$1' (environments/$1/main.tf)" >&2; exit 2; }
    echo "$repo/environments/$1"
}

# a string field of a release file (flat JSON written by record below)
field() { sed -n "s/.*\"$2\": *\"\\([^\"]*\\)\".*/\\1/p" "$1" | head -n 1; }

record() { # file sha arch previous_sha previous_arch
    {
        printf '{\n  "artifact_sha256": "%s",\n  "architecture": "%s"' "$2" "$3"
        [ -n "$4" ] && printf ',\n  "previous_artifact_sha256": "%s",\n  "previous_architecture": "%s"' "$4" "$5"
        printf '\n}\n'
    } > "$1.tmp"
    mv "$1.tmp" "$1"
    echo "release: $(basename "$(dirname "$1")") records $2 ($3)${4:+; before: $4}"
}

# what a release file records now, in rec_sha and rec_arch (empty when there is no file)
recorded_now() {
    rec_sha=""; rec_arch=""
    [ ! -f "$1" ] || { rec_sha=$(field "$1" artifact_sha256); rec_arch=$(field "$1" architecture); }
}

tfvar() { sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*\"\\([^\"]*\\)\".*/\\1/p" "$1"/*.tfvars 2>/dev/null | tail -n 1; }

terraform_in() { # dir action args...
    dir=$1; what=$2; shift 2
    command -v terraform >/dev/null 2>&1 || { echo "release: terraform (>= 1.10) is not on PATH" >&2; exit 1; }
    init_args=""
    if [ "$(basename "$dir")" != account ]; then
        if [ -f "$dir/backend.hcl" ]; then
            init_args="-backend-config=backend.hcl"
        elif ! ls "$dir"/*_override.tf >/dev/null 2>&1; then
            echo "release: environments/$(basename "$dir")/backend.hcl is missing. Create it from backend.hcl.example" >&2
            echo "         (bucket: the account root's state_bucket_name), or, for a throwaway try with" >&2
            echo "         local state: cp environments/$(basename "$dir")/local-state_override.tf.example environments/$(basename "$dir")/local-state_override.tf" >&2
            exit 1
        fi
    fi
    # shellcheck disable=SC2086
    terraform -chdir="$dir" init -input=false $init_args
    terraform -chdir="$dir" "$what" "$@"
}

# After an apply: move the live alias to the newest version (or $2) through CodeDeploy, the
# environment's traffic shift (prod: a canary) with its alarms as rollback triggers, and
# wait up to RELEASE_WAIT_S (default 3600; 0: do not wait) for it to finish.
shift_alias() { # dir [target version]
    [ "$(basename "$1")" != account ] || return 0
    fn=$(terraform -chdir="$1" output -raw function_name)
    target=${2:-$(terraform -chdir="$1" output -raw latest_version)}
    current=$(aws lambda get-alias --function-name "$fn" --name live --query FunctionVersion --output text)
    if [ "$current" = "$target" ]; then
        echo "release: $fn: live already serves version $target"
        return 0
    fi
    appspec=$(printf '{"version":0.0,"Resources":[{"live":{"Type":"AWS::Lambda::Function","Properties":{"Name":"%s","Alias":"live","CurrentVersion":"%s","TargetVersion":"%s"}}}]}' \
        "$fn" "$current" "$target" | sed 's/"/\\"/g')
    id=$(aws deploy create-deployment --application-name "$fn" --deployment-group-name "$fn" \
        --description "live: version $current to $target" \
        --revision "{\"revisionType\":\"AppSpecContent\",\"appSpecContent\":{\"content\":\"$appspec\"}}" \
        --query deploymentId --output text)
    echo "release: $fn: live moves from version $current to $target through CodeDeploy deployment $id"
    echo "         watch: aws deploy get-deployment --deployment-id $id --query deploymentInfo.status"
    echo "         stop and roll back: aws deploy stop-deployment --deployment-id $id --auto-rollback-enabled"
    waited=0
    limit=${RELEASE_WAIT_S:-3600}
    while [ "$waited" -lt "$limit" ]; do
        status=$(aws deploy get-deployment --deployment-id "$id" --query deploymentInfo.status --output text)
        case $status in
            Succeeded) echo "release: $fn: live serves version $target"; return 0 ;;
            Failed|Stopped) echo "release: $fn: deployment $id $status; live is back on version $current" >&2; exit 1 ;;
        esac
        sleep 15; waited=$((waited + 15))
    done
    [ "$limit" -eq 0 ] || { echo "release: $fn: deployment $id still $status after ${limit} s; watch it as above" >&2; exit 1; }
}

case $action in
publish)
    arch=${ARCH:-}
    dir=""
    [ "$env" = - ] || dir=$(env_dir "$env")
    case $arch in ''|x86_64|arm64) ;; *) echo "release: ARCH must be x86_64 or arm64 (got '$arch')" >&2; exit 2 ;; esac
    [ -n "$arch" ] || [ -z "$dir" ] || arch=$(tfvar "$dir" architecture)
    [ -n "$arch" ] || [ -z "$dir" ] || [ ! -f "$dir/release.auto.tfvars.json" ] || arch=$(field "$dir/release.auto.tfvars.json" architecture)
    [ -n "$arch" ] || case $(uname -m) in aarch64|arm64) arch=arm64 ;; *) arch=x86_64 ;; esac
    zip=$repo/build/lambda.zip
    [ "$arch" = x86_64 ] || zip=$repo/build/lambda-arm64.zip
    package=${PACKAGE:-}
    if [ -z "$package" ]; then
        if command -v apt-get >/dev/null 2>&1; then package=make; else package=none; fi
    fi
    case $package in
        make) make -C "$repo" --no-print-directory package ARCH="$arch" ;;
        none) [ -f "$zip" ] || { echo "release: no $zip. Build it first: make package ARCH=$arch, or scripts/package-in-container.sh $arch" >&2; exit 1; } ;;
        *) echo "release: PACKAGE must be make or none (got '$package')" >&2; exit 2 ;;
    esac
    command -v aws >/dev/null 2>&1 || { echo "release: the AWS CLI (aws) is not on PATH" >&2; exit 1; }
    sha=$(sha256sum "$zip" | cut -d' ' -f1)
    bucket=${ARTIFACT_BUCKET:-}
    if [ -z "$bucket" ]; then
        region=${AWS_REGION:-${AWS_DEFAULT_REGION:-}}
        [ -n "$region" ] || [ -z "$dir" ] || region=$(tfvar "$dir" region)
        [ -n "$region" ] || { echo "release: no region: set AWS_REGION (or region in the environment's terraform.tfvars)" >&2; exit 1; }
        account=$(aws sts get-caller-identity --query Account --output text)
        bucket=$prefix-artifacts-$account-$region
    fi
    key=$prefix/lambda-$arch/$sha.zip
    if aws s3api head-object --bucket "$bucket" --key "$key" >/dev/null 2>&1; then
        echo "release: s3://$bucket/$key is already published (same content: the key is its hash)"
    else
        aws s3api put-object --bucket "$bucket" --key "$key" --body "$zip" \
            --metadata "sha256=$sha,architecture=$arch" >/dev/null
        echo "release: published s3://$bucket/$key"
    fi
    if [ -n "$dir" ]; then
        file=$dir/release.auto.tfvars.json
        recorded_now "$file"
        old=$rec_sha; old_arch=$rec_arch
        [ "$old" != "$sha" ] || { old=$(field "$file" previous_artifact_sha256); old_arch=$(field "$file" previous_architecture); }
        record "$file" "$sha" "$arch" "$old" "$old_arch"
    fi
    echo "$sha"
    ;;
deploy)
    dir=$(env_dir "$env")
    if [ "$env" != account ] && [ ! -f "$dir/release.auto.tfvars.json" ]; then
        echo "release: environments/$env records no artifact. Publish one first: make publish ENV=$env" >&2
        exit 1
    fi
    terraform_in "$dir" apply "$@"
    shift_alias "$dir"
    ;;
promote)
    to=${1:-}
    [ -n "$to" ] || usage
    shift
    from_dir=$(env_dir "$env"); to_dir=$(env_dir "$to")
    [ -f "$from_dir/release.auto.tfvars.json" ] || { echo "release: environments/$env records no artifact to promote" >&2; exit 1; }
    recorded_now "$from_dir/release.auto.tfvars.json"
    sha=$rec_sha; arch=$rec_arch
    file=$to_dir/release.auto.tfvars.json
    recorded_now "$file"
    [ "$rec_sha" != "$sha" ] || { echo "release: $to already records $sha"; exit 0; }
    record "$file" "$sha" "$arch" "$rec_sha" "$rec_arch"
    echo "release: deploy it with: make deploy ENV=$to (and commit $file)"
    ;;
rollback)
    dir=$(env_dir "$env")
    if [ -n "${VERSION:-}" ]; then # a published version, at once through CodeDeploy
        case $VERSION in *[!0-9]*) echo "release: VERSION must be a published version number" >&2; exit 2 ;; esac
        command -v terraform >/dev/null 2>&1 || { echo "release: terraform (>= 1.10) is not on PATH" >&2; exit 1; }
        shift_alias "$dir" "$VERSION"
        exit 0
    fi
    file=$dir/release.auto.tfvars.json
    [ -f "$file" ] || { echo "release: environments/$env records no artifact" >&2; exit 1; }
    recorded_now "$file"
    cur=$rec_sha; cur_arch=$rec_arch
    if [ -n "${ARTIFACT:-}" ]; then
        to=$ARTIFACT; to_arch=${ARCH:-$cur_arch}
    else
        to=$(field "$file" previous_artifact_sha256); to_arch=$(field "$file" previous_architecture)
        [ -n "$to" ] || { echo "release: environments/$env records no previous artifact; name one: ARTIFACT=<sha256>" >&2; exit 1; }
    fi
    case $to in *[!0-9a-f]*|'') echo "release: ARTIFACT must be a SHA-256 (64 hex digits)" >&2; exit 2 ;; esac
    [ ${#to} -eq 64 ] || { echo "release: ARTIFACT must be a SHA-256 (64 hex digits)" >&2; exit 2; }
    record "$file" "$to" "$to_arch" "$cur" "$cur_arch"
    terraform_in "$dir" apply "$@"
    shift_alias "$dir"
    ;;
destroy)
    dir=$(env_dir "$env")
    if [ "$env" != account ] && [ ! -f "$dir/release.auto.tfvars.json" ]; then
        set -- -var "artifact_sha256=$(printf '0%.0s' $(seq 64))" "$@" # nothing is deployed by a destroy
    fi
    terraform_in "$dir" destroy "$@"
    ;;
esac
