complete -c pra-loadtest -s d -l dbname -d 'Database name, conninfo string ("host=/run/pg dbname=app") or URI (postgresql://user@host/app?sslmode=verify-full), as libpq: unset parts come from the service (service=NAME or PGSERVICE), then PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGPASSFILE, PGSSLMODE, PGSSLROOTCERT and the other PG* variables' -r
complete -c pra-loadtest -l format -d 'Output format on stdout: json (pra.v1 lines, for pipes) or text (for people)' -r -f -a "json\t'One JSON object per line (`pra.v1`), for the next tool or a script'
text\t'Aligned lines for people; coloured only on a terminal without `NO_COLOR`'"
complete -c pra-loadtest -l stanza -d 'Stanza: the name one database\'s backups are kept under (default: the database name)' -r
complete -c pra-loadtest -l pg-bindir -d 'Directory of the PostgreSQL client programs (pg_dump, pg_dumpall, pg_restore), to pick a version (default: found on PATH)' -r -F
complete -c pra-loadtest -l stall-timeout -d 'Fail (error class timeout, exit 3) when a dump, restore, upload or download makes no progress for this long; a lock wait and a slow but moving transfer are not stalls. 0 disables the check' -r
complete -c pra-loadtest -l encrypt-to -d 'Encrypt the stored files to this public key: an age X25519 key (age1…) or an SSH public key (ssh-ed25519 or ssh-rsa). Repeatable (any one matching identity decrypts); the manifest records the keys\' fingerprints. The backup host needs no private key' -r
complete -c pra-loadtest -l identity -d 'Identity file that opens the drill\'s encrypted backup for its restore (as pra-restore --identity): age identities (AGE-SECRET-KEY-1…) or an unencrypted SSH private key. Required with --encrypt-to; checked against the recipients before the drill starts. Repeatable' -r -F
complete -c pra-loadtest -l duration -d 'How long the load runs in all: a third as the baseline, then the backup, the restore and the rest of the time under load' -r
complete -c pra-loadtest -l clients -d 'Concurrent client connections running the transaction' -r
complete -c pra-loadtest -l scale -d 'Size of the built-in tables: 1 = 100,000 accounts (as pgbench); fractions allowed (0.1 = 10,000). Ignored with --workload' -r
complete -c pra-loadtest -l workload -d 'A transaction file to run instead of the built-in one: plain SQL against your own schema, one transaction per run of the file (BEGIN/COMMIT lines are ignored; use SQL\'s random() for random keys)' -r -F
complete -c pra-loadtest -l rpo -d 'Recovery point objective: the most work you accept to lose (the span of the committed transactions the backup misses at the end of the drill)' -r
complete -c pra-loadtest -l rto -d 'Recovery time objective: the longest a restore may take, end to end' -r
complete -c pra-loadtest -l max-slowdown -d 'Largest accepted slowdown of the load during the backup (p95 latency during the backup divided by the baseline p95)' -r
complete -c pra-loadtest -l app-url -d 'Application URL probed every second during the drill (availability SLA); a probe fails unless it answers 2xx (redirects followed) within --http-timeout' -r
complete -c pra-loadtest -l http-timeout -d 'Time limit of each --app-url probe' -r
complete -c pra-loadtest -l max-app-failures -d 'Failed application probes accepted before the availability SLA fails' -r
complete -c pra-loadtest -l report -d 'Write the compliance report here: Markdown (.md), or HTML (.html, .htm) with the latency timeline as an inline SVG chart' -r -F
complete -c pra-loadtest -l repo -d 'Repository for the drill\'s backup (a path, file://, s3://, az:// or gs:// URL; several, comma-separated, get copies): an existing repository (pra-backup --init creates one; the drill never does). Default: a temporary directory, removed at the end. The drill\'s backup is deleted from it at the end unless --keep.' -r
complete -c pra-loadtest -l passphrase-file -d 'Encrypt the drill\'s backup with the passphrase on the first line of FILE (age\'s scrypt mode) instead of public keys; the restore opens it with the same passphrase' -r -F
complete -c pra-loadtest -s v -l verbose -d 'More log detail on stderr (-v info, -vv debug, -vvv trace). RUST_LOG overrides'
complete -c pra-loadtest -s q -l quiet -d 'Only errors on stderr'
complete -c pra-loadtest -l keep -d 'Keep schema pra_loadtest, the scratch database and the drill\'s backup (to inspect them)'
complete -c pra-loadtest -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pra-loadtest -s V -l version -d 'Print version'
