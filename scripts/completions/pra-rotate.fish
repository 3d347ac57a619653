complete -c pra-rotate -l repo -d 'Backup repository: a path, file://, s3://bucket/prefix, az://container/prefix or gs://bucket/prefix (credentials from the providers\' variables: docs/STORAGE.md). Several values (or a comma-separated PRA_REPO): each is used, in the order given' -r
complete -c pra-rotate -l keep-last -d 'Keep the N newest backups' -r
complete -c pra-rotate -l keep-hourly -d 'Keep the newest backup of each of the last N hours that have one' -r
complete -c pra-rotate -l keep-daily -d 'Keep the newest backup of each of the last N days that have one' -r
complete -c pra-rotate -l keep-weekly -d 'Keep the newest backup of each of the last N ISO weeks (Monday to Sunday) that have one' -r
complete -c pra-rotate -l keep-monthly -d 'Keep the newest backup of each of the last N months that have one' -r
complete -c pra-rotate -l keep-yearly -d 'Keep the newest backup of each of the last N years that have one' -r
complete -c pra-rotate -l keep-within -d 'Keep every backup started less than this before the newest backup (e.g. 36h, 30d, 6months, 1y; a day is 24 h). A bare `m` is refused as ambiguous (restic reads it as months): write `min` or `months`' -r
complete -c pra-rotate -l timezone -d 'Time zone of the calendar buckets: utc (the same everywhere) or local (the machine\'s zone: TZ, else /etc/localtime)' -r -f -a "utc\t'Coordinated Universal Time: the same result on every machine'
local\t'The zone of the machine running pra-rotate (TZ, else /etc/localtime)'"
complete -c pra-rotate -l now -d 'Plan as of this time (RFC 3339) instead of now: backups started later are kept, incomplete backups are aged from it. With --dry-run: "what will next week\'s run delete?"' -r
complete -c pra-rotate -l prune-incomplete-after -d 'Delete incomplete backups (no manifest) whose directory is older than this' -r
complete -c pra-rotate -l lock-wait -d 'How long to wait for the stanza lock held by another writer (a backup)' -r
complete -c pra-rotate -l format -d 'Output format on stdout: json (pra.v1 lines, for pipes) or text (for people)' -r -f -a "json\t'One JSON object per line (`pra.v1`), for the next tool or a script'
text\t'Aligned lines for people; coloured only on a terminal without `NO_COLOR`'"
complete -c pra-rotate -l stanza -d 'Stanza to rotate when stdin names none (no default: without it, give --all-stanzas or pipe events that name stanzas).' -r
complete -c pra-rotate -l all-stanzas -d 'Rotate every stanza in the repository (overrides --stanza / PRA_STANZA). Ignored when stdin carries events naming stanzas'
complete -c pra-rotate -l dry-run -d 'Plan and report, delete nothing (no lock is taken, nothing is written)'
complete -c pra-rotate -s v -l verbose -d 'More log detail on stderr (-v info, -vv debug, -vvv trace). RUST_LOG overrides'
complete -c pra-rotate -s q -l quiet -d 'Only errors on stderr'
complete -c pra-rotate -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pra-rotate -s V -l version -d 'Print version'
