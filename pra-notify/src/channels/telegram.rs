//! Telegram: the Bot API's `sendMessage`, with HTML formatting (only `<`, `>` and `&`
//! need escaping there, so `_` and `*` in a message show as typed), silent for good
//! news, within the 4096 characters of a message.

use super::{escape_fit, escape_within};
use crate::message;
use crate::select::{Alert, AlertWhat};
use crate::sinks::{check_url, Payload, Sink};
use crate::{Args, Error};
use pra_core::event::Status;
use pra_core::redact::redact_webhook;
use serde_json::{json, Value};
use std::path::Path;

/// Longest message text the Bot API accepts, in characters.
pub const MAX_TEXT: usize = 4096;

/// Where the token is read from when no token file is given.
pub const TOKEN_VAR: &str = "PRA_TELEGRAM_BOT_TOKEN";

/// One chat of one bot.
#[derive(Debug, Clone)]
pub struct Telegram {
    /// The Bot API base URL (`https://api.telegram.org`).
    pub api_url: String,
    /// The bot token (a secret).
    pub token: String,
    /// The chat: a numeric id or `@channelusername`.
    pub chat_id: String,
}

/// One sink per `--telegram-chat-id`, when a token is configured.
pub fn from_args(args: &Args) -> Result<Vec<Sink>, Error> {
    let token = read_token(args)?;
    if let Some(t) = &token {
        pra_core::secrets::register(t, pra_core::redact::MASK);
    }
    let chats = &args.telegram_chat_ids;
    let token = match (token, chats.is_empty()) {
        (None, true) => return Ok(Vec::new()),
        (Some(_), true) => {
            return Err(Error::Usage(
                "a Telegram bot token is configured but no chat: give --telegram-chat-id \
                 (or PRA_TELEGRAM_CHAT_ID)"
                    .into(),
            ))
        }
        (None, false) => {
            return Err(Error::Usage(format!(
                "--telegram-chat-id needs the bot token: --telegram-bot-token-file FILE \
                 (or PRA_TELEGRAM_BOT_TOKEN_FILE, or the token itself in {TOKEN_VAR})"
            )))
        }
        (Some(token), false) => token,
    };
    check_url("--telegram-api-url", &args.telegram_api_url)?;
    chats
        .iter()
        .map(|chat| {
            let numeric = chat.strip_prefix('-').unwrap_or(chat);
            let ok = (!numeric.is_empty() && numeric.chars().all(|c| c.is_ascii_digit()))
                || chat.strip_prefix('@').is_some_and(|name| {
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                });
            if !ok {
                return Err(Error::Usage(format!(
                    "--telegram-chat-id {chat:?}: expected a numeric chat id \
                     (-1001234567890) or @channelusername"
                )));
            }
            Ok(Sink::Telegram(Box::new(Telegram {
                api_url: args.telegram_api_url.trim_end_matches('/').to_string(),
                token: token.clone(),
                chat_id: chat.clone(),
            })))
        })
        .collect()
}

/// The token from `--telegram-bot-token-file`, else from the environment.
fn read_token(args: &Args) -> Result<Option<String>, Error> {
    let (token, from) = match &args.telegram_bot_token_file {
        Some(path) => (read_token_file(path)?, format!("{}", path.display())),
        None => match std::env::var(TOKEN_VAR) {
            Ok(t) if !t.trim().is_empty() => (t, TOKEN_VAR.to_string()),
            _ => return Ok(None),
        },
    };
    let token = token.trim().to_string();
    // `<bot id>:<secret>`; anything else (a path separator above all) would change
    // the URL it is put in.
    let well_formed = token.split_once(':').is_some_and(|(id, secret)| {
        !id.is_empty()
            && id.chars().all(|c| c.is_ascii_digit())
            && !secret.is_empty()
            && secret
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    });
    if !well_formed {
        return Err(Error::Usage(format!(
            "the Telegram bot token in {from} does not look like one \
             (123456789:AA… as @BotFather gives it)"
        )));
    }
    Ok(Some(token))
}

fn read_token_file(path: &Path) -> Result<String, Error> {
    use std::os::unix::fs::PermissionsExt;
    let shown = path.display();
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::Usage(format!("--telegram-bot-token-file {shown}: {e}")))?;
    if meta.permissions().mode() & 0o077 != 0 {
        log::warn!("--telegram-bot-token-file {shown} is readable by other users: chmod 600 it");
    }
    std::fs::read_to_string(path)
        .map_err(|e| Error::Usage(format!("--telegram-bot-token-file {shown}: {e}")))
}

impl Telegram {
    /// The `sendMessage` URL (it holds the token).
    pub fn url(&self) -> String {
        format!("{}/bot{}/sendMessage", self.api_url, self.token)
    }

    /// Where it goes, the token hidden.
    pub fn target(&self) -> String {
        format!("{} chat {}", redact_webhook(&self.url()), self.chat_id)
    }

    /// The `sendMessage` request body.
    pub fn body(&self, payload: &Payload) -> Value {
        let (text, quiet) = match payload {
            Payload::One(a) => (alert_text(a), good_news(a)),
            Payload::Digest(all) => (digest_text(all), all.iter().all(good_news)),
        };
        json!({
            "chat_id": self.chat_id,
            "text": text,
            "parse_mode": "HTML",
            // Nobody needs a ringing phone for a recovery.
            "disable_notification": quiet,
            "link_preview_options": {"is_disabled": true},
        })
    }
}

fn good_news(alert: &Alert) -> bool {
    alert.what == AlertWhat::Resolved || alert.event.status == Status::Ok
}

/// HTML special characters as entities (Telegram's HTML style knows these three).
pub fn escape_html(c: char, out: &mut String) {
    match c {
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '&' => out.push_str("&amp;"),
        c => out.push(c),
    }
}

/// `<b>heading</b>` and the body, escaped, within [`MAX_TEXT`]. Counting the HTML
/// source, longer than the text Telegram counts, keeps on the safe side of the limit.
fn bold_then(heading: &str, body: &str) -> String {
    let (heading, _) = escape_within(heading, 512, escape_html);
    let mut text = format!("<b>{heading}</b>\n");
    let room = MAX_TEXT - text.chars().count();
    text.push_str(&escape_fit(body, room, escape_html));
    text
}

fn alert_text(alert: &Alert) -> String {
    let mut body = alert.event.message.clone();
    for (k, v) in message::figures(&alert.event) {
        body.push_str(&format!("\n{k}: {v}"));
    }
    if let Some(e) = message::error_of(&alert.event) {
        body.push_str(&format!("\nerror: {e}"));
    }
    bold_then(
        &format!("{} {}", message::symbol(alert), message::title(alert)),
        &body,
    )
}

fn digest_text(alerts: &[Alert]) -> String {
    let lines: Vec<String> = alerts
        .iter()
        .map(|a| format!("{} {}", message::symbol(a), message::headline(a)))
        .collect();
    bold_then(&message::digest_title(alerts), &lines.join("\n"))
}

/// Which setting to fix when the Bot API refuses for good.
pub fn hint(code: u16, answer: &str) -> Option<&'static str> {
    Some(match code {
        401 => {
            "the bot token is not valid (revoked or mistyped): fix the file given by \
                --telegram-bot-token-file (or PRA_TELEGRAM_BOT_TOKEN)"
        }
        404 => {
            "no Bot API method at this URL: check --telegram-api-url and the bot token \
                (a malformed token answers 404)"
        }
        403 => {
            "the bot may not post in this chat (blocked, removed, or never added): add \
                it to the chat given by --telegram-chat-id"
        }
        400 if answer.contains("migrate_to_chat_id") => {
            "the group became a supergroup: set --telegram-chat-id to its new id \
             (migrate_to_chat_id in the answer)"
        }
        400 if answer.contains("chat not found") => {
            "the bot knows no such chat: fix --telegram-chat-id (PRA_TELEGRAM_CHAT_ID), and \
             add the bot to the chat (or, for a person, have them start it)"
        }
        // The text itself, which no setting fixes.
        400 if answer.contains("parse entities") || answer.contains("too long") => {
            "the Bot API refused the text pra-notify built: please report it as a bug"
        }
        400 => "check --telegram-chat-id (PRA_TELEGRAM_CHAT_ID)",
        _ => return None,
    })
}
