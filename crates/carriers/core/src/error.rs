use crate::http::HttpResponse;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CarrierError {
    #[error("{carrier} does not support {operation}")]
    Unsupported {
        carrier: &'static str,
        operation: &'static str,
    },
    /// The request cannot be built: missing credential, setting or field.
    #[error("cannot build the {carrier} request: {message}")]
    InvalidRequest {
        carrier: &'static str,
        message: String,
    },
    /// The carrier answered and said no (a business rule, bad data, …).
    #[error("{carrier} refused: {message}")]
    Rejected {
        carrier: &'static str,
        code: Option<String>,
        message: String,
        retryable: bool,
    },
    /// Credentials were refused.
    #[error("{carrier} refused the credentials: {message}")]
    Unauthorized {
        carrier: &'static str,
        message: String,
    },
    /// The carrier's answer could not be understood.
    #[error("unexpected answer from {carrier}: {message}")]
    Parse {
        carrier: &'static str,
        message: String,
        status: u16,
        body_excerpt: String,
    },
    /// Sending failed (timeout, connection, 5xx, 429, circuit open). Set by the runtime.
    #[error("{carrier} unavailable: {message}")]
    Transport {
        carrier: &'static str,
        message: String,
        retryable: bool,
    },
}

impl CarrierError {
    pub fn unsupported(carrier: &'static str, operation: &'static str) -> Self {
        Self::Unsupported { carrier, operation }
    }

    pub fn invalid(carrier: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidRequest {
            carrier,
            message: message.into(),
        }
    }

    pub fn rejected(carrier: &'static str, message: impl Into<String>) -> Self {
        Self::Rejected {
            carrier,
            code: None,
            message: message.into(),
            retryable: false,
        }
    }

    /// A response that did not have the expected shape; keeps an excerpt for the logs.
    pub fn parse(
        carrier: &'static str,
        response: &HttpResponse,
        message: impl Into<String>,
    ) -> Self {
        let body = String::from_utf8_lossy(&response.body);
        Self::Parse {
            carrier,
            message: message.into(),
            status: response.status,
            body_excerpt: body.chars().take(300).collect(),
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Transport {
                retryable: true,
                ..
            } | Self::Rejected {
                retryable: true,
                ..
            }
        )
    }
}
