complete -c pra-status -s d -l dbname -d 'Database name, conninfo string ("host=/run/pg dbname=app") or URI (postgresql://user@host/app?sslmode=verify-full), as libpq: unset parts come from the service (service=NAME or PGSERVICE), then PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGPASSFILE, PGSSLMODE, PGSSLROOTCERT and the other PG* variables' -r
complete -c pra-status -l stanza -d 'Stanza: the name one database\'s backups are kept under (default: the database name)' -r
complete -c pra-status -l critical-table -d 'A table that must exist and not be empty (`schema.table` or `table`); repeatable' -r
complete -c pra-status -l disk -d 'A path whose file system\'s free space to check; repeatable (default: the local repository and, when readable here, the server\'s data directory)' -r -F
complete -c pra-status -l disk-warn -d 'Free space below this is WARNING (`20%`)' -r
complete -c pra-status -l disk-crit -d 'Free space below this is CRITICAL (`10%`)' -r
complete -c pra-status -l rpo -d 'Recovery point objective: a recovery point older than this is CRITICAL, older than 80 % of it WARNING. The recovery point is the newest complete backup, or with WAL archiving (a physical backup and WAL archived since) the newest archived segment. Also bounds the age of WAL waiting to be archived' -r
complete -c pra-status -l verify-max-age -d 'The newest verification older than this is CRITICAL (80 %: WARNING); a failed one is CRITICAL' -r
complete -c pra-status -l app-url -d 'The application\'s health URL: must answer 2xx within the timeout (redirects followed)' -r
complete -c pra-status -l api-url -d 'An API URL that must answer a given HTTP code (`URL=CODE`, default any 2xx; redirects not followed); repeatable' -r
complete -c pra-status -l replication-max-lag -d 'Replication lag above this is CRITICAL (80 %: WARNING)' -r
complete -c pra-status -l replication-max-lag-bytes -d 'Replication lag in bytes above this is CRITICAL (80 %: WARNING); `1GiB`, `512MiB`' -r
complete -c pra-status -l timeout -d 'Time limit of each check; the checks run in parallel, so this bounds the run' -r
complete -c pra-status -l http-timeout -d 'Time limit of each --app-url and --api-url request (default and at most: --timeout)' -r
complete -c pra-status -l prometheus -d 'Write the results as a node_exporter textfile (atomically: temp file + rename)' -r -F
complete -c pra-status -l history -d 'Append the `status` event to this JSON-lines file (the availability history)' -r -F
complete -c pra-status -l availability -d 'Report the availability over this window (`30d`) from --history, as an `availability` check' -r
complete -c pra-status -l availability-target -d 'Availability below this percentage is WARNING' -r
complete -c pra-status -l history-interval -d 'The expected time between two runs (the cron interval); a longer silence in the history is a gap, counted as unknown (default: the median interval of the history)' -r
complete -c pra-status -l format -d 'Output format on stdout: json (pra.v1 lines, for pipes) or text (for people)' -r -f -a "json\t'One JSON object per line (`pra.v1`), for the next tool or a script'
text\t'Aligned lines for people; coloured only on a terminal without `NO_COLOR`'"
complete -c pra-status -l repo -d 'Backup repository to check (path, file://, s3://, az:// or gs://); several values (or a comma-separated PRA_REPO) check each. Without it the backup checks are skipped.' -r
complete -c pra-status -l all-stanzas -d 'Check every stanza found in the repository (wins over --stanza, so that a PRA_STANZA in the environment does not get in the way)'
complete -c pra-status -s v -l verbose -d 'More log detail on stderr (-v info, -vv debug, -vvv trace). RUST_LOG overrides'
complete -c pra-status -s q -l quiet -d 'Only errors on stderr'
complete -c pra-status -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pra-status -s V -l version -d 'Print version'
