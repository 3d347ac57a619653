//! What the object-storage driver says when it fails: messages from `object_store`
//! scrubbed of every credential of the environment, and a hint of what to check.

/// The environment variables whose values are secrets, for scrubbing messages.
const SECRET_VARS: &[&str] = &[
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ACCESS_KEY_ID",
    "GOOGLE_SERVICE_ACCOUNT_KEY",
    "GOOGLE_BEARER_TOKEN",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_STORAGE_ACCESS_KEY",
    "AZURE_STORAGE_SAS_KEY",
    "AZURE_STORAGE_TOKEN",
    "AZURE_CLIENT_SECRET",
];

/// A message from the object store with every credential of the environment masked.
pub(super) fn scrub(text: &str) -> String {
    let values: Vec<String> = SECRET_VARS
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .collect();
    scrub_values(text, &values)
}

/// `text` with each of `secrets` masked (values under 4 characters are left: masking
/// them would garble the message and hide nothing).
fn scrub_values(text: &str, secrets: &[String]) -> String {
    let pairs: Vec<(&str, String)> = secrets
        .iter()
        .filter(|v| v.len() >= 4)
        .map(|v| (v.as_str(), crate::redact::MASK.to_string()))
        .collect();
    crate::redact::scrub(text, &pairs)
}

/// What to check, by kind of failure, for the one-line error an operator reads.
pub(super) fn hint(e: &object_store::Error) -> &'static str {
    match e {
        object_store::Error::Unauthenticated { .. } | object_store::Error::PermissionDenied { .. } => {
            "check the credentials in the environment (docs/STORAGE.md)"
        }
        object_store::Error::NotFound { .. } => "does the bucket (or container) exist?",
        _ => "check the endpoint, the bucket and the credentials in the environment, and the clock (docs/STORAGE.md)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_scrubbed_of_credentials() {
        let text = "PUT http://h/b?X-Amz-Security-Token=tok123456 failed for AKIAEXAMPLE";
        let shown = scrub_values(text, &["tok123456".to_string(), "AKIAEXAMPLE".to_string()]);
        assert_eq!(
            shown,
            "PUT http://h/b?X-Amz-Security-Token=*** failed for ***"
        );
        assert_eq!(
            scrub_values(text, &["ab".to_string()]),
            text,
            "too short to mask"
        );
    }
}
