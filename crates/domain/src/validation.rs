//! Field-level validation errors, collected rather than failing on the first.

use serde::Serialize;

/// One invalid field: where it is (a dotted path such as
/// `consignee.postal_code` or `parcels[0].weight_grams`), a stable machine code
/// and a human message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

/// The error a parse constructor returns before it knows which field it is in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidValue {
    pub code: &'static str,
    pub message: String,
}

impl InvalidValue {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// Accumulates errors across a whole request so a caller sees all of them at once.
#[derive(Debug, Default, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} invalid field(s)", .errors.len())]
pub struct ValidationErrors {
    pub errors: Vec<FieldError>,
}

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, field: impl Into<String>, err: InvalidValue) {
        self.errors.push(FieldError {
            field: field.into(),
            code: err.code,
            message: err.message,
        });
    }

    /// Records the error (if any) under `field` and returns the value (if any).
    pub fn check<T>(
        &mut self,
        field: impl Into<String>,
        result: Result<T, InvalidValue>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                self.push(field, err);
                None
            }
        }
    }

    /// Merges errors from a nested value, prefixing their paths.
    pub fn nest(&mut self, prefix: &str, inner: ValidationErrors) {
        for e in inner.errors {
            self.errors.push(FieldError {
                field: format!("{prefix}.{}", e.field),
                ..e
            });
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok(value)` if nothing was recorded; the caller builds the value lazily
    /// because it may only be complete when there were no errors.
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, ValidationErrors> {
        if self.errors.is_empty() {
            // Every checked field was Some, so build() yields Some.
            build().ok_or(self)
        } else {
            Err(self)
        }
    }
}
