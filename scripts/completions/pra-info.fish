complete -c pra-info -l repo -d 'Backup repository: a path, file://, s3://bucket/prefix, az://container/prefix or gs://bucket/prefix (credentials from the providers\' variables: docs/STORAGE.md). Several values (or a comma-separated PRA_REPO): each is used, in the order given' -r
complete -c pra-info -l since -d 'Only backups started within this window before now are candidates (`7d`, `36h`)' -r
complete -c pra-info -l keep-last -d 'Keep the N newest backups' -r
complete -c pra-info -l keep-hourly -d 'Keep the newest backup of each of the last N hours that have one' -r
complete -c pra-info -l keep-daily -d 'Keep the newest backup of each of the last N days that have one' -r
complete -c pra-info -l keep-weekly -d 'Keep the newest backup of each of the last N ISO weeks (Monday to Sunday) that have one' -r
complete -c pra-info -l keep-monthly -d 'Keep the newest backup of each of the last N months that have one' -r
complete -c pra-info -l keep-yearly -d 'Keep the newest backup of each of the last N years that have one' -r
complete -c pra-info -l keep-within -d 'Keep every backup started less than this before the newest backup (e.g. 36h, 30d, 6months, 1y; a day is 24 h). A bare `m` is refused as ambiguous (restic reads it as months): write `min` or `months`' -r
complete -c pra-info -l timezone -d 'Time zone of the calendar buckets: utc (the same everywhere) or local (the machine\'s zone: TZ, else /etc/localtime)' -r -f -a "utc\t'Coordinated Universal Time: the same result on every machine'
local\t'The zone of the machine running pra-rotate (TZ, else /etc/localtime)'"
complete -c pra-info -l format -d 'Output format: text (a table, the default on a terminal) or json (pra.v1 `info` events, the default otherwise). PRA_FORMAT=text is ignored when stdout is not a terminal, as for every tool' -r -f -a "json\t'One JSON object per line (`pra.v1`), for the next tool or a script'
text\t'Aligned lines for people; coloured only on a terminal without `NO_COLOR`'"
complete -c pra-info -l backup -d 'Which backups: an id, `latest`, `latest-verified` or `all` (default).' -r
complete -c pra-info -l stanza -d 'Only this stanza (default: every stanza).' -r
complete -c pra-info -s v -l verbose -d 'More log detail on stderr (-v info, -vv debug). RUST_LOG overrides'
complete -c pra-info -s q -l quiet -d 'Only errors on stderr'
complete -c pra-info -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pra-info -s V -l version -d 'Print version'
