//! HTTP handlers, one module per resource. Each parses, calls `service` or the
//! store, and shapes the response; nothing else.

pub mod api_keys;
pub mod audit_log;
pub mod batches;
pub mod branding;
pub mod carrier_accounts;
pub mod carriers;
pub mod edd;
pub mod exceptions;
pub mod fleet;
pub mod hooks;
pub mod ndr;
pub mod pickups;
pub mod publishable_keys;
pub mod rates;
pub mod self_service;
pub mod serviceability;
pub mod shipments;
pub mod system;
pub mod tracking;
pub mod webhook_endpoints;
pub mod widget;
