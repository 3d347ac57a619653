#!/usr/bin/env bash
# pra test restore, the weekly drill: restore the latest backup with pra-restore
# (the command an operator runs in an incident: roles, validation, measured RTO)
# into a scratch database, drop it, and send the result with pra-notify, pass or
# fail. Events on stdout (pra-restore's, forwarded by pra-notify, and its own).
#
#   test-restore [--backup ID|latest|latest-verified] [--report FILE] [--keep]
#
# Installed as /usr/lib/pra/test-restore and run by pra-test-restore.timer or cron;
# from a clone: scripts/quickstart.sh test-restore. Reads the PRA_* and PG* variables
# as the tools do (set -a; . /etc/pra/pra.env; set +a) and needs an alert
# destination (PRA_WEBHOOK, PRA_SLACK_WEBHOOK, PRA_EMAIL_TO, ...). --keep leaves the
# scratch database in place to look at. Exit status: pra-restore's (0 restored and
# validated, 1 validation failed, 2 usage, 3 runtime), else pra-notify's, else 3
# when the scratch database could not be dropped.
set -euo pipefail

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
args=()
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --backup|--report) [ $# -ge 2 ] || { usage >&2; exit 2; }; args+=("$1" "$2"); shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "test-restore: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

# A new name each run: pra-restore refuses to overwrite a database without --clean.
db="pra_test_restore_$(date -u +%Y%m%d%H%M%S)"
echo "test-restore: restoring into scratch database $db" >&2
set +e
pra-restore --target-db "$db" "${args[@]}" | pra-notify --min-status ok
codes=("${PIPESTATUS[@]}")
set -e

if [ "$KEEP" = 1 ]; then
  echo "test-restore: kept $db (drop it with: dropdb $db)" >&2
elif ! "${PRA_PG_BINDIR:+$PRA_PG_BINDIR/}dropdb" --if-exists "$db"; then
  echo "test-restore: could not drop the scratch database $db" >&2
  [ "${codes[0]}" != 0 ] || [ "${codes[1]}" != 0 ] || exit 3
fi
[ "${codes[0]}" = 0 ] || exit "${codes[0]}"
exit "${codes[1]}"
