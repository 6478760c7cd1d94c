#!/usr/bin/env bash
# Installs what the language tests (test/languages, docs/languages.md) need, from the packages `package` has just built
# (named after package.json's version, never found by listing dist/):
# - .venv-python-example: the Python quick start's pinned dependencies from PyPI (examples/python/requirements.txt),
#   then the wheel from dist/python, never a cdk-ecs-saas from PyPI;
# - the local Maven repository (~/.m2): the jar from dist/java with its POM, sources and javadoc, installed as a Maven
#   user installs a jar they built; then the quick start's dependencies and plugins, resolved from Maven Central.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(node -p 'require("./package.json").version')
wheel="dist/python/cdk_ecs_saas-$version-py3-none-any.whl"
base="dist/java/io/github/cdkecssaas/cdk-ecs-saas/$version/cdk-ecs-saas-$version"
for f in "$wheel" "$base.jar" "$base.pom" "$base-sources.jar" "$base-javadoc.jar"; do
  [ -f "$f" ] || { echo "languages:setup: $f is missing: run 'npx projen package' (or the build) first" >&2; exit 1; }
done
for tool in python3 mvn java javac; do
  command -v "$tool" >/dev/null || { echo "languages:setup: '$tool' is needed (Python 3.10+ with venv, a JDK 17+ and Maven)" >&2; exit 1; }
done
python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
  || { echo "languages:setup: Python 3.10 or newer is needed; python3 is $(python3 -V 2>&1)" >&2; exit 1; }

venv=.venv-python-example
stamp="$venv/.requirements.sha256"
# Rebuilt when the requirements or the interpreter change.
want=$( (cat examples/python/requirements.txt; python3 -VV) | sha256sum | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r examples/python/requirements.txt
  echo "$want" > "$stamp"
fi
# The wheel just built: no index, and no dependencies beyond the pinned ones, which pip check then holds to the
# wheel's own requirements.
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-index --no-deps --force-reinstall "$wheel"
"$venv/bin/pip" check --disable-pip-version-check

mvn=(mvn --batch-mode --quiet --no-transfer-progress -Dstyle.color=never)
"${mvn[@]}" install:install-file -Dfile="$base.jar" -DpomFile="$base.pom" -Dsources="$base-sources.jar" -Djavadoc="$base-javadoc.jar"
(cd examples/java && "${mvn[@]}" -Dcdk-ecs-saas.version="$version" dependency:go-offline)
echo "languages:setup: $venv has $(basename "$wheel"); the local Maven repository has io.github.cdkecssaas:cdk-ecs-saas:$version"
