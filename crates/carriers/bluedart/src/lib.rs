//! Blue Dart: not yet implemented — every operation answers "not supported".

use shipgate_carrier_core::http::{HttpResponse, IncomingRequest};
use shipgate_carrier_core::sim::{Personality, SimOp, SimReply};
use shipgate_carrier_core::*;

pub const CODE: &str = "bluedart";

pub struct BlueDart;

impl CarrierCode for BlueDart {
    fn carrier(&self) -> &'static str {
        CODE
    }
}

impl Authenticate for BlueDart {}
impl Serviceability for BlueDart {}
impl Rates for BlueDart {}
impl CreateShipment for BlueDart {}
impl FetchAwbs for BlueDart {}
impl Label for BlueDart {}
impl Pickup for BlueDart {}
impl Cancel for BlueDart {}
impl Modify for BlueDart {}
impl NdrAction for BlueDart {}
impl Track for BlueDart {}
impl Push for BlueDart {}

impl Personality for BlueDart {
    fn sim_parse(&self, _request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
        Err(HttpResponse::new(404, "not implemented"))
    }

    fn sim_render(&self, _op: &SimOp, _reply: &SimReply) -> HttpResponse {
        HttpResponse::new(501, "not implemented")
    }

    fn sim_awb(&self, serial: u64) -> String {
        format!("BLU{serial:010}")
    }
}

impl Adapter for BlueDart {
    fn name(&self) -> &'static str {
        "Blue Dart"
    }

    fn capabilities(&self) -> &'static [Capability] {
        &[]
    }

    fn status_codes(&self) -> &'static [StatusCode] {
        &[]
    }
}
