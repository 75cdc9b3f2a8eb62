//! Amounts of money in minor units (paise for INR), never floating point.

use serde::{Deserialize, Serialize};

use crate::validation::InvalidValue;

/// ISO 4217 currency code, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Currency(String);

impl Currency {
    pub fn inr() -> Self {
        Self("INR".into())
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let code = raw.trim().to_ascii_uppercase();
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(code))
        } else {
            Err(InvalidValue::new(
                "invalid_currency",
                "must be an ISO 4217 code such as INR",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A non-negative amount in the currency's minor unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Money {
    /// Amount in minor units (e.g. paise): 149900 is ₹1,499.00.
    pub minor_units: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "INR"))]
    pub currency: Currency,
}

impl Money {
    pub fn parse(minor_units: i64, currency: Currency) -> Result<Self, InvalidValue> {
        if minor_units < 0 {
            Err(InvalidValue::new(
                "must_not_be_negative",
                "must be zero or more",
            ))
        } else {
            Ok(Self {
                minor_units,
                currency,
            })
        }
    }
}
