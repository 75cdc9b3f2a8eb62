//! One trait per operation. Every method defaults to "not supported"; an
//! adapter overrides what its carrier offers. `build_*` describes the request,
//! `parse_*` reads the answer; neither sends anything.

use std::time::Duration;

use jiff::civil::{Date, Time};
use shipgate_domain::shipment::ShipmentDraft;
use shipgate_domain::{Address, PaymentMode};

use crate::account::{Account, Secret};
use crate::error::CarrierError;
use crate::http::{HttpRequest, HttpResponse};
use crate::scan::TrackedShipment;

/// The adapter's code, for error messages from default methods.
pub trait CarrierCode {
    fn carrier(&self) -> &'static str;
}

fn unsupported<T>(
    this: &(impl CarrierCode + ?Sized),
    operation: &'static str,
) -> Result<T, CarrierError> {
    Err(CarrierError::unsupported(this.carrier(), operation))
}

/// A session token and how long it lasts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub value: Secret,
    pub expires_in: Option<Duration>,
}

/// Carriers that need a login before other calls (Ekart, Xpressbees, Shiprocket, Blue Dart).
pub trait Authenticate: CarrierCode {
    fn requires_login(&self) -> bool {
        false
    }
    fn build_login(&self, account: &Account) -> Result<HttpRequest, CarrierError> {
        let _ = account;
        unsupported(self, "login")
    }
    fn parse_login(
        &self,
        account: &Account,
        response: &HttpResponse,
    ) -> Result<Token, CarrierError> {
        let _ = (account, response);
        unsupported(self, "login")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceabilityRecord {
    pub postal_code: String,
    pub prepaid: bool,
    pub cod: bool,
    pub pickup: bool,
    pub reverse: bool,
    /// Out of delivery area: deliverable, with extra time and charge.
    pub oda: bool,
    pub embargo: bool,
    pub max_weight_grams: Option<u64>,
    pub max_cod_minor: Option<i64>,
    pub sort_code: Option<String>,
}

pub trait Serviceability: CarrierCode {
    fn build_serviceability(
        &self,
        account: &Account,
        postal_code: &str,
    ) -> Result<HttpRequest, CarrierError> {
        let _ = (account, postal_code);
        unsupported(self, "serviceability")
    }
    /// An empty list means not serviceable.
    fn parse_serviceability(
        &self,
        response: &HttpResponse,
    ) -> Result<Vec<ServiceabilityRecord>, CarrierError> {
        let _ = response;
        unsupported(self, "serviceability")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateQuery {
    pub origin_postal_code: String,
    pub destination_postal_code: String,
    pub weight_grams: u64,
    pub payment_mode: PaymentMode,
    pub cod_amount_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateQuote {
    pub service: String,
    pub total_minor: i64,
    pub currency: String,
}

pub trait Rates: CarrierCode {
    fn build_rates(
        &self,
        account: &Account,
        query: &RateQuery,
    ) -> Result<HttpRequest, CarrierError> {
        let _ = (account, query);
        unsupported(self, "rates")
    }
    fn parse_rates(&self, response: &HttpResponse) -> Result<Vec<RateQuote>, CarrierError> {
        let _ = response;
        unsupported(self, "rates")
    }
}

/// What to create at the carrier.
#[derive(Debug, Clone, Copy)]
pub struct CreateRequest<'a> {
    /// Unique per shipment: the carrier's order number, and what makes a
    /// repeated create safe where the carrier de-duplicates on it.
    pub reference: &'a str,
    pub draft: &'a ShipmentDraft,
    /// A pre-fetched AWB, for carriers that work from a pool.
    pub awb: Option<&'a str>,
}

/// What the carrier gave back for a created shipment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Booking {
    pub awb: String,
    /// The carrier's own id for the shipment or order, if it has one.
    pub carrier_reference: Option<String>,
    /// Sort / routing code for the label.
    pub routing_code: Option<String>,
    /// Where the carrier's own label can be fetched, if it returns one.
    pub label_url: Option<String>,
}

pub trait CreateShipment: CarrierCode {
    fn build_create(
        &self,
        account: &Account,
        request: &CreateRequest<'_>,
    ) -> Result<HttpRequest, CarrierError> {
        let _ = (account, request);
        unsupported(self, "create_shipment")
    }
    fn parse_create(
        &self,
        account: &Account,
        request: &CreateRequest<'_>,
        response: &HttpResponse,
    ) -> Result<Booking, CarrierError> {
        let _ = (account, request, response);
        unsupported(self, "create_shipment")
    }
    /// After a create whose outcome is unknown (timeout, 5xx), asks the carrier
    /// whether a shipment with this order reference exists, so the runtime
    /// never creates it twice. Carriers that de-duplicate creates on the
    /// reference mark the create request `Retry::Safe` instead.
    fn build_find_by_reference(
        &self,
        account: &Account,
        reference: &str,
    ) -> Result<HttpRequest, CarrierError> {
        let _ = (account, reference);
        unsupported(self, "find_by_reference")
    }
    /// `Ok(None)`: the carrier has no shipment with that reference.
    fn parse_find_by_reference(
        &self,
        response: &HttpResponse,
    ) -> Result<Option<Booking>, CarrierError> {
        let _ = response;
        unsupported(self, "find_by_reference")
    }
}

/// Carriers whose AWBs are fetched in bulk before use (Delhivery, Ecom Express).
pub trait FetchAwbs: CarrierCode {
    fn build_fetch_awbs(&self, account: &Account, count: u32) -> Result<HttpRequest, CarrierError> {
        let _ = (account, count);
        unsupported(self, "fetch_awbs")
    }
    fn parse_fetch_awbs(&self, response: &HttpResponse) -> Result<Vec<String>, CarrierError> {
        let _ = response;
        unsupported(self, "fetch_awbs")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelDocument {
    Pdf(Vec<u8>),
    /// A link to the carrier's own PDF.
    Url(String),
    Zpl(String),
}

pub trait Label: CarrierCode {
    fn build_label(&self, account: &Account, awb: &str) -> Result<HttpRequest, CarrierError> {
        let _ = (account, awb);
        unsupported(self, "label")
    }
    fn parse_label(&self, response: &HttpResponse) -> Result<LabelDocument, CarrierError> {
        let _ = response;
        unsupported(self, "label")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickupRequest {
    /// Registered pickup location (warehouse) name.
    pub location: String,
    pub date: Date,
    pub time: Time,
    pub expected_packages: u32,
    pub awbs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickupConfirmation {
    pub pickup_id: String,
}

pub trait Pickup: CarrierCode {
    fn build_pickup(
        &self,
        account: &Account,
        request: &PickupRequest,
    ) -> Result<HttpRequest, CarrierError> {
        let _ = (account, request);
        unsupported(self, "pickup")
    }
    fn parse_pickup(&self, response: &HttpResponse) -> Result<PickupConfirmation, CarrierError> {
        let _ = response;
        unsupported(self, "pickup")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    /// Cancelled before pickup; the AWB is void.
    Cancelled,
    /// Already moving: the carrier turned it into a return to origin.
    RtoInitiated,
}

pub trait Cancel: CarrierCode {
    fn build_cancel(&self, account: &Account, awb: &str) -> Result<HttpRequest, CarrierError> {
        let _ = (account, awb);
        unsupported(self, "cancel")
    }
    fn parse_cancel(&self, response: &HttpResponse) -> Result<CancelOutcome, CarrierError> {
        let _ = response;
        unsupported(self, "cancel")
    }
}

/// Changes to a booked shipment; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Modification {
    pub consignee: Option<Address>,
    pub phone: Option<String>,
    pub payment_mode: Option<PaymentMode>,
    pub cod_amount_minor: Option<i64>,
    pub weight_grams: Option<u64>,
    /// Only for carriers with `Capability::DeliveryPreferences`.
    pub delivery: Option<shipgate_domain::DeliveryPreferences>,
}

pub trait Modify: CarrierCode {
    fn build_modify(
        &self,
        account: &Account,
        awb: &str,
        change: &Modification,
    ) -> Result<HttpRequest, CarrierError> {
        let _ = (account, awb, change);
        unsupported(self, "modify")
    }
    fn parse_modify(&self, response: &HttpResponse) -> Result<(), CarrierError> {
        let _ = response;
        unsupported(self, "modify")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // built once per action; boxing buys nothing
pub enum NdrInstruction {
    Reattempt { date: Option<Date> },
    ChangeAddress { address: Address },
    ChangePhone { phone: String },
    ReturnToOrigin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NdrOutcome {
    Accepted,
    /// Accepted for processing; follow `request_id` (Delhivery's UPL) until it settles.
    Pending {
        request_id: String,
    },
}

pub trait NdrAction: CarrierCode {
    fn build_ndr_action(
        &self,
        account: &Account,
        awb: &str,
        instruction: &NdrInstruction,
    ) -> Result<HttpRequest, CarrierError> {
        let _ = (account, awb, instruction);
        unsupported(self, "ndr_action")
    }
    fn parse_ndr_action(&self, response: &HttpResponse) -> Result<NdrOutcome, CarrierError> {
        let _ = response;
        unsupported(self, "ndr_action")
    }
    /// For asynchronous carriers: ask how a pending action settled.
    fn build_ndr_status(
        &self,
        account: &Account,
        request_id: &str,
    ) -> Result<HttpRequest, CarrierError> {
        let _ = (account, request_id);
        unsupported(self, "ndr_status")
    }
    /// `Ok(None)` while still pending; `Ok(Some(Accepted))` or a `Rejected` error once settled.
    fn parse_ndr_status(
        &self,
        response: &HttpResponse,
    ) -> Result<Option<NdrOutcome>, CarrierError> {
        let _ = response;
        unsupported(self, "ndr_status")
    }
}

pub trait Track: CarrierCode {
    /// Most AWBs one tracking call may ask about.
    fn max_track_batch(&self) -> usize {
        1
    }
    fn build_track(&self, account: &Account, awbs: &[String]) -> Result<HttpRequest, CarrierError> {
        let _ = (account, awbs);
        unsupported(self, "track")
    }
    fn parse_track(&self, response: &HttpResponse) -> Result<Vec<TrackedShipment>, CarrierError> {
        let _ = response;
        unsupported(self, "track")
    }
}

pub trait Push: CarrierCode {
    /// Checks a push came from the carrier (token header, HMAC, shared secret).
    fn verify_push(
        &self,
        account: &Account,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<(), CarrierError> {
        let _ = (account, headers, body);
        unsupported(self, "push")
    }
    /// Reads a push; batched pushes yield several shipments.
    fn parse_push(&self, body: &[u8]) -> Result<Vec<TrackedShipment>, CarrierError> {
        let _ = body;
        unsupported(self, "push")
    }
}
