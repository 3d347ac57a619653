//! Mattermost: its Slack-compatible incoming-webhook payload (text, attachments with
//! colour and fields) with its own fields: `username`, an optional `channel`, and the
//! event JSON in `props.card` (shown in the post's side panel). Text is Markdown, so
//! what a message holds is escaped; a post holds at most 16383 characters.

use super::{escape_fit, markdown, verbatim};
use crate::message;
use crate::sinks::Payload;
use serde_json::{json, Value};

/// Longest post text Mattermost accepts, in characters.
pub const MAX_TEXT: usize = 16_383;
/// Room kept in the text for the status emoji in front of it.
const EMOJI_ROOM: usize = 32;

/// The webhook request body, to the webhook's channel or `channel`.
pub fn body(payload: &Payload, channel: Option<&str>) -> Value {
    let mut body = match payload {
        Payload::One(a) => {
            let mut fields: Vec<Value> = message::figures(&a.event)
                .into_iter()
                .map(|(k, v)| json!({"short": true, "title": k, "value": markdown(&v, 1024)}))
                .collect();
            if let Some(e) = message::error_of(&a.event) {
                fields.push(json!({"short": false, "title": "error", "value": markdown(&e, 4096)}));
            }
            json!({
                // The emoji is a shortcode: not escaped (its `_` are part of it).
                "text": format!(
                    "{} {}",
                    message::emoji(a),
                    markdown(&message::headline(a), MAX_TEXT - EMOJI_ROOM)
                ),
                "attachments": [{
                    "fallback": escape_fit(&message::headline(a), 1024, verbatim),
                    "color": message::colour(a),
                    "fields": fields,
                    "footer": format!("{} on {}", a.event.tool, a.event.host),
                }],
                "props": {
                    "card": format!(
                        "```json\n{}\n```",
                        escape_fit(&a.event.to_json_line(), 8192, verbatim)
                    ),
                },
            })
        }
        Payload::Digest(all) => {
            let lines: Vec<String> = all
                .iter()
                .map(|a| {
                    format!(
                        "{} {}",
                        message::emoji(a),
                        markdown(&message::headline(a), 1024)
                    )
                })
                .collect();
            json!({
                "text": markdown(&message::digest_title(all), 1024),
                "attachments": [{
                    "fallback": escape_fit(&message::digest_title(all), 1024, verbatim),
                    "color": message::digest_colour(all),
                    "text": escape_fit(&lines.join("\n"), MAX_TEXT, verbatim),
                }],
            })
        }
    };
    body["username"] = json!("pra");
    if let Some(channel) = channel {
        body["channel"] = json!(channel);
    }
    body
}

/// Which setting to fix when Mattermost refuses for good.
pub fn hint(code: u16, _answer: &str) -> Option<&'static str> {
    matches!(code, 400 | 401 | 403 | 404).then_some(
        "the webhook is unknown, disabled, or may not post where asked: fix \
         --mattermost-webhook (PRA_MATTERMOST_WEBHOOK) or --mattermost-channel \
         (PRA_MATTERMOST_CHANNEL)",
    )
}
