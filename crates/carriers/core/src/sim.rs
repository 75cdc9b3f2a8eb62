//! The carrier's side of the sandbox.
//!
//! The simulator (crate `shipgate-simulator`) keeps carrier-neutral state:
//! shipments, their scripted journeys, pickups, pending NDR actions. Each
//! adapter's [`Personality`] translates between that and the carrier's wire
//! format: [`Personality::sim_parse`] reads a request the carrier would
//! receive into a [`SimOp`]; [`Personality::sim_render`] writes the
//! simulator's [`SimReply`] the way the carrier would answer. The scan codes
//! come from the adapter's own status table, so the simulator and the adapter
//! can never disagree about what a code means.

use jiff::Timestamp;
use jiff::civil::Date;
use shipgate_domain::{NdrReason, PaymentMode, ShipmentStatus};

use crate::http::{HttpRequest, HttpResponse, IncomingRequest};
use crate::ops::ServiceabilityRecord;

/// A carrier-neutral operation read from a carrier request.
#[derive(Debug, Clone, PartialEq)]
pub enum SimOp {
    Login,
    FetchAwbs {
        count: u32,
    },
    Create(SimCreate),
    /// Track by AWBs and/or order references.
    Track {
        awbs: Vec<String>,
        references: Vec<String>,
    },
    Label {
        awb: String,
    },
    Pickup {
        location: String,
        date: Date,
        expected_packages: u32,
    },
    Cancel {
        awb: String,
    },
    Modify {
        awb: String,
        phone: Option<String>,
        address: Option<String>,
        payment_mode: Option<PaymentMode>,
        cod_amount_minor: Option<i64>,
    },
    Ndr {
        awb: String,
        instruction: SimNdr,
    },
    NdrStatus {
        request_id: String,
    },
    Serviceability {
        postal_code: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct SimCreate {
    /// The merchant's order number; the simulator de-duplicates on it.
    pub reference: String,
    /// For carriers where the client supplies a pre-fetched AWB.
    pub awb: Option<String>,
    pub payment_mode: PaymentMode,
    pub cod_amount_minor: i64,
    pub consignee_name: String,
    pub consignee_postal_code: String,
    pub pickup_location: Option<String>,
    pub weight_grams: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimNdr {
    Reattempt,
    ChangeAddress,
    ChangePhone,
    ReturnToOrigin,
}

/// One scan the simulator reports, with the carrier's code for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimScan {
    pub status: ShipmentStatus,
    pub ndr_reason: Option<NdrReason>,
    /// The carrier's code and text, from the adapter's status table.
    pub code: &'static str,
    pub description: &'static str,
    pub at: Timestamp,
    pub location: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimShipment {
    pub awb: String,
    pub reference: String,
    pub payment_mode: PaymentMode,
    pub cod_amount_minor: i64,
    pub consignee_name: String,
    pub destination_postal_code: String,
    /// Scans so far, oldest first.
    pub scans: Vec<SimScan>,
    pub attempts: u32,
    pub edd: Option<Date>,
}

impl SimShipment {
    pub fn latest(&self) -> Option<&SimScan> {
        self.scans.last()
    }
}

/// How the simulator answers, before the personality dresses it in the carrier's format.
#[derive(Debug, Clone, PartialEq)]
pub enum SimReply {
    Token {
        token: String,
    },
    Awbs(Vec<String>),
    Created {
        awb: String,
        reference: String,
        routing_code: String,
        duplicate: bool,
    },
    Tracked(Vec<SimShipment>),
    /// A PDF label the personality returns inline (base64) or links to.
    Label {
        awb: String,
        pdf: Vec<u8>,
    },
    PickupCreated {
        pickup_id: String,
    },
    Cancelled {
        rto: bool,
    },
    Modified,
    NdrAccepted {
        request_id: String,
    },
    /// `settled`: `None` while pending, `Some(Ok)` accepted, `Some(Err(reason))` refused.
    NdrStatus {
        request_id: String,
        settled: Option<Result<(), String>>,
    },
    Serviceable(Vec<ServiceabilityRecord>),
    Error(SimError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimErrorKind {
    /// Missing or wrong credentials.
    Unauthorized,
    /// Malformed or incomplete request.
    Invalid,
    NotFound,
    /// A business rule said no (wrong state, action not allowed).
    Refused,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimError {
    pub kind: SimErrorKind,
    pub message: String,
}

impl SimError {
    pub fn new(kind: SimErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

pub trait Personality {
    /// Reads a request in the carrier's format. `Err` is the carrier's own
    /// error response (unknown path, missing auth, malformed body).
    fn sim_parse(&self, request: &IncomingRequest) -> Result<SimOp, HttpResponse>;

    /// Answers in the carrier's format.
    fn sim_render(&self, op: &SimOp, reply: &SimReply) -> HttpResponse;

    /// What the carrier does with a cancel once the parcel is picked up:
    /// start a return to origin (Delhivery's rule, the default) or refuse.
    fn sim_cancel_after_pickup_returns(&self) -> bool {
        true
    }

    /// The carrier's AWB for the simulator's `serial`-th number (its format,
    /// prefix and length).
    fn sim_awb(&self, serial: u64) -> String;

    /// New scans pushed the way the carrier pushes (body, headers and auth,
    /// using `secret` as the account's push credential); `None` for carriers
    /// without push. The path is left empty: the simulator posts to the
    /// account's webhook URL.
    fn sim_push(
        &self,
        secret: &str,
        shipment: &SimShipment,
        new_scans: &[SimScan],
    ) -> Option<HttpRequest> {
        let _ = (secret, shipment, new_scans);
        None
    }
}
