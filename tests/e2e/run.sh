#!/usr/bin/env bash
# `make test-e2e`: the browser end-to-end test. Installs the front end's npm packages (exact
# versions of package-lock.json) and bundles it, both cached under var/e2e/ (node_modules keyed by
# the lock file's hash, the bundle by the hash of the lock file and our sources), then runs the
# scenario with node's test runner. Needs node + npm and Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=tests/e2e
E2E=var/e2e
export E2E_DEPS="$PWD/$E2E"
CHROMIUM="${E2E_CHROMIUM:-/usr/bin/chromium}"

for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "e2e: $tool is missing (apt-get install -y nodejs npm)"; exit 1; }
done
[ -x "$CHROMIUM" ] || { echo "e2e: $CHROMIUM is missing (apt-get install -y chromium)"; exit 1; }

hash_of() { for file in "$@"; do echo "$file"; cat "$file"; done | sha256sum | cut -c1-16; }
mkdir -p "$E2E"

deps_key=$(hash_of "$HERE/package.json" "$HERE/package-lock.json")
if [ ! -f "$E2E/node_modules/.e2e-$deps_key" ]; then
  started=$SECONDS
  rm -rf "$E2E/node_modules"
  cp "$HERE/package.json" "$HERE/package-lock.json" "$E2E/"
  (cd "$E2E" && npm ci --no-audit --no-fund --loglevel=error)
  touch "$E2E/node_modules/.e2e-$deps_key"
  echo "e2e: npm ci in $((SECONDS - started)) s"
else
  echo "e2e: npm packages cached ($deps_key)"
fi

build_key=$(hash_of "$HERE/package.json" "$HERE/package-lock.json" "$HERE/build.mjs" $(find "$HERE/src" -type f | sort))
build="$E2E/build/$build_key"
if [ ! -f "$build/front/index.html" ]; then
  rm -rf "$E2E/build"
  node "$HERE/build.mjs" --out "$build.partial" --deps "$E2E"
  mv "$build.partial" "$build"
else
  echo "e2e: bundle cached ($build_key)"
fi

export E2E_BUILD="$PWD/$build"
mkdir -p "$E2E/run"
status=0
node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$E2E/run/results.tap" "$HERE/scenario.test.mjs" || status=$?
passed=$(sed -n 's/^# pass //p' "$E2E/run/results.tap")
failed=$(sed -n 's/^# fail //p' "$E2E/run/results.tap")
echo "e2e: ${passed:-0} passed, ${failed:-0} failed"
[ "$status" -eq 0 ] || echo "e2e: screenshots, console and the recorded API traffic are in $E2E/run/"
exit "$status"
