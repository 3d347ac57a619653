complete -c pra-verify -l repo -d 'Backup repository: a path, file://, s3://bucket/prefix, az://container/prefix or gs://bucket/prefix (credentials from the providers\' variables: docs/STORAGE.md). Several values (or a comma-separated PRA_REPO): each is used, in the order given' -r
complete -c pra-verify -l level -d 'How deep to verify' -r -f -a "manifest\t'Every file exists with its stored size'
checksum\t'Stored sha256 and raw size match, the codec decodes (zstd frame checksums, else the raw sha256), the dump\'s table of contents reads'
restore\t'A test restore into a scratch database with row counts compared'"
complete -c pra-verify -s d -l dbname -d 'Database name, conninfo string ("host=/run/pg dbname=app") or URI (postgresql://user@host/app?sslmode=verify-full), as libpq: unset parts come from the service (service=NAME or PGSERVICE), then PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGPASSFILE, PGSSLMODE, PGSSLROOTCERT and the other PG* variables' -r
complete -c pra-verify -l check-sql -d 'Restore level: a file of SQL queries run in the scratch database after the restore; each must return true (one row, one column), e.g. `SELECT count(*) > 0 FROM orders;`' -r -F
complete -c pra-verify -l jobs -d 'Restore level: pg_restore jobs. 1 streams the decoded dump into pg_restore; more decode it to a temporary file first (it needs the dump\'s raw size in $TMPDIR)' -r
complete -c pra-verify -l identity -d 'Identity file that opens encrypted backups: age identities (AGE-SECRET-KEY-1…, as age-keygen writes them) or an unencrypted SSH private key. Repeatable. Not needed for unencrypted backups' -r -F
complete -c pra-verify -l passphrase-file -d 'Open backups encrypted with a passphrase (pra-backup --passphrase-file): the passphrase is the first line of FILE' -r -F
complete -c pra-verify -l pg-bindir -d 'Directory of the PostgreSQL client programs (pg_dump, pg_dumpall, pg_restore), to pick a version (default: found on PATH)' -r -F
complete -c pra-verify -l stall-timeout -d 'Fail (error class timeout, exit 3) when a dump, restore, upload or download makes no progress for this long; a lock wait and a slow but moving transfer are not stalls. 0 disables the check' -r
complete -c pra-verify -l format -d 'Output format on stdout: json (pra.v1 lines, for pipes) or text (for people)' -r -f -a "json\t'One JSON object per line (`pra.v1`), for the next tool or a script'
text\t'Aligned lines for people; coloured only on a terminal without `NO_COLOR`'"
complete -c pra-verify -l backup -d 'Which backup: an id (20261125T110000Z), `latest` (the newest complete one), `latest-verified` (the newest with a passing checksum or restore verdict that no failure stands against, docs/VERIFY.md) or `all`' -r
complete -c pra-verify -l since -d 'Only backups started within this window before now are candidates (`7d`, `36h`)' -r
complete -c pra-verify -l stanza -d 'Stanza whose backups to verify (default: every stanza of the repository).' -r
complete -c pra-verify -l all-stanzas -d 'Verify the backups of every stanza in the repository (also the default without --stanza)'
complete -c pra-verify -s v -l verbose -d 'More log detail on stderr (-v info, -vv debug, -vvv trace). RUST_LOG overrides'
complete -c pra-verify -s q -l quiet -d 'Only errors on stderr'
complete -c pra-verify -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pra-verify -s V -l version -d 'Print version'
