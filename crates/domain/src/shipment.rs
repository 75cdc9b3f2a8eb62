//! Shipments and the events in their history.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::address::{Address, AddressInput};
use crate::lifecycle::ShipmentState;
use crate::money::{Currency, Money};
use crate::parcel::{Parcel, ParcelInput};
use crate::status::{NdrReason, ShipmentStatus};
use crate::validation::{InvalidValue, ValidationErrors};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PaymentMode {
    #[default]
    Prepaid,
    /// Cash on delivery: the courier collects `cod_amount` from the consignee.
    Cod,
}

impl PaymentMode {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMode::Prepaid => "prepaid",
            PaymentMode::Cod => "cod",
        }
    }
}

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventSource {
    /// Shipgate itself (creation, cancellation requested through the API).
    System,
    /// A scan posted through Shipgate's API by the self-managed fleet.
    FleetScan,
    /// A carrier's webhook.
    CarrierPush,
    /// A carrier's tracking API, polled.
    CarrierPull,
}

impl EventSource {
    pub fn as_str(self) -> &'static str {
        match self {
            EventSource::System => "system",
            EventSource::FleetScan => "fleet_scan",
            EventSource::CarrierPush => "carrier_push",
            EventSource::CarrierPull => "carrier_pull",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::System,
            Self::FleetScan,
            Self::CarrierPush,
            Self::CarrierPull,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// One entry of a shipment's append-only history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShipmentEvent {
    pub id: String,
    /// Order in which Shipgate recorded the event; breaks ties between events
    /// reported for the same instant.
    #[serde(skip)]
    pub seq: i64,
    pub status: ShipmentStatus,
    /// When it happened, as the carrier or scanner reported it.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub occurred_at: Timestamp,
    /// When Shipgate learned of it.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub recorded_at: Timestamp,
    pub source: EventSource,
    /// The carrier's own status code, kept verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ndr_reason: Option<NdrReason>,
    /// Who caused it: an API key, a driver id, a carrier account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

impl ShipmentEvent {
    /// An event Shipgate itself records (creation, a pickup request, a
    /// cancellation), at `at`.
    pub fn system(
        id: String,
        status: ShipmentStatus,
        at: Timestamp,
        description: String,
        actor: Option<String>,
    ) -> Self {
        Self {
            id,
            seq: 0,
            status,
            occurred_at: at,
            recorded_at: at,
            source: EventSource::System,
            carrier_code: None,
            description: Some(description),
            location: None,
            ndr_reason: None,
            actor,
        }
    }

    /// Two reports of the same thing share this key (the shipment already
    /// pins the carrier and AWB).
    ///
    /// A carrier's scan is keyed by its normalized status and the minute it
    /// happened, not by the raw code and the exact instant, because the same
    /// scan reaches us in two shapes: carriers push one vocabulary and answer
    /// tracking calls in another (Xpressbees pushes `"exception"` for the scan
    /// its tracking API calls `EX`), and some give seconds in one and only
    /// minutes in the other (Ecom Express). Keyed exactly, such a scan seen by
    /// push and by pull was two events, and a failed delivery counted as two
    /// attempts. The raw code is still kept on the event, and the raw push
    /// whole. Shipgate's own events and the fleet's scans (one source, one
    /// vocabulary, exact times) keep their code and exact instant.
    pub fn dedupe_key(&self) -> String {
        let micros = self.occurred_at.as_microsecond();
        match self.source {
            EventSource::CarrierPush | EventSource::CarrierPull => format!(
                "{}@m{}",
                self.status.as_str(),
                micros.div_euclid(60_000_000)
            ),
            EventSource::System | EventSource::FleetScan => {
                let code = self.carrier_code.as_deref().unwrap_or(self.status.as_str());
                format!("{code}@{micros}")
            }
        }
    }
}

/// A shipment as stored: what was asked for, plus its derived state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipment {
    pub id: String,
    pub tenant_id: String,
    pub order_reference: String,
    pub carrier: String,
    /// The tenant's account at the carrier; `None` for the self-managed fleet.
    pub carrier_account_id: Option<String>,
    pub awb: String,
    /// The carrier's sort / routing code, printed on the label.
    pub routing_code: Option<String>,
    /// How the carrier account was chosen, when allocation chose it.
    pub allocation: Option<crate::allocation::Allocation>,
    /// What the carrier itself reports beyond scans.
    pub carrier_facts: CarrierFacts,
    /// What the shopper was promised at order time, if the lane had history.
    pub promise: Option<DeliveryPromise>,
    pub pickup: Address,
    pub consignee: Address,
    pub return_address: Option<Address>,
    pub parcels: Vec<Parcel>,
    pub payment_mode: PaymentMode,
    pub cod_amount: Option<Money>,
    pub declared_value: Money,
    /// Delivery instructions and a preferred day, set by a modification.
    pub delivery: DeliveryPreferences,
    pub state: ShipmentState,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What the consignee asked of the delivery itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryPreferences {
    /// For the rider, e.g. "leave with the security desk".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub preferred_date: Option<jiff::civil::Date>,
}

/// Delivery instructions fit on a label and in every carrier's field.
pub const MAX_INSTRUCTIONS_CHARS: usize = 200;

impl DeliveryPreferences {
    pub fn is_empty(&self) -> bool {
        self.instructions.is_none() && self.preferred_date.is_none()
    }

    /// Checks instructions: trimmed, at most [`MAX_INSTRUCTIONS_CHARS`], one
    /// line of printable text; empty clears them.
    pub fn parse_instructions(raw: &str) -> Result<Option<String>, InvalidValue> {
        let text = raw.trim();
        if text.chars().count() > MAX_INSTRUCTIONS_CHARS {
            return Err(InvalidValue::new(
                "too_long",
                format!("at most {MAX_INSTRUCTIONS_CHARS} characters"),
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(InvalidValue::new(
                "invalid_characters",
                "one line of text, without control characters",
            ));
        }
        Ok(Some(text.to_string()).filter(|t| !t.is_empty()))
    }
}

/// The delivery date the shopper was promised for this lane when the order
/// was created: Shipgate's EDD for the booked carrier, at the default
/// confidence, as `GET /v1/edd` (and the widget) answered then. On-time is
/// measured against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryPromise {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub date: jiff::civil::Date,
    /// Share of parcels expected by then, in percent.
    pub confidence_percent: u8,
    /// The first day the carrier could take the parcel.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub handover: jiff::civil::Date,
}

/// What a carrier reports about a shipment beyond its scans.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CarrierFacts {
    /// The carrier's own estimated delivery date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub edd: Option<jiff::civil::Date>,
    /// Delivery attempts as the carrier counts them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    /// Who received the parcel, as the carrier recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof_of_delivery: Option<String>,
}

/// A request to create a shipment, as a client sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewShipmentInput {
    /// The merchant's order reference, printed on the label.
    pub order_reference: String,
    /// Carrier code; `fleet` (the default without a carrier account) is
    /// Shipgate's self-managed fleet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    /// Which of the tenant's carrier accounts books it (see `POST /v1/carrier-accounts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier_account_id: Option<String>,
    /// Let Shipgate choose the carrier account (instead of `carrier_account_id`),
    /// by the tenant's allocation rules and this strategy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocation: Option<AllocationInput>,
    pub pickup: AddressInput,
    pub consignee: AddressInput,
    /// Where returns go; the pickup address if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_address: Option<AddressInput>,
    pub parcels: Vec<ParcelInput>,
    pub payment_mode: PaymentMode,
    /// Amount to collect, in minor units; required for `cod`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cod_amount: Option<i64>,
    /// Declared value of the goods, in minor units.
    pub declared_value: i64,
    /// ISO 4217; defaults to INR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AllocationInput {
    #[serde(default)]
    pub strategy: crate::allocation::Strategy,
}

/// A validated request to create a shipment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipmentDraft {
    pub order_reference: String,
    pub carrier: String,
    pub pickup: Address,
    pub consignee: Address,
    pub return_address: Option<Address>,
    pub parcels: Vec<Parcel>,
    pub payment_mode: PaymentMode,
    pub cod_amount: Option<Money>,
    pub declared_value: Money,
}

pub const MAX_PARCELS: usize = 50;

fn order_reference(raw: &str) -> Result<String, InvalidValue> {
    let v = raw.trim();
    if v.is_empty() {
        Err(InvalidValue::new("required", "must not be empty"))
    } else if v.len() > 64 {
        Err(InvalidValue::new(
            "too_long",
            "must be at most 64 characters",
        ))
    } else if v.chars().any(char::is_control) {
        Err(InvalidValue::new(
            "invalid_characters",
            "must not contain control characters",
        ))
    } else {
        Ok(v.to_string())
    }
}

impl ShipmentDraft {
    pub fn parse(input: &NewShipmentInput) -> Result<Self, ValidationErrors> {
        let mut errs = ValidationErrors::new();
        let reference = errs.check("order_reference", order_reference(&input.order_reference));
        let carrier = input
            .carrier
            .as_deref()
            .unwrap_or("fleet")
            .trim()
            .to_ascii_lowercase();
        let mut address = |name: &str, input: &AddressInput| match Address::parse(input) {
            Ok(a) => Some(a),
            Err(e) => {
                errs.nest(name, e);
                None
            }
        };
        let pickup = address("pickup", &input.pickup);
        let consignee = address("consignee", &input.consignee);
        let return_address = match &input.return_address {
            None => Some(None),
            Some(r) => address("return_address", r).map(Some),
        };
        if input.parcels.is_empty() || input.parcels.len() > MAX_PARCELS {
            errs.push(
                "parcels",
                InvalidValue::new(
                    "invalid_count",
                    format!("give between 1 and {MAX_PARCELS} parcels"),
                ),
            );
        }
        let mut parcels = Vec::with_capacity(input.parcels.len());
        for (i, p) in input.parcels.iter().enumerate() {
            match Parcel::parse(p) {
                Ok(p) => parcels.push(p),
                Err(e) => errs.nest(&format!("parcels[{i}]"), e),
            }
        }
        let currency = errs.check(
            "currency",
            input
                .currency
                .as_deref()
                .map_or(Ok(Currency::inr()), Currency::parse),
        );
        let declared_value = currency
            .clone()
            .and_then(|c| errs.check("declared_value", Money::parse(input.declared_value, c)));
        let cod_amount = match (input.payment_mode, input.cod_amount) {
            (PaymentMode::Cod, None) => {
                errs.push(
                    "cod_amount",
                    InvalidValue::new("required", "required when payment_mode is cod"),
                );
                None
            }
            (PaymentMode::Cod, Some(amount)) if amount <= 0 => {
                errs.push(
                    "cod_amount",
                    InvalidValue::new("must_be_positive", "must be more than 0"),
                );
                None
            }
            (PaymentMode::Cod, Some(amount)) => currency.clone().map(|c| {
                Some(Money {
                    minor_units: amount,
                    currency: c,
                })
            }),
            (PaymentMode::Prepaid, None | Some(0)) => Some(None),
            (PaymentMode::Prepaid, Some(_)) => {
                errs.push(
                    "cod_amount",
                    InvalidValue::new(
                        "not_allowed",
                        "a prepaid shipment collects nothing; omit cod_amount",
                    ),
                );
                None
            }
        };
        errs.finish(|| {
            Some(ShipmentDraft {
                order_reference: reference?,
                carrier,
                pickup: pickup?,
                consignee: consignee?,
                return_address: return_address?,
                parcels,
                payment_mode: input.payment_mode,
                cod_amount: cod_amount?,
                declared_value: declared_value?,
            })
        })
    }

    /// Total dead weight of all parcels.
    pub fn total_weight_grams(&self) -> u64 {
        self.parcels.iter().map(|p| u64::from(p.weight_grams)).sum()
    }
}

impl Shipment {
    pub fn total_weight_grams(&self) -> u64 {
        self.parcels.iter().map(|p| u64::from(p.weight_grams)).sum()
    }

    pub fn status(&self) -> ShipmentStatus {
        self.state.status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(pin: &str) -> AddressInput {
        AddressInput {
            name: "Asha Rao".into(),
            phone: "9812345678".into(),
            line1: "12 MG Road".into(),
            city: "Bengaluru".into(),
            state: "Karnataka".into(),
            postal_code: pin.into(),
            ..Default::default()
        }
    }

    fn input() -> NewShipmentInput {
        NewShipmentInput {
            order_reference: "ORD-1".into(),
            carrier: Some("fleet".into()),
            pickup: address("110001"),
            consignee: address("560001"),
            parcels: vec![ParcelInput {
                weight_grams: 500,
                ..Default::default()
            }],
            payment_mode: PaymentMode::Cod,
            cod_amount: Some(149_900),
            declared_value: 149_900,
            ..Default::default()
        }
    }

    #[test]
    fn valid_cod_shipment_parses() {
        let draft = ShipmentDraft::parse(&input()).unwrap();
        assert_eq!(draft.cod_amount.as_ref().unwrap().minor_units, 149_900);
        assert_eq!(draft.total_weight_grams(), 500);
    }

    #[test]
    fn errors_name_nested_fields() {
        let mut bad = input();
        bad.consignee.postal_code = "ABC".into();
        bad.parcels[0].weight_grams = -5;
        bad.cod_amount = None;
        let fields: Vec<_> = ShipmentDraft::parse(&bad)
            .unwrap_err()
            .errors
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "consignee.postal_code",
                "parcels[0].weight_grams",
                "cod_amount"
            ]
        );
    }

    #[test]
    fn prepaid_must_not_collect() {
        let mut bad = input();
        bad.payment_mode = PaymentMode::Prepaid;
        assert_eq!(
            ShipmentDraft::parse(&bad).unwrap_err().errors[0].code,
            "not_allowed"
        );
    }

    #[test]
    fn dedupe_key_ignores_arrival_and_vocabulary() {
        let at = Timestamp::from_second(1_764_000_000).unwrap();
        let a = ShipmentEvent {
            id: "a".into(),
            seq: 1,
            status: ShipmentStatus::InTransit,
            occurred_at: at,
            recorded_at: at,
            source: EventSource::CarrierPush,
            carrier_code: Some("UD/X-PIOM".into()),
            description: None,
            location: None,
            ndr_reason: None,
            actor: None,
        };
        let mut b = a.clone();
        b.id = "b".into();
        b.source = EventSource::CarrierPull;
        assert_eq!(a.dedupe_key(), b.dedupe_key());
        // The same scan in the carrier's other vocabulary.
        b.carrier_code = Some("in transit".into());
        assert_eq!(a.dedupe_key(), b.dedupe_key());
        // Another status, or another instant, is another report.
        b.status = ShipmentStatus::OutForDelivery;
        assert_ne!(a.dedupe_key(), b.dedupe_key());
        b.status = a.status;
        // The same minute with and without its seconds.
        b.occurred_at = at + jiff::SignedDuration::from_secs(12);
        assert_eq!(a.dedupe_key(), b.dedupe_key());
        b.occurred_at = at + jiff::SignedDuration::from_secs(60);
        assert_ne!(a.dedupe_key(), b.dedupe_key());
        // Shipgate's own events and the fleet's keep the exact instant.
        for source in [EventSource::System, EventSource::FleetScan] {
            let (mut own_a, mut own_b) = (a.clone(), a.clone());
            own_a.source = source;
            own_b.source = source;
            assert_eq!(own_a.dedupe_key(), own_b.dedupe_key());
            own_b.occurred_at = at + jiff::SignedDuration::from_secs(12);
            assert_ne!(own_a.dedupe_key(), own_b.dedupe_key());
        }
    }
}
