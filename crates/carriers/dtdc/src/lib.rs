//! DTDC: not yet implemented — every operation answers "not supported".

use shipgate_carrier_core::http::{HttpResponse, IncomingRequest};
use shipgate_carrier_core::sim::{Personality, SimOp, SimReply};
use shipgate_carrier_core::*;

pub const CODE: &str = "dtdc";

pub struct Dtdc;

impl CarrierCode for Dtdc {
    fn carrier(&self) -> &'static str {
        CODE
    }
}

impl Authenticate for Dtdc {}
impl Serviceability for Dtdc {}
impl Rates for Dtdc {}
impl CreateShipment for Dtdc {}
impl FetchAwbs for Dtdc {}
impl Label for Dtdc {}
impl Pickup for Dtdc {}
impl Cancel for Dtdc {}
impl Modify for Dtdc {}
impl NdrAction for Dtdc {}
impl Track for Dtdc {}
impl Push for Dtdc {}

impl Personality for Dtdc {
    fn sim_parse(&self, _request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
        Err(HttpResponse::new(404, "not implemented"))
    }

    fn sim_render(&self, _op: &SimOp, _reply: &SimReply) -> HttpResponse {
        HttpResponse::new(501, "not implemented")
    }

    fn sim_awb(&self, serial: u64) -> String {
        format!("DTD{serial:010}")
    }
}

impl Adapter for Dtdc {
    fn name(&self) -> &'static str {
        "DTDC"
    }

    fn capabilities(&self) -> &'static [Capability] {
        &[]
    }

    fn status_codes(&self) -> &'static [StatusCode] {
        &[]
    }
}
