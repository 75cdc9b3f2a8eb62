//! Descriptions of HTTP requests and responses, so adapters stay pure.

use serde::de::DeserializeOwned;

use crate::error::CarrierError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Get, Self::Post, Self::Put, Self::Patch, Self::Delete]
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Empty,
    Json(serde_json::Value),
    /// `application/x-www-form-urlencoded`, fields in order.
    Form(Vec<(String, String)>),
    Xml(String),
}

impl Body {
    /// The content type and the exact bytes sent; fixture tests compare these.
    pub fn encode(&self) -> (Option<&'static str>, Vec<u8>) {
        match self {
            Body::Empty => (None, Vec::new()),
            Body::Json(v) => (
                Some("application/json"),
                serde_json::to_vec(v).unwrap_or_default(),
            ),
            Body::Form(fields) => (
                Some("application/x-www-form-urlencoded"),
                serde_urlencoded::to_string(fields)
                    .unwrap_or_default()
                    .into_bytes(),
            ),
            Body::Xml(s) => (Some("application/xml"), s.clone().into_bytes()),
        }
    }
}

/// Whether the runtime may send a request again after a timeout or 5xx.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Reads, and writes the carrier de-duplicates (by order number, say).
    Safe,
    /// A repeat could act twice.
    Never,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    pub method: Method,
    /// Path and query, appended to the account's base URL (`/api/cmu/create.json`).
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    pub retry: Retry,
    /// Operation name, for rate limits, metrics and logs (`create`, `track`, …).
    pub operation: &'static str,
}

impl HttpRequest {
    pub fn new(method: Method, path: impl Into<String>, operation: &'static str) -> Self {
        Self {
            method,
            path: path.into(),
            headers: Vec::new(),
            body: Body::Empty,
            retry: if method == Method::Get {
                Retry::Safe
            } else {
                Retry::Never
            },
            operation,
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    pub fn json(self, value: serde_json::Value) -> Self {
        self.body(Body::Json(value))
    }

    pub fn form(self, fields: Vec<(String, String)>) -> Self {
        self.body(Body::Form(fields))
    }

    pub fn retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// Appends `?k=v&…` (URL-encoded) to the path.
    pub fn query(mut self, params: &[(&str, &str)]) -> Self {
        let encoded = serde_urlencoded::to_string(params).unwrap_or_default();
        if !encoded.is_empty() {
            self.path
                .push(if self.path.contains('?') { '&' } else { '?' });
            self.path.push_str(&encoded);
        }
        self
    }

    /// The full URL: the path on `base_url`, unless the path is already
    /// absolute (an operation served from another host; see `Account::on_host`).
    pub fn url(&self, base_url: &str) -> String {
        if self.path.starts_with("https://") || self.path.starts_with("http://") {
            self.path.clone()
        } else {
            format!("{}{}", base_url.trim_end_matches('/'), self.path)
        }
    }

    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path without its query string.
    pub fn path_only(&self) -> &str {
        self.path.split('?').next().unwrap_or("")
    }

    /// Decoded query parameters.
    pub fn query_params(&self) -> Vec<(String, String)> {
        self.path
            .split_once('?')
            .map(|(_, q)| serde_urlencoded::from_str(q).unwrap_or_default())
            .unwrap_or_default()
    }

    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_params()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(value).unwrap_or_default(),
        }
    }

    pub fn xml(status: u16, body: String) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/xml".into())],
            body: body.into_bytes(),
        }
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Deserializes the JSON body, or a parse error with an excerpt.
    pub fn parse_json<T: DeserializeOwned>(
        &self,
        carrier: &'static str,
    ) -> Result<T, CarrierError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| CarrierError::parse(carrier, self, e.to_string()))
    }
}

/// A request as the simulator receives it.
pub type IncomingRequest = HttpRequest;

/// Decodes a form body into its fields, for the simulator.
pub fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

impl Body {
    /// Rebuilds a body from raw bytes and a content type (the simulator's view).
    pub fn decode(content_type: Option<&str>, bytes: &[u8]) -> Body {
        let ct = content_type.unwrap_or("").to_ascii_lowercase();
        if bytes.is_empty() {
            Body::Empty
        } else if ct.contains("json") {
            serde_json::from_slice(bytes)
                .map(Body::Json)
                .unwrap_or_else(|_| Body::Xml(String::from_utf8_lossy(bytes).into_owned()))
        } else if ct.contains("x-www-form-urlencoded") {
            Body::Form(form_fields(bytes))
        } else {
            Body::Xml(String::from_utf8_lossy(bytes).into_owned())
        }
    }
}
