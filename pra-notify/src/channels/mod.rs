//! The chat channels beside Slack: Telegram, Discord, Microsoft Teams and Mattermost.
//! Each renders the facts of the Slack message (status, kind, stanza, host, message,
//! key figures, error) in its own format and within its own limits, and explains its
//! permanent errors by the setting to fix; this module holds what they share.

pub mod discord;
pub mod mattermost;
pub mod teams;
pub mod telegram;

use crate::sinks::{check_secret_url, Sink};
use crate::{Args, Error};

/// Explains a permanent HTTP failure (status, answer) by the setting to fix.
pub type Hint = fn(u16, &str) -> Option<&'static str>;

/// What ends a message cut to fit a channel's limit.
pub const CUT_NOTE: &str = "\n… (cut to fit the channel's size limit; the whole event is in \
                            pra-notify's output)";

/// The chat-channel sinks the flags ask for, appended to `sinks`.
pub fn from_args(args: &Args, sinks: &mut Vec<Sink>) -> Result<(), Error> {
    sinks.extend(telegram::from_args(args)?);
    if let Some(url) = args.discord_webhook.as_deref().filter(|u| !u.is_empty()) {
        check_secret_url("--discord-webhook", "PRA_DISCORD_WEBHOOK", url)?;
        sinks.push(Sink::Discord { url: url.into() });
    }
    if let Some(url) = args.teams_webhook.as_deref().filter(|u| !u.is_empty()) {
        check_secret_url("--teams-webhook", "PRA_TEAMS_WEBHOOK", url)?;
        sinks.push(Sink::Teams { url: url.into() });
    }
    if let Some(url) = args.mattermost_webhook.as_deref().filter(|u| !u.is_empty()) {
        check_secret_url("--mattermost-webhook", "PRA_MATTERMOST_WEBHOOK", url)?;
        sinks.push(Sink::Mattermost {
            url: url.into(),
            channel: args.mattermost_channel.clone().filter(|c| !c.is_empty()),
        });
    }
    Ok(())
}

/// Escapes `plain` with `escape` (which appends a character's escaped form), keeping
/// at most `budget` characters of output, whole escapes only; says whether it cut.
pub fn escape_within(plain: &str, budget: usize, escape: fn(char, &mut String)) -> (String, bool) {
    let mut out = String::new();
    let mut used = 0;
    let mut piece = String::new();
    for c in plain.chars() {
        piece.clear();
        escape(c, &mut piece);
        let n = piece.chars().count();
        if used + n > budget {
            return (out, true);
        }
        used += n;
        out.push_str(&piece);
    }
    (out, false)
}

/// `plain` escaped, and cut with [`CUT_NOTE`] so that the whole stays within `max`
/// characters: a long message is shortened, never refused by the channel.
pub fn escape_fit(plain: &str, max: usize, escape: fn(char, &mut String)) -> String {
    let (all, cut) = escape_within(plain, max, escape);
    if !cut {
        return all;
    }
    // A limit too small for the note (a title, a field name) just ends with `…`.
    let note = CUT_NOTE.chars().count();
    if max < 2 * note {
        let (mut kept, _) = escape_within(plain, max.saturating_sub(1), escape);
        kept.push('…');
        return kept;
    }
    let (mut kept, _) = escape_within(plain, max - note, escape);
    kept.push_str(CUT_NOTE);
    kept
}

/// Leaves `c` as it is (text that is not markup).
pub fn verbatim(c: char, out: &mut String) {
    out.push(c);
}

/// Backslash-escapes what the Markdown of Discord, Mattermost and Teams would read as
/// formatting, links, mentions or HTML, so that `a_b*c <x> & y` shows as typed.
pub fn escape_markdown(c: char, out: &mut String) {
    if matches!(
        c,
        '\\' | '*' | '_' | '~' | '`' | '|' | '<' | '>' | '[' | ']' | '#' | '&'
    ) {
        out.push('\\');
    }
    out.push(c);
}

/// `plain` Markdown-escaped, within `max` characters.
pub fn markdown(plain: &str, max: usize) -> String {
    escape_fit(plain, max, escape_markdown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_text_is_cut_on_whole_escapes_with_a_note() {
        assert_eq!(markdown("a_b*c <x> & y", 100), r"a\_b\*c \<x\> \& y");
        let long = "_".repeat(5000);
        let cut = markdown(&long, 1024);
        assert!(cut.chars().count() <= 1024, "{}", cut.chars().count());
        assert!(cut.ends_with(CUT_NOTE));
        // No lone backslash left before the note.
        let kept = cut.trim_end_matches(CUT_NOTE);
        assert!(kept.len() % 2 == 0 && kept.ends_with(r"\_"), "{kept}");
        assert_eq!(escape_fit("short", 5, verbatim), "short");
        assert_eq!(escape_fit("toolong", 5, verbatim).chars().count(), 5);
    }
}
