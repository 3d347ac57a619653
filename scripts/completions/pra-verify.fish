complete -c pra-verify -l repo -d 'Backup repository: a path or file:// URL (object storage to come). Several values (or a comma-separated PRA_REPO) write to each' -r
complete -c pra-verify -l stanza -d 'Name of what is backed up (default: the database name)' -r
complete -c pra-verify -l backup -d 'Which backups: a backup id, `latest` (the newest complete one) or `all`. Ignored when stdin carries `backup` events' -r
complete -c pra-verify -l level -d 'How deep to verify' -r -f -a "manifest\t'Every file exists with its stored size'
checksum\t'Stored and raw sha256 match, the codec decodes, the dump\'s table of contents reads'
restore\t'A test restore into a scratch database with row counts compared'"
complete -c pra-verify -s d -l dbname -d 'Database name, conninfo string ("host=/run/pg dbname=app") or URI (postgresql://user@host/app). Unset parts come from PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGPASSFILE, PGSSLMODE' -r
complete -c pra-verify -l check-sql -d 'Restore level: a file of SQL queries run in the scratch database after the restore; each must return true (one row, one column), e.g. `SELECT count(*) > 0 FROM orders;`' -r -F
complete -c pra-verify -l jobs -d 'Restore level: pg_restore jobs. 1 streams the decoded dump into pg_restore; more decode it to a temporary file first (it needs the dump\'s raw size in $TMPDIR)' -r
complete -c pra-verify -l pg-bindir -d 'Directory of pg_restore (default: found on PATH)' -r -F
complete -c pra-verify -l format -d 'Output format on stdout: json (pra.v1 lines, for pipes) or text (for people)' -r -f -a "json\t'One JSON object per line (`pra.v1`), for the next tool or a script'
text\t'Aligned lines for people; coloured only on a terminal without `NO_COLOR`'"
complete -c pra-verify -l all-stanzas -d 'Verify the backups of every stanza in the repository'
complete -c pra-verify -s v -l verbose -d 'More log detail on stderr (-v info, -vv debug, -vvv trace). RUST_LOG overrides'
complete -c pra-verify -s q -l quiet -d 'Only errors on stderr'
complete -c pra-verify -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pra-verify -s V -l version -d 'Print version'
