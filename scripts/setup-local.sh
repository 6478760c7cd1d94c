#!/usr/bin/env bash
# Installs what the local environment runs on (docs/as-deployed.md), idempotently:
# - Debian packages: what the Lambda runtime interface client builds with (autoconf, automake, libtool, cmake, g++,
#   make), openssl (the local endpoint's certificate), iproute2 (network namespaces for ECS tasks), nginx (the tenant
#   proxy) and chromium (the browser tests drive it with playwright-core), installed with apt-get when missing and
#   this runs as root; otherwise it says what to install;
# - local/ric/node_modules: aws-lambda-ric from local/ric/package-lock.json (npm ci; its install script compiles it);
# - .venv: moto and cfn-lint, with their dependencies, from local/requirements.txt;
# - .venv-checkov: checkov, with its dependencies, from local/requirements-checkov.txt (apart: it pins an older boto3).
# - .venv-lambda-python: what Python Lambda functions run on, from local/requirements-lambda-python.txt: the runtime
#   (awslambdaric, installed from its manylinux wheel; boto3) in the venv, each known layer in layers/<name>/python.
# Each step is skipped when its input has not changed since it last ran.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v autoreconf >/dev/null || missing+=(autoconf)
command -v automake >/dev/null || missing+=(automake)
command -v libtoolize >/dev/null || missing+=(libtool)
command -v cmake >/dev/null || missing+=(cmake)
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
command -v openssl >/dev/null || missing+=(openssl)
command -v ip >/dev/null || missing+=(iproute2)
command -v nginx >/dev/null || missing+=(nginx)
command -v chromium >/dev/null || missing+=(chromium)
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup-local: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup-local: these packages are missing: ${missing[*]}. On Debian or Ubuntu: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

stamp() { cat "$@" | sha256sum | cut -c1-16; }

want=$(stamp local/ric/package-lock.json)
if [ "$(cat local/ric/node_modules/.setup-stamp 2>/dev/null)" != "$want" ]; then
  echo "setup-local: installing the Lambda runtime interface client (local/ric, builds from source, about a minute)"
  (cd local/ric && npm ci --no-audit --no-fund --loglevel=error)
  test -f local/ric/node_modules/aws-lambda-ric/rapid-client.node
  echo "$want" > local/ric/node_modules/.setup-stamp
fi

want=$(stamp local/requirements.txt)
if [ "$(cat .venv/.setup-stamp 2>/dev/null)" != "$want" ]; then
  echo "setup-local: installing moto and cfn-lint into .venv"
  rm -rf .venv
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r local/requirements.txt
  echo "$want" > .venv/.setup-stamp
fi

want=$(stamp local/requirements-checkov.txt)
if [ "$(cat .venv-checkov/.setup-stamp 2>/dev/null)" != "$want" ]; then
  echo "setup-local: installing checkov into .venv-checkov"
  rm -rf .venv-checkov
  python3 -m venv .venv-checkov
  .venv-checkov/bin/pip install --quiet --disable-pip-version-check -r local/requirements-checkov.txt
  echo "$want" > .venv-checkov/.setup-stamp
fi

# One section of local/requirements-lambda-python.txt (`# [name]` up to the next section).
lambda_python_section() { awk -v s="# [$1]" 'index($0, "# [") == 1 { on = (index($0, s) == 1) } on && !/^#/ && NF' local/requirements-lambda-python.txt; }
want=$(stamp local/requirements-lambda-python.txt)
if [ "$(cat .venv-lambda-python/.setup-stamp 2>/dev/null)" != "$want" ]; then
  echo "setup-local: installing the Python Lambda runtime and layers into .venv-lambda-python"
  rm -rf .venv-lambda-python
  python3 -m venv .venv-lambda-python
  .venv-lambda-python/bin/pip install --quiet --disable-pip-version-check --no-deps -r <(lambda_python_section runtime)
  for layer in powertools sbt-aws-helper; do
    .venv-lambda-python/bin/pip install --quiet --disable-pip-version-check --no-deps \
      --target ".venv-lambda-python/layers/$layer/python" -r <(lambda_python_section "layer-$layer")
  done
  .venv-lambda-python/bin/python -c 'import awslambdaric, boto3'
  echo "$want" > .venv-lambda-python/.setup-stamp
fi
