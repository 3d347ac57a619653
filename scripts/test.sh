#!/usr/bin/env bash
# The one command that runs pra's tests on a fresh Debian machine:
# installs what is missing (PostgreSQL server, client and contrib extensions, zstd,
# the Python test servers), then runs the whole workspace's tests against real
# services. A clone needs nothing else: the fidelity schema and sample data are
# generated from pra-testkit/sql/.
#
# The third-party datasets (Pagila, Chinook, Northwind; ../shared/datasets or
# $PRA_DATASETS) are additional fidelity cases: run when present; missing under CI
# (CI=true) fails the run; missing elsewhere, the cases that did not run are listed
# at the end, with how to enable them.
#
#   scripts/test.sh            # everything
#   scripts/test.sh -p pra-core  # extra arguments go to cargo test
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'test.sh: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

has_server() {
  ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && return 0
  command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/postgres" ]
}

# The extensions the fidelity schema uses (pgcrypto, citext, hstore).
has_contrib() {
  local d
  for d in /usr/share/postgresql/*/extension "$(pg_config --sharedir 2>/dev/null)/extension"; do
    [ -f "$d/pgcrypto.control" ] && [ -f "$d/citext.control" ] && [ -f "$d/hstore.control" ] && return 0
  done
  return 1
}

packages=()
has_server || packages+=(postgresql postgresql-contrib)
if has_server && ! has_contrib; then packages+=(postgresql-contrib); fi
command -v psql >/dev/null 2>&1 || packages+=(postgresql-client)
command -v pg_dump >/dev/null 2>&1 || packages+=(postgresql-client)
command -v zstd >/dev/null 2>&1 || packages+=(zstd)
# pra-report's HTML is rendered by headless Chromium in its tests.
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
command -v gzip >/dev/null 2>&1 || packages+=(gzip)
# man(1) renders the generated man pages in pra-docgen's test.
command -v man >/dev/null 2>&1 || packages+=(man-db)
# The documentation test runs the docs' jq examples and checks the systemd units.
command -v jq >/dev/null 2>&1 || packages+=(jq)
command -v systemd-analyze >/dev/null 2>&1 || packages+=(systemd)
command -v pgbench >/dev/null 2>&1 || has_server || packages+=(postgresql-contrib)
# pra's TLS is OpenSSL's (postgres-openssl): headers to build, the command to make test certificates.
dpkg -s libssl-dev >/dev/null 2>&1 || packages+=(libssl-dev)
command -v pkg-config >/dev/null 2>&1 || packages+=(pkg-config)
command -v openssl >/dev/null 2>&1 || packages+=(openssl)
# Encrypted backups are read by the age command-line tool in the interoperability tests.
command -v age >/dev/null 2>&1 || packages+=(age)
if [ ${#packages[@]} -gt 0 ]; then
  say "installing ${packages[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}"
fi

# Python test servers (pra-testkit's real SMTP server, python/smtp_server.py).
if ! python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
  say "installing aiosmtpd (SMTP test server)"
  python3 -m pip install --quiet aiosmtpd 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages aiosmtpd
fi

# Object-storage test servers (pra-testkit/src/objstore.rs): S3 is moto's server mode
# (PyPI), Azure is Azurite (npm; its container is created with PyPI azure-storage-blob).
pip_install() {
  python3 -m pip install --quiet "$@" 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages "$@"
}
if ! command -v moto_server >/dev/null 2>&1; then
  say "installing moto[server] (S3 test server)"
  pip_install 'moto[server]'
fi
if ! python3 -c 'import azure.storage.blob' >/dev/null 2>&1; then
  say "installing azure-storage-blob (creates the Azurite test container)"
  pip_install azure-storage-blob
fi
if ! command -v azurite-blob >/dev/null 2>&1; then
  if ! command -v npm >/dev/null 2>&1; then
    say "installing nodejs and npm (for Azurite)"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm
  fi
  say "installing azurite (Azure Blob test server)"
  as_root npm install -g --silent azurite
fi

# The tests that skip their third-party dataset part append their name here.
PRA_SKIPPED_LOG=$(mktemp /tmp/pra-test-skipped.XXXXXX)
export PRA_SKIPPED_LOG
trap 'rm -f "$PRA_SKIPPED_LOG"' EXIT

say "running cargo test --workspace $*"
status=0
cargo test --workspace "$@" || status=$?

if [ -s "$PRA_SKIPPED_LOG" ]; then
  datasets=${PRA_DATASETS:-$PWD/../shared/datasets}
  {
    echo
    echo "test.sh: NOTICE: the third-party datasets (Pagila, Chinook, Northwind) are not in"
    echo "test.sh:   $datasets, so these cases did not run their dataset part:"
    sort -u "$PRA_SKIPPED_LOG" | sed 's/^/test.sh:     /'
    echo "test.sh:   The project's own fidelity schema ran. To run them too, put the project's"
    echo "test.sh:   shared/ folder beside the checkout, or set PRA_DATASETS to a folder holding"
    echo "test.sh:   pagila-schema.sql, pagila-data.sql, chinook.sql and northwind.sql. Under CI"
    echo "test.sh:   (CI=true) their absence fails the run."
  } >&2
fi
exit "$status"
