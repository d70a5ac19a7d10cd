#!/bin/sh
# `make deploy ENV=dev` / `make destroy ENV=dev`: package (environments only), terraform
# init with the environment's backend.hcl, then apply or destroy, passing any further
# arguments to terraform unchanged. ENV=account applies the one-time account root, which
# keeps its state locally and needs no package.
# PACKAGE=make builds the zip with `make package` (a Debian 12 machine: the default where
# apt-get exists); PACKAGE=none uses the zip already in build/ (macOS and other hosts,
# after scripts/package-in-container.sh: the default elsewhere).
# The zip built is the one the environment deploys: ARCH=x86_64|arm64 if given (also passed
# to terraform as the `architecture` variable), else the `architecture` its *.tfvars set,
# else this machine's.
# Usage: [ARCH=arm64] scripts/deploy.sh deploy|destroy ENV [terraform arguments...]
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

arch=${ARCH:-}
case $arch in ''|x86_64|arm64) ;; *) echo "deploy: ARCH must be x86_64 or arm64 (got '$arch')" >&2; exit 2 ;; esac
if [ -n "$arch" ] && [ "$env" != account ]; then
    set -- -var "architecture=$arch" "$@"
elif [ "$env" != account ]; then
    arch=$(sed -n 's/^[[:space:]]*architecture[[:space:]]*=[[:space:]]*"\(x86_64\|arm64\)".*/\1/p' \
        "$dir"/*.tfvars 2>/dev/null | tail -n 1)
fi

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
    if [ "$action" = deploy ]; then
        package=${PACKAGE:-}
        if [ -z "$package" ]; then
            if command -v apt-get >/dev/null 2>&1; then package=make; else package=none; fi
        fi
        case $package in
            make) make -C "$repo" --no-print-directory package ${arch:+ARCH=$arch} ;;
            none)
                if ! ls "$repo"/build/lambda*.zip >/dev/null 2>&1; then
                    echo "deploy: no Lambda zip in build/. Build one first: make package [ARCH=arm64], or scripts/package-in-container.sh" >&2
                    echo "        (or scripts/package-in-container.sh arm64 with architecture = \"arm64\")" >&2
                    exit 1
                fi ;;
            *) echo "deploy: PACKAGE must be make or none (got '$package')" >&2; exit 2 ;;
        esac
    fi
fi
# shellcheck disable=SC2086
terraform -chdir="$dir" init -input=false $init_args
if [ "$action" = deploy ]; then
    terraform -chdir="$dir" apply "$@"
else
    terraform -chdir="$dir" destroy "$@"
fi
