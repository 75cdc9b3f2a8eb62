//! Xpressbees: not yet implemented — every operation answers "not supported".

use shipgate_carrier_core::http::{HttpResponse, IncomingRequest};
use shipgate_carrier_core::sim::{Personality, SimOp, SimReply};
use shipgate_carrier_core::*;

pub const CODE: &str = "xpressbees";

pub struct Xpressbees;

impl CarrierCode for Xpressbees {
    fn carrier(&self) -> &'static str {
        CODE
    }
}

impl Authenticate for Xpressbees {}
impl Serviceability for Xpressbees {}
impl Rates for Xpressbees {}
impl CreateShipment for Xpressbees {}
impl FetchAwbs for Xpressbees {}
impl Label for Xpressbees {}
impl Pickup for Xpressbees {}
impl Cancel for Xpressbees {}
impl Modify for Xpressbees {}
impl NdrAction for Xpressbees {}
impl Track for Xpressbees {}
impl Push for Xpressbees {}

impl Personality for Xpressbees {
    fn sim_parse(&self, _request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
        Err(HttpResponse::new(404, "not implemented"))
    }

    fn sim_render(&self, _op: &SimOp, _reply: &SimReply) -> HttpResponse {
        HttpResponse::new(501, "not implemented")
    }

    fn sim_awb(&self, serial: u64) -> String {
        format!("XPR{serial:010}")
    }
}

impl Adapter for Xpressbees {
    fn name(&self) -> &'static str {
        "Xpressbees"
    }

    fn capabilities(&self) -> &'static [Capability] {
        &[]
    }

    fn status_codes(&self) -> &'static [StatusCode] {
        &[]
    }
}
