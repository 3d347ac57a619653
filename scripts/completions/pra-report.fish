complete -c pra-report -l since -d 'Start of the period: a duration before its end (30d) or an RFC 3339 time' -r
complete -c pra-report -l until -d 'End of the period, an RFC 3339 time (default: now)' -r
complete -c pra-report -l rpo -d 'Recovery point objective: the newest recovery point (successful backup or archived WAL) must never be older than this' -r
complete -c pra-report -l rto -d 'Recovery time objective: every restore and drill must be done within this' -r
complete -c pra-report -l availability-target -d 'Availability target, in percent of the period (unknown time counts as not up)' -r
complete -c pra-report -l history-interval -d 'Expected interval between status samples: a longer silence than twice this is a gap, counted as unknown (default: the median interval of each host\'s first 1000 samples)' -r
complete -c pra-report -l html -d 'Write the report as one self-contained HTML page (inline CSS and SVG charts)' -r -F
complete -c pra-report -l markdown -d 'Write the report as Markdown tables (for e-mail, a wiki, a ticket)' -r -F
complete -c pra-report -l title -d 'Title of the report' -r
complete -c pra-report -l format -d 'Output format on stdout: json (pra.v1 lines, for pipes) or text (for people)' -r -f -a "json\t'One JSON object per line (`pra.v1`), for the next tool or a script'
text\t'Aligned lines for people; coloured only on a terminal without `NO_COLOR`'"
complete -c pra-report -l repo -d 'Backup repository to read manifests and verification verdicts from (a path, file://, s3://, az:// or gs:// URL), so that a report can be made from the repository alone. Several values (or a comma-separated PRA_REPO): each is read.' -r
complete -c pra-report -l stanza -d 'Report on this stanza only (default: every stanza seen).' -r
complete -c pra-report -s v -l verbose -d 'More log detail on stderr (-v info, -vv debug, -vvv trace). RUST_LOG overrides'
complete -c pra-report -s q -l quiet -d 'Only errors on stderr'
complete -c pra-report -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pra-report -s V -l version -d 'Print version'
