//! Errors as RFC 9457 problem details (`application/problem+json`), each with
//! a stable machine `code` and, for invalid input, the fields at fault.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shipgate_domain::ValidationErrors;
use shipgate_storage::StoreError;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProblemField {
    /// Dotted path to the field, e.g. `consignee.postal_code` or `parcels[0].weight_grams`.
    pub field: String,
    /// Stable machine code, e.g. `invalid_postal_code`, `must_be_positive`, `unknown_field`.
    pub code: String,
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// URI of the problem type's documentation.
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    /// Stable machine code: branch on this, not on `title` or `detail`.
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    /// The request's `x-request-id`, for support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// Every problem code the API returns, with its status and title; the docs
/// page lists this table.
pub const PROBLEM_CODES: &[(&str, u16, &str)] = &[
    ("malformed_json", 400, "The body is not valid JSON"),
    ("invalid_query", 400, "A query parameter is invalid"),
    (
        "invalid_idempotency_key",
        400,
        "The Idempotency-Key header is invalid",
    ),
    ("malformed_push", 400, "The carrier push could not be read"),
    ("unauthorized", 401, "Missing or invalid API key"),
    (
        "publishable_key_not_allowed",
        403,
        "A publishable key may only look up delivery estimates and serviceability",
    ),
    (
        "origin_not_allowed",
        403,
        "The publishable key may not be used from this web origin",
    ),
    ("not_found", 404, "No such resource"),
    ("conflict", 409, "The request conflicts with existing data"),
    (
        "last_api_key",
        409,
        "The tenant's only API key cannot be revoked",
    ),
    (
        "idempotency_key_in_use",
        409,
        "A request with this Idempotency-Key is still running",
    ),
    (
        "not_in_ndr",
        409,
        "The shipment is not awaiting an NDR action",
    ),
    (
        "ndr_already_actioned",
        409,
        "Someone (the desk, the customer or a rule) already acted on this NDR",
    ),
    (
        "ndr_superseded",
        409,
        "A later delivery attempt replaced the NDR this was for",
    ),
    ("payload_too_large", 413, "The body is too large"),
    (
        "uri_too_long",
        414,
        "The path and query string are too long",
    ),
    (
        "unsupported_media_type",
        415,
        "Send the body as application/json",
    ),
    ("validation_failed", 422, "The request has invalid fields"),
    (
        "idempotency_key_reused",
        422,
        "This Idempotency-Key was used with a different request",
    ),
    ("nothing_to_pick_up", 422, "No shipments await a pickup"),
    ("carrier_rejected", 422, "The carrier refused the request"),
    (
        "unsupported_operation",
        422,
        "The carrier does not support this operation",
    ),
    ("rate_limited", 429, "Too many requests; see Retry-After"),
    (
        "headers_too_large",
        431,
        "The request's headers are too large or too many",
    ),
    ("internal_error", 500, "Something went wrong on our side"),
    (
        "carrier_unavailable",
        502,
        "The carrier could not be reached or answered nonsense; nothing was booked twice",
    ),
    (
        "carrier_credentials_refused",
        502,
        "The carrier refused the account's credentials",
    ),
];

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: Option<String>,
    pub errors: Vec<ProblemField>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: Some(detail.into()),
            errors: Vec::new(),
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no {what} with that id"),
        )
    }

    pub fn unauthorized(detail: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    /// An error on one field.
    pub fn field(
        status: StatusCode,
        code: &'static str,
        field: &str,
        field_code: &str,
        message: impl Into<String>,
    ) -> Self {
        let message = message.into();
        Self {
            status,
            code,
            detail: Some(format!("{field}: {message}")),
            errors: vec![ProblemField {
                field: field.to_string(),
                code: field_code.to_string(),
                message,
            }],
        }
    }

    pub fn internal(err: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %err, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "an internal error occurred; it has been logged",
        )
    }

    fn title(&self) -> &'static str {
        PROBLEM_CODES
            .iter()
            .find(|(c, ..)| *c == self.code)
            .map_or("Error", |(_, _, t)| t)
    }

    pub fn to_problem(&self) -> Problem {
        Problem {
            type_uri: format!("/docs#problem-{}", self.code),
            title: self.title().to_string(),
            status: self.status.as_u16(),
            code: self.code.to_string(),
            detail: self.detail.clone(),
            errors: self.errors.clone(),
            request_id: None,
        }
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(errs: ValidationErrors) -> Self {
        let errors: Vec<_> = errs
            .errors
            .into_iter()
            .map(|e| ProblemField {
                field: e.field,
                code: e.code.to_string(),
                message: e.message,
            })
            .collect();
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "validation_failed",
            detail: Some(detail),
            errors,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Self::not_found("resource"),
            StoreError::Conflict(detail) => Self::new(StatusCode::CONFLICT, "conflict", detail),
            other => Self::internal(&other),
        }
    }
}

impl From<shipgate_carriers::fleet::FleetError> for ApiError {
    fn from(err: shipgate_carriers::fleet::FleetError) -> Self {
        use shipgate_carriers::fleet::FleetError as E;
        match err {
            E::Storage(e) => e.into(),
            E::SeriesExhausted(message) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "carrier_rejected",
                message,
            ),
        }
    }
}

impl From<shipgate_carriers::core::CarrierError> for ApiError {
    fn from(err: shipgate_carriers::core::CarrierError) -> Self {
        use shipgate_carriers::core::CarrierError as E;
        let detail = err.to_string();
        match err {
            E::Unsupported { .. } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unsupported_operation",
                detail,
            ),
            E::Rejected { .. } | E::InvalidRequest { .. } => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "carrier_rejected", detail)
            }
            E::Unauthorized { .. } => Self::new(
                StatusCode::BAD_GATEWAY,
                "carrier_credentials_refused",
                detail,
            ),
            E::Parse { .. } | E::Transport { .. } => {
                tracing::warn!(error = %shipgate_domain::redact::text(&detail), "carrier call failed");
                Self::new(StatusCode::BAD_GATEWAY, "carrier_unavailable", detail)
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.to_problem()).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
