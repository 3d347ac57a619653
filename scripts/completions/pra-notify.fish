complete -c pra-notify -l slack-webhook -d 'Slack incoming webhook URL (a secret: prefer PRA_SLACK_WEBHOOK)' -r
complete -c pra-notify -l webhook -d 'Generic webhook: POSTs each event\'s JSON as is. Repeatable; PRA_WEBHOOK may hold several URLs separated by commas (a secret: prefer the environment)' -r
complete -c pra-notify -l header -d 'Extra HTTP header for the generic webhooks, as `Name:Value`. Repeatable; without it, PRA_WEBHOOK_HEADERS holds one per line (prefer it for Authorization headers). Control characters (CR, LF, NUL …) are refused' -r
complete -c pra-notify -l email-to -d 'E-mail recipient. Repeatable; PRA_EMAIL_TO may list several, comma-separated' -r
complete -c pra-notify -l email-from -d 'E-mail sender (default: pra@<hostname>)' -r
complete -c pra-notify -l smtp -d 'SMTP server: smtp://host[:25] (STARTTLS when offered), smtp+starttls://host[:587] (STARTTLS required) or smtps://host[:465] (TLS from the start). Credentials come from PRA_SMTP_USER and PRA_SMTP_PASSWORD, never from the URL' -r
complete -c pra-notify -l sendmail-command -d 'The sendmail program for --sendmail' -r -F
complete -c pra-notify -l sms-webhook -d 'SMS provider endpoint: POSTs JSON {"to": NUMBER, "text": TEXT}, the text under 160 characters (a secret: prefer PRA_SMS_WEBHOOK)' -r
complete -c pra-notify -l sms-to -d 'Phone number for SMS. Repeatable; PRA_SMS_TO may list several, comma-separated' -r
complete -c pra-notify -l telegram-bot-token-file -d 'File holding the Telegram bot token (from @BotFather), mode 0600. Or put the token itself in PRA_TELEGRAM_BOT_TOKEN; it is never taken from the command line' -r -F
complete -c pra-notify -l telegram-chat-id -d 'Telegram chat to post to: a numeric id (-100… for groups and channels) or @channelusername. Repeatable; PRA_TELEGRAM_CHAT_ID may list several, comma-separated' -r
complete -c pra-notify -l telegram-api-url -d 'Base URL of the Telegram Bot API (a self-hosted Bot API server, or a test server)' -r
complete -c pra-notify -l discord-webhook -d 'Discord webhook URL, https://discord.com/api/webhooks/ID/TOKEN (a secret: prefer PRA_DISCORD_WEBHOOK)' -r
complete -c pra-notify -l teams-webhook -d 'Microsoft Teams webhook URL: a Workflows "when a Teams webhook request is received" URL (or a legacy incoming webhook); a secret: prefer PRA_TEAMS_WEBHOOK' -r
complete -c pra-notify -l mattermost-webhook -d 'Mattermost incoming webhook URL, https://HOST/hooks/KEY (a secret: prefer PRA_MATTERMOST_WEBHOOK)' -r
complete -c pra-notify -l mattermost-channel -d 'Mattermost channel to post to instead of the webhook\'s own (its name, e.g. town-square; the webhook must not be locked to its channel)' -r
complete -c pra-notify -l min-status -d 'Alert on events at least this severe' -r
complete -c pra-notify -l kinds -d 'Alert only on these event kinds (comma-separated), e.g. backup,verify,check' -r
complete -c pra-notify -l state-file -d 'Where --only-changes remembers what is wrong between runs (written atomically, mode 0600)' -r -F
complete -c pra-notify -l timeout -d 'Timeout of one delivery attempt (connect, send, answer)' -r
complete -c pra-notify -l max-wait -d 'Longest time spent delivering in a run, retries and waits included. Sinks are served in parallel, each within this budget; what it leaves undelivered is an error' -r
complete -c pra-notify -l format -d 'Output format on stdout: json (pra.v1 lines, for pipes) or text (for people)' -r -f -a "json\t'One JSON object per line (`pra.v1`), for the next tool or a script'
text\t'Aligned lines for people; coloured only on a terminal without `NO_COLOR`'"
complete -c pra-notify -l sendmail -d 'Send e-mail through the local `sendmail -t` instead of SMTP (a PRA_SMTP of the environment file is then left unused)'
complete -c pra-notify -l only-changes -d 'Alert once when something goes wrong and once when it recovers ("resolved"), keyed by stanza, kind, check name and target; needs --state-file'
complete -c pra-notify -l digest -d 'Send one message per run per sink, summarising all the alerts'
complete -c pra-notify -l strict -d 'Also exit 1 when an input event is an error (by default only failed deliveries count)'
complete -c pra-notify -s v -l verbose -d 'More log detail on stderr (-v info, -vv debug, -vvv trace). RUST_LOG overrides'
complete -c pra-notify -s q -l quiet -d 'Only errors on stderr'
complete -c pra-notify -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pra-notify -s V -l version -d 'Print version'
