complete -c pra-restore -l target-db -d 'Database to restore into (at most 63 bytes, PostgreSQL\'s limit). Must not exist, unless --clean --yes' -r
complete -c pra-restore -s d -l dbname -d 'Database name, conninfo string ("host=/run/pg dbname=app") or URI (postgresql://user@host/app?sslmode=verify-full), as libpq: unset parts come from the service (service=NAME or PGSERVICE), then PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGPASSFILE, PGSSLMODE, PGSSLROOTCERT and the other PG* variables' -r
complete -c pra-restore -l jobs -d 'pg_restore jobs [default: the number of cores]. 1 streams the decoded dump into pg_restore; more decode it to a temporary file first (see --temp-dir) and run pg_restore -j N, which loads tables and builds indexes in parallel (1 job was measured 1.25x slower than 2 on 2 cores). Use 1 when --temp-dir lacks room for the dump\'s raw size' -r
complete -c pra-restore -l temp-dir -d 'Directory for the decoded dump when --jobs > 1 (needs the dump\'s raw size free)' -r -F
complete -c pra-restore -l critical-table -d 'A table that must exist and not be empty after the restore ([schema.]table); repeatable' -r
complete -c pra-restore -l check-url -d 'A URL that must answer 2xx after the restore (e.g. the application\'s health check); `{db}` in it is replaced by the restored database\'s temporary name; repeatable' -r
complete -c pra-restore -l http-timeout -d 'Time limit of each --check-url request (default: 10s)' -r
complete -c pra-restore -l check-timeout -d 'Former name of --http-timeout (and its variable), still honoured' -r
complete -c pra-restore -l rto -d 'Recovery time objective: the event is `warn` when the restore takes longer' -r
complete -c pra-restore -l report -d 'Write a Markdown restore report to this file' -r -F
complete -c pra-restore -l identity -d 'Identity file that opens encrypted backups: age identities (AGE-SECRET-KEY-1…, as age-keygen writes them) or an unencrypted SSH private key. Repeatable. Not needed for unencrypted backups' -r -F
complete -c pra-restore -l passphrase-file -d 'Open backups encrypted with a passphrase (pra-backup --passphrase-file): the passphrase is the first line of FILE' -r -F
complete -c pra-restore -l pg-bindir -d 'Directory of the PostgreSQL client programs (pg_dump, pg_dumpall, pg_restore), to pick a version (default: found on PATH)' -r -F
complete -c pra-restore -l pgdata -d 'With --physical: the data directory to write (created 0700). Must be empty or absent, unless --force' -r -F
complete -c pra-restore -l target-time -d 'Recover up to this time (recovery_target_time, e.g. `2026-11-26 15:42:00+00`); the newest backup finished before it is picked' -r
complete -c pra-restore -l target-lsn -d 'Recover up to this WAL position (recovery_target_lsn, e.g. `0/3000060`)' -r
complete -c pra-restore -l target-xid -d 'Recover up to this transaction id (recovery_target_xid)' -r
complete -c pra-restore -l target-name -d 'Recover up to this restore point (recovery_target_name, made with `SELECT pg_create_restore_point(\'name\')`)' -r
complete -c pra-restore -l target -d '`immediate`: stop as soon as the backup is consistent (its own state, no later WAL)' -r -f -a "immediate\t''"
complete -c pra-restore -l tablespace-map -d 'With --physical: restore tablespace OID into DIR (absolute) instead of its recorded location, e.g. a copy beside the running source on the same host (repeatable; default: each where it was). tablespace_map is written to match' -r
complete -c pra-restore -l primary-conninfo -d 'With --standby: how to reach the primary (`host=db1 port=5432 user=replicator`). No password here: it would sit in postgresql.auto.conf; give the standby\'s OS user a pgpass file (or `passfile=`) instead' -r
complete -c pra-restore -l target-action -d 'What the server does at the target' -r -f -a "promote\t'End recovery and accept writes on a new timeline'
pause\t'Stay in recovery, paused, read-only (inspect, then `SELECT pg_wal_replay_resume()`)'
shutdown\t'Stop the server'"
complete -c pra-restore -l port -d 'With --start: the port to start on (default: the restored configuration\'s)' -r
complete -c pra-restore -l archive-mode -d '`off`: write `archive_mode = off`, so that a copy restored for a test or an inspection never archives its new timeline into the stanza (PostgreSQL would otherwise follow it in later recoveries); `preserve` (default): keep the backup\'s setting, for a copy that becomes the new primary' -r -f -a "preserve\t''
off\t''"
complete -c pra-restore -l pra-wal -d 'The pra-wal program restore_command runs (default: pra-wal, on the server\'s PATH)' -r
complete -c pra-restore -l recovery-timeout -d 'With --start: how long to wait for recovery to reach the target' -r
complete -c pra-restore -l stall-timeout -d 'Fail (error class timeout, exit 3) when a dump, restore, upload or download makes no progress for this long; a lock wait and a slow but moving transfer are not stalls. 0 disables the check' -r
complete -c pra-restore -l format -d 'Output format on stdout: json (pra.v1 lines, for pipes) or text (for people)' -r -f -a "json\t'One JSON object per line (`pra.v1`), for the next tool or a script'
text\t'Aligned lines for people; coloured only on a terminal without `NO_COLOR`'"
complete -c pra-restore -l backup -d 'Which backup: an id (20261125T110000Z), `latest` (the newest complete one) or `latest-verified` (the newest with a passing checksum or restore verdict that no failure stands against, docs/VERIFY.md); `all` is refused: a restore is of one backup. With --all-stanzas an id may also be the run id of a pra-backup --all-databases run.' -r
complete -c pra-restore -l since -d 'Only backups started within this window before now are candidates (`7d`, `36h`)' -r
complete -c pra-restore -l repo -d 'Backup repository: a path, file://, s3://, az:// or gs:// URL (docs/STORAGE.md). Several values (or a comma-separated PRA_REPO): the first that holds the backup is used.' -r
complete -c pra-restore -l stanza -d 'Stanza to restore from (default: the target database name when the repository has that stanza, else the repository\'s only stanza).' -r
complete -c pra-restore -l all-stanzas -d 'Restore every stanza of the repository (a `pra-backup --all-databases` run), each into the database it was taken from, after creating the roles and tablespaces of the backup\'s globals that do not exist. With --backup ID, the backups of that --all-databases run (its run id, or a backup id) in each stanza that has one; with latest or latest-verified, that backup of each stanza. A database that exists is replaced only with --clean --yes; `postgres` (the maintenance database) is never replaced. --report FILE writes one report per database, named after it (restore-app.md beside restore.md)'
complete -c pra-restore -l globals -d 'Create the roles (and tablespaces) the backup needs that do not exist yet, from the backup\'s globals; existing ones are left alone and reported'
complete -c pra-restore -l no-owner -d 'Restore without ownership and grants (objects belong to the connecting user)'
complete -c pra-restore -l no-db-settings -d 'Do not re-apply the backup\'s database-level state (owner, comment, privileges, ALTER DATABASE … SET and ALTER ROLE … IN DATABASE … SET settings) to the target'
complete -c pra-restore -l clean -d 'Replace an existing target database (needs --yes). The old one stays in place until the new one is validated, then is dropped (or kept with --keep-old)'
complete -c pra-restore -l yes -d 'Confirm --clean'
complete -c pra-restore -l keep-old -d 'With --clean: keep the replaced database as <target>__pra_old_<time> instead of dropping it'
complete -c pra-restore -l allow-postgres-target -d 'Allow --target-db postgres, the maintenance database tools and sessions connect to (refused without it). Template databases (template0, template1 and any with datistemplate) are never a target'
complete -c pra-restore -l physical -d 'Restore a physical backup (pra-backup --physical) into a data directory (--pgdata) instead of a logical one into a database; WAL is fetched from the repository by `pra-wal fetch` as restore_command, up to the target (docs/PHYSICAL.md). Run as the OS user the server runs as. An encrypted backup or WAL needs --identity FILE, checked before anything is written; restore_command gets the identity file\'s absolute path (never its contents), so the server\'s user must be able to read it'
complete -c pra-restore -l force -d 'With --physical: empty a non-empty --pgdata first (the server must be stopped)'
complete -c pra-restore -l standby -d 'Restore a warm standby instead of recovering to a target: `standby.signal` and primary_conninfo, so that the copy replays the archive, then streams from the primary (promote it with `pg_ctl promote`, docs/RUNBOOK.md)'
complete -c pra-restore -l start -d 'Start the server (pg_ctl, from --pg-bindir) and wait until recovery reached the target and queries are accepted: the event\'s rto_s is "to first query". With --target-action pause: until replay is paused at the target (read-only queries); with shutdown: until the server has stopped at the target (rto_s is then "to the target", and nothing answers)'
complete -c pra-restore -s v -l verbose -d 'More log detail on stderr (-v info, -vv debug, -vvv trace). RUST_LOG overrides'
complete -c pra-restore -s q -l quiet -d 'Only errors on stderr'
complete -c pra-restore -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pra-restore -s V -l version -d 'Print version'
