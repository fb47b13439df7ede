#!/usr/bin/env bash
# The system packages `make test` needs beyond Python, installed when this machine allows it.
#
#   chromium    Debian's browser, which the inspector's browser tests drive with Playwright
#               (never a downloaded browser). Required: without it those tests fail.
#   postgresql  PostgreSQL's server binaries (initdb, pg_ctl) for the PostgreSQL tests, which
#               start a throwaway server on 127.0.0.1. Optional: without it they skip, unless
#               LANGMEM_REQUIRE_POSTGRES=1 (CI) makes it required too.
#
# As root with apt-get, missing packages are installed. Otherwise a missing required package
# stops here with one line saying what to install; a missing optional one gets a one-line
# note. `make test` and `.ci/run` both call this script; the tests look for the same things
# (`chromium` on PATH; initdb under LANGMEM_PG_BIN, default /usr/lib/postgresql/15/bin).
set -euo pipefail

pg_bin="${LANGMEM_PG_BIN:-/usr/lib/postgresql/15/bin}"
have_chromium() { command -v chromium >/dev/null 2>&1; }
have_postgres() { [ -x "$pg_bin/initdb" ] && [ -x "$pg_bin/pg_ctl" ]; }
postgres_required() { [ "${LANGMEM_REQUIRE_POSTGRES:-}" = "1" ]; }

missing=()
have_chromium || missing+=(chromium)
have_postgres || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0

look="the tests look for \`chromium\` on PATH and for initdb in $pg_bin"
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "system_deps: installing ${missing[*]} with apt-get (for the test suite)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
  missing=()
  have_chromium || missing+=(chromium)
  have_postgres || missing+=(postgresql)
  [ ${#missing[@]} -eq 0 ] && exit 0
  hint="apt-get installed ${missing[*]}, but $look"
elif command -v apt-get >/dev/null 2>&1; then
  hint="sudo apt-get install -y ${missing[*]} (or run make test as root, which installs them)"
else
  hint="no apt-get here, install ${missing[*]} yourself ($look)"
fi

required=()
for package in "${missing[@]}"; do
  if [ "$package" = chromium ] || postgres_required; then
    required+=("$package")
  fi
done
if [ ${#required[@]} -eq 0 ]; then
  echo "system_deps: the PostgreSQL tests will skip; to run them: $hint" >&2
  exit 0
fi
echo "system_deps: make test needs Debian's ${required[*]}: $hint" >&2
exit 1
