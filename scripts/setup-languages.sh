#!/usr/bin/env bash
# Installs what the language tests (test/languages, docs/languages.md) need, from the packages `package` has built:
# - .venv-python-example: the Python quick start's pinned dependencies from PyPI (examples/python/requirements.txt),
#   and the wheel in dist/python, never a cdk-ecs-saas from PyPI;
# - the local Maven repository (~/.m2): the jar in dist/java with its POM, sources and javadoc, installed as a
#   Maven user installs a jar they built. aws-cdk-lib and the plugins come from Maven Central when Maven runs.
set -euo pipefail
cd "$(dirname "$0")/.."

wheel=$(ls dist/python/cdk_ecs_saas-*.whl 2>/dev/null | head -1 || true)
jar_dir=$(ls -d dist/java/io/github/cdkecssaas/cdk-ecs-saas/*/ 2>/dev/null | head -1 || true)
if [ -z "$wheel" ] || [ -z "$jar_dir" ]; then
  echo "languages:setup: no wheel in dist/python or no jar in dist/java: run 'npx projen package' (or the build) first" >&2
  exit 1
fi
for tool in python3 mvn java; do
  command -v "$tool" >/dev/null || { echo "languages:setup: '$tool' is needed (Python 3.10+ with venv, a JDK 17+ and Maven)" >&2; exit 1; }
done

venv=.venv-python-example
stamp="$venv/.requirements.sha256"
want=$(sha256sum examples/python/requirements.txt | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r examples/python/requirements.txt
  echo "$want" > "$stamp"
fi
# The wheel just built, whatever its version: no index, no dependencies (they are pinned above).
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-index --no-deps --force-reinstall "$wheel"

version=$(basename "$jar_dir")
base="${jar_dir%/}/cdk-ecs-saas-$version"
mvn --batch-mode --quiet --no-transfer-progress -Dstyle.color=never install:install-file \
  -Dfile="$base.jar" -DpomFile="$base.pom" -Dsources="$base-sources.jar" -Djavadoc="$base-javadoc.jar"
echo "languages:setup: $venv has $(basename "$wheel"); the local Maven repository has io.github.cdkecssaas:cdk-ecs-saas:$version"
