//! Which webhook events a change to a shipment raises, and their payloads.
//!
//! Events are decided inside the transaction that stores the change, so a
//! crash can never keep the change and lose its webhooks: the `follow_up` of
//! `Store::record_events` writes them to the outbox (`webhook_messages`) in
//! that transaction; `insert_shipment` takes a `webhook.fanout` job that
//! writes them.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use shipgate_domain::status::Phase;
use shipgate_domain::{
    CustomerBucket, NdrReason, Shipment, ShipmentEvent, ShipmentState, ShipmentStatus,
};
use shipgate_storage::{EventsRecorded, NewJob, WebhookEvent, new_id, now};
use utoipa::ToSchema;

/// Job kind that turns events into one message per subscribed endpoint.
pub const FANOUT: &str = "webhook.fanout";

macro_rules! event_types {
    ($($variant:ident => $text:literal: $doc:literal),+ $(,)?) => {
        /// The events a webhook endpoint can subscribe to.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum EventType { $(#[doc = $doc] $variant),+ }

        impl EventType {
            pub const ALL: &'static [EventType] = &[$(EventType::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(EventType::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|t| t.as_str() == s)
            }
        }
    };
}

event_types! {
    Created => "shipment.created": "A shipment was booked and has its AWB.",
    StatusChanged => "shipment.status_changed": "The shipment's status changed (sent with every more specific event too).",
    Delivered => "shipment.delivered": "Delivered to the consignee.",
    NdrRaised => "shipment.ndr_raised": "A delivery attempt failed (status `delivery_failed`).",
    RtoInitiated => "shipment.rto_initiated": "The shipment entered return to origin (an `rto_*` status).",
    Cancelled => "shipment.cancelled": "The shipment was cancelled.",
    Exception => "shipment.exception": "Lost, damaged, delayed, held, or the carrier asks to contact support.",
    NdrEscalated => "shipment.ndr_escalated": "An NDR had no action within the tenant's `escalate_after_hours` (body: the NDR record).",
}

/// The event a status change raises besides `shipment.status_changed`, if any.
fn specific(before: &ShipmentState, after: &ShipmentState) -> Option<EventType> {
    use ShipmentStatus as S;
    match after.status {
        S::Delivered => Some(EventType::Delivered),
        S::DeliveryFailed => Some(EventType::NdrRaised),
        S::Cancelled => Some(EventType::Cancelled),
        S::Lost | S::Damaged | S::Delayed | S::Held | S::ContactSupport => {
            Some(EventType::Exception)
        }
        // Judged on the journey, not the shown status: `held` in the middle
        // of a return does not start the return again.
        s if matches!(s.phase(), Phase::Rto { .. })
            && !matches!(before.progress.phase(), Phase::Rto { .. }) =>
        {
            Some(EventType::RtoInitiated)
        }
        _ => None,
    }
}

/// The body of every webhook Shipgate sends.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookPayload {
    /// The event type, e.g. `shipment.delivered`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// When the event was raised (RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: Timestamp,
    pub data: ShipmentEventData,
}

/// The shipment as it stood after the event.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShipmentEventData {
    pub id: String,
    pub awb: String,
    pub carrier: String,
    pub order_reference: String,
    pub status: ShipmentStatus,
    /// The status before this change; null for `shipment.created`.
    pub previous_status: Option<ShipmentStatus>,
    pub customer_bucket: CustomerBucket,
    pub ndr_reason: Option<NdrReason>,
    pub failed_attempts: u32,
    pub last_event: Option<LastEvent>,
}

/// The scan or system event that caused the change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LastEvent {
    pub status: ShipmentStatus,
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: Timestamp,
    pub location: Option<String>,
    pub description: Option<String>,
    pub carrier_code: Option<String>,
}

fn event(
    event_type: EventType,
    shipment: &Shipment,
    previous: Option<ShipmentStatus>,
    state: &ShipmentState,
    cause: Option<&ShipmentEvent>,
    at: Timestamp,
) -> WebhookEvent {
    let payload = WebhookPayload {
        event_type: event_type.as_str().to_string(),
        timestamp: at,
        data: ShipmentEventData {
            id: shipment.id.clone(),
            awb: shipment.awb.clone(),
            carrier: shipment.carrier.clone(),
            order_reference: shipment.order_reference.clone(),
            status: state.status,
            previous_status: previous,
            customer_bucket: state.status.customer_bucket(),
            ndr_reason: state.ndr_reason,
            failed_attempts: state.failed_attempts,
            last_event: cause.map(|e| LastEvent {
                status: e.status,
                occurred_at: e.occurred_at,
                location: e.location.clone(),
                description: e.description.clone(),
                carrier_code: e.carrier_code.clone(),
            }),
        },
    };
    WebhookEvent {
        key: new_id("wev"),
        event_type: event_type.as_str().to_string(),
        // Plain data with string keys: serialisation cannot fail.
        payload: serde_json::to_string(&payload).unwrap_or_default(),
    }
}

/// The status changes a recording made, in the order they happened.
///
/// The new events are applied one by one to the state before them, so a
/// push that reports `out_for_delivery`, `delivery_failed` and
/// `rto_requested` at once raises each event. If that disagrees with the
/// store's re-fold (an event dated before history already recorded), the
/// net change is reported as well, so subscribers always end at the true state.
fn transitions(r: &EventsRecorded) -> Vec<(ShipmentState, ShipmentState, &ShipmentEvent)> {
    let mut applied: Vec<&ShipmentEvent> = r
        .inserted
        .iter()
        .filter(|e| !r.not_applied.contains(&e.id))
        .collect();
    applied.sort_by_key(|e| (e.occurred_at, e.seq));
    let mut state = r.previous.clone();
    let mut out = Vec::new();
    for e in &applied {
        let before = state.clone();
        if state.apply(e) && state.status != before.status {
            out.push((before, state.clone(), *e));
        }
    }
    if state.status != r.shipment.state.status
        && let Some(last) = applied.last().copied().or(r.inserted.last())
    {
        out.push((state, r.shipment.state.clone(), last));
    }
    out
}

/// The webhook events a recording raises.
pub fn events_for(r: &EventsRecorded, at: Timestamp) -> Vec<WebhookEvent> {
    let mut events = Vec::new();
    for (before, after, cause) in transitions(r) {
        let previous = Some(before.status);
        events.push(event(
            EventType::StatusChanged,
            &r.shipment,
            previous,
            &after,
            Some(cause),
            at,
        ));
        if let Some(t) = specific(&before, &after) {
            events.push(event(t, &r.shipment, previous, &after, Some(cause), at));
        }
    }
    events
}

#[derive(Serialize, Deserialize)]
pub(crate) struct FanOutPayload {
    pub events: Vec<FanOutEvent>,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct FanOutEvent {
    pub key: String,
    #[serde(rename = "type")]
    pub event_type: String,
    /// The exact body to send.
    pub payload: String,
}

fn fanout_job(tenant_id: &str, events: Vec<WebhookEvent>) -> Option<NewJob> {
    if events.is_empty() {
        return None;
    }
    let payload = FanOutPayload {
        events: events
            .into_iter()
            .map(|e| FanOutEvent {
                key: e.key,
                event_type: e.event_type,
                payload: e.payload,
            })
            .collect(),
    };
    Some(NewJob::now(
        FANOUT,
        Some(tenant_id.to_string()),
        serde_json::to_value(payload).unwrap_or_default(),
    ))
}

/// The fan-out job for one event raised outside a recording (its body built by the caller).
pub fn single_event_job(tenant_id: &str, event_type: EventType, payload: String) -> Vec<NewJob> {
    let event = WebhookEvent {
        key: new_id("wev"),
        event_type: event_type.as_str().to_string(),
        payload,
    };
    fanout_job(tenant_id, vec![event]).into_iter().collect()
}

/// The follow-up of every recording: its webhook events, for the outbox.
pub fn follow_up(r: &EventsRecorded) -> Vec<WebhookEvent> {
    events_for(r, now())
}

/// The jobs a new shipment calls for: `shipment.created`, caused by `first_event`.
pub fn on_create(shipment: &Shipment, cause: Option<&ShipmentEvent>) -> Vec<NewJob> {
    let created = event(
        EventType::Created,
        shipment,
        None,
        &shipment.state,
        cause,
        now(),
    );
    fanout_job(&shipment.tenant_id, vec![created])
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::ToSpan;
    use shipgate_domain::EventSource;
    use shipgate_storage::conformance::{event, sample_shipment};

    fn record(previous: ShipmentState, events: Vec<ShipmentEvent>) -> EventsRecorded {
        let (mut shipment, _) = sample_shipment("ten_1", "AWB1");
        let mut state = previous.clone();
        for e in &events {
            state.apply(e);
        }
        shipment.state = state;
        EventsRecorded {
            previous,
            shipment,
            inserted: events,
            duplicates: 0,
            not_applied: Vec::new(),
            raised_ndrs: Vec::new(),
        }
    }

    fn types(r: &EventsRecorded) -> Vec<String> {
        events_for(r, now())
            .into_iter()
            .map(|e| e.event_type)
            .collect()
    }

    fn at(status: ShipmentStatus, step: i64) -> ShipmentEvent {
        event(
            status,
            Timestamp::UNIX_EPOCH + step.hours(),
            EventSource::CarrierPush,
        )
    }

    fn in_transit() -> ShipmentState {
        let mut s = ShipmentState::default();
        s.apply(&at(ShipmentStatus::InTransit, 0));
        s
    }

    #[test]
    fn each_change_in_a_batch_raises_its_events() {
        use ShipmentStatus as S;
        let r = record(
            in_transit(),
            vec![
                at(S::OutForDelivery, 1),
                at(S::DeliveryFailed, 2),
                at(S::RtoRequested, 3),
                at(S::Held, 4),
                at(S::RtoInTransit, 5),
            ],
        );
        assert_eq!(
            types(&r),
            [
                "shipment.status_changed",
                "shipment.status_changed",
                "shipment.ndr_raised",
                "shipment.status_changed",
                "shipment.rto_initiated",
                "shipment.status_changed",
                "shipment.exception",
                // Back from `held` to the return already under way: no new rto_initiated.
                "shipment.status_changed",
            ]
        );
        let last: WebhookPayload =
            serde_json::from_str(&events_for(&r, now()).last().unwrap().payload).unwrap();
        assert_eq!(
            (
                last.data.status,
                last.data.previous_status,
                last.data.failed_attempts
            ),
            (S::RtoInTransit, Some(S::Held), 1)
        );
    }

    #[test]
    fn no_change_raises_nothing() {
        let r = record(in_transit(), vec![at(ShipmentStatus::InTransit, 1)]);
        assert!(types(&r).is_empty());
        assert!(follow_up(&r).is_empty());
    }

    #[test]
    fn payload_has_the_documented_shape() {
        let r = record(in_transit(), vec![at(ShipmentStatus::Delivered, 1)]);
        let events = events_for(&r, Timestamp::UNIX_EPOCH);
        let body: serde_json::Value = serde_json::from_str(&events[1].payload).unwrap();
        assert_eq!(body["type"], "shipment.delivered");
        assert_eq!(body["timestamp"], "1970-01-01T00:00:00Z");
        assert_eq!(body["data"]["status"], "delivered");
        assert_eq!(body["data"]["previous_status"], "in_transit");
        assert_eq!(body["data"]["customer_bucket"], "delivered");
        assert_eq!(body["data"]["last_event"]["status"], "delivered");
        assert_eq!(body["data"]["awb"], "AWB1");
        assert_eq!(follow_up(&r).len(), 2);
        let created = on_create(&r.shipment, None);
        assert_eq!((created.len(), created[0].kind.as_str()), (1, FANOUT));
        assert_eq!(created[0].payload["events"].as_array().unwrap().len(), 1);
    }
}
