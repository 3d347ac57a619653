//! Discord: an execute-webhook request carrying one embed coloured by status, within
//! Discord's embed limits (title 256, description 4096, 25 fields of 256 + 1024,
//! footer 2048, 6000 characters in all), with mentions disabled so that an `@everyone`
//! in a message pings nobody.

use super::{escape_fit, markdown, verbatim};
use crate::message;
use crate::sinks::Payload;
use serde_json::{json, Value};

const TITLE: usize = 256;
const DESCRIPTION: usize = 4096;
const FIELDS: usize = 25;
const FIELD_NAME: usize = 256;
const FIELD_VALUE: usize = 1024;
const FOOTER: usize = 2048;
/// Title, description, field names and values, footer: all embeds of a message.
const TOTAL: usize = 6000;

/// The webhook request body.
pub fn body(payload: &Payload) -> Value {
    let (title, description, colour, fields, footer, ts) = match payload {
        Payload::One(a) => {
            let mut fields: Vec<(String, String, bool)> = message::figures(&a.event)
                .into_iter()
                .map(|(k, v)| (k, v, true))
                .collect();
            if let Some(e) = message::error_of(&a.event) {
                fields.push(("error".into(), e, false));
            }
            (
                format!("{} {}", message::symbol(a), message::title(a)),
                a.event.message.clone(),
                message::colour(a),
                fields,
                format!("{} on {}", a.event.tool, a.event.host),
                Some(a.event.ts.to_rfc3339()),
            )
        }
        Payload::Digest(all) => {
            let lines: Vec<String> = all
                .iter()
                .map(|a| format!("{} {}", message::symbol(a), message::headline(a)))
                .collect();
            (
                message::digest_title(all),
                lines.join("\n"),
                message::digest_colour(all),
                Vec::new(),
                crate::TOOL.to_string(),
                None,
            )
        }
    };
    let embed = Embed::fit(&title, &description, &fields, &footer);
    let mut embed_json = json!({
        "title": embed.title,
        "description": embed.description,
        "color": u32::from_str_radix(colour.trim_start_matches('#'), 16).unwrap_or(0),
        "fields": embed.fields.iter().map(|(name, value, inline)| {
            json!({"name": name, "value": value, "inline": inline})
        }).collect::<Vec<_>>(),
        "footer": {"text": embed.footer},
    });
    if let Some(ts) = ts {
        embed_json["timestamp"] = json!(ts);
    }
    json!({
        "username": "pra",
        "embeds": [embed_json],
        "allowed_mentions": {"parse": []},
    })
}

/// The texts of an embed, escaped and cut to Discord's limits.
struct Embed {
    title: String,
    description: String,
    fields: Vec<(String, String, bool)>,
    footer: String,
}

impl Embed {
    fn fit(
        title: &str,
        description: &str,
        fields: &[(String, String, bool)],
        footer: &str,
    ) -> Embed {
        let mut embed = Embed {
            // Titles, field names and footers are not Markdown.
            title: escape_fit(title, TITLE, verbatim),
            description: markdown(description, DESCRIPTION),
            fields: fields
                .iter()
                .take(FIELDS)
                .map(|(name, value, inline)| {
                    // Discord refuses an empty field value.
                    let value = if value.is_empty() { "-" } else { value };
                    (
                        escape_fit(name, FIELD_NAME, verbatim),
                        markdown(value, FIELD_VALUE),
                        *inline,
                    )
                })
                .collect(),
            footer: escape_fit(footer, FOOTER, verbatim),
        };
        // Over the total: the description gives way first, then the last fields.
        let excess = embed.total().saturating_sub(TOTAL);
        if excess > 0 {
            let room = embed.description.chars().count().saturating_sub(excess);
            embed.description = markdown(description, room);
        }
        while embed.total() > TOTAL && embed.fields.pop().is_some() {}
        embed
    }

    fn total(&self) -> usize {
        let n = |s: &str| s.chars().count();
        n(&self.title)
            + n(&self.description)
            + n(&self.footer)
            + self
                .fields
                .iter()
                .map(|(k, v, _)| n(k) + n(v))
                .sum::<usize>()
    }
}

/// Which setting to fix when Discord refuses for good.
pub fn hint(code: u16, _answer: &str) -> Option<&'static str> {
    match code {
        401 | 403 | 404 => Some(
            "the webhook was deleted or its URL is wrong: fix --discord-webhook \
             (PRA_DISCORD_WEBHOOK) with the URL Discord shows under Integrations > Webhooks",
        ),
        400 => Some(
            "Discord refused the request (its answer names the field): check that \
             --discord-webhook (PRA_DISCORD_WEBHOOK) is https://discord.com/api/webhooks/ID/TOKEN",
        ),
        _ => None,
    }
}
