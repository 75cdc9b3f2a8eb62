//! Ecom Express: not yet implemented — every operation answers "not supported".

use shipgate_carrier_core::http::{HttpResponse, IncomingRequest};
use shipgate_carrier_core::sim::{Personality, SimOp, SimReply};
use shipgate_carrier_core::*;

pub const CODE: &str = "ecom_express";

pub struct EcomExpress;

impl CarrierCode for EcomExpress {
    fn carrier(&self) -> &'static str {
        CODE
    }
}

impl Authenticate for EcomExpress {}
impl Serviceability for EcomExpress {}
impl Rates for EcomExpress {}
impl CreateShipment for EcomExpress {}
impl FetchAwbs for EcomExpress {}
impl Label for EcomExpress {}
impl Pickup for EcomExpress {}
impl Cancel for EcomExpress {}
impl Modify for EcomExpress {}
impl NdrAction for EcomExpress {}
impl Track for EcomExpress {}
impl Push for EcomExpress {}

impl Personality for EcomExpress {
    fn sim_parse(&self, _request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
        Err(HttpResponse::new(404, "not implemented"))
    }

    fn sim_render(&self, _op: &SimOp, _reply: &SimReply) -> HttpResponse {
        HttpResponse::new(501, "not implemented")
    }

    fn sim_awb(&self, serial: u64) -> String {
        format!("ECO{serial:010}")
    }
}

impl Adapter for EcomExpress {
    fn name(&self) -> &'static str {
        "Ecom Express"
    }

    fn capabilities(&self) -> &'static [Capability] {
        &[]
    }

    fn status_codes(&self) -> &'static [StatusCode] {
        &[]
    }
}
