//! The carrier layer: one module per carrier behind a common trait, and a
//! registry the API looks carriers up in by code.
//!
//! Today it holds the self-managed fleet ([`fleet`]), whose AWBs Shipgate
//! issues itself and whose scans arrive through Shipgate's own API. Remote
//! carriers (Delhivery, Ekart, …) join as further modules with the same shape:
//! a zero-sized adapter, its declared capabilities, and per-operation methods
//! that default to "not supported".

use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;
use shipgate_domain::shipment::ShipmentDraft;
use shipgate_storage::{Store, StoreError, Tenant};

pub mod client;
pub mod fleet;
pub mod secrets;

pub use shipgate_carrier_core as core;

/// Every carrier adapter Shipgate ships with. Adding a carrier: one folder
/// under `crates/carriers/`, one line here.
pub fn adapters() -> Vec<&'static dyn shipgate_carrier_core::Adapter> {
    vec![
        &shipgate_carrier_delhivery::Delhivery,
        &shipgate_carrier_ekart::Ekart,
        &shipgate_carrier_xpressbees::Xpressbees,
        &shipgate_carrier_ecom_express::EcomExpress,
        &shipgate_carrier_bluedart::BlueDart,
        &shipgate_carrier_dtdc::Dtdc,
        &shipgate_carrier_shiprocket::Shiprocket,
    ]
}

/// The adapter for a carrier code.
pub fn adapter(code: &str) -> Option<&'static dyn shipgate_carrier_core::Adapter> {
    adapters().into_iter().find(|a| a.carrier() == code)
}

/// An operation a carrier supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    CreateShipment,
    Label,
    /// Scans posted through Shipgate's own API.
    ScanIngest,
}

#[derive(Debug, thiserror::Error)]
pub enum CarrierError {
    #[error("{carrier} does not support {operation}")]
    Unsupported {
        carrier: &'static str,
        operation: &'static str,
    },
    #[error("{carrier} refused: {message}")]
    Rejected {
        carrier: &'static str,
        code: String,
        message: String,
    },
    #[error(transparent)]
    Storage(#[from] StoreError),
}

/// What booking at a carrier returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub awb: String,
    /// The carrier's sort/routing code for the label, when it gives one.
    pub routing_code: Option<String>,
}

/// What a carrier operation may use besides its input.
pub struct Context<'a> {
    pub tenant: &'a Tenant,
    pub store: &'a dyn Store,
}

#[async_trait]
pub trait Carrier: Send + Sync + 'static {
    /// Stable code clients pass as `carrier` (`fleet`, `delhivery`, …).
    fn code(&self) -> &'static str;
    fn name(&self) -> &'static str;
    fn capabilities(&self) -> &'static [Capability];

    /// Creates the shipment at the carrier and returns its AWB.
    async fn book(
        &self,
        ctx: &Context<'_>,
        draft: &ShipmentDraft,
    ) -> Result<Booking, CarrierError> {
        let _ = (ctx, draft);
        Err(CarrierError::Unsupported {
            carrier: self.code(),
            operation: "create_shipment",
        })
    }
}

/// The carriers this Shipgate knows, by code.
#[derive(Clone)]
pub struct Registry {
    carriers: Vec<Arc<dyn Carrier>>,
}

impl Registry {
    /// Every built-in carrier.
    pub fn builtin() -> Self {
        Self {
            carriers: vec![Arc::new(fleet::Fleet)],
        }
    }

    pub fn get(&self, code: &str) -> Option<&Arc<dyn Carrier>> {
        self.carriers.iter().find(|c| c.code() == code)
    }

    pub fn codes(&self) -> Vec<&'static str> {
        self.carriers.iter().map(|c| c.code()).collect()
    }

    pub fn all(&self) -> &[Arc<dyn Carrier>] {
        &self.carriers
    }
}
