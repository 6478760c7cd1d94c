#!/usr/bin/env bash
# Syntax-checks the Java code jsii-pacmak generated (parse only: the jsii runtime and aws-cdk-lib jars come
# from Maven Central, which is not reachable offline). Fails on any parse error.
set -euo pipefail
dir=${1:?usage: javac-parse.sh DIR}
mapfile -t files < <(find "$dir" -name '*.java')
if [ "${#files[@]}" -eq 0 ]; then
  echo "javac-parse: no Java files under $dir" >&2
  exit 1
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# Stop after parsing: a syntax error fails, unresolved dependencies are not looked at.
javac -proc:none -XDshould-stop.ifNoError=PARSE -XDshould-stop.ifError=PARSE -d "$out" "${files[@]}"
echo "javac-parse: ${#files[@]} Java files parse"
