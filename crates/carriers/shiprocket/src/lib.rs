//! Shiprocket: not yet implemented — every operation answers "not supported".

use shipgate_carrier_core::http::{HttpResponse, IncomingRequest};
use shipgate_carrier_core::sim::{Personality, SimOp, SimReply};
use shipgate_carrier_core::*;

pub const CODE: &str = "shiprocket";

pub struct Shiprocket;

impl CarrierCode for Shiprocket {
    fn carrier(&self) -> &'static str {
        CODE
    }
}

impl Authenticate for Shiprocket {}
impl Serviceability for Shiprocket {}
impl Rates for Shiprocket {}
impl CreateShipment for Shiprocket {}
impl FetchAwbs for Shiprocket {}
impl Label for Shiprocket {}
impl Pickup for Shiprocket {}
impl Cancel for Shiprocket {}
impl Modify for Shiprocket {}
impl NdrAction for Shiprocket {}
impl Track for Shiprocket {}
impl Push for Shiprocket {}

impl Personality for Shiprocket {
    fn sim_parse(&self, _request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
        Err(HttpResponse::new(404, "not implemented"))
    }

    fn sim_render(&self, _op: &SimOp, _reply: &SimReply) -> HttpResponse {
        HttpResponse::new(501, "not implemented")
    }

    fn sim_awb(&self, serial: u64) -> String {
        format!("SHI{serial:010}")
    }
}

impl Adapter for Shiprocket {
    fn name(&self) -> &'static str {
        "Shiprocket"
    }

    fn capabilities(&self) -> &'static [Capability] {
        &[]
    }

    fn status_codes(&self) -> &'static [StatusCode] {
        &[]
    }
}
