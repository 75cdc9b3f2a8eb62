//! The simulator's carrier-neutral state and rules.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use shipgate_carrier_core::sim::{
    SimCreate, SimError, SimErrorKind, SimNdr, SimOp, SimReply, SimScan, SimShipment,
};
use shipgate_carrier_core::{Adapter, ServiceabilityRecord};
use shipgate_domain::status::Phase;
use shipgate_domain::{NdrReason, ShipmentStatus};

use ShipmentStatus as S;

/// Fault injection, each rate a probability per request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    pub latency_ms: u64,
    /// Answer 503 (half before doing the work, half after).
    pub error_rate: f64,
    /// Do the work, then hang for `timeout_ms` before answering.
    pub timeout_rate: f64,
    pub timeout_ms: u64,
    /// Answer with a truncated body.
    pub malformed_rate: f64,
    /// Answer 429 without doing the work.
    pub rate_limit_rate: f64,
}

/// What the server should do to a request before or after the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    ErrorBefore,
    ErrorAfter,
    Timeout,
    Malformed,
    RateLimited,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Journey {
    Delivered,
    NdrDelivered,
    NdrRto,
    Lost,
    Damaged,
    Delayed,
}

impl Journey {
    fn from_reference(reference: &str) -> Self {
        let r = reference.to_ascii_lowercase();
        if r.contains("sim-ndr-delivered") {
            Journey::NdrDelivered
        } else if r.contains("sim-ndr-rto") {
            Journey::NdrRto
        } else if r.contains("sim-lost") {
            Journey::Lost
        } else if r.contains("sim-damaged") {
            Journey::Damaged
        } else if r.contains("sim-delayed") {
            Journey::Delayed
        } else {
            Journey::Delivered
        }
    }
}

/// When the journey a reference selects picks the parcel up and delivers it
/// (hours after creation), for journeys delivered at the first attempt;
/// `None` for the others (NDR, lost, damaged). The sandbox derives its
/// synthetic delivery history from this.
pub fn first_attempt_delivery_hours(reference: &str) -> Option<(i64, i64)> {
    let mut record = Record {
        carrier: String::new(),
        create: SimCreate {
            reference: reference.into(),
            awb: None,
            payment_mode: shipgate_domain::PaymentMode::Prepaid,
            cod_amount_minor: 0,
            consignee_name: String::new(),
            consignee_postal_code: String::new(),
            pickup_location: None,
            weight_grams: 0,
        },
        awb: String::new(),
        created_at: Timestamp::UNIX_EPOCH,
        journey: Journey::from_reference(reference),
        steps: Vec::new(),
        awaiting_instruction_since: None,
    };
    record.script();
    let at = |status: ShipmentStatus| {
        record
            .steps
            .iter()
            .find(|s| s.status == status)
            .map(|s| s.at.duration_since(Timestamp::UNIX_EPOCH).as_hours())
    };
    if record.steps.iter().any(|s| s.status == S::DeliveryFailed) {
        return None;
    }
    Some((at(S::PickedUp)?, at(S::Delivered)?))
}

#[derive(Debug, Clone)]
struct Step {
    at: Timestamp,
    status: ShipmentStatus,
    ndr: Option<NdrReason>,
}

#[derive(Debug, Clone)]
struct Record {
    carrier: String,
    create: SimCreate,
    awb: String,
    created_at: Timestamp,
    journey: Journey,
    steps: Vec<Step>,
    /// Set while a failed attempt waits for an instruction.
    awaiting_instruction_since: Option<Timestamp>,
}

const LOCATIONS: [&str; 6] = [
    "Origin hub",
    "Origin hub",
    "Line haul",
    "Destination hub",
    "Delivery centre",
    "Delivery centre",
];

fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

impl Record {
    fn step(&mut self, at: Timestamp, status: ShipmentStatus, ndr: Option<NdrReason>) {
        self.steps.push(Step { at, status, ndr });
    }

    fn script(&mut self) {
        let t = self.created_at;
        self.step(t, S::Manifested, None);
        self.step(t + hours(6), S::PickedUp, None);
        self.step(t + hours(12), S::InTransit, None);
        match self.journey {
            Journey::Delivered => {
                self.step(t + hours(30), S::AtDestinationHub, None);
                self.step(t + hours(40), S::OutForDelivery, None);
                self.step(t + hours(44), S::Delivered, None);
            }
            Journey::NdrDelivered | Journey::NdrRto => {
                self.step(t + hours(30), S::AtDestinationHub, None);
                self.step(t + hours(40), S::OutForDelivery, None);
                self.step(
                    t + hours(44),
                    S::DeliveryFailed,
                    Some(NdrReason::CustomerUnavailable),
                );
                self.awaiting_instruction_since = Some(t + hours(44));
            }
            Journey::Lost => self.step(t + hours(72), S::Lost, None),
            Journey::Damaged => {
                self.step(t + hours(30), S::Damaged, None);
                self.return_to_origin(t + hours(31));
            }
            Journey::Delayed => {
                self.step(t + hours(30), S::Delayed, None);
                self.step(t + hours(54), S::InTransit, None);
                self.step(t + hours(70), S::AtDestinationHub, None);
                self.step(t + hours(80), S::OutForDelivery, None);
                self.step(t + hours(84), S::Delivered, None);
            }
        }
    }

    fn return_to_origin(&mut self, from: Timestamp) {
        self.steps.retain(|s| s.at <= from);
        self.awaiting_instruction_since = None;
        self.step(from, S::RtoRequested, None);
        self.step(from + hours(12), S::RtoInTransit, None);
        self.step(from + hours(48), S::RtoOutForDelivery, None);
        self.step(from + hours(52), S::RtoDelivered, None);
    }

    fn failed_attempts(&self, now: Timestamp) -> u32 {
        self.steps
            .iter()
            .filter(|s| s.at <= now && s.status == S::DeliveryFailed)
            .count() as u32
    }

    fn reattempt(&mut self, from: Timestamp, now: Timestamp) {
        self.awaiting_instruction_since = None;
        self.step(from + hours(20), S::OutForDelivery, None);
        let attempt = self.failed_attempts(now) + 1;
        if self.journey == Journey::NdrRto {
            let reason = if attempt >= 2 {
                NdrReason::Refused
            } else {
                NdrReason::CustomerUnavailable
            };
            // After the third failure the carrier waits a day for an
            // instruction too (the shipper's RTO), then returns it itself.
            self.step(from + hours(24), S::DeliveryFailed, Some(reason));
            self.awaiting_instruction_since = Some(from + hours(24));
        } else {
            self.step(from + hours(24), S::Delivered, None);
        }
    }

    /// Applies the default instruction to failed attempts nobody answered within a day.
    fn advance(&mut self, now: Timestamp) {
        while let Some(since) = self.awaiting_instruction_since {
            let deadline = since + hours(24);
            if now < deadline {
                break;
            }
            let failures = self
                .steps
                .iter()
                .filter(|s| s.status == S::DeliveryFailed)
                .count();
            if self.journey == Journey::NdrRto && failures >= 3 {
                self.return_to_origin(deadline);
            } else {
                self.reattempt(deadline, deadline);
            }
        }
    }

    fn visible(&self, now: Timestamp) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(move |s| s.at <= now)
    }

    fn latest(&self, now: Timestamp) -> ShipmentStatus {
        self.visible(now).last().map_or(S::Manifested, |s| s.status)
    }
}

struct State {
    records: HashMap<(String, String), Record>,
    by_reference: HashMap<(String, String), String>,
    serials: HashMap<String, u64>,
    pickups: HashSet<(String, String, Date)>,
    ndr_requests: HashMap<String, Result<(), String>>,
    /// NDR instructions received per (carrier, AWB), accepted or not.
    ndr_instructions: HashMap<(String, String), usize>,
    requests: u64,
}

/// Where the simulator pushes a carrier's scans, and the account secret the
/// carrier's push authentication uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushTarget {
    pub carrier: String,
    pub url: String,
    pub secret: String,
}

pub struct Simulator {
    adapters: Vec<&'static dyn Adapter>,
    push_targets: Mutex<Vec<PushTarget>>,
    /// Scans already pushed, per (target index, carrier, AWB).
    pushed: Mutex<HashMap<(usize, String, String), usize>>,
    state: Mutex<State>,
    clock_offset: Mutex<SignedDuration>,
    faults: Mutex<Faults>,
    rng: Mutex<StdRng>,
}

fn err(kind: SimErrorKind, message: impl Into<String>) -> SimReply {
    SimReply::Error(SimError::new(kind, message))
}

impl Simulator {
    pub fn new(adapters: Vec<&'static dyn Adapter>, seed: u64) -> Self {
        Self {
            adapters,
            push_targets: Mutex::new(Vec::new()),
            pushed: Mutex::new(HashMap::new()),
            state: Mutex::new(State {
                records: HashMap::new(),
                by_reference: HashMap::new(),
                serials: HashMap::new(),
                pickups: HashSet::new(),
                ndr_requests: HashMap::new(),
                ndr_instructions: HashMap::new(),
                requests: 0,
            }),
            clock_offset: Mutex::new(SignedDuration::ZERO),
            faults: Mutex::new(Faults::default()),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
        }
    }

    pub fn adapter(&self, carrier: &str) -> Option<&'static dyn Adapter> {
        self.adapters
            .iter()
            .copied()
            .find(|a| a.carrier() == carrier)
    }

    pub fn now(&self) -> Timestamp {
        Timestamp::now() + *self.clock_offset.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn advance(&self, by: SignedDuration) {
        *self.clock_offset.lock().unwrap_or_else(|e| e.into_inner()) += by;
    }

    pub fn set_faults(&self, faults: Faults) {
        *self.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults;
    }

    pub fn faults(&self) -> Faults {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Draws the fault for one request.
    pub fn draw_fault(&self) -> Fault {
        let f = self.faults();
        let x: f64 = self.rng.lock().unwrap_or_else(|e| e.into_inner()).random();
        let mut edge = f.rate_limit_rate;
        if x < edge {
            return Fault::RateLimited;
        }
        edge += f.error_rate;
        if x < edge {
            return if x < edge - f.error_rate / 2.0 {
                Fault::ErrorBefore
            } else {
                Fault::ErrorAfter
            };
        }
        edge += f.timeout_rate;
        if x < edge {
            return Fault::Timeout;
        }
        edge += f.malformed_rate;
        if x < edge {
            return Fault::Malformed;
        }
        Fault::None
    }

    /// Shipments created per carrier, and requests served.
    pub fn stats(&self) -> serde_json::Value {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut per_carrier: HashMap<&str, usize> = HashMap::new();
        for (carrier, _) in state.records.keys() {
            *per_carrier.entry(carrier.as_str()).or_default() += 1;
        }
        serde_json::json!({"requests": state.requests, "shipments": per_carrier})
    }

    /// How many NDR instructions the carrier received for this AWB (for tests).
    pub fn ndr_instructions(&self, carrier: &str, awb: &str) -> usize {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state
            .ndr_instructions
            .get(&(carrier.to_string(), awb.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// How many shipments with this order reference exist at the carrier (for tests).
    pub fn count_by_reference(&self, carrier: &str, reference: &str) -> usize {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state
            .records
            .values()
            .filter(|r| r.carrier == carrier && r.create.reference == reference)
            .count()
    }

    fn scan_for(
        &self,
        adapter: &'static dyn Adapter,
        step: &Step,
        location: &str,
    ) -> Option<SimScan> {
        let table = adapter.status_codes();
        let entry = table
            .iter()
            .find(|c| c.status == step.status && (step.ndr.is_none() || c.ndr_reason == step.ndr))
            .or_else(|| table.iter().find(|c| c.status == step.status))?;
        Some(SimScan {
            status: step.status,
            ndr_reason: step.ndr,
            code: entry.code,
            description: entry.description,
            at: step.at,
            location: location.to_string(),
        })
    }

    fn view(&self, adapter: &'static dyn Adapter, record: &Record, now: Timestamp) -> SimShipment {
        let scans = record
            .visible(now)
            .enumerate()
            .filter_map(|(i, step)| {
                self.scan_for(adapter, step, LOCATIONS[i.min(LOCATIONS.len() - 1)])
            })
            .collect();
        SimShipment {
            awb: record.awb.clone(),
            reference: record.create.reference.clone(),
            payment_mode: record.create.payment_mode,
            cod_amount_minor: record.create.cod_amount_minor,
            consignee_name: record.create.consignee_name.clone(),
            destination_postal_code: record.create.consignee_postal_code.clone(),
            scans,
            attempts: record.failed_attempts(now),
            edd: Some(
                (record.created_at + hours(48))
                    .to_zoned(shipgate_carrier_core::time::ist())
                    .date(),
            ),
        }
    }

    fn next_awb(state: &mut State, adapter: &'static dyn Adapter) -> String {
        let serial = state
            .serials
            .entry(adapter.carrier().to_string())
            .or_insert(0);
        *serial += 1;
        adapter.sim_awb(*serial)
    }

    /// Carries out one operation for `carrier`.
    pub fn handle(&self, carrier: &str, op: &SimOp) -> SimReply {
        let Some(adapter) = self.adapter(carrier) else {
            return err(SimErrorKind::NotFound, format!("unknown carrier {carrier}"));
        };
        let now = self.now();
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let state = &mut *guard;
        state.requests += 1;
        let key = |awb: &str| (carrier.to_string(), awb.to_string());
        match op {
            SimOp::Login => SimReply::Token {
                token: format!("sim-{carrier}-{}", now.as_second()),
            },
            SimOp::FetchAwbs { count } => {
                let count = (*count).clamp(1, 10_000);
                SimReply::Awbs((0..count).map(|_| Self::next_awb(state, adapter)).collect())
            }
            SimOp::Create(create) => {
                if create.reference.trim().is_empty() {
                    return err(SimErrorKind::Invalid, "order number is required");
                }
                if create.consignee_postal_code.starts_with("99")
                    || create.consignee_postal_code.starts_with("00")
                {
                    return err(
                        SimErrorKind::Refused,
                        format!(
                            "pincode {} is not serviceable",
                            create.consignee_postal_code
                        ),
                    );
                }
                if let Some(awb) = state.by_reference.get(&key(&create.reference)) {
                    return SimReply::Created {
                        awb: awb.clone(),
                        reference: create.reference.clone(),
                        routing_code: routing_code(&create.consignee_postal_code),
                        duplicate: true,
                    };
                }
                let awb = match &create.awb {
                    Some(awb) if state.records.contains_key(&key(awb)) => {
                        return err(
                            SimErrorKind::Refused,
                            format!("waybill {awb} is already used"),
                        );
                    }
                    Some(awb) => awb.clone(),
                    None => Self::next_awb(state, adapter),
                };
                let mut record = Record {
                    carrier: carrier.to_string(),
                    create: create.clone(),
                    awb: awb.clone(),
                    created_at: now,
                    journey: Journey::from_reference(&create.reference),
                    steps: Vec::new(),
                    awaiting_instruction_since: None,
                };
                record.script();
                state
                    .by_reference
                    .insert(key(&create.reference), awb.clone());
                state.records.insert(key(&awb), record);
                SimReply::Created {
                    awb,
                    reference: create.reference.clone(),
                    routing_code: routing_code(&create.consignee_postal_code),
                    duplicate: false,
                }
            }
            SimOp::Track { awbs, references } => {
                let mut found = Vec::new();
                let wanted = awbs.iter().cloned().chain(
                    references
                        .iter()
                        .filter_map(|r| state.by_reference.get(&key(r)).cloned()),
                );
                for awb in wanted {
                    if let Some(record) = state.records.get_mut(&key(&awb)) {
                        record.advance(now);
                        found.push(self.view(adapter, record, now));
                    }
                }
                // An unknown AWB is an error; an unknown order reference is
                // simply not found (the carrier's lookup answers empty).
                if found.is_empty() && !awbs.is_empty() && references.is_empty() {
                    return err(SimErrorKind::NotFound, "no such waybill");
                }
                SimReply::Tracked(found)
            }
            SimOp::Label { awb } => match state.records.get(&key(awb)) {
                Some(record) => SimReply::Label {
                    awb: awb.clone(),
                    pdf: label_pdf(carrier, awb, &record.create.reference),
                },
                None => err(SimErrorKind::NotFound, format!("no waybill {awb}")),
            },
            SimOp::Pickup {
                location,
                date,
                expected_packages,
            } => {
                if location.trim().is_empty() || *expected_packages == 0 {
                    return err(
                        SimErrorKind::Invalid,
                        "pickup location and a package count are required",
                    );
                }
                if !state
                    .pickups
                    .insert((carrier.to_string(), location.clone(), *date))
                {
                    return err(
                        SimErrorKind::Refused,
                        format!("a pickup for {location} on {date} already exists"),
                    );
                }
                SimReply::PickupCreated {
                    pickup_id: format!("{}", 100_000 + state.pickups.len()),
                }
            }
            SimOp::Cancel { awb } => {
                let Some(record) = state.records.get_mut(&key(awb)) else {
                    return err(SimErrorKind::NotFound, format!("no waybill {awb}"));
                };
                record.advance(now);
                let latest = record.latest(now);
                if latest.is_terminal() || matches!(latest.phase(), Phase::Rto { .. }) {
                    return err(
                        SimErrorKind::Refused,
                        format!("shipment is {latest}; it cannot be cancelled"),
                    );
                }
                if !latest.is_before_pickup() && !adapter.sim_cancel_after_pickup_returns() {
                    return err(
                        SimErrorKind::Refused,
                        format!("shipment is {latest}; it can no longer be cancelled"),
                    );
                }
                if latest.is_before_pickup() {
                    record.steps.retain(|s| s.at <= now);
                    record.awaiting_instruction_since = None;
                    record.step(now, S::Cancelled, None);
                    SimReply::Cancelled { rto: false }
                } else {
                    record.return_to_origin(now);
                    SimReply::Cancelled { rto: true }
                }
            }
            SimOp::Modify { awb, .. } => {
                let Some(record) = state.records.get_mut(&key(awb)) else {
                    return err(SimErrorKind::NotFound, format!("no waybill {awb}"));
                };
                record.advance(now);
                let latest = record.latest(now);
                if latest.is_terminal()
                    || matches!(latest, S::OutForDelivery)
                    || matches!(latest.phase(), Phase::Rto { .. })
                {
                    return err(
                        SimErrorKind::Refused,
                        format!("shipment is {latest}; it cannot be edited"),
                    );
                }
                SimReply::Modified
            }
            SimOp::Ndr { awb, instruction } => {
                *state.ndr_instructions.entry(key(awb)).or_default() += 1;
                let Some(record) = state.records.get_mut(&key(awb)) else {
                    return err(SimErrorKind::NotFound, format!("no waybill {awb}"));
                };
                record.advance(now);
                let request_id = format!("UPL{}", 1_000_000 + state.ndr_requests.len());
                let outcome = match (record.latest(now), record.awaiting_instruction_since) {
                    (S::DeliveryFailed, Some(_)) => {
                        let attempts = record.failed_attempts(now);
                        let refused = record.visible(now).last().and_then(|s| s.ndr)
                            == Some(NdrReason::Refused);
                        match instruction {
                            SimNdr::ReturnToOrigin => {
                                record.return_to_origin(now);
                                Ok(())
                            }
                            _ if attempts >= 3 || refused => Err(format!(
                                "re-attempt not allowed after {attempts} attempts / refusal"
                            )),
                            _ => {
                                record.reattempt(now, now);
                                Ok(())
                            }
                        }
                    }
                    (latest, _) => Err(format!("Package in incorrect status: {latest}")),
                };
                state
                    .ndr_requests
                    .insert(request_id.clone(), outcome.clone());
                match outcome {
                    Ok(()) => SimReply::NdrAccepted { request_id },
                    Err(message) => err(SimErrorKind::Refused, message),
                }
            }
            SimOp::NdrStatus { request_id } => match state.ndr_requests.get(request_id) {
                Some(outcome) => SimReply::NdrStatus {
                    request_id: request_id.clone(),
                    settled: Some(outcome.clone()),
                },
                None => err(SimErrorKind::NotFound, format!("no request {request_id}")),
            },
            SimOp::Serviceability { postal_code } => {
                SimReply::Serviceable(serviceability(postal_code))
            }
        }
    }

    pub fn add_push_target(&self, target: PushTarget) {
        self.push_targets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(target);
    }

    /// Pushes due now: for each target, the scans of its carrier's shipments
    /// not pushed to it yet, in the carrier's push format. Marks them pushed.
    pub fn due_pushes(&self) -> Vec<(String, shipgate_carrier_core::HttpRequest)> {
        let targets = self
            .push_targets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut due = Vec::new();
        for (index, target) in targets.iter().enumerate() {
            let Some(adapter) = self.adapter(&target.carrier) else {
                continue;
            };
            for shipment in self.shipments(&target.carrier) {
                let key = (index, target.carrier.clone(), shipment.awb.clone());
                let mut pushed = self.pushed.lock().unwrap_or_else(|e| e.into_inner());
                let already = pushed.get(&key).copied().unwrap_or(0);
                if shipment.scans.len() <= already {
                    continue;
                }
                // One push per scan, in the order they happened, as carriers
                // push each scan when it happens: the simulator's clock may
                // have jumped over several, and carriers whose push holds one
                // event (Xpressbees, Ekart, Shiprocket) would otherwise
                // report only the newest.
                for scan in &shipment.scans[already..] {
                    if let Some(request) =
                        adapter.sim_push(&target.secret, &shipment, std::slice::from_ref(scan))
                    {
                        due.push((target.url.clone(), request));
                    }
                }
                pushed.insert(key, shipment.scans.len());
            }
        }
        due
    }

    /// Scans visible now for every shipment (for pushes and inspection).
    pub fn shipments(&self, carrier: &str) -> Vec<SimShipment> {
        let Some(adapter) = self.adapter(carrier) else {
            return Vec::new();
        };
        let now = self.now();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state
            .records
            .values_mut()
            .filter(|r| r.carrier == carrier)
            .map(|r| {
                r.advance(now);
                self.view(adapter, r, now)
            })
            .collect()
    }
}

fn routing_code(pin: &str) -> String {
    format!(
        "{}/{}",
        pin.get(..3).unwrap_or("000"),
        pin.get(3..).unwrap_or("000")
    )
}

fn serviceability(pin: &str) -> Vec<ServiceabilityRecord> {
    let valid = pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit());
    if !valid || pin.starts_with("99") || pin.starts_with("00") {
        return Vec::new();
    }
    let cod = !pin.ends_with('9');
    vec![ServiceabilityRecord {
        postal_code: pin.to_string(),
        prepaid: true,
        cod,
        pickup: true,
        reverse: true,
        oda: pin.starts_with("79"),
        embargo: false,
        max_weight_grams: Some(30_000),
        max_cod_minor: cod.then_some(5_000_000),
        sort_code: Some(routing_code(pin)),
    }]
}

fn label_pdf(carrier: &str, awb: &str, reference: &str) -> Vec<u8> {
    use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str};
    let mut content = Content::new();
    content
        .begin_text()
        .set_font(Name(b"F1"), 14.0)
        .next_line(20.0, 380.0)
        .show(Str(format!("{carrier} sandbox label").as_bytes()))
        .end_text();
    content
        .begin_text()
        .set_font(Name(b"F1"), 18.0)
        .next_line(20.0, 340.0)
        .show(Str(awb.as_bytes()))
        .end_text();
    content
        .begin_text()
        .set_font(Name(b"F1"), 10.0)
        .next_line(20.0, 310.0)
        .show(Str(format!("Order {reference}").as_bytes()))
        .end_text();
    let mut pdf = Pdf::new();
    let (catalog, pages, page, contents, font) = (
        Ref::new(1),
        Ref::new(2),
        Ref::new(3),
        Ref::new(4),
        Ref::new(5),
    );
    pdf.catalog(catalog).pages(pages);
    pdf.pages(pages).kids([page]).count(1);
    let mut p = pdf.page(page);
    p.parent(pages)
        .media_box(Rect::new(0.0, 0.0, 288.0, 432.0))
        .contents(contents);
    p.resources().fonts().pair(Name(b"F1"), font);
    drop(p);
    pdf.type1_font(font).base_font(Name(b"Helvetica"));
    pdf.stream(contents, &content.finish());
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shipgate_domain::PaymentMode;

    fn record(reference: &str) -> Record {
        let mut r = Record {
            carrier: "x".into(),
            create: SimCreate {
                reference: reference.into(),
                awb: None,
                payment_mode: PaymentMode::Prepaid,
                cod_amount_minor: 0,
                consignee_name: "A".into(),
                consignee_postal_code: "560001".into(),
                pickup_location: None,
                weight_grams: 500,
            },
            awb: "A1".into(),
            created_at: Timestamp::UNIX_EPOCH,
            journey: Journey::from_reference(reference),
            steps: Vec::new(),
            awaiting_instruction_since: None,
        };
        r.script();
        r
    }

    fn statuses(r: &Record, at_hours: i64) -> Vec<ShipmentStatus> {
        r.visible(Timestamp::UNIX_EPOCH + hours(at_hours))
            .map(|s| s.status)
            .collect()
    }

    #[test]
    fn first_attempt_deliveries_follow_the_scripts() {
        assert_eq!(first_attempt_delivery_hours("ORD-1"), Some((6, 44)));
        assert_eq!(
            first_attempt_delivery_hours("ORD-sim-delayed"),
            Some((6, 84))
        );
        assert_eq!(first_attempt_delivery_hours("ORD-sim-lost"), None);
        assert_eq!(first_attempt_delivery_hours("ORD-sim-ndr-delivered"), None);
    }

    #[test]
    fn default_journey_delivers_in_44_hours() {
        let r = record("ORD-1");
        assert_eq!(statuses(&r, 43).last(), Some(&S::OutForDelivery));
        assert_eq!(statuses(&r, 44).last(), Some(&S::Delivered));
    }

    #[test]
    fn unanswered_ndr_follows_the_script() {
        let mut r = record("ORD-sim-ndr-delivered");
        r.advance(Timestamp::UNIX_EPOCH + hours(200));
        assert_eq!(statuses(&r, 200).last(), Some(&S::Delivered));
        let mut r = record("ORD-sim-ndr-rto");
        r.advance(Timestamp::UNIX_EPOCH + hours(500));
        let all = statuses(&r, 500);
        assert_eq!(all.iter().filter(|s| **s == S::DeliveryFailed).count(), 3);
        assert_eq!(all.last(), Some(&S::RtoDelivered));
    }

    #[test]
    fn the_fault_draw_respects_rates() {
        let sim = Simulator::new(Vec::new(), 7);
        sim.set_faults(Faults {
            error_rate: 0.2,
            timeout_rate: 0.1,
            ..Faults::default()
        });
        let draws: Vec<_> = (0..10_000).map(|_| sim.draw_fault()).collect();
        let errors = draws
            .iter()
            .filter(|f| matches!(f, Fault::ErrorBefore | Fault::ErrorAfter))
            .count();
        let timeouts = draws.iter().filter(|f| **f == Fault::Timeout).count();
        assert!((1_800..2_200).contains(&errors), "{errors}");
        assert!((850..1_150).contains(&timeouts), "{timeouts}");
    }
}
