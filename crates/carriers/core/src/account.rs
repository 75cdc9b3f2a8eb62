//! A carrier account as adapters see it: where to call, with which
//! credentials, and the account's settings.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::CarrierError;

/// A credential value; never printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Per-account settings beyond credentials.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountSettings {
    /// The pickup location (warehouse) name registered with the carrier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pickup_location: Option<String>,
    /// How many AWBs to keep pre-fetched, for carriers that work from a pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awb_pool_size: Option<u32>,
    /// Carrier-specific settings (service type, customer code, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
    /// What this account is charged, for `POST /v1/rates` and allocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_card: Option<shipgate_domain::rates::RateCard>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: String,
    pub carrier: String,
    /// The carrier's base URL, e.g. `https://track.delhivery.com`, or the simulator's.
    pub base_url: String,
    pub credentials: BTreeMap<String, Secret>,
    pub settings: AccountSettings,
    /// A session token from [`crate::Authenticate`], for carriers that log in.
    pub token: Option<Secret>,
}

impl Account {
    /// A required credential, or an error naming it.
    pub fn credential(&self, carrier: &'static str, name: &str) -> Result<&str, CarrierError> {
        self.credentials
            .get(name)
            .map(Secret::expose)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                CarrierError::invalid(carrier, format!("the account has no `{name}` credential"))
            })
    }

    pub fn setting(&self, name: &str) -> Option<&str> {
        self.settings.extra.get(name).map(String::as_str)
    }

    /// `path` on the host named by the `setting` (for carriers that serve
    /// some operations from another host, e.g. tracking), or on the
    /// account's base URL when the setting is absent (as in the sandbox).
    pub fn on_host(&self, setting: &str, path: &str) -> String {
        match self.setting(setting) {
            Some(host) if !host.trim().is_empty() => {
                format!("{}{path}", host.trim().trim_end_matches('/'))
            }
            _ => path.to_string(),
        }
    }

    pub fn token(&self, carrier: &'static str) -> Result<&str, CarrierError> {
        self.token
            .as_ref()
            .map(Secret::expose)
            .ok_or_else(|| CarrierError::invalid(carrier, "not logged in: no session token"))
    }

    /// For tests and fixtures.
    pub fn for_test(carrier: &str, base_url: &str, credentials: &[(&str, &str)]) -> Self {
        Self {
            id: format!("acct_test_{carrier}"),
            carrier: carrier.to_string(),
            base_url: base_url.to_string(),
            credentials: credentials
                .iter()
                .map(|(k, v)| (k.to_string(), Secret(v.to_string())))
                .collect(),
            settings: AccountSettings::default(),
            token: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_can_live_on_another_host() {
        let mut account = Account::for_test("dtdc", "https://dtdcapi.shipsy.io", &[]);
        assert_eq!(
            account.on_host("tracking_url", "/dtdc-api/track"),
            "/dtdc-api/track"
        );
        account.settings.extra.insert(
            "tracking_url".into(),
            "https://blktracksvc.dtdc.com/".into(),
        );
        let path = account.on_host("tracking_url", "/dtdc-api/track");
        assert_eq!(path, "https://blktracksvc.dtdc.com/dtdc-api/track");
        let request = crate::HttpRequest::new(crate::Method::Get, path, "track");
        assert_eq!(
            request.url(&account.base_url),
            "https://blktracksvc.dtdc.com/dtdc-api/track"
        );
        let local = crate::HttpRequest::new(crate::Method::Get, "/x", "track");
        assert_eq!(local.url(&account.base_url), "https://dtdcapi.shipsy.io/x");
    }
}
