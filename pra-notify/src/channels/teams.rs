//! Microsoft Teams: a message carrying one Adaptive Card (the format that both
//! Workflows "when a Teams webhook request is received" flows and the older incoming
//! webhooks accept), kept under the card size Teams takes.

use super::{escape_fit, markdown, verbatim};
use crate::message;
use crate::select::AlertWhat;
use crate::sinks::Payload;
use pra_core::event::Status;
use serde_json::{json, Value};

/// Teams documents 28 KB per message and refuses some cards below it: stay well under.
pub const MAX_BYTES: usize = 20_000;

/// What a card shows, before fitting.
struct Card {
    title: String,
    colour: &'static str,
    /// Texts that may be long (message, error, digest lines): cut to fit if need be.
    long: Vec<(String, bool)>,
    facts: Vec<(String, String)>,
}

/// The webhook request body.
pub fn body(payload: &Payload) -> Value {
    let card = match payload {
        Payload::One(a) => {
            let mut long = vec![(a.event.message.clone(), false)];
            if let Some(e) = message::error_of(&a.event) {
                long.push((e, true));
            }
            Card {
                title: format!("{} {}", message::symbol(a), message::title(a)),
                colour: colour(a.what, Some(a.event.status)),
                long,
                facts: message::figures(&a.event),
            }
        }
        Payload::Digest(all) => {
            let lines: Vec<String> = all
                .iter()
                .map(|a| format!("{} {}", message::symbol(a), message::headline(a)))
                .collect();
            Card {
                title: message::digest_title(all),
                colour: colour(AlertWhat::Alert, message::digest_status(all)),
                // Paragraphs: a single newline does not break a Markdown line.
                long: vec![(lines.join("\n\n"), false)],
                facts: Vec::new(),
            }
        }
    };
    fit(&card)
}

/// Adaptive Card text colours.
fn colour(what: AlertWhat, status: Option<Status>) -> &'static str {
    match (what, status) {
        (AlertWhat::Resolved, _) | (_, Some(Status::Ok) | None) => "good",
        (_, Some(Status::Warn)) => "warning",
        (_, Some(Status::Error)) => "attention",
    }
}

/// The card, its longest texts cut until the request is under [`MAX_BYTES`].
fn fit(card: &Card) -> Value {
    // Escaping at most doubles a text: this is "no limit".
    let mut limits: Vec<usize> = card.long.iter().map(|(t, _)| 2 * t.len()).collect();
    for _ in 0..8 {
        let texts: Vec<String> = card
            .long
            .iter()
            .zip(&limits)
            .map(|((t, _), max)| markdown(t, *max))
            .collect();
        let value = render(card, &texts);
        let size = value.to_string().len();
        if size <= MAX_BYTES {
            return value;
        }
        // Every character is at least a byte: cutting the excess in characters
        // from the longest text takes at least the excess in bytes.
        let excess = size - MAX_BYTES;
        let Some((i, longest)) = texts.iter().enumerate().max_by_key(|(_, t)| t.len()) else {
            break;
        };
        limits[i] = longest.chars().count().saturating_sub(excess);
    }
    render(card, &vec![String::new(); card.long.len()])
}

fn render(card: &Card, texts: &[String]) -> Value {
    let mut body = vec![json!({
        "type": "TextBlock",
        "text": escape_fit(&card.title, 256, verbatim),
        "weight": "Bolder",
        "size": "Medium",
        "color": card.colour,
        "wrap": true,
    })];
    for (i, ((_, monospace), text)) in card.long.iter().zip(texts).enumerate() {
        let mut block = json!({"type": "TextBlock", "text": text, "wrap": true});
        if *monospace {
            block["fontType"] = json!("Monospace");
            block["color"] = json!("attention");
        }
        body.push(block);
        // The key figures right after the message, before the error.
        if i == 0 && !card.facts.is_empty() {
            let facts: Vec<Value> = card
                .facts
                .iter()
                .map(|(k, v)| json!({"title": k, "value": markdown(v, 1024)}))
                .collect();
            body.push(json!({"type": "FactSet", "facts": facts}));
        }
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.2",
                "msteams": {"width": "Full"},
                "body": body,
            },
        }],
    })
}

/// Which setting to fix when Teams refuses for good.
pub fn hint(code: u16, _answer: &str) -> Option<&'static str> {
    match code {
        400 => Some(
            "the webhook refused the card: check that --teams-webhook (PRA_TEAMS_WEBHOOK) is \
             the URL of a Workflows flow that posts the card it receives",
        ),
        401 | 403 => Some(
            "the URL's signature is not valid (the flow was changed or its URL mistyped): \
             fix --teams-webhook (PRA_TEAMS_WEBHOOK)",
        ),
        404 => Some(
            "no flow or webhook at this URL (deleted or turned off): fix --teams-webhook \
             (PRA_TEAMS_WEBHOOK)",
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::select::Alert;
    use pra_core::event::{Event, Kind};

    #[test]
    fn a_huge_error_is_cut_to_fit_the_card() {
        let alert = Alert {
            what: AlertWhat::Alert,
            event: Event::new(
                "pra-verify",
                Kind::Verify,
                Status::Error,
                "x".repeat(30_000),
            )
            .with_field("error", "é".repeat(30_000)),
            change: None,
        };
        let v = body(&Payload::One(&alert));
        assert!(v.to_string().len() <= MAX_BYTES, "{}", v.to_string().len());
        let text = v.to_string();
        assert!(text.contains("cut to fit"), "{text:.300}");
    }
}
