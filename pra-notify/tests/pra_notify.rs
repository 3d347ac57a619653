//! Integration tests of pra-notify: one test binary, one module per concern, the real
//! binary run through pra-testkit against real services.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "pra_notify/changes.rs"]
mod changes;
#[path = "pra_notify/chat_webhooks.rs"]
mod chat_webhooks;
#[path = "pra_notify/deliver.rs"]
mod deliver;
#[path = "pra_notify/email.rs"]
mod email;
#[path = "pra_notify/forward.rs"]
mod forward;
#[path = "pra_notify/hostile.rs"]
mod hostile;
#[path = "pra_notify/limits.rs"]
mod limits;
#[path = "pra_notify/properties.rs"]
mod properties;
#[path = "pra_notify/signals.rs"]
mod signals;
#[path = "pra_notify/state_file.rs"]
mod state_file;
#[path = "pra_notify/telegram.rs"]
mod telegram;
