//! The carrier runtime: the registry of carrier adapters ([`adapters`]), the
//! one place their requests are sent ([`client`]), credential encryption
//! ([`secrets`]), and the self-managed fleet ([`fleet`]), for which Shipgate
//! itself is the carrier.

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
