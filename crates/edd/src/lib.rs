//! Estimated delivery dates (EDD), learned from delivered shipments.
//!
//! The pieces, each pure and unit-tested:
//! - [`calendar`]: working days, holidays and the pickup cut-off of a carrier;
//! - [`postal`]: a country's postal-code format and its hierarchy (full code,
//!   prefixes, district and state when geography is loaded) — configuration,
//!   not code, so a new country is a new [`postal::PostalScheme`];
//! - [`model`]: per-lane distributions of transit days and per-origin
//!   distributions of processing days, recency-weighted, blended along the
//!   hierarchy by how much history each level holds, and recalibrated from how
//!   past promises fared; answers give a date at any confidence;
//! - [`backtest`]: replays history in time order, promising and learning as a
//!   live system would, and scores the promises;
//! - [`import`]: readers for historical deliveries (a generic CSV and Olist's
//!   files).

pub mod backtest;
pub mod calendar;
pub mod import;
pub mod model;
pub mod postal;

pub use calendar::Calendar;
pub use model::{Estimate, Model, ModelConfig, Observation, Query, Start};
pub use postal::{Geography, PostalScheme};

#[derive(Debug, thiserror::Error)]
pub enum EddError {
    #[error("postal code {code:?} is not a valid {country} postal code")]
    InvalidPostalCode { country: String, code: String },
    #[error("no postal scheme is configured for country {0:?}")]
    UnknownCountry(String),
    #[error("line {line}: {message}")]
    Input { line: u64, message: String },
    #[error(transparent)]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
