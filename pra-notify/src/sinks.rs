//! The configured sinks and how each one renders and delivers an alert or a digest.

use crate::channels::{self, discord, mattermost, teams, telegram, Hint};
use crate::email::Mailer;
use crate::message;
use crate::retry::{deliver, Attempt, Outcome, Policy};
use crate::select::Alert;
use crate::{Args, Error};
use pra_core::redact::{redact_phone, redact_webhook, scrub, MASK};
use serde_json::json;

/// One place alerts go.
#[derive(Debug, Clone)]
pub enum Sink {
    /// A Slack incoming webhook.
    Slack {
        /// The URL (a secret).
        url: String,
    },
    /// A generic webhook receiving the event JSON.
    Webhook {
        /// The URL (may hold a secret).
        url: String,
        /// Extra headers.
        headers: Vec<(String, String)>,
    },
    /// E-mail.
    Email(Box<Mailer>),
    /// SMS through an HTTP provider, to one number.
    Sms {
        /// The provider's URL (a secret).
        url: String,
        /// The phone number.
        to: String,
    },
    /// A Telegram chat, through the Bot API.
    Telegram(Box<telegram::Telegram>),
    /// A Discord webhook.
    Discord {
        /// The URL (a secret).
        url: String,
    },
    /// A Microsoft Teams webhook (Workflows or incoming webhook).
    Teams {
        /// The URL (a secret).
        url: String,
    },
    /// A Mattermost incoming webhook.
    Mattermost {
        /// The URL (a secret).
        url: String,
        /// The channel to post to instead of the webhook's own.
        channel: Option<String>,
    },
}

/// What one sink is asked to deliver.
pub enum Payload<'a> {
    /// One alert.
    One(&'a Alert),
    /// A digest of all alerts.
    Digest(&'a [Alert]),
}

/// A usage error unless `url` is an http(s) URL.
pub(crate) fn check_url(flag: &str, url: &str) -> Result<(), Error> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "{flag} {}: expected an http:// or https:// URL",
            redact_webhook(url)
        )))
    }
}

/// Checks a secret URL given by `flag` or its variable `var`, and warns when it came
/// from the command line, which every user of the host can read: it still works, so
/// that a quick manual test is possible, but a cron job should not do that.
pub(crate) fn check_secret_url(flag: &str, var: &str, url: &str) -> Result<(), Error> {
    // Libraries log the URLs they post to at debug level: hidden there too.
    pra_core::secrets::register_credential_url(url);
    check_url(flag, url)?;
    let from_env =
        std::env::var(var).is_ok_and(|v| v == url || v.split(',').any(|one| one.trim() == url));
    if !from_env {
        log::warn!(
            "{flag} {} was given on the command line, where every user of this host can \
             read it (ps, /proc/PID/cmdline): put it in {var} instead",
            redact_webhook(url)
        );
    }
    Ok(())
}

/// The sinks the flags ask for (possibly none); a usage error when one is malformed.
pub fn from_args(args: &Args) -> Result<Vec<Sink>, Error> {
    let mut sinks = Vec::new();
    let headers = args.webhook_headers().map_err(Error::Usage)?;
    if let Some(url) = args.slack_webhook.as_deref().filter(|u| !u.is_empty()) {
        check_secret_url("--slack-webhook", "PRA_SLACK_WEBHOOK", url)?;
        sinks.push(Sink::Slack {
            url: url.to_string(),
        });
    }
    for url in args.webhooks.iter().filter(|u| !u.is_empty()) {
        check_secret_url("--webhook", "PRA_WEBHOOK", url)?;
        sinks.push(Sink::Webhook {
            url: url.clone(),
            headers: headers.clone(),
        });
    }
    // PRA_SMTP in an environment file is a setting for the runs that mail, not an
    // order to mail: a run without recipients, or with --sendmail, leaves it unused.
    let smtp_on_command_line = args
        .smtp
        .as_ref()
        .is_some_and(|s| std::env::var("PRA_SMTP").ok().as_ref() != Some(s));
    if args.sendmail && smtp_on_command_line {
        return Err(Error::Usage(
            "--smtp and --sendmail: choose one way to send e-mail".into(),
        ));
    }
    if !args.email_to.is_empty() {
        let sendmail = args.sendmail.then(|| args.sendmail_command.clone());
        sinks.push(Sink::Email(Box::new(Mailer::new(
            args.email_from.as_deref(),
            &args.email_to,
            args.smtp.as_deref(),
            sendmail,
        )?)));
    } else if args.sendmail || smtp_on_command_line {
        return Err(Error::Usage("--smtp and --sendmail need --email-to".into()));
    }
    if let Some(url) = args.sms_webhook.as_deref().filter(|u| !u.is_empty()) {
        check_secret_url("--sms-webhook", "PRA_SMS_WEBHOOK", url)?;
        for to in &args.sms_to {
            sinks.push(Sink::Sms {
                url: url.to_string(),
                to: to.clone(),
            });
        }
    }
    channels::from_args(args, &mut sinks)?;
    Ok(sinks)
}

impl Sink {
    /// The sink name in `notify` events.
    pub fn name(&self) -> &'static str {
        match self {
            Sink::Slack { .. } => "slack",
            Sink::Webhook { .. } => "webhook",
            Sink::Email(m) => m.sink_name(),
            Sink::Sms { .. } => "sms",
            Sink::Telegram(_) => "telegram",
            Sink::Discord { .. } => "discord",
            Sink::Teams { .. } => "teams",
            Sink::Mattermost { .. } => "mattermost",
        }
    }

    /// Where it goes, secrets redacted.
    pub fn target(&self) -> String {
        match self {
            Sink::Slack { url }
            | Sink::Webhook { url, .. }
            | Sink::Discord { url }
            | Sink::Teams { url }
            | Sink::Mattermost { url, .. } => redact_webhook(url),
            Sink::Telegram(t) => t.target(),
            Sink::Email(m) => m.target(),
            Sink::Sms { url, to } => format!("{} to {}", redact_webhook(url), redact_phone(to)),
        }
    }

    /// Renders and delivers `payload`, with retries.
    pub fn deliver(&self, payload: &Payload, policy: Policy) -> Outcome {
        match self {
            Sink::Slack { url } => {
                let body = match payload {
                    Payload::One(a) => message::slack_payload(a),
                    Payload::Digest(all) => message::slack_digest(all),
                };
                post(url, &[], &body.to_string(), policy)
            }
            Sink::Webhook { url, headers } => {
                let mut headers = headers.clone();
                let body = match payload {
                    // The event exactly as it came, so receivers parse what pra emits.
                    Payload::One(a) => {
                        headers.push(("X-Pra-Notify".into(), a.what.as_str().into()));
                        a.event.to_json_line()
                    }
                    Payload::Digest(all) => {
                        headers.push(("X-Pra-Notify".into(), "digest".into()));
                        let events: Vec<_> = all.iter().map(|a| &a.event).collect();
                        json!({
                            "summary": message::digest_title(all),
                            "status": all.iter().map(|a| a.event.status).max(),
                            "events": events,
                        })
                        .to_string()
                    }
                };
                post(url, &headers, &body, policy)
            }
            Sink::Sms { url, to } => {
                let text = match payload {
                    Payload::One(a) => message::sms_text(a),
                    Payload::Digest(all) => message::sms_digest(all),
                };
                let body = json!({"to": to, "text": text}).to_string();
                post(url, &[], &body, policy)
            }
            Sink::Telegram(t) => {
                post_to(&t.url(), &t.body(payload), policy, telegram::hint, &t.token)
            }
            Sink::Discord { url } => {
                post_to(url, &discord::body(payload), policy, discord::hint, "")
            }
            Sink::Teams { url } => post_to(url, &teams::body(payload), policy, teams::hint, ""),
            Sink::Mattermost { url, channel } => post_to(
                url,
                &mattermost::body(payload, channel.as_deref()),
                policy,
                mattermost::hint,
                "",
            ),
            Sink::Email(mailer) => {
                let (subject, body) = match payload {
                    Payload::One(a) => (
                        message::email_subject(a),
                        format!(
                            "{}\nThe event:\n{}\n",
                            message::plain_text(a),
                            a.event.to_json_line()
                        ),
                    ),
                    Payload::Digest(all) => (
                        message::truncate(&message::digest_title(all), 120),
                        message::digest_text(all),
                    ),
                };
                match mailer.message(&subject, body) {
                    Ok(msg) => deliver(policy, |timeout| mailer.send(&msg, timeout)),
                    Err(why) => deliver(policy, |_| Attempt::Fail {
                        why: format!("cannot build the e-mail: {why}"),
                        http_status: None,
                    }),
                }
            }
        }
    }
}

fn post(url: &str, headers: &[(String, String)], body: &str, policy: Policy) -> Outcome {
    let shown = redact_webhook(url);
    deliver(policy, |timeout| {
        crate::http::post_json(url, &shown, headers, body, timeout)
    })
}

/// POSTs a chat channel's `body`; a permanent refusal says which setting to fix
/// (`hint`), and `secret` (a token outside the URL's shown form) never shows.
fn post_to(
    url: &str,
    body: &serde_json::Value,
    policy: Policy,
    hint: Hint,
    secret: &str,
) -> Outcome {
    let shown = redact_webhook(url);
    let body = body.to_string();
    let mut outcome = deliver(policy, |timeout| {
        match crate::http::post_json(url, &shown, &[], &body, timeout) {
            Attempt::Fail {
                why,
                http_status: Some(code),
            } => Attempt::Fail {
                why: match hint(code, &why) {
                    Some(h) => format!("{why}; {h}"),
                    None => why,
                },
                http_status: Some(code),
            },
            other => other,
        }
    });
    outcome.error = outcome
        .error
        .map(|e| scrub(&e, &[(secret, MASK.to_string())]));
    outcome
}
