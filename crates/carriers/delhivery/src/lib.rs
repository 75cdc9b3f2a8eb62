//! Delhivery: not yet implemented — every operation answers "not supported".

use shipgate_carrier_core::http::{HttpResponse, IncomingRequest};
use shipgate_carrier_core::sim::{Personality, SimOp, SimReply};
use shipgate_carrier_core::*;

pub const CODE: &str = "delhivery";

pub struct Delhivery;

impl CarrierCode for Delhivery {
    fn carrier(&self) -> &'static str {
        CODE
    }
}

impl Authenticate for Delhivery {}
impl Serviceability for Delhivery {}
impl Rates for Delhivery {}
impl CreateShipment for Delhivery {}
impl FetchAwbs for Delhivery {}
impl Label for Delhivery {}
impl Pickup for Delhivery {}
impl Cancel for Delhivery {}
impl Modify for Delhivery {}
impl NdrAction for Delhivery {}
impl Track for Delhivery {}
impl Push for Delhivery {}

impl Personality for Delhivery {
    fn sim_parse(&self, _request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
        Err(HttpResponse::new(404, "not implemented"))
    }

    fn sim_render(&self, _op: &SimOp, _reply: &SimReply) -> HttpResponse {
        HttpResponse::new(501, "not implemented")
    }

    fn sim_awb(&self, serial: u64) -> String {
        format!("DEL{serial:010}")
    }
}

impl Adapter for Delhivery {
    fn name(&self) -> &'static str {
        "Delhivery"
    }

    fn capabilities(&self) -> &'static [Capability] {
        &[]
    }

    fn status_codes(&self) -> &'static [StatusCode] {
        &[]
    }
}
