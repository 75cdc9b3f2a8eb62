//! Request size limits with clear problem+json answers.
//!
//! Bodies: [`crate::extract::BODY_LIMIT`] (axum's `DefaultBodyLimit`); any
//! 413 a body extractor answers in plain text is turned into a
//! `payload_too_large` problem here. Headers: hyper refuses more than 100
//! headers or about 400 KB of them with a bare 431 before any of this runs;
//! below that, [`MAX_HEADER_BYTES`] in all, [`MAX_HEADER_VALUE_BYTES`] for
//! one value and [`MAX_HEADERS`] get a `headers_too_large` problem (431), and
//! a target longer than [`MAX_URI_BYTES`] a `uri_too_long` problem (414).

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, PROBLEM_JSON};
use crate::extract::BODY_LIMIT;

/// All header names and values together.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// One header value (a bearer key is under 100 bytes; cookies are not used).
pub const MAX_HEADER_VALUE_BYTES: usize = 8 * 1024;
pub const MAX_HEADERS: usize = 64;
/// Path and query string.
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// Why a request's head is refused, if it is.
pub fn check_head(req: &Request) -> Result<(), ApiError> {
    let uri_len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if uri_len > MAX_URI_BYTES {
        return Err(ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the path and query string must be at most {MAX_URI_BYTES} bytes"),
        ));
    }
    let headers = req.headers();
    if headers.len() > MAX_HEADERS {
        return Err(headers_too_large(format!(
            "a request may carry at most {MAX_HEADERS} headers"
        )));
    }
    let mut total = 0;
    for (name, value) in headers {
        if value.len() > MAX_HEADER_VALUE_BYTES {
            return Err(headers_too_large(format!(
                "the {name} header must be at most {MAX_HEADER_VALUE_BYTES} bytes"
            )));
        }
        total += name.as_str().len() + value.len();
    }
    if total > MAX_HEADER_BYTES {
        return Err(headers_too_large(format!(
            "the headers must be at most {MAX_HEADER_BYTES} bytes together"
        )));
    }
    Ok(())
}

fn headers_too_large(detail: String) -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "headers_too_large",
        detail,
    )
}

/// Refuses oversized heads and turns plain-text 413s into problems.
pub async fn enforce(req: Request, next: Next) -> Response {
    if let Err(problem) = check_head(&req) {
        return problem.into_response();
    }
    let response = next.run(req).await;
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.as_bytes() == PROBLEM_JSON.as_bytes());
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_problem {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body must be at most {BODY_LIMIT} bytes"),
        )
        .into_response();
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn request(headers: &[(&str, String)], uri: &str) -> Request {
        let mut builder = axum::http::Request::builder().uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, value);
        }
        builder.body(Body::empty()).unwrap()
    }

    #[test]
    fn ordinary_requests_pass() {
        let req = request(
            &[(
                "authorization",
                format!("Bearer sg_live_{}", "x".repeat(40)),
            )],
            "/v1/shipments?limit=20",
        );
        assert!(check_head(&req).is_ok());
    }

    #[test]
    fn oversized_heads_are_refused_with_their_status() {
        let big = "x".repeat(MAX_HEADER_VALUE_BYTES + 1);
        let e = check_head(&request(&[("x-big", big)], "/")).unwrap_err();
        assert_eq!(e.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        assert_eq!(e.code, "headers_too_large");

        let many: Vec<(&str, String)> = (0..5).map(|_| ("x-a", "y".repeat(7000))).collect();
        let e = check_head(&request(&many, "/")).unwrap_err();
        assert_eq!(e.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);

        let names: Vec<String> = (0..=MAX_HEADERS).map(|i| format!("x-h{i}")).collect();
        let headers: Vec<(&str, String)> = names
            .iter()
            .map(|n| (n.as_str(), "1".to_string()))
            .collect();
        let e = check_head(&request(&headers, "/")).unwrap_err();
        assert_eq!(e.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);

        let uri = format!("/v1/edd?origin={}", "1".repeat(MAX_URI_BYTES));
        let e = check_head(&request(&[], &uri)).unwrap_err();
        assert_eq!(e.status, StatusCode::URI_TOO_LONG);
        assert_eq!(e.code, "uri_too_long");
    }
}
