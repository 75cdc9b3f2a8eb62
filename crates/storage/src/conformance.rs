//! The conformance suite every [`Store`](crate::Store) implementation must
//! pass. Each check takes a fresh database URL (see [`crate::testing`]) and
//! is run once per backend by `tests/conformance.rs`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use jiff::{Timestamp, ToSpan};
use shipgate_domain::address::{Address, AddressInput};
use shipgate_domain::money::{Currency, Money};
use shipgate_domain::{
    EventSource, Parcel, PaymentMode, Shipment, ShipmentEvent, ShipmentState, ShipmentStatus,
};

use crate::{
    IdempotencyBegin, JobStatus, NewJob, ShipmentFilter, Store, StoreError, StoredResponse,
    connect, new_id,
};

/// A carrier account of `tenant_id` for `carrier`, stored.
async fn insert_account(
    store: &dyn Store,
    tenant_id: &str,
    carrier: &str,
) -> crate::CarrierAccountRecord {
    let now = crate::now();
    let account = crate::CarrierAccountRecord {
        id: new_id("ca"),
        tenant_id: tenant_id.to_string(),
        carrier: carrier.into(),
        name: carrier.into(),
        base_url: None,
        sealed_credentials: "v1:opaque".into(),
        settings: serde_json::json!({}),
        created_at: now,
        updated_at: now,
    };
    store
        .insert_carrier_account(&account, &audit("carrier_account", "created", &account.id))
        .await
        .unwrap();
    account
}

/// An audit entry by the system for a change to `object_type` `object_id`.
fn audit(object_type: &str, verb: &str, object_id: &str) -> crate::AuditEntry {
    crate::AuditEntry::new(crate::Actor::System, None, object_type, verb, object_id)
}

async fn open(url: &str) -> Arc<dyn Store> {
    let store = connect(url).await.expect("connect");
    store.migrate().await.expect("migrate");
    store
}

fn address(pin: &str) -> Address {
    Address::parse(&AddressInput {
        name: "Asha Rao".into(),
        phone: "9812345678".into(),
        line1: "12 MG Road".into(),
        city: "Bengaluru".into(),
        state: "Karnataka".into(),
        postal_code: pin.into(),
        ..Default::default()
    })
    .expect("valid address")
}

/// A shipment as the API would build it, with its first event.
pub fn sample_shipment(tenant_id: &str, awb: &str) -> (Shipment, ShipmentEvent) {
    let now = Timestamp::from_microsecond(Timestamp::now().as_microsecond()).expect("now");
    let id = new_id("shp");
    let event = event(ShipmentStatus::OrderPlaced, now, EventSource::System);
    let shipment = Shipment {
        id,
        tenant_id: tenant_id.to_string(),
        order_reference: format!("ORD-{awb}"),
        carrier: "fleet".into(),
        carrier_account_id: None,
        awb: awb.to_string(),
        routing_code: Some("560/001".into()),
        allocation: None,
        carrier_facts: Default::default(),
        promise: None,
        pickup: address("110001"),
        consignee: address("560001"),
        return_address: None,
        parcels: vec![Parcel {
            weight_grams: 500,
            length_cm: None,
            width_cm: None,
            height_cm: None,
            description: None,
        }],
        payment_mode: PaymentMode::Cod,
        cod_amount: Some(Money {
            minor_units: 149_900,
            currency: Currency::inr(),
        }),
        declared_value: Money {
            minor_units: 149_900,
            currency: Currency::inr(),
        },
        delivery: Default::default(),
        state: ShipmentState {
            last_event_at: Some(now),
            ..ShipmentState::default()
        },
        created_at: now,
        updated_at: now,
    };
    (shipment, event)
}

pub fn event(status: ShipmentStatus, at: Timestamp, source: EventSource) -> ShipmentEvent {
    ShipmentEvent {
        id: new_id("evt"),
        seq: 0,
        status,
        occurred_at: at,
        recorded_at: at,
        source,
        carrier_code: None,
        description: None,
        location: None,
        ndr_reason: None,
        actor: None,
    }
}

fn no_jobs(_: &crate::EventsRecorded) -> crate::FollowUps {
    crate::FollowUps::default()
}

/// A report of `events` for one shipment, without carrier facts.
fn report(shipment_id: &str, events: Vec<ShipmentEvent>) -> crate::ShipmentReport {
    crate::ShipmentReport {
        shipment_id: shipment_id.to_string(),
        events,
        facts: Default::default(),
    }
}

pub async fn tenants_are_found_by_key_hash_only(url: &str) {
    let store = open(url).await;
    assert_eq!(store.count_tenants().await.unwrap(), 0);
    assert!(store.first_tenant().await.unwrap().is_none());
    let a = store.create_tenant("Acme", "hash-a", "sg_a").await.unwrap();
    let b = store.create_tenant("Bolt", "hash-b", "sg_b").await.unwrap();
    assert_ne!(a.awb_series, b.awb_series);
    assert_eq!(store.first_tenant().await.unwrap().unwrap(), a);
    assert_eq!(
        store
            .tenant_by_api_key_hash("hash-a")
            .await
            .unwrap()
            .unwrap()
            .tenant,
        a
    );
    assert_eq!(
        store
            .tenant_by_api_key_hash("hash-b")
            .await
            .unwrap()
            .unwrap()
            .tenant
            .id,
        b.id
    );
    assert!(
        store
            .tenant_by_api_key_hash("hash-c")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.count_tenants().await.unwrap(), 2);
}

pub async fn secret_keys_are_created_listed_and_revoked_within_their_tenant(url: &str) {
    use crate::ApiKeyRevocation as R;
    let store = open(url).await;
    let a = store
        .create_tenant("Acme", "hash-a", "sg_live_a")
        .await
        .unwrap();
    let b = store
        .create_tenant("Bolt", "hash-b", "sg_live_b")
        .await
        .unwrap();
    let first = store.list_api_keys(&a.id).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(
        (first[0].key_prefix.as_str(), first[0].label.as_deref()),
        ("sg_live_a", None)
    );
    // The only key cannot go.
    assert_eq!(
        store
            .revoke_api_key(
                &a.id,
                &first[0].id,
                &audit("api_key", "revoked", &first[0].id)
            )
            .await
            .unwrap(),
        R::LastKey
    );
    let second = store
        .create_api_key(
            &a.id,
            "hash-a2",
            "sg_live_a2",
            Some("scanner"),
            &audit("api_key", "created", &new_id("key")),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .tenant_by_api_key_hash("hash-a2")
            .await
            .unwrap()
            .map(|o| o.tenant.id),
        Some(a.id.clone())
    );
    let listed = store.list_api_keys(&a.id).await.unwrap();
    assert_eq!(
        listed,
        vec![second.clone(), first[0].clone()],
        "newest first"
    );
    // Another tenant's key is not found from here.
    let b_key = &store.list_api_keys(&b.id).await.unwrap()[0];
    assert_eq!(
        store
            .revoke_api_key(&a.id, &b_key.id, &audit("api_key", "revoked", &b_key.id))
            .await
            .unwrap(),
        R::NotFound
    );
    assert_eq!(
        store
            .revoke_api_key(&b.id, &second.id, &audit("api_key", "revoked", &second.id))
            .await
            .unwrap(),
        R::NotFound
    );
    // Now the first may go; it stops authenticating; revoking again finds nothing.
    assert_eq!(
        store
            .revoke_api_key(
                &a.id,
                &first[0].id,
                &audit("api_key", "revoked", &first[0].id)
            )
            .await
            .unwrap(),
        R::Revoked
    );
    assert!(
        store
            .tenant_by_api_key_hash("hash-a")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .revoke_api_key(
                &a.id,
                &first[0].id,
                &audit("api_key", "revoked", &first[0].id)
            )
            .await
            .unwrap(),
        R::NotFound
    );
    assert_eq!(
        store.list_api_keys(&a.id).await.unwrap(),
        vec![second.clone()]
    );
    assert_eq!(
        store
            .revoke_api_key(&a.id, &second.id, &audit("api_key", "revoked", &second.id))
            .await
            .unwrap(),
        R::LastKey
    );
    assert_eq!(store.list_api_keys(&b.id).await.unwrap().len(), 1);
}

pub async fn publishable_keys_are_found_by_hash_with_their_origins(url: &str) {
    let store = open(url).await;
    let a = store.create_tenant("Acme", "hash-a", "sg_a").await.unwrap();
    let b = store.create_tenant("Bolt", "hash-b", "sg_b").await.unwrap();
    let origins = vec![
        "https://shop.example".to_string(),
        "http://localhost:8080".to_string(),
        "https://shop.example".to_string(),
    ];
    let key = store
        .create_publishable_key(
            &a.id,
            "pub-a",
            "sg_pub_a",
            &origins,
            &audit("publishable_key", "created", &new_id("pk")),
        )
        .await
        .unwrap();
    assert_eq!(
        key.allowed_origins,
        vec!["http://localhost:8080", "https://shop.example"]
    );
    store
        .create_publishable_key(
            &b.id,
            "pub-b",
            "sg_pub_b",
            &["https://bolt.example".into()],
            &audit("publishable_key", "created", &new_id("pk")),
        )
        .await
        .unwrap();
    let (tenant, found) = store
        .publishable_key_by_hash("pub-a")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tenant, a);
    assert_eq!(found, key);
    let (tenant, found) = store
        .publishable_key_by_hash("pub-b")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tenant.id, b.id);
    assert_eq!(found.allowed_origins, vec!["https://bolt.example"]);
    // The two key types do not stand in for each other.
    assert!(
        store
            .publishable_key_by_hash("hash-a")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .tenant_by_api_key_hash("pub-a")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .publishable_origin_known("https://shop.example")
            .await
            .unwrap()
    );
    assert!(
        store
            .publishable_origin_known("https://bolt.example")
            .await
            .unwrap()
    );
    assert!(
        !store
            .publishable_origin_known("https://evil.example")
            .await
            .unwrap()
    );
    assert!(
        !store
            .publishable_origin_known("https://shop.example/")
            .await
            .unwrap()
    );
    // Listed and revoked within the tenant only.
    assert_eq!(
        store.list_publishable_keys(&a.id).await.unwrap(),
        vec![key.clone()]
    );
    assert!(
        !store
            .revoke_publishable_key(
                &b.id,
                &key.id,
                &audit("publishable_key", "revoked", &key.id)
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .publishable_key_by_hash("pub-a")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .revoke_publishable_key(
                &a.id,
                &key.id,
                &audit("publishable_key", "revoked", &key.id)
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .revoke_publishable_key(
                &a.id,
                &key.id,
                &audit("publishable_key", "revoked", &key.id)
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .publishable_key_by_hash("pub-a")
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.list_publishable_keys(&a.id).await.unwrap().is_empty());
    assert_eq!(store.list_publishable_keys(&b.id).await.unwrap().len(), 1);
}

pub async fn awb_serials_are_never_issued_twice(url: &str) {
    // Two independent pools stand in for two Shipgate processes.
    let (one, two) = (open(url).await, connect(url).await.unwrap());
    let tenant = one.create_tenant("Acme", "h", "p").await.unwrap();
    let other = one.create_tenant("Bolt", "h2", "p2").await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..100 {
        let store = if i % 2 == 0 { one.clone() } else { two.clone() };
        let tenant_id = tenant.id.clone();
        tasks.push(tokio::spawn(async move {
            store.next_awb_serial(&tenant_id, "fleet").await.unwrap()
        }));
    }
    let mut serials = HashSet::new();
    for t in tasks {
        assert!(serials.insert(t.await.unwrap()), "serial issued twice");
    }
    assert_eq!(serials, (1..=100).collect());
    // Each tenant has its own series.
    assert_eq!(one.next_awb_serial(&other.id, "fleet").await.unwrap(), 1);
}

pub async fn shipments_round_trip_within_their_tenant(url: &str) {
    let store = open(url).await;
    let a = store.create_tenant("Acme", "ha", "pa").await.unwrap();
    let b = store.create_tenant("Bolt", "hb", "pb").await.unwrap();
    let (shipment, first) = sample_shipment(&a.id, "SG0001000000017");
    store
        .insert_shipment(&shipment, &[first], &[])
        .await
        .unwrap();
    assert_eq!(
        store.shipment(&a.id, &shipment.id).await.unwrap().unwrap(),
        shipment
    );
    assert_eq!(
        store
            .shipment_by_awb(&a.id, "fleet", &shipment.awb)
            .await
            .unwrap()
            .unwrap()
            .id,
        shipment.id
    );
    let awbs = vec![shipment.awb.clone(), "NOPE".to_string()];
    assert_eq!(
        store
            .shipment_ids_by_awbs(&a.id, "fleet", &awbs)
            .await
            .unwrap(),
        vec![(shipment.awb.clone(), shipment.id.clone())]
    );
    assert!(
        store
            .shipment_ids_by_awbs(&b.id, "fleet", &awbs)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.shipment(&b.id, &shipment.id).await.unwrap().is_none());
    assert!(
        store
            .shipment_by_awb(&b.id, "fleet", &shipment.awb)
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.events(&b.id, &shipment.id).await.unwrap().is_empty());
    assert_eq!(store.events(&a.id, &shipment.id).await.unwrap().len(), 1);
    // Only the public tracking page looks across tenants, by AWB alone.
    let public = store
        .shipments_by_awb_any_tenant(&shipment.awb)
        .await
        .unwrap();
    assert_eq!(
        public.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        [shipment.id.as_str()]
    );
    assert!(
        store
            .shipments_by_awb_any_tenant("NOPE")
            .await
            .unwrap()
            .is_empty()
    );
    let page = store
        .list_shipments(&b.id, &ShipmentFilter::default(), None, 10)
        .await
        .unwrap();
    assert!(page.items.is_empty());
}

pub async fn an_awb_is_used_once_per_carrier(url: &str) {
    let store = open(url).await;
    let a = store.create_tenant("Acme", "ha", "pa").await.unwrap();
    let (first, e1) = sample_shipment(&a.id, "SG0001000000017");
    let (second, e2) = sample_shipment(&a.id, "SG0001000000017");
    store.insert_shipment(&first, &[e1], &[]).await.unwrap();
    let err = store
        .insert_shipment(&second, &[e2], &[])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert!(
        store.shipment(&a.id, &second.id).await.unwrap().is_none(),
        "nothing of the failed insert remains"
    );
}

pub async fn lists_page_newest_first(url: &str) {
    let store = open(url).await;
    let a = store.create_tenant("Acme", "ha", "pa").await.unwrap();
    let mut ids = Vec::new();
    for i in 0..7 {
        let (s, e) = sample_shipment(&a.id, &format!("AWB{i}"));
        store.insert_shipment(&s, &[e], &[]).await.unwrap();
        ids.push(s.id);
    }
    ids.reverse();
    let mut seen = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let page = store
            .list_shipments(&a.id, &ShipmentFilter::default(), after.as_deref(), 3)
            .await
            .unwrap();
        pages += 1;
        seen.extend(page.items.iter().map(|s| s.id.clone()));
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ids);
    let filtered = ShipmentFilter {
        awb: Some("AWB3".into()),
        ..Default::default()
    };
    assert_eq!(
        store
            .list_shipments(&a.id, &filtered, None, 10)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    let delivered = ShipmentFilter {
        status: Some(ShipmentStatus::Delivered),
        ..Default::default()
    };
    assert!(
        store
            .list_shipments(&a.id, &delivered, None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

pub async fn events_are_deduplicated_and_folded(url: &str) {
    let store = open(url).await;
    let a = store.create_tenant("Acme", "ha", "pa").await.unwrap();
    let b = store.create_tenant("Bolt", "hb", "pb").await.unwrap();
    let (s, first) = sample_shipment(&a.id, "AWB1");
    let t0 = s.created_at;
    store.insert_shipment(&s, &[first], &[]).await.unwrap();

    let picked = event(
        ShipmentStatus::PickedUp,
        t0 + 1.hour(),
        EventSource::FleetScan,
    );
    let delivered = event(
        ShipmentStatus::Delivered,
        t0 + 5.hours(),
        EventSource::FleetScan,
    );
    let out = store
        .record_events(&a.id, &s.id, &[picked.clone(), delivered], &no_jobs)
        .await
        .unwrap();
    assert_eq!(out.previous.status, ShipmentStatus::OrderPlaced);
    assert_eq!(out.shipment.state.status, ShipmentStatus::Delivered);
    assert_eq!(out.inserted.len(), 2);

    // The same report again (new id, same code and time) is a duplicate.
    let again = ShipmentEvent {
        id: new_id("evt"),
        ..picked
    };
    let out = store
        .record_events(&a.id, &s.id, &[again], &no_jobs)
        .await
        .unwrap();
    assert_eq!((out.inserted.len(), out.duplicates), (0, 1));

    // An illegal transition is kept but moves nothing.
    let late = event(
        ShipmentStatus::PickedUp,
        t0 + 6.hours(),
        EventSource::FleetScan,
    );
    let out = store
        .record_events(&a.id, &s.id, &[late], &no_jobs)
        .await
        .unwrap();
    assert_eq!(out.inserted.len(), 1);
    assert_eq!(out.not_applied, [out.inserted[0].id.clone()]);
    assert_eq!(out.shipment.state.status, ShipmentStatus::Delivered);
    assert_eq!(
        store
            .shipment(&a.id, &s.id)
            .await
            .unwrap()
            .unwrap()
            .state
            .status,
        ShipmentStatus::Delivered
    );
    assert_eq!(store.events(&a.id, &s.id).await.unwrap().len(), 4);

    let err = store
        .record_events(
            &b.id,
            &s.id,
            &[event(ShipmentStatus::Lost, t0, EventSource::FleetScan)],
            &no_jobs,
        )
        .await;
    assert!(matches!(err, Err(StoreError::NotFound)));
}

pub async fn follow_up_jobs_commit_with_their_events(url: &str) {
    let store = open(url).await;
    let a = store.create_tenant("Acme", "ha", "pa").await.unwrap();
    let (s, first) = sample_shipment(&a.id, "AWB1");
    let creation_job = NewJob::now(
        "shipment.created",
        Some(a.id.clone()),
        serde_json::json!({"id": s.id}),
    );
    store
        .insert_shipment(&s, &[first], &[creation_job])
        .await
        .unwrap();
    let endpoint = webhook_endpoint(&a.id, &["shipment.status_changed"]);
    store
        .insert_webhook_endpoint(
            &endpoint,
            &audit("webhook_endpoint", "created", &endpoint.id),
        )
        .await
        .unwrap();
    let changed = |r: &crate::EventsRecorded| crate::FollowUps {
        jobs: vec![NewJob::now(
            "shipment.status_changed",
            Some(r.shipment.tenant_id.clone()),
            serde_json::json!({"from": r.previous.status, "to": r.shipment.state.status}),
        )],
        webhooks: vec![webhook_event("shipment.status_changed")],
    };
    let scan = event(
        ShipmentStatus::PickedUp,
        s.created_at + 1.hour(),
        EventSource::FleetScan,
    );
    store
        .record_events(&a.id, &s.id, &[scan], &changed)
        .await
        .unwrap();
    let jobs = store
        .claim_jobs("w", 10, Duration::from_secs(30))
        .await
        .unwrap();
    let kinds: HashSet<_> = jobs.iter().map(|j| j.kind.as_str()).collect();
    assert_eq!(
        kinds,
        HashSet::from(["shipment.created", "shipment.status_changed"])
    );
    let changed_job = jobs
        .iter()
        .find(|j| j.kind == "shipment.status_changed")
        .unwrap();
    assert_eq!(
        changed_job.payload,
        serde_json::json!({"from": "order_placed", "to": "picked_up"})
    );
    // The webhook outbox too: the endpoint's message is there, due now.
    let outbox = store
        .claim_webhook_messages("w", 10, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(
        (
            outbox[0].message.endpoint_id.as_str(),
            outbox[0].message.event_type.as_str()
        ),
        (endpoint.id.as_str(), "shipment.status_changed")
    );
}

pub async fn concurrent_recorders_lose_no_event(url: &str) {
    let (one, two) = (open(url).await, connect(url).await.unwrap());
    let a = one.create_tenant("Acme", "ha", "pa").await.unwrap();
    let (s, first) = sample_shipment(&a.id, "AWB1");
    one.insert_shipment(&s, &[first], &[]).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = if i % 2 == 0 { one.clone() } else { two.clone() };
        let (tenant, id) = (a.id.clone(), s.id.clone());
        let scan = event(
            ShipmentStatus::InTransit,
            s.created_at + (i + 1).minutes(),
            EventSource::CarrierPush,
        );
        tasks.push(tokio::spawn(async move {
            store
                .record_events(&tenant, &id, &[scan], &no_jobs)
                .await
                .unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let stored = one.shipment(&a.id, &s.id).await.unwrap().unwrap();
    assert_eq!(one.events(&a.id, &s.id).await.unwrap().len(), 21);
    assert_eq!(stored.state.status, ShipmentStatus::InTransit);
    assert_eq!(
        stored.state.last_event_at,
        Some(s.created_at + 20.minutes())
    );
}

pub async fn idempotency_keys_replay_and_guard(url: &str) {
    let store = open(url).await;
    let a = store.create_tenant("Acme", "ha", "pa").await.unwrap();
    let b = store.create_tenant("Bolt", "hb", "pb").await.unwrap();
    let lock = Duration::from_secs(60);
    assert_eq!(
        store
            .idempotency_begin(&a.id, "k1", "fp1", lock)
            .await
            .unwrap(),
        IdempotencyBegin::Started
    );
    assert_eq!(
        store
            .idempotency_begin(&a.id, "k1", "fp1", lock)
            .await
            .unwrap(),
        IdempotencyBegin::InProgress
    );
    assert_eq!(
        store
            .idempotency_begin(&a.id, "k1", "fp2", lock)
            .await
            .unwrap(),
        IdempotencyBegin::Mismatch
    );
    // Keys are per tenant.
    assert_eq!(
        store
            .idempotency_begin(&b.id, "k1", "fp9", lock)
            .await
            .unwrap(),
        IdempotencyBegin::Started
    );
    let response = StoredResponse {
        status: 201,
        content_type: "application/json".into(),
        body: b"{\"id\":1}".to_vec(),
    };
    store
        .idempotency_complete(&a.id, "k1", &response)
        .await
        .unwrap();
    assert_eq!(
        store
            .idempotency_begin(&a.id, "k1", "fp1", lock)
            .await
            .unwrap(),
        IdempotencyBegin::Replay(response)
    );
    assert_eq!(
        store
            .idempotency_begin(&a.id, "k1", "fp2", lock)
            .await
            .unwrap(),
        IdempotencyBegin::Mismatch
    );

    // A failed request gives its key back; a crashed one loses it when its lock expires.
    assert_eq!(
        store
            .idempotency_begin(&a.id, "k2", "fp", lock)
            .await
            .unwrap(),
        IdempotencyBegin::Started
    );
    store.idempotency_abandon(&a.id, "k2").await.unwrap();
    assert_eq!(
        store
            .idempotency_begin(&a.id, "k2", "fp", Duration::ZERO)
            .await
            .unwrap(),
        IdempotencyBegin::Started
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(
        store
            .idempotency_begin(&a.id, "k2", "fp", lock)
            .await
            .unwrap(),
        IdempotencyBegin::Started
    );
    assert_eq!(
        store
            .idempotency_begin(&a.id, "k2", "fp", lock)
            .await
            .unwrap(),
        IdempotencyBegin::InProgress
    );
}

pub async fn jobs_follow_their_lifecycle(url: &str) {
    let store = open(url).await;
    let lease = Duration::from_secs(30);
    let mut job = NewJob::now("test.kind", None, serde_json::json!({"n": 1}));
    job.max_attempts = 2;
    let id = store.enqueue_job(&job).await.unwrap();
    let depth = store.queue_depth().await.unwrap();
    assert_eq!(
        (depth.jobs_due, depth.jobs_lease_expired, depth.jobs_dead),
        (1, 0, 0)
    );

    let claimed = store.claim_jobs("w1", 10, lease).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(store.queue_depth().await.unwrap().jobs_due, 0);
    assert_eq!(
        (
            claimed[0].id.as_str(),
            claimed[0].attempts,
            claimed[0].status
        ),
        (id.as_str(), 1, JobStatus::Running)
    );
    assert!(
        store.claim_jobs("w2", 10, lease).await.unwrap().is_empty(),
        "a held job is not handed out again"
    );
    assert!(
        !store.complete_job(&id, "w2").await.unwrap(),
        "only the holder completes"
    );
    assert!(
        store
            .complete_jobs(std::slice::from_ref(&id), "w2")
            .await
            .unwrap()
            .is_empty(),
        "only the holder completes, in batches too"
    );

    // A failure schedules a retry, not before it is due.
    let later = Timestamp::now() + 1.hour();
    assert!(
        store
            .fail_job(&id, "w1", "carrier timed out", later)
            .await
            .unwrap()
    );
    let stored = store.job(&id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.last_error.as_deref()),
        (JobStatus::Pending, Some("carrier timed out"))
    );
    assert!(store.claim_jobs("w1", 10, lease).await.unwrap().is_empty());

    // Out of attempts: dead, never retried.
    let due = store
        .enqueue_job(&NewJob {
            max_attempts: 1,
            ..job.clone()
        })
        .await
        .unwrap();
    assert_eq!(store.claim_jobs("w1", 10, lease).await.unwrap()[0].id, due);
    store
        .fail_job(&due, "w1", "boom", Timestamp::now())
        .await
        .unwrap();
    assert_eq!(
        store.job(&due).await.unwrap().unwrap().status,
        JobStatus::Dead
    );
    assert_eq!(store.queue_depth().await.unwrap().jobs_dead, 1);
    assert!(store.claim_jobs("w1", 10, lease).await.unwrap().is_empty());

    // A worker that dies loses its lease; another takes the job over and the
    // first can no longer complete it.
    let orphan = store.enqueue_job(&job).await.unwrap();
    assert_eq!(
        store.claim_jobs("w1", 10, Duration::ZERO).await.unwrap()[0].id,
        orphan
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(
        store.queue_depth().await.unwrap().jobs_lease_expired,
        1,
        "a dead worker's job shows until it is taken over"
    );
    let taken = store.claim_jobs("w2", 10, lease).await.unwrap();
    assert_eq!(
        (taken[0].id.as_str(), taken[0].attempts),
        (orphan.as_str(), 2)
    );
    assert!(!store.complete_job(&orphan, "w1").await.unwrap());
    assert!(store.complete_job(&orphan, "w2").await.unwrap());
    assert_eq!(
        store.job(&orphan).await.unwrap().unwrap().status,
        JobStatus::Done
    );
}

pub async fn concurrent_workers_never_share_a_job(url: &str) {
    let first = open(url).await;
    for i in 0..200 {
        first
            .enqueue_job(&NewJob::now("test.kind", None, serde_json::json!({"i": i})))
            .await
            .unwrap();
    }
    // Four workers, each with its own pool, like four Shipgate processes.
    let mut workers = Vec::new();
    for w in 0..4 {
        let store = connect(url).await.unwrap();
        workers.push(tokio::spawn(async move {
            let name = format!("worker-{w}");
            let mut done = Vec::new();
            loop {
                let jobs = store
                    .claim_jobs(&name, 7, Duration::from_secs(60))
                    .await
                    .unwrap();
                if jobs.is_empty() {
                    break done;
                }
                for job in jobs {
                    assert!(store.complete_job(&job.id, &name).await.unwrap());
                    done.push(job.id);
                }
            }
        }));
    }
    let mut all = HashSet::new();
    for w in workers {
        for id in w.await.unwrap() {
            assert!(all.insert(id), "a job ran twice");
        }
    }
    assert_eq!(all.len(), 200);
}

pub async fn carrier_accounts_stay_within_their_tenant(url: &str) {
    let store = open(url).await;
    let a = store.create_tenant("Acme", "ha", "pa").await.unwrap();
    let b = store.create_tenant("Bolt", "hb", "pb").await.unwrap();
    let now = crate::now();
    let mut ids = Vec::new();
    for i in 0..3 {
        let record = crate::CarrierAccountRecord {
            id: new_id("ca"),
            tenant_id: a.id.clone(),
            carrier: "delhivery".into(),
            name: format!("Delhivery {i}"),
            base_url: (i > 0).then(|| "https://track.delhivery.com".to_string()),
            sealed_credentials: "v1:opaque".into(),
            settings: serde_json::json!({"pickup_location": "Main"}),
            created_at: now,
            updated_at: now,
        };
        store
            .insert_carrier_account(&record, &audit("carrier_account", "created", &record.id))
            .await
            .unwrap();
        assert_eq!(
            store
                .carrier_account(&a.id, &record.id)
                .await
                .unwrap()
                .unwrap(),
            record
        );
        assert!(
            store
                .carrier_account(&b.id, &record.id)
                .await
                .unwrap()
                .is_none()
        );
        ids.push(record.id);
    }
    let first = store.list_carrier_accounts(&a.id, None, 2).await.unwrap();
    assert_eq!(first.items.len(), 2);
    let rest = store
        .list_carrier_accounts(&a.id, first.next_after.as_deref(), 2)
        .await
        .unwrap();
    assert_eq!((rest.items.len(), rest.next_after), (1, None));
    assert!(
        store
            .list_carrier_accounts(&b.id, None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );

    // A shipment booked through an account keeps the link and its routing code.
    let (mut shipment, first_event) = sample_shipment(&a.id, "AWB-CA");
    shipment.carrier = "delhivery".into();
    shipment.carrier_account_id = Some(ids[0].clone());
    store
        .insert_shipment(&shipment, &[first_event], &[])
        .await
        .unwrap();
    assert_eq!(
        store.shipment(&a.id, &shipment.id).await.unwrap().unwrap(),
        shipment
    );
}

pub async fn carrier_pushes_are_kept_with_their_job(url: &str) {
    let store = open(url).await;
    let a = store.create_tenant("Acme", "ha", "pa").await.unwrap();
    let now = crate::now();
    let account = insert_account(store.as_ref(), &a.id, "delhivery").await;
    assert_eq!(
        store
            .carrier_account_by_id(&account.id)
            .await
            .unwrap()
            .unwrap()
            .tenant_id,
        a.id
    );
    assert!(
        store
            .carrier_account_by_id("ca_nope")
            .await
            .unwrap()
            .is_none()
    );

    let push = crate::CarrierPush {
        id: new_id("push"),
        tenant_id: a.id.clone(),
        carrier_account_id: account.id.clone(),
        received_at: now,
        headers: vec![("content-type".into(), "application/json".into())],
        body: b"{\"Shipment\":{}}".to_vec(),
        status: crate::PushStatus::Received,
        error: None,
    };
    let job = NewJob::now(
        "carrier_push.apply",
        Some(a.id.clone()),
        serde_json::json!({"push_id": push.id}),
    );
    store.insert_carrier_push(&push, &job).await.unwrap();
    assert_eq!(store.carrier_push(&push.id).await.unwrap().unwrap(), push);
    let claimed = store
        .claim_jobs("w", 10, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(claimed[0].payload["push_id"], push.id.as_str());
    store
        .finish_carrier_push(&push.id, crate::PushStatus::Failed, Some("malformed"))
        .await
        .unwrap();
    let stored = store.carrier_push(&push.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.error.as_deref()),
        (crate::PushStatus::Failed, Some("malformed"))
    );
    // Pushes applied together are finished together; their jobs too.
    let second = crate::CarrierPush {
        id: new_id("push"),
        ..push.clone()
    };
    store.insert_carrier_push(&second, &job).await.unwrap();
    let ids = vec![push.id.clone(), second.id.clone()];
    let mut both = store
        .carrier_pushes(&[ids.clone(), vec!["push_nope".into()]].concat())
        .await
        .unwrap();
    both.sort_by(|a, b| a.id.cmp(&b.id));
    let mut expected = vec![stored.clone(), second.clone()];
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(both, expected, "pushes read in one query");
    store
        .finish_carrier_pushes(&ids, crate::PushStatus::Applied)
        .await
        .unwrap();
    for id in &ids {
        let stored = store.carrier_push(id).await.unwrap().unwrap();
        assert_eq!(
            (stored.status, stored.error),
            (crate::PushStatus::Applied, None)
        );
    }
    let jobs: Vec<String> = store
        .claim_jobs("w", 10, Duration::from_secs(30))
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.id)
        .chain([claimed[0].id.clone(), "job_unknown".to_string()])
        .collect();
    let mut done = store.complete_jobs(&jobs, "w").await.unwrap();
    done.sort();
    let mut held = jobs[..2].to_vec();
    held.sort();
    assert_eq!(done, held, "the jobs the worker held, and only those");

    let code = crate::UnknownCode {
        carrier: "delhivery".into(),
        code: "X-NEW".into(),
        description: "Something new".into(),
        example_awb: "123".into(),
        seen_count: 0,
    };
    store.flag_unknown_code(&a.id, &code).await.unwrap();
    store.flag_unknown_code(&a.id, &code).await.unwrap();
    let flagged = store.unknown_codes(&a.id).await.unwrap();
    assert_eq!(
        (
            flagged.len(),
            flagged[0].code.as_str(),
            flagged[0].seen_count
        ),
        (1, "X-NEW", 2)
    );
}

pub async fn polls_are_claimed_once_and_follow_the_status(url: &str) {
    let (one, two) = (open(url).await, connect(url).await.unwrap());
    let a = one.create_tenant("Acme", "ha", "pa").await.unwrap();
    let now = crate::now();
    let account = insert_account(one.as_ref(), &a.id, "delhivery").await;
    let (mut carried, e1) = sample_shipment(&a.id, "AWB-POLL");
    carried.carrier = "delhivery".into();
    carried.carrier_account_id = Some(account.id.clone());
    one.insert_shipment(&carried, &[e1], &[]).await.unwrap();
    let (fleet, e2) = sample_shipment(&a.id, "AWB-FLEET");
    one.insert_shipment(&fleet, &[e2], &[]).await.unwrap();

    // Not due yet: the first poll waits for the status's interval.
    assert!(
        one.claim_due_polls(10, Duration::from_secs(60))
            .await
            .unwrap()
            .is_empty()
    );
    one.schedule_poll(&carried.id, Some(now - 1.second()))
        .await
        .unwrap();
    one.schedule_poll(&fleet.id, Some(now - 1.second()))
        .await
        .unwrap();
    let lease = Duration::from_secs(60);
    let (x, y) = tokio::join!(
        one.claim_due_polls(10, lease),
        two.claim_due_polls(10, lease)
    );
    let claimed: Vec<_> = x.unwrap().into_iter().chain(y.unwrap()).collect();
    assert_eq!(
        claimed.len(),
        1,
        "claimed once, and never the fleet's shipment"
    );
    assert_eq!(
        (claimed[0].shipment_id.as_str(), claimed[0].awb.as_str()),
        (carried.id.as_str(), "AWB-POLL")
    );
    assert!(
        one.claim_due_polls(10, lease).await.unwrap().is_empty(),
        "leased"
    );

    // A terminal status stops polling.
    one.schedule_poll(&carried.id, Some(now - 1.second()))
        .await
        .unwrap();
    let delivered = event(
        ShipmentStatus::Delivered,
        now + 1.hour(),
        EventSource::CarrierPull,
    );
    let picked = event(
        ShipmentStatus::PickedUp,
        now + 1.minute(),
        EventSource::CarrierPull,
    );
    one.record_events(&a.id, &carried.id, &[picked, delivered], &no_jobs)
        .await
        .unwrap();
    assert!(one.claim_due_polls(10, lease).await.unwrap().is_empty());
}

pub async fn pooled_awbs_are_handed_out_once(url: &str) {
    let (one, two) = (open(url).await, connect(url).await.unwrap());
    let a = one.create_tenant("Acme", "ha", "pa").await.unwrap();
    let account = insert_account(one.as_ref(), &a.id, "ecom_express").await;
    let awbs: Vec<String> = (0..200)
        .map(|i| format!("{:09}", 100_000_000 + i))
        .collect();
    assert_eq!(one.add_pool_awbs(&account.id, &awbs).await.unwrap(), 200);
    assert_eq!(
        one.add_pool_awbs(&account.id, &awbs[..10]).await.unwrap(),
        0,
        "a fetched AWB is pooled once"
    );
    assert_eq!(one.pool_available(&account.id).await.unwrap(), 200);
    let mut tasks = Vec::new();
    for i in 0..220 {
        let store = if i % 2 == 0 { one.clone() } else { two.clone() };
        let id = account.id.clone();
        tasks.push(tokio::spawn(async move {
            store.take_pool_awb(&id).await.unwrap()
        }));
    }
    let mut taken = HashSet::new();
    let mut empty = 0;
    for t in tasks {
        match t.await.unwrap() {
            Some(awb) => assert!(taken.insert(awb), "an AWB was handed out twice"),
            None => empty += 1,
        }
    }
    assert_eq!((taken.len(), empty), (200, 20));
    assert_eq!(one.pool_available(&account.id).await.unwrap(), 0);

    // Released (the carrier refused the booking): back in the pool, once.
    let mut taken = taken.into_iter();
    let unused = taken.next().unwrap();
    assert!(one.release_pool_awb(&account.id, &unused).await.unwrap());
    assert!(!one.release_pool_awb(&account.id, &unused).await.unwrap());
    assert_eq!(one.pool_available(&account.id).await.unwrap(), 1);
    // One a shipment carries never goes back.
    let used = taken.next().unwrap();
    let (mut s, e) = sample_shipment(&a.id, &used);
    s.carrier = "ecom_express".into();
    s.carrier_account_id = Some(account.id.clone());
    one.insert_shipment(&s, &[e], &[]).await.unwrap();
    assert!(!one.release_pool_awb(&account.id, &used).await.unwrap());
    assert_eq!(one.pool_available(&account.id).await.unwrap(), 1);
}

pub async fn tenant_settings_and_lane_outcomes(url: &str) {
    let store = open(url).await;
    let a = store.create_tenant("Acme", "ha", "pa").await.unwrap();
    let b = store.create_tenant("Bolt", "hb", "pb").await.unwrap();
    assert!(
        store
            .tenant_setting(&a.id, "allocation_rules")
            .await
            .unwrap()
            .is_none()
    );
    let rules = serde_json::json!({"rules": [{"name": "x"}]});
    store
        .set_tenant_setting(
            &a.id,
            "allocation_rules",
            &rules,
            &audit("allocation_rules", "replaced", &a.id),
        )
        .await
        .unwrap();
    store
        .set_tenant_setting(
            &a.id,
            "allocation_rules",
            &rules,
            &audit("allocation_rules", "replaced", &a.id),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .tenant_setting(&a.id, "allocation_rules")
            .await
            .unwrap(),
        Some(rules)
    );
    assert!(
        store
            .tenant_setting(&b.id, "allocation_rules")
            .await
            .unwrap()
            .is_none()
    );

    let account = insert_account(store.as_ref(), &a.id, "delhivery").await;
    for (i, outcome) in [
        ShipmentStatus::Delivered,
        ShipmentStatus::Delivered,
        ShipmentStatus::RtoDelivered,
        ShipmentStatus::InTransit,
    ]
    .iter()
    .enumerate()
    {
        let (mut s, e) = sample_shipment(&a.id, &format!("LANE-{i}"));
        s.carrier = "delhivery".into();
        s.carrier_account_id = Some(account.id.clone());
        s.state.status = *outcome;
        store.insert_shipment(&s, &[e], &[]).await.unwrap();
    }
    let lanes = store.lane_outcomes(&a.id, "560").await.unwrap();
    assert_eq!(
        lanes,
        vec![crate::LaneOutcome {
            carrier_account_id: account.id.clone(),
            finished: 3,
            returned: 1
        }]
    );
    assert!(store.lane_outcomes(&a.id, "110").await.unwrap().is_empty());
    assert!(store.lane_outcomes(&b.id, "560").await.unwrap().is_empty());
}

fn webhook_endpoint(tenant_id: &str, types: &[&str]) -> crate::WebhookEndpoint {
    let now = crate::now();
    crate::WebhookEndpoint {
        id: new_id("we"),
        tenant_id: tenant_id.to_string(),
        url: "https://merchant.example/hooks".into(),
        description: Some("orders".into()),
        event_types: types.iter().map(|t| t.to_string()).collect(),
        enabled: true,
        disabled_reason: None,
        sealed_secret: "v1:sealed".into(),
        sealed_previous_secret: None,
        previous_secret_expires_at: None,
        failing_since: None,
        created_at: now,
        updated_at: now,
    }
}

fn webhook_event(event_type: &str) -> crate::WebhookEvent {
    crate::WebhookEvent {
        key: new_id("wev"),
        event_type: event_type.into(),
        payload: format!("{{\"type\":\"{event_type}\"}}"),
    }
}

fn replay_job(m: &crate::WebhookMessage) -> NewJob {
    NewJob::now(
        "webhook.deliver",
        Some(m.tenant_id.clone()),
        serde_json::json!({"message_id": m.id}),
    )
}

fn attempt(message_id: &str, job_id: &str, code: Option<u16>) -> crate::WebhookAttempt {
    crate::WebhookAttempt {
        message_id: message_id.into(),
        attempt: 0,
        job_id: job_id.into(),
        trigger: "scheduled".into(),
        started_at: crate::now(),
        status_code: code,
        latency_ms: 12,
        response_excerpt: Some("nope".into()),
        error: code.is_none().then(|| "connection refused".to_string()),
        next_attempt_at: None,
    }
}

fn outcome(attempt: crate::WebhookAttempt, retry: Option<NewJob>) -> crate::AttemptOutcome {
    crate::AttemptOutcome {
        delivered: attempt.status_code.is_some_and(|c| (200..300).contains(&c)),
        attempt,
        replay: false,
        retry,
        // Far in the past: the streak is never that long here unless a check says so.
        disable_if_failing_since: Timestamp::UNIX_EPOCH,
        disable_reason: "failing for 5 days".into(),
    }
}

pub async fn webhook_endpoints_stay_within_their_tenant(url: &str) {
    let store = open(url).await;
    let a = store.create_tenant("Acme", "ha", "pa").await.unwrap();
    let b = store.create_tenant("Bolt", "hb", "pb").await.unwrap();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let e = webhook_endpoint(&a.id, &["shipment.created", "shipment.delivered"]);
        store
            .insert_webhook_endpoint(&e, &audit("webhook_endpoint", "created", &e.id))
            .await
            .unwrap();
        assert_eq!(
            store.webhook_endpoint(&a.id, &e.id).await.unwrap().unwrap(),
            e
        );
        assert!(
            store
                .webhook_endpoint(&b.id, &e.id)
                .await
                .unwrap()
                .is_none()
        );
        ids.push(e.id);
    }
    ids.reverse();
    let first = store.list_webhook_endpoints(&a.id, None, 2).await.unwrap();
    let rest = store
        .list_webhook_endpoints(&a.id, first.next_after.as_deref(), 2)
        .await
        .unwrap();
    let listed: Vec<_> = first
        .items
        .iter()
        .chain(&rest.items)
        .map(|e| e.id.clone())
        .collect();
    assert_eq!((listed, rest.next_after), (ids.clone(), None));
    assert!(
        store
            .list_webhook_endpoints(&b.id, None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );

    // Updates write what the merchant may change, within the tenant only.
    let mut e = store
        .webhook_endpoint(&a.id, &ids[0])
        .await
        .unwrap()
        .unwrap();
    e.url = "https://merchant.example/v2".into();
    e.event_types = vec!["shipment.cancelled".into()];
    e.enabled = false;
    e.sealed_previous_secret = Some("v1:old".into());
    e.previous_secret_expires_at = Some(crate::now() + 24.hours());
    store
        .update_webhook_endpoint(&e, &audit("webhook_endpoint", "updated", &e.id))
        .await
        .unwrap();
    assert_eq!(
        store.webhook_endpoint(&a.id, &e.id).await.unwrap().unwrap(),
        e
    );
    let foreign = crate::WebhookEndpoint {
        tenant_id: b.id.clone(),
        ..e.clone()
    };
    assert!(matches!(
        store
            .update_webhook_endpoint(&foreign, &audit("webhook_endpoint", "updated", &foreign.id))
            .await,
        Err(StoreError::NotFound)
    ));

    assert!(
        !store
            .delete_webhook_endpoint(&b.id, &e.id, &audit("webhook_endpoint", "deleted", &e.id))
            .await
            .unwrap()
    );
    assert!(
        store
            .delete_webhook_endpoint(&a.id, &e.id, &audit("webhook_endpoint", "deleted", &e.id))
            .await
            .unwrap()
    );
    assert!(
        store
            .webhook_endpoint(&a.id, &e.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !store
            .delete_webhook_endpoint(&a.id, &e.id, &audit("webhook_endpoint", "deleted", &e.id))
            .await
            .unwrap()
    );
}

pub async fn webhook_events_fan_out_once_per_subscribed_endpoint(url: &str) {
    let store = open(url).await;
    let a = store.create_tenant("Acme", "ha", "pa").await.unwrap();
    let b = store.create_tenant("Bolt", "hb", "pb").await.unwrap();
    let created = webhook_endpoint(&a.id, &["shipment.created"]);
    let both = webhook_endpoint(&a.id, &["shipment.created", "shipment.delivered"]);
    let disabled = crate::WebhookEndpoint {
        enabled: false,
        ..webhook_endpoint(&a.id, &["shipment.created"])
    };
    let other_tenant = webhook_endpoint(&b.id, &["shipment.created"]);
    for e in [&created, &both, &disabled, &other_tenant] {
        store
            .insert_webhook_endpoint(e, &audit("webhook_endpoint", "created", &e.id))
            .await
            .unwrap();
    }
    let events = [
        webhook_event("shipment.created"),
        webhook_event("shipment.delivered"),
    ];
    let messages = store.fan_out_webhook_events(&a.id, &events).await.unwrap();
    let mut got: Vec<_> = messages
        .iter()
        .map(|m| (m.endpoint_id.clone(), m.event_type.clone()))
        .collect();
    got.sort();
    let mut want = vec![
        (created.id.clone(), "shipment.created".to_string()),
        (both.id.clone(), "shipment.created".to_string()),
        (both.id.clone(), "shipment.delivered".to_string()),
    ];
    want.sort();
    assert_eq!(got, want);
    // Each message is due at once in the outbox.
    let stored = store
        .webhook_message(&a.id, &messages[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, messages[0]);
    assert!(stored.next_attempt_at.is_some_and(|t| t <= crate::now()));

    // The same events again (a fan-out job run twice) add nothing.
    assert!(
        store
            .fan_out_webhook_events(&a.id, &events)
            .await
            .unwrap()
            .is_empty()
    );

    assert_eq!(stored.status, crate::WebhookMessageStatus::Pending);
    assert!(
        store
            .webhook_message(&b.id, &messages[0].id)
            .await
            .unwrap()
            .is_none()
    );

    // An endpoint's messages page newest first, each with its attempts.
    for _ in 0..3 {
        store
            .fan_out_webhook_events(&a.id, &[webhook_event("shipment.delivered")])
            .await
            .unwrap();
    }
    let first = store
        .list_webhook_messages(&a.id, &both.id, None, 3)
        .await
        .unwrap();
    let rest = store
        .list_webhook_messages(&a.id, &both.id, first.next_after.as_deref(), 3)
        .await
        .unwrap();
    let listed: Vec<_> = first
        .items
        .iter()
        .chain(&rest.items)
        .map(|m| m.id.clone())
        .collect();
    assert_eq!(listed.len(), 5);
    assert!(listed.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert!(rest.next_after.is_none());
    assert!(
        store
            .list_webhook_messages(&b.id, &both.id, None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

pub async fn webhook_attempts_follow_the_schedule(url: &str) {
    let store = open(url).await;
    let a = store.create_tenant("Acme", "ha", "pa").await.unwrap();
    let endpoint = webhook_endpoint(&a.id, &["shipment.created"]);
    store
        .insert_webhook_endpoint(
            &endpoint,
            &audit("webhook_endpoint", "created", &endpoint.id),
        )
        .await
        .unwrap();
    let fan_out = |n: usize| {
        let store = store.clone();
        let tenant = a.id.clone();
        async move {
            let events: Vec<_> = (0..n).map(|_| webhook_event("shipment.created")).collect();
            store
                .fan_out_webhook_events(&tenant, &events)
                .await
                .unwrap()
        }
    };
    let messages = fan_out(3).await;
    // Drain the first delivery jobs so only retries are left to claim.
    store
        .claim_jobs("w", 10, Duration::from_secs(30))
        .await
        .unwrap();
    let m = &messages[0];

    // A failure with a retry left: pending, the retry job enqueued with it.
    let later = crate::now() + 1.hour();
    let retry = NewJob {
        run_at: later,
        ..replay_job(m)
    };
    let failed = outcome(attempt(&m.id, "job_1", Some(500)), Some(retry));
    assert!(store.record_webhook_attempt(&failed).await.unwrap());
    assert!(
        !store.record_webhook_attempt(&failed).await.unwrap(),
        "a job records one attempt"
    );
    let stored = store.webhook_message(&a.id, &m.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.next_attempt_at, stored.attempts.len()),
        (crate::WebhookMessageStatus::Pending, Some(later), 1)
    );
    assert_eq!(
        (stored.attempts[0].attempt, stored.attempts[0].status_code),
        (1, Some(500))
    );
    assert_eq!(stored.attempts[0].next_attempt_at, Some(later));
    let streak = store
        .webhook_endpoint(&a.id, &endpoint.id)
        .await
        .unwrap()
        .unwrap()
        .failing_since;
    assert_eq!(streak, Some(stored.attempts[0].started_at));
    let retry_jobs: Vec<_> = {
        // The retry is not due yet.
        store
            .claim_jobs("w", 10, Duration::from_secs(30))
            .await
            .unwrap()
    };
    assert!(retry_jobs.is_empty());

    // A failed replay leaves the scheduled retry in place.
    let replay = crate::AttemptOutcome {
        replay: true,
        attempt: crate::WebhookAttempt {
            trigger: "replay".into(),
            ..attempt(&m.id, "job_2", None)
        },
        ..outcome(attempt(&m.id, "job_2", None), None)
    };
    assert!(store.record_webhook_attempt(&replay).await.unwrap());
    let stored = store.webhook_message(&a.id, &m.id).await.unwrap().unwrap();
    assert_eq!(
        (
            stored.status,
            stored.next_attempt_at,
            stored.attempts[1].attempt
        ),
        (crate::WebhookMessageStatus::Pending, Some(later), 2)
    );
    assert_eq!(
        stored.attempts[1].error.as_deref(),
        Some("connection refused")
    );

    // Success: delivered, the failure streak forgotten.
    let ok = outcome(attempt(&m.id, "job_3", Some(204)), None);
    assert!(store.record_webhook_attempt(&ok).await.unwrap());
    let stored = store.webhook_message(&a.id, &m.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.next_attempt_at),
        (crate::WebhookMessageStatus::Delivered, None)
    );
    let e = store
        .webhook_endpoint(&a.id, &endpoint.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((e.failing_since, e.enabled), (None, true));

    // The schedule exhausted: failed.
    let last = outcome(attempt(&messages[1].id, "job_4", Some(503)), None);
    assert!(store.record_webhook_attempt(&last).await.unwrap());
    assert_eq!(
        store
            .webhook_message(&a.id, &messages[1].id)
            .await
            .unwrap()
            .unwrap()
            .status,
        crate::WebhookMessageStatus::Failed
    );
    assert!(
        store
            .webhook_endpoint(&a.id, &endpoint.id)
            .await
            .unwrap()
            .unwrap()
            .enabled,
        "not failing for long enough to be disabled"
    );

    // Failing since before the limit: disabled, with the reason shown.
    let give_up = crate::AttemptOutcome {
        disable_if_failing_since: crate::now() + 1.minute(),
        ..outcome(attempt(&messages[2].id, "job_5", Some(500)), None)
    };
    assert!(store.record_webhook_attempt(&give_up).await.unwrap());
    let e = store
        .webhook_endpoint(&a.id, &endpoint.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (e.enabled, e.disabled_reason.as_deref()),
        (false, Some("failing for 5 days"))
    );
    // Disabled endpoints get no new messages; re-enabling starts a new streak.
    assert!(fan_out(1).await.is_empty());
    let reenabled = crate::WebhookEndpoint {
        enabled: true,
        disabled_reason: None,
        ..e
    };
    store
        .update_webhook_endpoint(
            &reenabled,
            &audit("webhook_endpoint", "updated", &reenabled.id),
        )
        .await
        .unwrap();
    let e = store
        .webhook_endpoint(&a.id, &endpoint.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((e.enabled, e.failing_since), (true, None));

    // A replay is a job enqueued for a message of that endpoint.
    let job = replay_job(m);
    assert!(
        store
            .replay_webhook_message(&a.id, &endpoint.id, &m.id, &job)
            .await
            .unwrap()
    );
    assert!(
        !store
            .replay_webhook_message(&a.id, "we_other", &m.id, &job)
            .await
            .unwrap()
    );
    let claimed = store
        .claim_jobs("w", 10, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].payload["message_id"], m.id.as_str());
}

pub async fn one_pickup_per_location_and_day(url: &str) {
    let store = open(url).await;
    let a = store.create_tenant("Acme", "ha", "pa").await.unwrap();
    let pickup = |id: &str, date| crate::Pickup {
        id: id.into(),
        tenant_id: a.id.clone(),
        carrier_account_id: None,
        carrier: "fleet".into(),
        location: "Main".into(),
        date,
        carrier_pickup_id: None,
        shipment_count: 3,
        created_at: crate::now(),
    };
    let day = jiff::civil::date(2030, 1, 2);
    store.insert_pickup(&pickup("pk_1", day)).await.unwrap();
    let again = store.insert_pickup(&pickup("pk_2", day)).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    store
        .insert_pickup(&pickup("pk_3", day.tomorrow().unwrap()))
        .await
        .unwrap();

    // Lists filter by carrier and creation time too.
    let (s, e) = sample_shipment(&a.id, "AWB-F");
    store.insert_shipment(&s, &[e], &[]).await.unwrap();
    let by_carrier = ShipmentFilter {
        carrier: Some("fleet".into()),
        ..Default::default()
    };
    assert_eq!(
        store
            .list_shipments(&a.id, &by_carrier, None, 10)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    let other = ShipmentFilter {
        carrier: Some("delhivery".into()),
        ..Default::default()
    };
    assert!(
        store
            .list_shipments(&a.id, &other, None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let later = ShipmentFilter {
        created_from: Some(s.created_at + 1.second()),
        ..Default::default()
    };
    assert!(
        store
            .list_shipments(&a.id, &later, None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let window = ShipmentFilter {
        created_from: Some(s.created_at),
        created_before: Some(s.created_at + 1.second()),
        ..Default::default()
    };
    assert_eq!(
        store
            .list_shipments(&a.id, &window, None, 10)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

pub async fn batches_record_each_row_once(url: &str) {
    let store = open(url).await;
    let a = store.create_tenant("Acme", "ha", "pa").await.unwrap();
    let b = store.create_tenant("Bolt", "hb", "pb").await.unwrap();
    assert_eq!(store.tenant(&a.id).await.unwrap().unwrap(), a);
    assert!(store.tenant("ten_nope").await.unwrap().is_none());
    let batch = crate::Batch {
        id: new_id("bat"),
        tenant_id: a.id.clone(),
        total: 3,
        succeeded: 0,
        failed: 0,
        created_at: crate::now(),
    };
    let rows: Vec<_> = (0..3)
        .map(|i| serde_json::json!({"order_reference": format!("B-{i}")}))
        .collect();
    let job = NewJob::now(
        "batch.process",
        Some(a.id.clone()),
        serde_json::json!({"batch_id": batch.id}),
    );
    store.insert_batch(&batch, &rows, &job).await.unwrap();
    assert_eq!(store.batch(&a.id, &batch.id).await.unwrap().unwrap(), batch);
    assert!(store.batch(&b.id, &batch.id).await.unwrap().is_none());
    assert!(
        store
            .finish_batch_row(&batch.id, 1, &serde_json::json!({"ok": {"awb": "X"}}), true)
            .await
            .unwrap()
    );
    assert!(
        !store
            .finish_batch_row(&batch.id, 1, &serde_json::json!({"ok": {"awb": "Y"}}), true)
            .await
            .unwrap(),
        "once"
    );
    assert!(
        store
            .finish_batch_row(&batch.id, 2, &serde_json::json!({"error": {}}), false)
            .await
            .unwrap()
    );
    let stored = store.batch(&a.id, &batch.id).await.unwrap().unwrap();
    assert_eq!((stored.succeeded, stored.failed), (1, 1));
    let listed = store.batch_rows(&batch.id, 1, 10).await.unwrap();
    assert_eq!(listed.iter().map(|r| r.index).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(listed[0].input, rows[1]);
    assert_eq!(
        listed[0].result,
        Some(serde_json::json!({"ok": {"awb": "X"}}))
    );
    assert_eq!(
        store
            .claim_jobs("w", 10, Duration::from_secs(5))
            .await
            .unwrap()[0]
            .kind,
        "batch.process"
    );
}

pub async fn pushes_are_stored_and_applied_in_one_transaction(url: &str) {
    let store = open(url).await;
    let a = store.create_tenant("Acme", "ha", "pa").await.unwrap();
    let b = store.create_tenant("Bolt", "hb", "pb").await.unwrap();
    let account_a = insert_account(store.as_ref(), &a.id, "delhivery").await;
    let account_b = insert_account(store.as_ref(), &b.id, "delhivery").await;
    let (s1, e1) = sample_shipment(&a.id, "AWB-P1");
    let (s2, e2) = sample_shipment(&b.id, "AWB-P2");
    store.insert_shipment(&s1, &[e1], &[]).await.unwrap();
    store.insert_shipment(&s2, &[e2], &[]).await.unwrap();
    let t = s1.created_at;
    let push = |tenant: &str, account: &str| crate::CarrierPush {
        id: new_id("push"),
        tenant_id: tenant.to_string(),
        carrier_account_id: account.to_string(),
        received_at: crate::now(),
        headers: vec![],
        body: b"[]".to_vec(),
        // Ignored: stored as applied.
        status: crate::PushStatus::Received,
        error: None,
    };
    let pushes = vec![
        push(&a.id, &account_a.id),
        push(&a.id, &account_a.id),
        push(&b.id, &account_b.id),
    ];
    let scan = |status, hours: i64| event(status, t + hours.hours(), EventSource::CarrierPush);
    let reports = vec![
        crate::TenantReports {
            tenant_id: a.id.clone(),
            reports: vec![
                report(&s1.id, vec![scan(ShipmentStatus::PickedUp, 1)]),
                report(&s1.id, vec![scan(ShipmentStatus::InTransit, 2)]),
                // B's shipment named in A's push: skipped, not touched.
                report(&s2.id, vec![scan(ShipmentStatus::Lost, 1)]),
            ],
        },
        crate::TenantReports {
            tenant_id: b.id.clone(),
            reports: vec![report(&s2.id, vec![scan(ShipmentStatus::PickedUp, 1)])],
        },
    ];
    let follow = |r: &crate::EventsRecorded| crate::FollowUps {
        jobs: vec![NewJob::now(
            "test.changed",
            Some(r.shipment.tenant_id.clone()),
            serde_json::json!({"id": r.shipment.id}),
        )],
        webhooks: Vec::new(),
    };
    let recorded = store
        .record_applied_pushes(&pushes, &reports, &follow)
        .await
        .unwrap();
    assert_eq!(
        recorded.len(),
        2,
        "one recording per shipment of its own tenant"
    );
    // The new events carry the sequence numbers the store gave them.
    for r in &recorded {
        let stored = store
            .events(&r.shipment.tenant_id, &r.shipment.id)
            .await
            .unwrap();
        for e in &r.inserted {
            let found = stored.iter().find(|s| s.id == e.id).expect("stored");
            assert_eq!((e.seq, e.status), (found.seq, found.status));
        }
    }
    for p in &pushes {
        let stored = store.carrier_push(&p.id).await.unwrap().unwrap();
        assert_eq!(stored.status, crate::PushStatus::Applied);
        assert_eq!(stored.tenant_id, p.tenant_id);
    }
    let status = |tenant: String, id: String| {
        let store = store.clone();
        async move {
            store
                .shipment(&tenant, &id)
                .await
                .unwrap()
                .unwrap()
                .state
                .status
        }
    };
    assert_eq!(
        status(a.id.clone(), s1.id.clone()).await,
        ShipmentStatus::InTransit
    );
    assert_eq!(
        status(b.id.clone(), s2.id.clone()).await,
        ShipmentStatus::PickedUp
    );
    assert_eq!(store.events(&a.id, &s1.id).await.unwrap().len(), 3);
    assert_eq!(store.events(&b.id, &s2.id).await.unwrap().len(), 2);
    let mut jobs: Vec<Option<String>> = store
        .claim_jobs("w", 10, Duration::from_secs(5))
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.tenant_id)
        .collect();
    jobs.sort();
    let mut expected = vec![Some(a.id.clone()), Some(b.id.clone())];
    expected.sort();
    assert_eq!(jobs, expected, "follow-ups written in the same transaction");

    // A push id stored twice fails the whole transaction: nothing of it stays.
    let again = vec![push(&a.id, &account_a.id), pushes[0].clone()];
    let more = vec![crate::TenantReports {
        tenant_id: a.id.clone(),
        reports: vec![report(
            &s1.id,
            vec![scan(ShipmentStatus::OutForDelivery, 3)],
        )],
    }];
    assert!(
        store
            .record_applied_pushes(&again, &more, &follow)
            .await
            .is_err()
    );
    assert!(store.carrier_push(&again[0].id).await.unwrap().is_none());
    assert_eq!(
        status(a.id.clone(), s1.id.clone()).await,
        ShipmentStatus::InTransit
    );
    assert_eq!(store.events(&a.id, &s1.id).await.unwrap().len(), 3);
}

pub async fn batched_recordings_fold_each_shipment(url: &str) {
    let store = open(url).await;
    let a = store.create_tenant("Acme", "ha", "pa").await.unwrap();
    let b = store.create_tenant("Bolt", "hb", "pb").await.unwrap();
    let (s1, e1) = sample_shipment(&a.id, "AWB-B1");
    let (s2, e2) = sample_shipment(&a.id, "AWB-B2");
    let (other, e3) = sample_shipment(&b.id, "AWB-B3");
    store.insert_shipment(&s1, &[e1], &[]).await.unwrap();
    store.insert_shipment(&s2, &[e2], &[]).await.unwrap();
    store.insert_shipment(&other, &[e3], &[]).await.unwrap();
    let t = s1.created_at;
    let picked = event(
        ShipmentStatus::PickedUp,
        t + 1.hour(),
        EventSource::CarrierPush,
    );
    let batch = vec![
        report(
            &s1.id,
            vec![
                picked.clone(),
                event(
                    ShipmentStatus::InTransit,
                    t + 2.hours(),
                    EventSource::CarrierPush,
                ),
            ],
        ),
        crate::ShipmentReport {
            facts: shipgate_domain::shipment::CarrierFacts {
                attempts: Some(0),
                ..Default::default()
            },
            ..report(
                &s2.id,
                vec![event(
                    ShipmentStatus::PickedUp,
                    t + 3.hours(),
                    EventSource::CarrierPush,
                )],
            )
        },
        // Another tenant's shipment is skipped, not touched.
        report(
            &other.id,
            vec![event(
                ShipmentStatus::Lost,
                t + 1.hour(),
                EventSource::CarrierPush,
            )],
        ),
        // The same shipment again, with a repeat: recorded as one report.
        report(
            &s1.id,
            vec![
                ShipmentEvent {
                    id: new_id("evt"),
                    ..picked
                },
                event(
                    ShipmentStatus::OutForDelivery,
                    t + 5.hours(),
                    EventSource::CarrierPush,
                ),
            ],
        ),
    ];
    let jobs = |r: &crate::EventsRecorded| crate::FollowUps {
        jobs: vec![NewJob::now(
            "test.changed",
            None,
            serde_json::json!({"id": r.shipment.id}),
        )],
        webhooks: Vec::new(),
    };
    let recorded = store
        .record_events_batch(&a.id, &batch, &jobs)
        .await
        .unwrap();
    assert_eq!(recorded.len(), 2);
    assert_eq!((recorded[0].inserted.len(), recorded[0].duplicates), (3, 1));
    assert_eq!(recorded[1].shipment.carrier_facts.attempts, Some(0));
    assert_eq!(
        store
            .shipment(&a.id, &s1.id)
            .await
            .unwrap()
            .unwrap()
            .state
            .status,
        ShipmentStatus::OutForDelivery
    );
    assert_eq!(
        store
            .shipment(&a.id, &s2.id)
            .await
            .unwrap()
            .unwrap()
            .state
            .status,
        ShipmentStatus::PickedUp
    );
    assert_eq!(
        store
            .shipment(&b.id, &other.id)
            .await
            .unwrap()
            .unwrap()
            .state
            .status,
        ShipmentStatus::OrderPlaced
    );
    assert_eq!(
        store
            .claim_jobs("w", 10, Duration::from_secs(5))
            .await
            .unwrap()
            .len(),
        2,
        "follow-ups commit with the batch"
    );
    let facts = store
        .shipment(&a.id, &s2.id)
        .await
        .unwrap()
        .map(|s| s.carrier_facts);
    assert_eq!(
        facts.and_then(|f| f.attempts),
        Some(0),
        "facts kept with the batch"
    );

    // Out of order: s2 went out for delivery (6 h), then a stale in_transit
    // (8 h) was kept but not applied. A failed attempt at 7 h arriving now
    // lets that in_transit apply: only a fold of the whole history sees it.
    for (status, hours) in [
        (ShipmentStatus::OutForDelivery, 6),
        (ShipmentStatus::InTransit, 8),
        (ShipmentStatus::DeliveryFailed, 7),
    ] {
        let scan = event(status, t + hours.hours(), EventSource::CarrierPush);
        store
            .record_events_batch(&a.id, &[report(&s2.id, vec![scan])], &no_jobs)
            .await
            .unwrap();
    }
    let stored = store.shipment(&a.id, &s2.id).await.unwrap().unwrap();
    let full = shipgate_domain::Timeline::build(store.events(&a.id, &s2.id).await.unwrap());
    assert_eq!(stored.state, full.state);
    assert_eq!(stored.state.status, ShipmentStatus::InTransit);
    assert_eq!(stored.state.failed_attempts, 1);
}

/// The outbox: due messages are claimed once across workers, attempts are
/// recorded in batches only under their claim, and a lapsed claim is taken over.
pub async fn webhook_outbox_is_claimed_once_and_recorded_in_batches(url: &str) {
    let (one, two) = (open(url).await, connect(url).await.unwrap());
    let a = one.create_tenant("Acme", "ha", "pa").await.unwrap();
    let endpoint = webhook_endpoint(&a.id, &["shipment.created"]);
    one.insert_webhook_endpoint(
        &endpoint,
        &audit("webhook_endpoint", "created", &endpoint.id),
    )
    .await
    .unwrap();
    let events: Vec<_> = (0..40).map(|_| webhook_event("shipment.created")).collect();
    let messages = one.fan_out_webhook_events(&a.id, &events).await.unwrap();
    assert_eq!(messages.len(), 40);

    // Two stores (two processes) claim concurrently: every message once.
    let mut tasks = Vec::new();
    for (i, store) in [one.clone(), two.clone(), one.clone(), two.clone()]
        .into_iter()
        .enumerate()
    {
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store
                    .claim_webhook_messages(&format!("w{i}"), 7, Duration::from_secs(60))
                    .await
                    .unwrap();
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got);
            }
        }));
    }
    let mut claimed = Vec::new();
    for t in tasks {
        claimed.extend(t.await.unwrap());
    }
    let ids: HashSet<_> = claimed.iter().map(|c| c.message.id.clone()).collect();
    assert_eq!(
        (claimed.len(), ids.len()),
        (40, 40),
        "each message claimed once"
    );
    let claims: HashSet<_> = claimed.iter().map(|c| c.claim.clone()).collect();
    assert_eq!(claims.len(), 40, "each claim names one attempt");
    assert!(claimed.iter().all(|c| c.step == 0));

    let delivery = |c: &crate::ClaimedMessage, code: u16, retry_at: Option<Timestamp>| {
        crate::DeliveryOutcome {
            attempt: attempt(&c.message.id, &c.claim, Some(code)),
            delivered: (200..300).contains(&code),
            retry_at,
            disable_if_failing_since: Timestamp::UNIX_EPOCH,
            disable_reason: "failing for 5 days".into(),
        }
    };
    // One batch: most delivered, one failed with a retry in a moment, one
    // failed for good; recorded once only.
    let soon = crate::now() + 1.second();
    let mut outcomes: Vec<_> = claimed[2..]
        .iter()
        .map(|c| delivery(c, 200, None))
        .collect();
    outcomes.push(delivery(&claimed[0], 500, Some(soon)));
    outcomes.push(delivery(&claimed[1], 500, None));
    assert_eq!(two.record_webhook_deliveries(&outcomes).await.unwrap(), 40);
    assert_eq!(
        one.record_webhook_deliveries(&outcomes).await.unwrap(),
        0,
        "a claim records one attempt"
    );
    let stored = |id: String| {
        let store = one.clone();
        let tenant = a.id.clone();
        async move { store.webhook_message(&tenant, &id).await.unwrap().unwrap() }
    };
    let ok = stored(claimed[5].message.id.clone()).await;
    assert_eq!(
        (ok.status, ok.next_attempt_at),
        (crate::WebhookMessageStatus::Delivered, None)
    );
    assert_eq!((ok.attempts.len(), ok.attempts[0].attempt), (1, 1));
    assert_eq!(ok.attempts[0].job_id, claimed[5].claim);
    let retried = stored(claimed[0].message.id.clone()).await;
    assert_eq!(
        (
            retried.status,
            retried.next_attempt_at,
            retried.attempts[0].next_attempt_at
        ),
        (crate::WebhookMessageStatus::Pending, Some(soon), Some(soon))
    );
    let failed = stored(claimed[1].message.id.clone()).await;
    assert_eq!(failed.status, crate::WebhookMessageStatus::Failed);
    // The last attempts of the endpoint failed: its streak runs.
    let e = one
        .webhook_endpoint(&a.id, &endpoint.id)
        .await
        .unwrap()
        .unwrap();
    assert!(e.failing_since.is_some() && e.enabled);

    // The retry is claimed when due, as the next step of the schedule.
    let lease = Duration::from_millis(300);
    let claim = |store: &Arc<dyn Store>, worker: &'static str| {
        let store = store.clone();
        async move {
            store
                .claim_webhook_messages(worker, 10, lease)
                .await
                .unwrap()
        }
    };
    assert!(claim(&one, "w").await.is_empty());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let lapsed = claim(&one, "w").await;
    assert_eq!(lapsed.len(), 1);
    assert_eq!(
        (lapsed[0].message.id.as_str(), lapsed[0].step),
        (claimed[0].message.id.as_str(), 1)
    );
    // Its worker stalls: once the lease runs out another takes it over, and
    // only the new claim may record.
    assert!(claim(&two, "w2").await.is_empty());
    tokio::time::sleep(Duration::from_millis(400)).await;
    let taken = claim(&two, "w2").await;
    assert_eq!(taken.len(), 1);
    assert_ne!(taken[0].claim, lapsed[0].claim);
    let late = [delivery(&lapsed[0], 200, None)];
    assert_eq!(one.record_webhook_deliveries(&late).await.unwrap(), 0);
    let on_time = [delivery(&taken[0], 200, None)];
    assert_eq!(two.record_webhook_deliveries(&on_time).await.unwrap(), 1);
    let done = stored(claimed[0].message.id.clone()).await;
    assert_eq!(done.status, crate::WebhookMessageStatus::Delivered);
    assert_eq!(
        done.attempts.iter().map(|a| a.attempt).collect::<Vec<_>>(),
        [1, 2]
    );
    let e = one
        .webhook_endpoint(&a.id, &endpoint.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.failing_since, None, "a success ends the streak");
}

pub async fn modifications_are_saved_with_their_record(url: &str) {
    let store = open(url).await;
    let a = store.create_tenant("Acme", "ha", "pa").await.unwrap();
    let b = store.create_tenant("Bolt", "hb", "pb").await.unwrap();
    let (mut s, e) = sample_shipment(&a.id, "AWB-M");
    store.insert_shipment(&s, &[e], &[]).await.unwrap();
    s.consignee = address("400001");
    s.payment_mode = PaymentMode::Prepaid;
    s.cod_amount = None;
    let change = crate::ShipmentChange {
        id: new_id("chg"),
        actor: "api_key:acme".into(),
        changes: serde_json::json!({"payment_mode": {"from": "cod", "to": "prepaid"}}),
        created_at: crate::now(),
    };
    store.modify_shipment(&s, &change).await.unwrap();
    assert_eq!(store.shipment(&a.id, &s.id).await.unwrap().unwrap(), s);
    assert_eq!(
        store.shipment_changes(&a.id, &s.id).await.unwrap(),
        vec![change.clone()]
    );
    assert!(
        store
            .shipment_changes(&b.id, &s.id)
            .await
            .unwrap()
            .is_empty()
    );
    let mut foreign = s.clone();
    foreign.tenant_id = b.id.clone();
    let err = store
        .modify_shipment(
            &foreign,
            &crate::ShipmentChange {
                id: new_id("chg"),
                ..change
            },
        )
        .await;
    assert!(matches!(err, Err(StoreError::NotFound)), "{err:?}");
}

pub async fn edd_observations_are_kept_once_in_order(url: &str) {
    let store = open(url).await;
    let at = |day: i8, hour: i8| jiff::civil::date(2026, 3, day).at(hour, 0, 0, 0);
    let observation = |source_ref: &str, day: i8| crate::EddObservationRecord {
        id: 0,
        source: "import:test".into(),
        source_ref: source_ref.into(),
        tenant_id: None,
        country: "IN".into(),
        carrier: "delhivery".into(),
        service: String::new(),
        scope: "seller-1".into(),
        origin: "560001".into(),
        destination: "110001".into(),
        ordered_at: at(day, 9),
        picked_up_at: Some(at(day, 18)),
        delivered_at: at(day + 3, 12),
        promised_date: Some(jiff::civil::date(2026, 3, day + 5)),
    };
    let first: Vec<_> = (1..=5).map(|i| observation(&format!("o{i}"), i)).collect();
    assert_eq!(store.record_edd_observations(&first).await.unwrap(), 5);
    // A re-import adds only what is new.
    let again = vec![observation("o5", 5), observation("o6", 6)];
    assert_eq!(store.record_edd_observations(&again).await.unwrap(), 1);
    let page = store.edd_observations_after(0, 4).await.unwrap();
    assert_eq!(page.len(), 4);
    assert!(page.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(page[0].source_ref, "o1");
    assert_eq!(page[0].picked_up_at, Some(at(1, 18)));
    assert_eq!(page[0].promised_date, Some(jiff::civil::date(2026, 3, 6)));
    let rest = store.edd_observations_after(page[3].id, 100).await.unwrap();
    let refs: Vec<_> = rest.iter().map(|o| o.source_ref.as_str()).collect();
    assert_eq!(refs, ["o5", "o6"]);
}

pub async fn serviceability_stays_within_its_tenant(url: &str) {
    let store = open(url).await;
    let a = store.create_tenant("Acme", "ha", "pa").await.unwrap();
    let b = store.create_tenant("Bolt", "hb", "pb").await.unwrap();
    let account = insert_account(store.as_ref(), &a.id, "delhivery").await;
    let entry = |pin: &str, cod: bool| crate::ServiceabilityEntry {
        carrier_account_id: account.id.clone(),
        postal_code: pin.into(),
        prepaid: true,
        cod,
        pickup: true,
        reverse: false,
        oda: false,
        embargo: false,
        max_weight_grams: Some(20_000),
        max_cod_minor: None,
    };
    store
        .upsert_serviceability(
            &a.id,
            &[entry("560001", true), entry("110001", false)],
            &audit("serviceability", "imported", &account.id),
        )
        .await
        .unwrap();
    // A newer import replaces the entry.
    store
        .upsert_serviceability(
            &a.id,
            &[entry("110001", true)],
            &audit("serviceability", "imported", &account.id),
        )
        .await
        .unwrap();
    let at = store.serviceability_at(&a.id, "110001").await.unwrap();
    assert_eq!(at, vec![entry("110001", true)]);
    assert_eq!(
        store.serviceability_coverage(&a.id).await.unwrap(),
        vec![(account.id.clone(), 2)]
    );
    // Another tenant neither sees the entries nor can write to the account.
    assert!(
        store
            .serviceability_at(&b.id, "110001")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .upsert_serviceability(
                &b.id,
                &[entry("400001", true)],
                &audit("serviceability", "imported", &account.id)
            )
            .await
            .unwrap(),
        0
    );
    assert!(
        store
            .serviceability_at(&a.id, "400001")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .serviceability_coverage(&b.id)
            .await
            .unwrap()
            .is_empty()
    );
}

fn failed_attempt(at: Timestamp, reason: shipgate_domain::NdrReason) -> ShipmentEvent {
    ShipmentEvent {
        ndr_reason: Some(reason),
        description: Some("Consignee not available".into()),
        ..event(ShipmentStatus::DeliveryFailed, at, EventSource::CarrierPush)
    }
}

pub async fn ndrs_are_raised_claimed_once_and_settled(url: &str) {
    use shipgate_domain::NdrReason as R;
    use shipgate_domain::ndr::NdrState;
    let store = open(url).await;
    let a = store.create_tenant("Acme", "ha", "pa").await.unwrap();
    let b = store.create_tenant("Bolt", "hb", "pb").await.unwrap();
    let (s, e) = sample_shipment(&a.id, "AWB-N");
    let t0 = e.occurred_at;
    store.insert_shipment(&s, &[e], &[]).await.unwrap();
    let record = |events: Vec<ShipmentEvent>| {
        let store = store.clone();
        let (tenant, id) = (a.id.clone(), s.id.clone());
        async move {
            store
                .record_events(&tenant, &id, &events, &no_jobs)
                .await
                .unwrap()
        }
    };
    let r = record(vec![
        event(
            ShipmentStatus::OutForDelivery,
            t0 + 1.hour(),
            EventSource::CarrierPush,
        ),
        failed_attempt(t0 + 2.hours(), R::CustomerUnavailable),
    ])
    .await;
    assert_eq!(r.raised_ndrs.len(), 1);
    let first = store.ndr(&a.id, &r.raised_ndrs[0]).await.unwrap().unwrap();
    assert_eq!(
        (
            first.attempt,
            first.reason,
            first.state,
            first.remarks.as_deref()
        ),
        (
            1,
            R::CustomerUnavailable,
            NdrState::Open,
            Some("Consignee not available")
        )
    );
    assert!(store.ndr(&b.id, &first.id).await.unwrap().is_none());
    // The same scan again raises nothing.
    let again = record(vec![failed_attempt(t0 + 2.hours(), R::CustomerUnavailable)]).await;
    assert!(again.raised_ndrs.is_empty());

    // Two claims at once: exactly one wins.
    let action = serde_json::json!({"action": "reattempt"});
    let stale = crate::now() - 10.minutes();
    let (x, y) = tokio::join!(
        store.claim_ndr(&a.id, &first.id, &action, "desk", stale),
        store.claim_ndr(&a.id, &first.id, &action, "customer", stale)
    );
    assert!(x.unwrap() ^ y.unwrap());
    assert!(
        !store
            .claim_ndr(&b.id, &first.id, &action, "desk", stale)
            .await
            .unwrap()
    );
    store
        .finish_ndr_action(
            &a.id,
            &first.id,
            &crate::NdrActionResult::Refused { error: "no".into() },
        )
        .await
        .unwrap();
    let failed = store.ndr(&a.id, &first.id).await.unwrap().unwrap();
    assert_eq!(
        (failed.state, failed.error.as_deref()),
        (NdrState::Failed, Some("no"))
    );
    // A refused action may be followed by another.
    assert!(
        store
            .claim_ndr(&a.id, &first.id, &action, "desk", stale)
            .await
            .unwrap()
    );
    store
        .finish_ndr_action(
            &a.id,
            &first.id,
            &crate::NdrActionResult::Sent {
                carrier_request_id: Some("UPL1".into()),
            },
        )
        .await
        .unwrap();
    assert!(
        !store.escalate_ndr(&a.id, &first.id, &[]).await.unwrap(),
        "acted on"
    );

    // The next failure supersedes the first; delivery settles the second.
    let r = record(vec![
        event(
            ShipmentStatus::OutForDelivery,
            t0 + 3.hours(),
            EventSource::CarrierPush,
        ),
        failed_attempt(t0 + 4.hours(), R::AddressIssue),
    ])
    .await;
    let second = store.ndr(&a.id, &r.raised_ndrs[0]).await.unwrap().unwrap();
    assert_eq!((second.attempt, second.reason), (2, R::AddressIssue));
    assert_eq!(
        store.ndr(&a.id, &first.id).await.unwrap().unwrap().state,
        NdrState::Closed
    );
    let filter = crate::NdrFilter {
        min_attempt: Some(2),
        ..Default::default()
    };
    let open: Vec<_> = store
        .list_ndrs(&a.id, &filter, None, 10)
        .await
        .unwrap()
        .items;
    assert_eq!(
        open.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(),
        [second.id.as_str()]
    );
    assert!(
        store
            .list_ndrs(&b.id, &Default::default(), None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let by_reason = crate::NdrFilter {
        reason: Some(R::Refused),
        ..Default::default()
    };
    assert!(
        store
            .list_ndrs(&a.id, &by_reason, None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );

    let job = NewJob::now("ndr.escalated", Some(a.id.clone()), serde_json::json!({}));
    assert!(
        store
            .escalate_ndr(&a.id, &second.id, std::slice::from_ref(&job))
            .await
            .unwrap()
    );
    assert!(
        !store.escalate_ndr(&a.id, &second.id, &[job]).await.unwrap(),
        "once"
    );
    assert!(
        store
            .mark_ndr_customer_asked(&a.id, &second.id)
            .await
            .unwrap()
    );
    assert!(
        !store
            .mark_ndr_customer_asked(&a.id, &second.id)
            .await
            .unwrap()
    );

    record(vec![
        event(
            ShipmentStatus::OutForDelivery,
            t0 + 5.hours(),
            EventSource::CarrierPush,
        ),
        event(
            ShipmentStatus::Delivered,
            t0 + 6.hours(),
            EventSource::CarrierPush,
        ),
    ])
    .await;
    let done = store.ndr(&a.id, &second.id).await.unwrap().unwrap();
    assert_eq!(done.state, NdrState::ResolvedDelivered);
    assert!(done.resolved_at.is_some() && done.escalated_at.is_some());
    assert!(
        store
            .list_ndrs(&a.id, &Default::default(), None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );

    let outcomes = store
        .ndr_outcomes(&a.id, t0 - 1.hour(), crate::now() + 1.hour())
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        vec![crate::NdrOutcomeCount {
            carrier: "fleet".into(),
            destination_prefix: "560".into(),
            first_reason: Some(R::CustomerUnavailable),
            outcome: "delivered".into(),
            shipments: 1,
        }]
    );
}

/// Dashboard users sign in by a unique email; sessions are found by their
/// token's hash until they expire, and end when deleted.
pub async fn dashboard_users_and_sessions(url: &str) {
    let store = open(url).await;
    let a = store.create_tenant("Acme", "ha", "pa").await.unwrap();
    let b = store.create_tenant("Bolt", "hb", "pb").await.unwrap();
    let now = crate::now();
    let user = crate::User {
        id: new_id("usr"),
        tenant_id: a.id.clone(),
        email: "ops@acme.example".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        created_at: now,
    };
    store.create_user(&user).await.unwrap();
    assert_eq!(
        store.user_by_email("ops@acme.example").await.unwrap(),
        Some(user.clone())
    );
    assert_eq!(
        store.user_by_email("other@acme.example").await.unwrap(),
        None
    );
    // The email is taken, in any tenant.
    let again = crate::User {
        id: new_id("usr"),
        tenant_id: b.id.clone(),
        ..user.clone()
    };
    assert!(matches!(
        store.create_user(&again).await,
        Err(StoreError::Conflict(_))
    ));

    let session = crate::UserSession {
        token_hash: "tokenhash1".into(),
        user_id: user.id.clone(),
        csrf_token: "csrf1".into(),
        created_at: now,
        expires_at: now + 1.hour(),
    };
    store.create_user_session(&session).await.unwrap();
    let expired = crate::UserSession {
        token_hash: "tokenhash2".into(),
        csrf_token: "csrf2".into(),
        expires_at: now - 1.second(),
        ..session.clone()
    };
    store.create_user_session(&expired).await.unwrap();
    let found = store
        .user_session("tokenhash1", now)
        .await
        .unwrap()
        .expect("live session");
    assert_eq!(found.session, session);
    assert_eq!(found.user, user);
    assert_eq!(found.tenant, a);
    assert_eq!(store.user_session("tokenhash2", now).await.unwrap(), None);
    assert_eq!(store.user_session("nosuch", now).await.unwrap(), None);
    // Past its expiry the live one is gone too.
    assert_eq!(
        store
            .user_session("tokenhash1", now + 2.hours())
            .await
            .unwrap(),
        None
    );
    store.delete_user_session("tokenhash1", now).await.unwrap();
    assert_eq!(store.user_session("tokenhash1", now).await.unwrap(), None);
}

/// The dashboard's search finds a shipment by AWB, order reference or phone
/// (within the tenant), filters combine, and the performance report counts
/// each carrier's lanes.
pub async fn shipments_are_searched_and_reported_per_lane(url: &str) {
    let store = open(url).await;
    let a = store.create_tenant("Acme", "ha", "pa").await.unwrap();
    let b = store.create_tenant("Bolt", "hb", "pb").await.unwrap();
    let mut batch = Vec::new();
    for i in 0..6 {
        let (mut s, e) = sample_shipment(&a.id, &format!("SRCH{i}"));
        s.order_reference = format!("ORDER-{i}");
        // One text matching two shipments by different columns, one of them
        // by both its AWB and its order reference.
        if i == 0 {
            s.order_reference = "SRCH0".into();
        }
        if i == 3 {
            s.order_reference = "SRCH0".into();
        }
        if i == 4 {
            s.consignee = Address::parse(&AddressInput {
                name: "Ravi".into(),
                phone: "+91 99000 11122".into(),
                line1: "1 Park Street".into(),
                city: "Kolkata".into(),
                state: "West Bengal".into(),
                postal_code: "700016".into(),
                ..Default::default()
            })
            .unwrap();
        }
        if i % 2 == 1 {
            s.carrier = "delhivery".into();
        }
        if i == 0 {
            // Delivered (below) well before this.
            let today = s.created_at.to_zoned(jiff::tz::TimeZone::UTC).date();
            s.promise = Some(shipgate_domain::shipment::DeliveryPromise {
                date: today.checked_add(jiff::Span::new().days(2)).unwrap(),
                confidence_percent: 90,
                handover: today,
            });
        }
        batch.push((s, vec![e]));
    }
    // The other tenant has the same phone and order reference.
    let (mut other, e) = sample_shipment(&b.id, "OTHER1");
    other.order_reference = "ORDER-4".into();
    store.insert_shipments(&batch).await.unwrap();
    store.insert_shipment(&other, &[e], &[]).await.unwrap();
    let ids: Vec<String> = batch.iter().map(|(s, _)| s.id.clone()).collect();

    let search = |text: &str, phone: Option<&str>| ShipmentFilter {
        search: Some(crate::ShipmentSearch {
            text: text.into(),
            phone: phone.map(str::to_string),
        }),
        ..Default::default()
    };
    let found = |filter: ShipmentFilter| {
        let store = store.clone();
        let tenant = a.id.clone();
        async move {
            store
                .list_shipments(&tenant, &filter, None, 50)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|s| s.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(found(search("SRCH2", None)).await, vec![ids[2].clone()]);
    assert_eq!(found(search("ORDER-4", None)).await, vec![ids[4].clone()]);
    assert_eq!(
        found(search("nothing", Some("+919900011122"))).await,
        vec![ids[4].clone()]
    );
    // Every sample shipment but one has this consignee phone: newest first.
    let by_phone = found(search("x", Some("+919812345678"))).await;
    assert_eq!(
        by_phone,
        vec![
            ids[5].clone(),
            ids[3].clone(),
            ids[2].clone(),
            ids[1].clone(),
            ids[0].clone()
        ]
    );
    assert!(found(search("OTHER1", None)).await.is_empty());
    // Found by AWB and by order reference: each shipment once, newest first.
    assert_eq!(
        found(search("SRCH0", None)).await,
        vec![ids[3].clone(), ids[0].clone()]
    );
    // Combined with a carrier filter, and paged.
    let delhivery = ShipmentFilter {
        carrier: Some("delhivery".into()),
        ..search("x", Some("+919812345678"))
    };
    assert_eq!(
        found(delhivery.clone()).await,
        vec![ids[5].clone(), ids[3].clone(), ids[1].clone()]
    );
    let page = store
        .list_shipments(&a.id, &delhivery, None, 2)
        .await
        .unwrap();
    assert_eq!(page.next_after.as_deref(), Some(ids[3].as_str()));
    let rest = store
        .list_shipments(&a.id, &delhivery, page.next_after.as_deref(), 2)
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.items[0].id, ids[1]);

    // A failed attempt on one, delivery on another.
    let t = Timestamp::now();
    let mut failed = event(
        ShipmentStatus::DeliveryFailed,
        t + 1.second(),
        EventSource::CarrierPush,
    );
    failed.ndr_reason = Some(shipgate_domain::NdrReason::CustomerUnavailable);
    store
        .record_events(
            &a.id,
            &ids[1],
            &[
                event(ShipmentStatus::PickedUp, t, EventSource::CarrierPush),
                event(
                    ShipmentStatus::OutForDelivery,
                    t + 500.milliseconds(),
                    EventSource::CarrierPush,
                ),
                failed,
            ],
            &no_jobs,
        )
        .await
        .unwrap();
    store
        .record_events(
            &a.id,
            &ids[0],
            &[
                event(ShipmentStatus::PickedUp, t, EventSource::CarrierPush),
                event(
                    ShipmentStatus::Delivered,
                    t + 1.hour(),
                    EventSource::CarrierPush,
                ),
            ],
            &no_jobs,
        )
        .await
        .unwrap();
    let with_ndr = ShipmentFilter {
        with_ndr: true,
        ..Default::default()
    };
    assert_eq!(found(with_ndr).await, vec![ids[1].clone()]);
    let delivered = ShipmentFilter {
        status: Some(ShipmentStatus::Delivered),
        ..Default::default()
    };
    assert_eq!(found(delivered).await, vec![ids[0].clone()]);

    // Per lane: delivered on time against its promise, NDRs.
    let today = crate::performance::report_day(t);
    let day = |d: i64| {
        jiff::civil::date(1970, 1, 1)
            .checked_add(jiff::Span::new().days(d))
            .unwrap()
    };
    let report = store
        .carrier_performance(&a.id, day(today - 1), day(today + 1))
        .await
        .unwrap();
    let lanes: Vec<(String, [u64; 6])> = report
        .lanes
        .iter()
        .map(|l| {
            let c = &l.counts;
            (
                format!("{} {}→{}", l.carrier, l.origin_prefix, l.destination_prefix),
                [
                    c.shipments,
                    c.delivered,
                    c.with_ndr,
                    c.promised,
                    c.on_time,
                    c.picked_up_and_delivered,
                ],
            )
        })
        .collect();
    assert_eq!(
        lanes,
        vec![
            ("delhivery 110→560".to_string(), [3, 0, 1, 0, 0, 0]),
            ("fleet 110→560".to_string(), [2, 1, 0, 1, 1, 1]),
            ("fleet 110→700".to_string(), [1, 0, 0, 0, 0, 0]),
        ]
    );
    let fleet = &report.lanes[1].counts;
    // Created at `sample_shipment`'s now, picked up at `t`, delivered an hour later.
    let created = batch[0].0.created_at;
    assert_eq!(
        fleet.order_to_delivery_micros,
        (t + 1.hour()).as_microsecond() - created.as_microsecond()
    );
    assert_eq!(fleet.pickup_to_delivery_micros, 3_600_000_000);
    let carriers: Vec<(&str, u64)> = report
        .carriers
        .iter()
        .map(|(c, n)| (c.as_str(), n.shipments))
        .collect();
    assert_eq!(carriers, vec![("delhivery", 3), ("fleet", 3)]);
    assert_eq!(
        store
            .carrier_performance(&a.id, day(today + 1), day(today + 2))
            .await
            .unwrap(),
        crate::PerformanceReport::default(),
        "nothing was created in a later range"
    );
    let other = store
        .carrier_performance(&b.id, day(today - 1), day(today + 1))
        .await
        .unwrap();
    assert_eq!(other.carriers.len(), 1);
    assert_eq!(other.carriers[0].0, "fleet");
    assert_eq!(other.carriers[0].1.shipments, 1);
}

/// What the report reads for these shipments of a tenant created from
/// `first_day` to `last_day`, recounted from the stored shipments.
async fn recount_performance(
    store: &dyn Store,
    tenant_id: &str,
    ids: &[String],
    first_day: i64,
    last_day: i64,
) -> crate::PerformanceReport {
    use crate::performance::{Contribution, StatsKey};
    use std::collections::BTreeMap;
    let mut carriers: BTreeMap<String, Contribution> = BTreeMap::new();
    let mut lanes: BTreeMap<(String, String, String), Contribution> = BTreeMap::new();
    for id in ids {
        let s = store.shipment(tenant_id, id).await.unwrap().unwrap();
        let key = StatsKey::of(&s);
        if !(first_day..=last_day).contains(&key.day) {
            continue;
        }
        let c = Contribution::of(&s, &s.state);
        let carrier = carriers.entry(key.carrier.clone()).or_default();
        *carrier = carrier.plus(c);
        let lane = lanes
            .entry((key.carrier, key.origin_prefix, key.destination_prefix))
            .or_default();
        *lane = lane.plus(c);
    }
    let lanes: Vec<crate::LanePerformance> = lanes
        .into_iter()
        .map(
            |((carrier, origin_prefix, destination_prefix), c)| crate::LanePerformance {
                carrier,
                origin_prefix,
                destination_prefix,
                counts: c.into(),
            },
        )
        .collect();
    crate::PerformanceReport {
        carriers: carriers.into_iter().map(|(k, c)| (k, c.into())).collect(),
        lanes,
    }
}

/// The carrier performance counts, kept up to date as events are recorded,
/// equal a recount from the stored shipments after any mix of journeys
/// (deliveries, failed attempts, returns, cancellations), recorded in any
/// order and batching, with repeated reports and late scans the fold
/// re-orders or ignores, and after a change of delivery address.
pub async fn performance_counts_equal_a_recount(url: &str) {
    use ShipmentStatus as S;
    let store = open(url).await;
    let a = store.create_tenant("Acme", "ha", "pa").await.unwrap();
    let b = store.create_tenant("Bolt", "hb", "pb").await.unwrap();
    let now = crate::now();
    let today = crate::performance::report_day(now);
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let journeys: [&[ShipmentStatus]; 6] = [
        &[S::PickedUp, S::InTransit, S::OutForDelivery, S::Delivered],
        &[
            S::InTransit,
            S::OutForDelivery,
            S::DeliveryFailed,
            S::OutForDelivery,
            S::Delivered,
        ],
        &[
            S::PickedUp,
            S::OutForDelivery,
            S::DeliveryFailed,
            S::RtoRequested,
            S::RtoInTransit,
            S::RtoDelivered,
        ],
        &[S::PickedUp, S::InTransit, S::Delivered, S::InTransit],
        &[S::Manifested, S::Cancelled],
        &[S::PickedUp, S::InTransit, S::DeliveryFailed],
    ];
    let mut batch = Vec::new();
    let mut scans = Vec::new();
    for i in 0..40 {
        let (mut s, mut first) = sample_shipment(&a.id, &format!("PERF{i}"));
        s.carrier = ["fleet", "delhivery", "ekart"][next(3) as usize].into();
        s.pickup = address(["110001", "400001"][next(2) as usize]);
        s.consignee = address(["560001", "700016", "600001"][next(3) as usize]);
        let created = now - jiff::SignedDuration::from_hours((next(4) * 24 + next(24)) as i64);
        (s.created_at, s.updated_at) = (created, created);
        (first.occurred_at, first.recorded_at) = (created, created);
        s.state.last_event_at = Some(created);
        if next(3) > 0 {
            let ist = jiff::tz::TimeZone::fixed(
                jiff::tz::offset(5).saturating_add(jiff::SignedDuration::from_mins(30)),
            );
            let ordered = created.to_zoned(ist).date();
            s.promise = Some(shipgate_domain::shipment::DeliveryPromise {
                date: ordered.checked_add(jiff::Span::new().days(3)).unwrap(),
                confidence_percent: 90,
                handover: ordered,
            });
        }
        let mut at = created;
        for status in journeys[next(journeys.len() as u64) as usize] {
            at += jiff::SignedDuration::from_hours(1 + next(30) as i64);
            let mut e = event(*status, at, EventSource::CarrierPull);
            if *status == S::DeliveryFailed {
                e.ndr_reason = Some(shipgate_domain::NdrReason::CustomerUnavailable);
            }
            scans.push((s.id.clone(), e));
        }
        batch.push((s, vec![first]));
    }
    // The other tenant's shipment on the same lanes counts only for it.
    let (other, first) = sample_shipment(&b.id, "PERF-B");
    store.insert_shipment(&other, &[first], &[]).await.unwrap();
    store.insert_shipments(&batch).await.unwrap();
    let ids: Vec<String> = batch.iter().map(|(s, _)| s.id.clone()).collect();
    let day = |d: i64| {
        jiff::civil::date(1970, 1, 1)
            .checked_add(jiff::Span::new().days(d))
            .unwrap()
    };
    let check = |when: &'static str| {
        let store = store.clone();
        let (tenant, ids) = (a.id.clone(), ids.clone());
        async move {
            for (first, last) in [
                (today - 4, today),
                (today - 1, today),
                (today - 3, today - 2),
            ] {
                let kept = store
                    .carrier_performance(&tenant, day(first), day(last))
                    .await
                    .unwrap();
                let mut kept_lanes = kept.lanes.clone();
                let expected =
                    recount_performance(store.as_ref(), &tenant, &ids, first, last).await;
                let mut expected_lanes = expected.lanes.clone();
                assert_eq!(
                    kept.carriers, expected.carriers,
                    "{when}, days {first}..={last}"
                );
                let by_lane = |l: &crate::LanePerformance| {
                    (
                        l.carrier.clone(),
                        l.origin_prefix.clone(),
                        l.destination_prefix.clone(),
                    )
                };
                kept_lanes.sort_by_key(by_lane);
                expected_lanes.sort_by_key(by_lane);
                assert_eq!(kept_lanes, expected_lanes, "{when}, days {first}..={last}");
            }
        }
    };
    check("created").await;
    // Some scans reported twice; all in a shuffled order, in batches of 1 to 8.
    let repeats: Vec<(String, ShipmentEvent)> = scans
        .iter()
        .filter(|_| next(4) == 0)
        .map(|(id, e)| {
            (
                id.clone(),
                ShipmentEvent {
                    id: new_id("evt"),
                    ..e.clone()
                },
            )
        })
        .collect();
    scans.extend(repeats);
    for i in (1..scans.len()).rev() {
        scans.swap(i, next(i as u64 + 1) as usize);
    }
    let record = |scans: &[(String, ShipmentEvent)]| {
        let store = store.clone();
        let (tenant, reports): (String, Vec<crate::ShipmentReport>) = (
            a.id.clone(),
            scans
                .iter()
                .map(|(id, e)| report(id, vec![e.clone()]))
                .collect(),
        );
        async move {
            store
                .record_events_batch(&tenant, &reports, &no_jobs)
                .await
                .unwrap();
        }
    };
    let mut recorded = 0;
    while recorded < scans.len() {
        let n = (1 + next(8) as usize).min(scans.len() - recorded);
        record(&scans[recorded..recorded + n]).await;
        recorded += n;
        if recorded >= scans.len() / 2 && recorded - n < scans.len() / 2 {
            check("half the scans recorded").await;
        }
    }
    check("every scan recorded").await;
    // Everything recorded again: nothing changes.
    for chunk in scans.chunks(16) {
        record(chunk).await;
    }
    check("every scan recorded twice").await;
    // A new delivery address moves a shipment (and what it counted) to another lane.
    let mut moved = store.shipment(&a.id, &ids[0]).await.unwrap().unwrap();
    moved.consignee = address(if moved.consignee.postal_code.as_str() == "560001" {
        "700016"
    } else {
        "560001"
    });
    let change = crate::ShipmentChange {
        id: new_id("chg"),
        actor: "test".into(),
        changes: serde_json::json!({}),
        created_at: crate::now(),
    };
    store.modify_shipment(&moved, &change).await.unwrap();
    check("a shipment moved to another lane").await;
    let report = store
        .carrier_performance(&a.id, day(today - 4), day(today))
        .await
        .unwrap();
    let counted: u64 = report.carriers.iter().map(|(_, c)| c.shipments).sum();
    assert_eq!(counted, 40);
    assert!(
        report
            .carriers
            .iter()
            .any(|(_, c)| c.delivered > 0 && c.with_ndr > 0 && c.rto > 0 && c.promised > 0)
    );
}

pub async fn audit_entries_commit_with_their_change(url: &str) {
    use crate::{Actor, AuditEntry, AuditFilter};
    let store = open(url).await;
    let a = store.create_tenant("Acme", "ha", "pa").await.unwrap();
    let b = store.create_tenant("Bolt", "hb", "pb").await.unwrap();
    let key_of_a = store
        .tenant_by_api_key_hash("ha")
        .await
        .unwrap()
        .unwrap()
        .key_id;
    let log = |tenant: String, filter: AuditFilter| {
        let store = store.clone();
        async move {
            store
                .audit_log(&tenant, &filter, None, 100)
                .await
                .unwrap()
                .items
        }
    };
    // Making a tenant records its key's creation, by the system.
    let created = log(a.id.clone(), AuditFilter::default()).await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].entry.action, "api_key.created");
    assert_eq!(created[0].entry.object_id, key_of_a);
    assert_eq!(created[0].entry.actor, Actor::System);

    // A change and its entry commit together, with the actor and request id.
    let by_key = |object_type: &str, verb: &str, id: &str| {
        AuditEntry::new(
            Actor::ApiKey(key_of_a.clone()),
            Some("req-1".into()),
            object_type,
            verb,
            id,
        )
    };
    let endpoint = webhook_endpoint(&a.id, &["shipment.created"]);
    store
        .insert_webhook_endpoint(
            &endpoint,
            &by_key("webhook_endpoint", "created", &endpoint.id)
                .with_summary(serde_json::json!({"url": "https://merchant.example/hooks"})),
        )
        .await
        .unwrap();
    let rules = serde_json::json!({"rules": []});
    store
        .set_tenant_setting(
            &a.id,
            "ndr_rules",
            &rules,
            &AuditEntry::new(
                Actor::User("usr_1".into()),
                None,
                "ndr_rules",
                "replaced",
                &a.id,
            ),
        )
        .await
        .unwrap();
    let entries = log(a.id.clone(), AuditFilter::default()).await;
    let actions: Vec<_> = entries.iter().map(|r| r.entry.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "ndr_rules.replaced",
            "webhook_endpoint.created",
            "api_key.created"
        ]
    );
    assert_eq!(entries[0].entry.actor, Actor::User("usr_1".into()));
    assert_eq!(entries[1].entry.actor, Actor::ApiKey(key_of_a.clone()));
    assert_eq!(entries[1].entry.request_id.as_deref(), Some("req-1"));
    assert_eq!(
        entries[1].entry.summary,
        serde_json::json!({"url": "https://merchant.example/hooks"})
    );
    assert!(entries[0].at >= entries[1].at);

    // A change that does not happen writes nothing: another tenant's
    // endpoint is neither updated nor deleted, a revoked key not revoked again.
    let foreign = crate::WebhookEndpoint {
        tenant_id: b.id.clone(),
        ..endpoint.clone()
    };
    assert!(matches!(
        store
            .update_webhook_endpoint(
                &foreign,
                &by_key("webhook_endpoint", "updated", &endpoint.id)
            )
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(
        !store
            .delete_webhook_endpoint(
                &b.id,
                &endpoint.id,
                &by_key("webhook_endpoint", "deleted", &endpoint.id)
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .revoke_publishable_key(
                &a.id,
                "pk_missing",
                &by_key("publishable_key", "revoked", "pk_missing")
            )
            .await
            .unwrap()
    );
    assert_eq!(log(a.id.clone(), AuditFilter::default()).await.len(), 3);
    assert_eq!(log(b.id.clone(), AuditFilter::default()).await.len(), 1);

    // Filters and pages.
    let only = |object_type: &str| AuditFilter {
        object_type: Some(object_type.into()),
        ..Default::default()
    };
    assert_eq!(log(a.id.clone(), only("webhook_endpoint")).await.len(), 1);
    let by_object = AuditFilter {
        object_id: Some(endpoint.id.clone()),
        action: Some("webhook_endpoint.created".into()),
        ..Default::default()
    };
    assert_eq!(log(a.id.clone(), by_object).await.len(), 1);
    let future = AuditFilter {
        since: Some(crate::now() + 1.hour()),
        ..Default::default()
    };
    assert!(log(a.id.clone(), future).await.is_empty());
    let past = AuditFilter {
        until: Some(entries[2].at),
        ..Default::default()
    };
    assert!(log(a.id.clone(), past).await.is_empty());
    let first = store
        .audit_log(&a.id, &AuditFilter::default(), None, 2)
        .await
        .unwrap();
    let rest = store
        .audit_log(
            &a.id,
            &AuditFilter::default(),
            first.next_after.as_deref(),
            2,
        )
        .await
        .unwrap();
    let paged: Vec<_> = first.items.iter().chain(&rest.items).cloned().collect();
    assert_eq!((paged, rest.next_after), (entries, None));
}

/// Migration 0021 rekeys stored carrier scans from raw code and exact
/// instant to status and minute (`ShipmentEvent::dedupe_key`): one scan per
/// status and minute takes the new key, a repeat the old key let in keeps
/// its own (nothing is deleted), Shipgate's own events are left as they are;
/// a repeat arriving afterwards is then one event.
pub async fn carrier_scans_are_rekeyed_by_status_and_minute(url: &str) {
    let store = open(url).await;
    let tenant = store.create_tenant("Acme", "ha", "pa").await.unwrap();
    let (shipment, first) = sample_shipment(&tenant.id, "AWB-REKEY");
    store
        .insert_shipment(&shipment, std::slice::from_ref(&first), &[])
        .await
        .unwrap();
    // On a minute's start, as 0021 keys it: a failed delivery polled as
    // `EX` and pushed as `exception` 12 s into that minute (both stored, as
    // the old key allowed), and a delivery 10 minutes later.
    let minute = 1_764_000_000_000_000_i64;
    let failed_at = minute + 12_000_000;
    let delivered_at = minute + 600_000_000;
    let rows = [
        (
            "evt_rekey_1",
            "delivery_failed",
            failed_at,
            "carrier_pull",
            "EX",
        ),
        (
            "evt_rekey_2",
            "delivery_failed",
            failed_at,
            "carrier_push",
            "exception",
        ),
        (
            "evt_rekey_3",
            "delivered",
            delivered_at,
            "carrier_push",
            "DL",
        ),
    ];
    let mut sql = String::new();
    for (id, status, at, source, code) in rows {
        sql.push_str(&format!(
            "INSERT INTO shipment_events (id, tenant_id, shipment_id, status, occurred_at, recorded_at, source, dedupe_key, carrier_code) \
             VALUES ('{id}', '{}', '{}', '{status}', {at}, {at}, '{source}', '{code}@{at}', '{code}');\n",
            tenant.id, shipment.id
        ));
    }
    let keys_sql = format!(
        "SELECT id, dedupe_key FROM shipment_events WHERE shipment_id = '{}' ORDER BY id",
        shipment.id
    );
    // Straight to the database: the events as the old key stored them, then
    // the migration's own file run again over them.
    macro_rules! rekey {
        ($pool:ty, $migration:literal) => {{
            let pool = <$pool>::connect(url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&pool)
                .await
                .unwrap();
            sqlx::raw_sql(include_str!($migration))
                .execute(&pool)
                .await
                .unwrap();
            sqlx::query_as(sqlx::AssertSqlSafe(keys_sql))
                .fetch_all(&pool)
                .await
                .unwrap()
        }};
    }
    let keys: Vec<(String, String)> = if url.starts_with("postgres") {
        rekey!(
            sqlx::PgPool,
            "../migrations/postgres/0021_dedupe_by_status.sql"
        )
    } else {
        rekey!(
            sqlx::SqlitePool,
            "../migrations/sqlite/0021_dedupe_by_status.sql"
        )
    };
    let minute_number = minute / 60_000_000;
    let key_of = |id: &str| keys.iter().find(|(i, _)| i == id).map(|(_, k)| k.clone());
    assert_eq!(
        key_of("evt_rekey_1").as_deref(),
        Some(format!("delivery_failed@m{minute_number}").as_str())
    );
    assert_eq!(
        key_of("evt_rekey_2").as_deref(),
        Some(format!("exception@{failed_at}").as_str()),
        "the repeat keeps its old key"
    );
    assert_eq!(
        key_of("evt_rekey_3").as_deref(),
        Some(format!("delivered@m{}", minute_number + 10).as_str())
    );
    assert_eq!(
        key_of(&first.id),
        Some(first.dedupe_key()),
        "own events untouched"
    );
    // The same delivery pushed again after the migration is a duplicate.
    let mut again = event(
        ShipmentStatus::Delivered,
        Timestamp::from_microsecond(delivered_at + 30_000_000).unwrap(),
        EventSource::CarrierPush,
    );
    again.carrier_code = Some("delivered".into());
    let recorded = store
        .record_events(&tenant.id, &shipment.id, &[again], &|_| Default::default())
        .await
        .unwrap();
    assert!(recorded.inserted.is_empty(), "{:?}", recorded.inserted);
}
