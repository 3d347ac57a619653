//! Command-line flags of pra-notify (the help text is the man page).

use pra_core::cli::OutputArgs;
use pra_core::event::Status;
use std::path::PathBuf;
use std::time::Duration;

/// Deliver pra events to Slack, Telegram, Discord, Teams, Mattermost, webhooks, e-mail and SMS.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "pra-notify",
    version,
    about = "Deliver pra events to Slack, Telegram, Discord, Teams, Mattermost, webhooks, \
e-mail and SMS; forward everything; emit notify",
    long_about = "Reads pra.v1 events on stdin, forwards every line unchanged, and delivers \
the events that deserve attention to the configured sinks: a Slack incoming webhook, \
Telegram chats (Bot API), a Discord webhook, a Microsoft Teams webhook (Workflows), a \
Mattermost incoming webhook, generic JSON webhooks (PagerDuty, Opsgenie, ntfy style \
receivers), e-mail over SMTP or the local sendmail, and SMS through an HTTP provider. \
Then it emits one `notify` event per delivery.\n\n\
Webhook URLs and tokens are secrets (a Slack or Discord URL contains its token): prefer \
the environment (PRA_SLACK_WEBHOOK, PRA_DISCORD_WEBHOOK, PRA_TEAMS_WEBHOOK, \
PRA_MATTERMOST_WEBHOOK, PRA_WEBHOOK, PRA_SMS_WEBHOOK, from a 0600 file such as \
/etc/pra/pra.env) to the command line, which other users can read in the process list: \
a URL given there works, with a warning. The Telegram bot token is only read from a \
file (--telegram-bot-token-file) or PRA_TELEGRAM_BOT_TOKEN, SMTP credentials only from \
PRA_SMTP_USER and PRA_SMTP_PASSWORD. Tokens, passwords and phone numbers are redacted \
in events and logs.\n\n\
Each chat channel gets the same facts (status, kind, stanza, host, message, key \
figures, error) within its own limits (Telegram 4096 characters, Discord embed limits, \
Teams card size), cut with a note rather than refused.\n\n\
Deliveries time out (--timeout), are retried with exponential backoff on timeouts, \
connection errors and 5xx answers, honour Retry-After on 429 (and the retry_after of \
Telegram's and Discord's answers), and never wait more than \
--max-wait in total per run (sinks are served in parallel, so a dead one does not \
hold up the others). A refusal (bad token, unknown chat, deleted webhook) is not \
retried and says which setting to fix. A failed delivery never stops the pipeline: the \
input is still forwarded in full.",
    after_help = "Examples:\n  \
# Slack, the URL from PRA_SLACK_WEBHOOK in /etc/pra/pra.env:\n  \
pra-backup | pra-verify | pra-notify\n  \
# A 5-minute health cron that pages once per problem and once when it is resolved:\n  \
pra-status | pra-notify --only-changes --state-file /var/lib/pra/notify.state\n  \
# E-mail (PRA_SMTP_USER/PRA_SMTP_PASSWORD in the environment):\n  \
pra-backup | pra-notify --email-to dba@example.com --smtp smtp+starttls://mail:587\n  \
# Telegram, the token in a 0600 file:\n  \
pra-backup | pra-notify --telegram-bot-token-file /etc/pra/telegram.token --telegram-chat-id -1001234567890\n  \
# Discord, Teams or Mattermost, the URL from PRA_DISCORD_WEBHOOK, PRA_TEAMS_WEBHOOK or PRA_MATTERMOST_WEBHOOK:\n  \
pra-backup | pra-verify | pra-notify --min-status error\n  \
# ntfy, errors only:\n  \
pra-backup | pra-notify --webhook https://ntfy.sh/pra --header Title:pra --min-status error\n\n\
Exit codes:\n  0  every delivery succeeded (or nothing deserved an alert)\n  \
1  a delivery failed (or, with --strict, an input event is an error)\n  \
2  usage or configuration error (with no sink configured, after forwarding the input)\n  3  runtime failure (stdin, stdout, state file)"
)]
pub struct Args {
    /// Slack incoming webhook URL (a secret: prefer PRA_SLACK_WEBHOOK).
    #[arg(
        long,
        env = "PRA_SLACK_WEBHOOK",
        value_name = "URL",
        hide_env_values = true
    )]
    pub slack_webhook: Option<String>,

    /// Generic webhook: POSTs each event's JSON as is. Repeatable; PRA_WEBHOOK may hold
    /// several URLs separated by commas (a secret: prefer the environment).
    #[arg(
        long = "webhook",
        env = "PRA_WEBHOOK",
        value_name = "URL",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub webhooks: Vec<String>,

    /// Extra HTTP header for the generic webhooks, as `Name:Value`. Repeatable;
    /// without it, PRA_WEBHOOK_HEADERS holds one per line (prefer it for Authorization
    /// headers). Control characters (CR, LF, NUL …) are refused.
    #[arg(long = "header", value_name = "K:V")]
    pub headers: Vec<String>,

    /// E-mail recipient. Repeatable; PRA_EMAIL_TO may list several, comma-separated.
    #[arg(
        long = "email-to",
        env = "PRA_EMAIL_TO",
        value_name = "ADDR",
        value_delimiter = ','
    )]
    pub email_to: Vec<String>,

    /// E-mail sender (default: pra@<hostname>).
    #[arg(long, env = "PRA_EMAIL_FROM", value_name = "ADDR")]
    pub email_from: Option<String>,

    /// SMTP server: smtp://host[:25] (STARTTLS when offered), smtp+starttls://host[:587]
    /// (STARTTLS required) or smtps://host[:465] (TLS from the start). Credentials come
    /// from PRA_SMTP_USER and PRA_SMTP_PASSWORD, never from the URL.
    #[arg(long, env = "PRA_SMTP", value_name = "URL")]
    pub smtp: Option<String>,

    /// Send e-mail through the local `sendmail -t` instead of SMTP (a PRA_SMTP of the
    /// environment file is then left unused).
    #[arg(long)]
    pub sendmail: bool,

    /// The sendmail program for --sendmail.
    #[arg(
        long,
        env = "PRA_SENDMAIL_COMMAND",
        value_name = "PATH",
        default_value = "/usr/sbin/sendmail"
    )]
    pub sendmail_command: PathBuf,

    /// SMS provider endpoint: POSTs JSON {"to": NUMBER, "text": TEXT}, the text under
    /// 160 characters (a secret: prefer PRA_SMS_WEBHOOK).
    #[arg(
        long,
        env = "PRA_SMS_WEBHOOK",
        value_name = "URL",
        requires = "sms_to",
        hide_env_values = true
    )]
    pub sms_webhook: Option<String>,

    /// Phone number for SMS. Repeatable; PRA_SMS_TO may list several, comma-separated.
    #[arg(
        long = "sms-to",
        env = "PRA_SMS_TO",
        value_name = "NUMBER",
        value_delimiter = ',',
        requires = "sms_webhook",
        hide_env_values = true
    )]
    pub sms_to: Vec<String>,

    /// File holding the Telegram bot token (from @BotFather), mode 0600. Or put the
    /// token itself in PRA_TELEGRAM_BOT_TOKEN; it is never taken from the command line.
    #[arg(long, env = "PRA_TELEGRAM_BOT_TOKEN_FILE", value_name = "FILE")]
    pub telegram_bot_token_file: Option<PathBuf>,

    /// Telegram chat to post to: a numeric id (-100… for groups and channels) or
    /// @channelusername. Repeatable; PRA_TELEGRAM_CHAT_ID may list several, comma-separated.
    #[arg(
        long = "telegram-chat-id",
        env = "PRA_TELEGRAM_CHAT_ID",
        value_name = "ID",
        value_delimiter = ',',
        allow_negative_numbers = true
    )]
    pub telegram_chat_ids: Vec<String>,

    /// Base URL of the Telegram Bot API (a self-hosted Bot API server, or a test server).
    #[arg(
        long,
        env = "PRA_TELEGRAM_API_URL",
        value_name = "URL",
        default_value = "https://api.telegram.org"
    )]
    pub telegram_api_url: String,

    /// Discord webhook URL, https://discord.com/api/webhooks/ID/TOKEN (a secret: prefer
    /// PRA_DISCORD_WEBHOOK).
    #[arg(
        long,
        env = "PRA_DISCORD_WEBHOOK",
        value_name = "URL",
        hide_env_values = true
    )]
    pub discord_webhook: Option<String>,

    /// Microsoft Teams webhook URL: a Workflows "when a Teams webhook request is
    /// received" URL (or a legacy incoming webhook); a secret: prefer PRA_TEAMS_WEBHOOK.
    #[arg(
        long,
        env = "PRA_TEAMS_WEBHOOK",
        value_name = "URL",
        hide_env_values = true
    )]
    pub teams_webhook: Option<String>,

    /// Mattermost incoming webhook URL, https://HOST/hooks/KEY (a secret: prefer
    /// PRA_MATTERMOST_WEBHOOK).
    #[arg(
        long,
        env = "PRA_MATTERMOST_WEBHOOK",
        value_name = "URL",
        hide_env_values = true
    )]
    pub mattermost_webhook: Option<String>,

    /// Mattermost channel to post to instead of the webhook's own (its name, e.g.
    /// town-square; the webhook must not be locked to its channel).
    #[arg(
        long,
        env = "PRA_MATTERMOST_CHANNEL",
        value_name = "NAME",
        requires = "mattermost_webhook"
    )]
    pub mattermost_channel: Option<String>,

    /// Alert on events at least this severe.
    #[arg(
        long,
        env = "PRA_NOTIFY_MIN_STATUS",
        value_name = "STATUS",
        default_value = "warn"
    )]
    pub min_status: Status,

    /// Alert only on these event kinds (comma-separated), e.g. backup,verify,check.
    #[arg(
        long,
        env = "PRA_NOTIFY_KINDS",
        value_name = "K,...",
        value_delimiter = ','
    )]
    pub kinds: Vec<String>,

    /// Alert once when something goes wrong and once when it recovers ("resolved"),
    /// keyed by stanza, kind, check name and target; needs --state-file.
    #[arg(long, requires = "state_file")]
    pub only_changes: bool,

    /// Where --only-changes remembers what is wrong between runs (written atomically, mode 0600).
    #[arg(long, env = "PRA_NOTIFY_STATE_FILE", value_name = "FILE")]
    pub state_file: Option<PathBuf>,

    /// Send one message per run per sink, summarising all the alerts.
    #[arg(long)]
    pub digest: bool,

    /// Timeout of one delivery attempt (connect, send, answer).
    #[arg(long, env = "PRA_NOTIFY_TIMEOUT", value_name = "DURATION", default_value = "10s",
          value_parser = pra_core::time::parse_duration)]
    pub timeout: Duration,

    /// Longest time spent delivering in a run, retries and waits included. Sinks are
    /// served in parallel, each within this budget; what it leaves undelivered is an error.
    #[arg(long, env = "PRA_NOTIFY_MAX_WAIT", value_name = "DURATION", default_value = "60s",
          value_parser = pra_core::time::parse_duration)]
    pub max_wait: Duration,

    /// Also exit 1 when an input event is an error (by default only failed deliveries count).
    #[arg(long)]
    pub strict: bool,

    /// Output and logging.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The variable that holds the webhook headers, one per line, when no --header is given.
pub const HEADERS_VAR: &str = "PRA_WEBHOOK_HEADERS";

impl Args {
    /// The generic webhooks' extra headers: the `--header` flags, else the lines of
    /// PRA_WEBHOOK_HEADERS. The error names the flag or the variable.
    ///
    /// Read here rather than by clap so that a line break splits the variable into
    /// headers but never a `--header` value (`$'X-A:1\r\nX-Injected: yes'` is refused,
    /// not two headers).
    pub fn webhook_headers(&self) -> Result<Vec<(String, String)>, String> {
        if !self.headers.is_empty() {
            return self
                .headers
                .iter()
                .map(|h| parse_header(h).map_err(|e| format!("--header: {e}")))
                .collect();
        }
        let Some(var) = std::env::var_os(HEADERS_VAR) else {
            return Ok(Vec::new());
        };
        let var = var
            .into_string()
            .map_err(|_| format!("{HEADERS_VAR}: not UTF-8"))?;
        var.split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .filter(|l| !l.trim().is_empty())
            .map(|l| parse_header(l).map_err(|e| format!("{HEADERS_VAR}: {e}")))
            .collect()
    }
}

/// One `Name:Value` header. A name is an HTTP token; control characters are refused
/// in both (a CR or LF would start another header). The value is never quoted back:
/// it may be a credential.
fn parse_header(s: &str) -> Result<(String, String), String> {
    let Some((k, v)) = s.split_once(':') else {
        return Err("expected Name:Value (no colon found)".to_string());
    };
    let (k, v) = (k.trim(), v.trim_matches([' ', '\t']));
    let token = |c: char| c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?={}".contains(c);
    if k.is_empty() || !k.chars().all(token) {
        return Err(format!(
            "header name {:?} is not a valid HTTP header name (control characters, spaces and separators are refused)",
            k.chars().take(40).collect::<String>()
        ));
    }
    if let Some(c) = v.chars().find(|c| c.is_control() && *c != '\t') {
        return Err(format!(
            "the value of header {k} contains the control character {:?} (CR, LF, NUL and other control characters are refused)",
            c
        ));
    }
    if ["auth", "token", "key", "secret", "cookie"]
        .iter()
        .any(|w| k.to_ascii_lowercase().contains(w))
    {
        pra_core::secrets::register(v, pra_core::redact::MASK);
    }
    Ok((k.to_string(), v.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[test]
    fn flags_parse() {
        Args::command().debug_assert();
        let a = Args::try_parse_from([
            "pra-notify",
            "--webhook",
            "http://a/x",
            "--webhook",
            "http://b/y",
            "--header",
            "Title: pra backup",
            "--min-status",
            "error",
            "--kinds",
            "backup,check",
            "--timeout",
            "2s",
        ])
        .unwrap();
        assert_eq!(a.webhooks.len(), 2);
        assert_eq!(
            a.webhook_headers().unwrap(),
            [("Title".to_string(), "pra backup".to_string())]
        );
        assert_eq!(a.min_status, Status::Error);
        assert_eq!(a.kinds, ["backup", "check"]);
        assert_eq!(a.timeout, Duration::from_secs(2));
        assert!(Args::try_parse_from(["pra-notify", "--only-changes"]).is_err());
        assert!(Args::try_parse_from(["pra-notify", "--sms-webhook", "http://s"]).is_err());
        for bad in [
            "nocolon",
            "X-A:1\r\nX-Injected: yes",
            "X-A:1\nX-Injected: yes",
            "X-A:a\0b",
            "X-A:\x1b[31m",
            "X\rA:1",
            "X A:1",
            ":1",
        ] {
            let a = Args::try_parse_from(["pra-notify", "--header", bad]).unwrap();
            let e = a.webhook_headers().unwrap_err();
            assert!(e.starts_with("--header: ") && !e.contains('\n'), "{e}");
        }
        // Telegram group ids are negative numbers, not flags.
        let a =
            Args::try_parse_from(["pra-notify", "--telegram-chat-id", "-1001234567890"]).unwrap();
        assert_eq!(a.telegram_chat_ids, ["-1001234567890"]);
        assert_eq!(a.telegram_api_url, "https://api.telegram.org");
    }
}
