//! Extractors that turn bad input into problem+json naming the field, instead
//! of axum's plain-text rejections.

use std::borrow::Cow;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Largest request body accepted (a 1,000-shipment batch fits comfortably).
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// A JSON body, deserialized with the path to any bad field.
pub struct JsonBody<T>(pub T);

fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// `missing field `x`` and `unknown field `x`, expected …` name the field in
/// the message, not the path; put it back on the path.
fn field_in_message(message: &str, marker: &str) -> Option<String> {
    let rest = message.strip_prefix(marker)?;
    rest.split('`').next().map(str::to_string)
}

/// Appends `field` to `path` unless the path already ends at it (serde
/// reports unknown fields at their own path, missing ones at their parent's).
fn join_path(path: &str, field: &str) -> String {
    if path.is_empty() || path == "." {
        field.to_string()
    } else if path == field || path.ends_with(&format!(".{field}")) {
        path.to_string()
    } else {
        format!("{path}.{field}")
    }
}

pub(crate) fn deserialize_error(path: String, err: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    let message = err.to_string();
    // serde_json appends " at line L column C"; keep it for syntax errors only.
    let bare = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_string();
    let path = if path == "." { String::new() } else { path };
    match err.classify() {
        Category::Syntax | Category::Eof | Category::Io => ApiError::field(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            if path.is_empty() { "body" } else { &path },
            "malformed_json",
            message,
        ),
        Category::Data => {
            let (field, code) = if let Some(f) = field_in_message(&bare, "unknown field `") {
                (join_path(&path, &f), "unknown_field")
            } else if let Some(f) = field_in_message(&bare, "missing field `") {
                (join_path(&path, &f), "required")
            } else {
                (
                    if path.is_empty() {
                        "body".to_string()
                    } else {
                        path
                    },
                    "invalid_value",
                )
            };
            ApiError::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                &field,
                code,
                bare,
            )
        }
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        deserialize_error(path, e.inner())
    })?;
    de.end().map_err(|e| deserialize_error(String::new(), &e))?;
    Ok(value)
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !is_json(content_type) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!("the body must be at most {BODY_LIMIT} bytes"),
                )
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", e.body_text())
            }
        })?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Query parameters, deserialized with the name of any bad parameter.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(query));
        serde_path_to_error::deserialize(de)
            .map(QueryParams)
            .map_err(|e| {
                let path = e.path().to_string();
                let message = e.inner().to_string();
                let field = field_in_message(&message, "unknown field `")
                    .or_else(|| field_in_message(&message, "missing field `"))
                    .unwrap_or(if path == "." {
                        "query".to_string()
                    } else {
                        path
                    });
                ApiError::field(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    &field,
                    "invalid_value",
                    message,
                )
            })
    }
}

fn form_urlencoded_parse(query: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(query.as_bytes())
}

/// A query string's `key=value` pairs, decoded as `form_urlencoded` decodes
/// them, but borrowed without looking at each byte again when nothing in
/// the query is encoded (no `%`, no `+`): the common case of a lookup.
pub(crate) fn query_pairs(query: &str) -> QueryPairs<'_> {
    if query.bytes().any(|b| b == b'%' || b == b'+') {
        QueryPairs::Encoded(form_urlencoded_parse(query))
    } else {
        QueryPairs::Plain(query.split('&'))
    }
}

pub(crate) enum QueryPairs<'a> {
    Plain(std::str::Split<'a, char>),
    Encoded(form_urlencoded::Parse<'a>),
}

impl<'a> Iterator for QueryPairs<'a> {
    type Item = (Cow<'a, str>, Cow<'a, str>);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            QueryPairs::Plain(pairs) => pairs.find(|p| !p.is_empty()).map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                (Cow::Borrowed(key), Cow::Borrowed(value))
            }),
            QueryPairs::Encoded(pairs) => pairs.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn query_pairs_read_as_form_urlencoded_reads_them() {
        for query in [
            "",
            "a=1&b=2",
            "a=1&&b=&c&=d&a=3",
            "origin=110020&destination=560%20001&q=a+b",
            "k%3D=v%26w&x=%zz&%E0%A4%A=y",
            "only",
            "&&",
        ] {
            let fast: Vec<_> = query_pairs(query).collect();
            let reference: Vec<_> = form_urlencoded::parse(query.as_bytes()).collect();
            assert_eq!(fast, reference, "{query}");
        }
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        weight: i64,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        parcels: Vec<Inner>,
    }

    fn field_of(body: &str) -> (u16, String, String) {
        let err = parse_json::<Outer>(body.as_bytes()).unwrap_err();
        (
            err.status.as_u16(),
            err.errors[0].field.clone(),
            err.errors[0].code.clone(),
        )
    }

    #[test]
    fn errors_point_at_the_field() {
        assert_eq!(
            field_of(r#"{"name":"a","parcels":[{"weight":"x"}]}"#),
            (422, "parcels[0].weight".into(), "invalid_value".into())
        );
        assert_eq!(
            field_of(r#"{"name":"a","parcels":[{"weight":1,"colour":2}]}"#),
            (422, "parcels[0].colour".into(), "unknown_field".into())
        );
        assert_eq!(
            field_of(r#"{"parcels":[]}"#),
            (422, "name".into(), "required".into())
        );
        assert_eq!(
            field_of(r#"{"name":"a","parcels":[{"weight":1}]} trailing"#).0,
            400
        );
        assert_eq!(
            field_of(r#"{"name":"a","parcels":[{"weight":"#).2,
            "malformed_json"
        );
    }
}
