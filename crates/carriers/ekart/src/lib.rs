//! Ekart: not yet implemented — every operation answers "not supported".

use shipgate_carrier_core::http::{HttpResponse, IncomingRequest};
use shipgate_carrier_core::sim::{Personality, SimOp, SimReply};
use shipgate_carrier_core::*;

pub const CODE: &str = "ekart";

pub struct Ekart;

impl CarrierCode for Ekart {
    fn carrier(&self) -> &'static str {
        CODE
    }
}

impl Authenticate for Ekart {}
impl Serviceability for Ekart {}
impl Rates for Ekart {}
impl CreateShipment for Ekart {}
impl FetchAwbs for Ekart {}
impl Label for Ekart {}
impl Pickup for Ekart {}
impl Cancel for Ekart {}
impl Modify for Ekart {}
impl NdrAction for Ekart {}
impl Track for Ekart {}
impl Push for Ekart {}

impl Personality for Ekart {
    fn sim_parse(&self, _request: &IncomingRequest) -> Result<SimOp, HttpResponse> {
        Err(HttpResponse::new(404, "not implemented"))
    }

    fn sim_render(&self, _op: &SimOp, _reply: &SimReply) -> HttpResponse {
        HttpResponse::new(501, "not implemented")
    }

    fn sim_awb(&self, serial: u64) -> String {
        format!("EKA{serial:010}")
    }
}

impl Adapter for Ekart {
    fn name(&self) -> &'static str {
        "Ekart"
    }

    fn capabilities(&self) -> &'static [Capability] {
        &[]
    }

    fn status_codes(&self) -> &'static [StatusCode] {
        &[]
    }
}
