#!/usr/bin/env bash
# The one command that runs pra's tests on a fresh Debian machine:
# installs what is missing (PostgreSQL server and client, zstd, the Python test
# servers), then runs the whole workspace's tests against real services.
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

packages=()
has_server || packages+=(postgresql postgresql-contrib)
command -v psql >/dev/null 2>&1 || packages+=(postgresql-client)
command -v pg_dump >/dev/null 2>&1 || packages+=(postgresql-client)
command -v zstd >/dev/null 2>&1 || packages+=(zstd)
command -v gzip >/dev/null 2>&1 || packages+=(gzip)
# man(1) renders the generated man pages in pra-docgen's test.
command -v man >/dev/null 2>&1 || packages+=(man-db)
command -v pgbench >/dev/null 2>&1 || has_server || packages+=(postgresql-contrib)
if [ ${#packages[@]} -gt 0 ]; then
  say "installing ${packages[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}"
fi

# Python test servers (a real SMTP server for pra-notify's tests).
if ! python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
  say "installing aiosmtpd (SMTP test server)"
  python3 -m pip install --quiet aiosmtpd 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages aiosmtpd
fi

say "running cargo test --workspace $*"
exec cargo test --workspace "$@"
