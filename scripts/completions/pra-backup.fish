complete -c pra-backup -l repo -d 'Backup repository: a path, file://, s3://bucket/prefix, az://container/prefix or gs://bucket/prefix (credentials from the providers\' variables: docs/STORAGE.md). Several values (or a comma-separated PRA_REPO): each is used, in the order given' -r
complete -c pra-backup -l stanza -d 'Stanza: the name one database\'s backups are kept under (default: the database name)' -r
complete -c pra-backup -s d -l dbname -d 'Database name, conninfo string ("host=/run/pg dbname=app") or URI (postgresql://user@host/app?sslmode=verify-full), as libpq: unset parts come from the service (service=NAME or PGSERVICE), then PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGPASSFILE, PGSSLMODE, PGSSLROOTCERT and the other PG* variables' -r
complete -c pra-backup -l format -d 'Output format on stdout: json (pra.v1 lines, for pipes) or text (for people)' -r -f -a "json\t'One JSON object per line (`pra.v1`), for the next tool or a script'
text\t'Aligned lines for people; coloured only on a terminal without `NO_COLOR`'"
complete -c pra-backup -l compress -d 'Compression of the stored files' -r -f -a "zstd\t'Zstandard: fast, multithreaded, the default'
gzip\t'gzip through flate2, for people who want `.gz`'
none\t'No compression'"
complete -c pra-backup -l level -d 'Compression level (zstd 1-19, default 3; gzip 1-9, default 6)' -r
complete -c pra-backup -l threads -d 'zstd worker threads (0: compress on the streaming thread; at most 64)' -r
complete -c pra-backup -l encrypt-to -d 'Encrypt the stored files to this public key: an age X25519 key (age1…) or an SSH public key (ssh-ed25519 or ssh-rsa). Repeatable (any one matching identity decrypts); the manifest records the keys\' fingerprints. The backup host needs no private key' -r
complete -c pra-backup -l passphrase-file -d 'Encrypt the stored files with the passphrase on the first line of FILE (age\'s scrypt mode) instead of public keys. Whoever reads the file can read the backups' -r -F
complete -c pra-backup -l count-rows -d 'Which tables get an exact row count in the dump\'s snapshot' -r -f -a "all\t'Every user table (the default): verification can compare them all'
none\t'Only the `--critical-table` tables (for very large databases)'"
complete -c pra-backup -l critical-table -d 'A table that is always counted, even with --count-rows none (`schema.table`, or `table` in any schema). Repeatable' -r
complete -c pra-backup -l retries -d 'Retries of a backup that failed for a transient reason (connection refused or reset, server starting up). Permanent errors fail at once' -r
complete -c pra-backup -l retry-delay -d 'Delay before a retry' -r
complete -c pra-backup -l wait -d 'Wait this long for the stanza lock held by another backup instead of failing at once' -r
complete -c pra-backup -l archive-timeout -d 'With --physical: how long to wait for the backup\'s last WAL segment to be archived before failing (archiving broken)' -r
complete -c pra-backup -l pg-bindir -d 'Directory of the PostgreSQL client programs (pg_dump, pg_dumpall, pg_restore), to pick a version (default: found on PATH)' -r -F
complete -c pra-backup -l stall-timeout -d 'Fail (error class timeout, exit 3) when a dump, restore, upload or download makes no progress for this long; a lock wait and a slow but moving transfer are not stalls. 0 disables the check' -r
complete -c pra-backup -s v -l verbose -d 'More log detail on stderr (-v info, -vv debug, -vvv trace). RUST_LOG overrides'
complete -c pra-backup -s q -l quiet -d 'Only errors on stderr'
complete -c pra-backup -l all-databases -d 'Back up every connectable non-template database of the server, one stanza each (named after the database; --stanza is refused)'
complete -c pra-backup -l init -d 'Create the repository if it does not exist (its directory, never the parents; then pra.json); a no-op on an existing repository, so scripts may always pass it. Without it a missing location, an empty directory (an unmounted disk) or one without pra.json is refused (exit 3), so a typo never becomes a new repository'
complete -c pra-backup -l group-readable -d 'With --init: files group-readable (0640, directories 0750) instead of private, for a monitoring user in the owner\'s group running pra-status or pra-info. Recorded in pra.json, so every later writer keeps it'
complete -c pra-backup -l physical -d 'Physical backup of the whole cluster (data directory and tablespaces, one object per file) instead of a logical dump: pg_backup_start, copy, pg_backup_stop, then a wait until the last WAL segment is archived. Run on the database host with read access to the data directory; needs archive_mode = on with pra-wal as archive_command and PostgreSQL 15 or newer (docs/PHYSICAL.md). --stanza is required. With --encrypt-to or --passphrase-file every file (backup_label and tablespace_map included) is encrypted like a logical backup\'s; give pra-wal push the same keys so that the WAL is too (docs/SECURITY.md)'
complete -c pra-backup -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pra-backup -s V -l version -d 'Print version'
