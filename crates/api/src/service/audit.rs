//! What the audit log says about a change. Summaries name what changed and
//! leave out secrets (signing secrets, credentials' values, keys) and
//! personal data; URLs lose any user info, query and fragment, where a
//! token could hide.

use serde_json::{Value, json};
use shipgate_storage::{CarrierAccountRecord, WebhookEndpoint};

/// `scheme://host[:port]/path` of a URL; an unparseable one is not repeated.
pub fn url_without_secrets(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut url) => {
            // Only fails for URLs that cannot have them, which then have none.
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            url.to_string()
        }
        Err(_) => "(not a URL)".into(),
    }
}

/// A webhook endpoint as it is after a change (the description, free text,
/// stays out).
pub fn webhook_endpoint(endpoint: &WebhookEndpoint) -> Value {
    json!({
        "url": url_without_secrets(&endpoint.url),
        "event_types": endpoint.event_types,
        "enabled": endpoint.enabled,
    })
}

/// A new carrier account, its credentials by name.
pub fn carrier_account(account: &CarrierAccountRecord, credential_names: &[String]) -> Value {
    json!({
        "carrier": account.carrier,
        "name": account.name,
        "sandbox": account.base_url.is_none(),
        "base_url": account.base_url.as_deref().map(url_without_secrets),
        "credentials": credential_names,
    })
}

#[cfg(test)]
mod tests {
    use super::url_without_secrets;

    #[test]
    fn urls_lose_user_info_query_and_fragment() {
        assert_eq!(
            url_without_secrets("https://user:pass@hooks.example/in?token=abc#x"),
            "https://hooks.example/in"
        );
        assert_eq!(url_without_secrets("not a url"), "(not a URL)");
    }
}
