#!/bin/sh
# `make deploy ENV=dev` / `make destroy ENV=dev`: package (environments only), terraform
# init with the environment's backend.hcl, then apply or destroy, passing any further
# arguments to terraform unchanged. ENV=account applies the one-time account root, which
# keeps its state locally and needs no package.
# Usage: scripts/deploy.sh deploy|destroy ENV [terraform arguments...]
set -eu
action=${1:-}
env=${2:-}
case $action in deploy|destroy) ;; *) echo "usage: $0 deploy|destroy ENV [terraform args...]" >&2; exit 2 ;; esac
[ -n "$env" ] || { echo "usage: $0 deploy|destroy ENV [terraform args...]" >&2; exit 2; }
shift 2
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=$repo/environments/$env
case $env in */*|.*) echo "deploy: ENV must name a folder of environments/ (got '$env')" >&2; exit 2 ;; esac
[ -f "$dir/main.tf" ] || { echo "deploy: no environment '$env' (environments/$env/main.tf)" >&2; exit 2; }
command -v terraform >/dev/null 2>&1 || { echo "deploy: terraform (>= 1.10) is not on PATH" >&2; exit 1; }

init_args=""
if [ "$env" != account ]; then
    if [ -f "$dir/backend.hcl" ]; then
        init_args="-backend-config=backend.hcl"
    elif ! ls "$dir"/*_override.tf >/dev/null 2>&1; then
        echo "deploy: environments/$env/backend.hcl is missing. Create it from backend.hcl.example" >&2
        echo "        (bucket: the account root's state_bucket_name), or, for a throwaway try with" >&2
        echo "        local state: cp environments/$env/local-state_override.tf.example environments/$env/local-state_override.tf" >&2
        exit 1
    fi
    [ "$action" = deploy ] && make -C "$repo" --no-print-directory package
fi
# shellcheck disable=SC2086
terraform -chdir="$dir" init -input=false $init_args
if [ "$action" = deploy ]; then
    terraform -chdir="$dir" apply "$@"
else
    terraform -chdir="$dir" destroy "$@"
fi
