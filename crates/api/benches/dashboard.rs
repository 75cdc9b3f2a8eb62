//! The merchant dashboard's pages over HTTP with a large tenant: each page's
//! latency (p50/p99) for one signed-in user, against a target of 100 ms.
//!
//! Seeds BENCH_SHIPMENTS shipments (default 100,000) in one tenant, in bulk:
//! 7 carriers, created over the last 90 days, each consignee with their own
//! phone; 60 % delivered (picked up, with a promised date), 5 % returned,
//! the rest on their way. BENCH_NDRS of
//! those out for delivery (default 2,000) then fail an attempt through the
//! real recording path, which raises their NDRs. Then, for each page, sends
//! BENCH_REQUESTS requests (default 200, after 20 to warm up) one after the
//! other on one keep-alive connection with the session cookie, varying the
//! search terms and shipments, and reports the latencies.
//!
//!     cargo bench -p shipgate-api --bench dashboard
//!     SHIPGATE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p shipgate-api --bench dashboard

mod common;

use std::io::Write as _;
use std::time::{Duration, Instant};

use common::{CARRIERS, Lcg, bench_store, env, exchange, percentile};
use jiff::{SignedDuration, Timestamp};
use shipgate_api::{AppState, app};
use shipgate_carriers::secrets::SecretBox;
use shipgate_domain::address::{Address, AddressInput};
use shipgate_domain::shipment::DeliveryPromise;
use shipgate_domain::{EventSource, NdrReason, ShipmentStatus};
use shipgate_storage::{FollowUps, ShipmentReport, Store, UserSession, conformance, new_id};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The target every page must meet.
const TARGET_MS: f64 = 100.0;

fn address(rng: &mut Lcg, i: u64) -> Address {
    let pin = common::destination(rng.next(2_000));
    Address::parse(&AddressInput {
        name: format!("Customer {i}"),
        phone: format!("9{:09}", 100_000_000 + i),
        line1: format!("{} MG Road", 1 + rng.next(300)),
        city: "Bengaluru".into(),
        state: "Karnataka".into(),
        postal_code: pin,
        ..Default::default()
    })
    .expect("valid address")
}

struct Seeded {
    awbs: Vec<String>,
    references: Vec<String>,
    phones: Vec<String>,
    ids: Vec<String>,
}

async fn seed(store: &dyn Store, tenant_id: &str, n: u64, ndrs: u64) -> Seeded {
    let mut rng = Lcg(7);
    let now = Timestamp::now();
    let mut seeded = Seeded {
        awbs: Vec::new(),
        references: Vec::new(),
        phones: Vec::new(),
        ids: Vec::new(),
    };
    let mut out_for_delivery = Vec::new();
    let mut delivered = 0;
    let started = Instant::now();
    let mut batch = Vec::with_capacity(1_000);
    for i in 0..n {
        let awb = format!("BN{i:010}");
        let (mut s, mut first) = conformance::sample_shipment(tenant_id, &awb);
        s.carrier = CARRIERS[rng.next(CARRIERS.len() as u64) as usize].into();
        s.order_reference = format!("ORD-{i}");
        s.pickup = Address::parse(&AddressInput {
            name: "Warehouse".into(),
            phone: "9876543210".into(),
            line1: "Plot 4".into(),
            city: "New Delhi".into(),
            state: "Delhi".into(),
            postal_code: common::origin(rng.next(5)),
            ..Default::default()
        })
        .expect("valid pickup");
        s.consignee = address(&mut rng, i);
        // Spread over the last 90 days, older first (ids are time-ordered too).
        let created = now - SignedDuration::from_secs(((n - i) * 90 * 86_400 / n) as i64);
        s.created_at = created;
        s.updated_at = created;
        first.occurred_at = created;
        first.recorded_at = created;
        let roll = rng.next(100);
        let transit = SignedDuration::from_hours(24 + rng.next(96) as i64);
        let (status, last) = match roll {
            0..60 if created + transit < now => (ShipmentStatus::Delivered, created + transit),
            60..65 => (ShipmentStatus::RtoDelivered, created + transit),
            65..80 => (
                ShipmentStatus::OutForDelivery,
                created + SignedDuration::from_hours(20),
            ),
            80..90 => (
                ShipmentStatus::InTransit,
                created + SignedDuration::from_hours(10),
            ),
            _ => (ShipmentStatus::Manifested, created),
        };
        let last = last.min(now);
        s.state.status = status;
        s.state.progress = status;
        s.state.last_event_at = Some(last);
        let mut events = vec![first];
        if status != ShipmentStatus::Manifested {
            events.push(conformance::event(status, last, EventSource::CarrierPull));
        }
        if status == ShipmentStatus::Delivered {
            let ist = jiff::tz::TimeZone::fixed(
                jiff::tz::offset(5).saturating_add(SignedDuration::from_mins(30)),
            );
            let ordered = created.to_zoned(ist).date();
            s.promise = Some(DeliveryPromise {
                date: ordered + jiff::Span::new().days(2 + rng.next(3) as i64),
                confidence_percent: 90,
                handover: ordered,
            });
            s.state.picked_up_at = Some(created + SignedDuration::from_hours(6));
            delivered += 1;
        }
        if status == ShipmentStatus::OutForDelivery {
            out_for_delivery.push((s.id.clone(), last));
        }
        if i % 997 == 0 {
            seeded.awbs.push(awb.clone());
            seeded.references.push(s.order_reference.clone());
            seeded
                .phones
                .push(s.consignee.phone.as_str()[3..].to_string());
            seeded.ids.push(s.id.clone());
        }
        batch.push((s, events));
        if batch.len() == 1_000 {
            store.insert_shipments(&batch).await.unwrap();
            batch.clear();
        }
    }
    store.insert_shipments(&batch).await.unwrap();
    println!(
        "seeded {n} shipments ({delivered} delivered) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // Failed attempts through the real path: NDR records are raised.
    let started = Instant::now();
    let reasons = [
        NdrReason::CustomerUnavailable,
        NdrReason::AddressIssue,
        NdrReason::Refused,
    ];
    let reports: Vec<ShipmentReport> = out_for_delivery
        .iter()
        .take(ndrs as usize)
        .enumerate()
        .map(|(i, (id, last))| {
            let mut e = conformance::event(
                ShipmentStatus::DeliveryFailed,
                *last + SignedDuration::from_hours(3),
                EventSource::CarrierPull,
            );
            e.ndr_reason = Some(reasons[i % reasons.len()]);
            ShipmentReport {
                shipment_id: id.clone(),
                events: vec![e],
                facts: Default::default(),
            }
        })
        .collect();
    let mut raised = 0;
    for chunk in reports.chunks(250) {
        for r in store
            .record_events_batch(tenant_id, chunk, &|_| FollowUps::default())
            .await
            .unwrap()
        {
            raised += r.raised_ndrs.len();
        }
    }
    println!(
        "raised {raised} NDRs in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    seeded
}

fn request(path: &str, cookie: &str) -> Vec<u8> {
    let mut r = Vec::new();
    write!(
        r,
        "GET {path} HTTP/1.1\r\nHost: bench\r\nCookie: sg_session={cookie}\r\n\r\n"
    )
    .unwrap();
    r
}

#[tokio::main]
async fn main() {
    shipgate_carriers::client::install_tls_provider();
    let n = env("BENCH_SHIPMENTS", 100_000);
    let ndrs = env("BENCH_NDRS", 2_000);
    let requests = env("BENCH_REQUESTS", 200) as usize;
    let (url, store, tenant, _key) = bench_store().await;
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("dashboard: {backend}, {n} shipments");
    let seeded = seed(store.as_ref(), &tenant.id, n, ndrs).await;

    // A signed-in user: the session as sign-in makes it.
    let user = shipgate_api::dashboard::create_user(
        store.as_ref(),
        &tenant.id,
        "bench@shop.example",
        "bench password",
    )
    .await
    .unwrap();
    let token = new_id("tok");
    let now = shipgate_storage::now();
    store
        .create_user_session(&UserSession {
            token_hash: shipgate_api::keys::hash(&token),
            user_id: user.id,
            csrf_token: "csrf".into(),
            created_at: now,
            expires_at: now + SignedDuration::from_hours(1),
        })
        .await
        .unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let secrets = SecretBox::from_config(&SecretBox::generate_key()).unwrap();
    let state = AppState::new(store.clone(), secrets, None, None);
    tokio::spawn(async move {
        axum::serve(
            listener,
            app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap()
    });

    // The second page of the list: the cursor after the first 50.
    let first = store
        .list_shipments(&tenant.id, &Default::default(), None, 50)
        .await
        .unwrap();
    let cursor = shipgate_api::views::encode_cursor(&first.next_after.unwrap());
    let today = Timestamp::now()
        .to_zoned(shipgate_carriers::core::time::ist())
        .date();
    let week_ago = today - jiff::Span::new().days(7);
    let quarter_ago = today - jiff::Span::new().days(89);
    let cycle = |f: &dyn Fn(usize) -> String| -> Vec<String> { (0..16).map(f).collect() };
    let pages: Vec<(&str, Vec<String>)> = vec![
        ("shipments, first page", vec!["/app/shipments".into()]),
        (
            "shipments, second page",
            vec![format!("/app/shipments?after={cursor}")],
        ),
        (
            "search by AWB",
            cycle(&|i| format!("/app/shipments?q={}", seeded.awbs[i % seeded.awbs.len()])),
        ),
        (
            "search by order reference",
            cycle(&|i| {
                format!(
                    "/app/shipments?q={}",
                    seeded.references[i % seeded.references.len()]
                )
            }),
        ),
        (
            "search by phone",
            cycle(&|i| {
                format!(
                    "/app/shipments?q={}",
                    seeded.phones[i % seeded.phones.len()]
                )
            }),
        ),
        (
            "filter: status + carrier",
            cycle(&|i| {
                format!(
                    "/app/shipments?status=delivery_failed&carrier={}",
                    CARRIERS[i % CARRIERS.len()]
                )
            }),
        ),
        ("filter: with an NDR", vec!["/app/shipments?ndr=1".into()]),
        (
            "filter: last 7 days, in transit",
            vec![format!(
                "/app/shipments?status=in_transit&from={week_ago}&to={today}"
            )],
        ),
        (
            "shipment page",
            cycle(&|i| format!("/app/shipments/{}", seeded.ids[i % seeded.ids.len()])),
        ),
        ("NDR desk", vec!["/app/ndr".into()]),
        (
            "NDR desk, one carrier",
            cycle(&|i| format!("/app/ndr?carrier={}", CARRIERS[i % CARRIERS.len()])),
        ),
        (
            "carrier performance, 30 days",
            vec!["/app/performance".into()],
        ),
        (
            "carrier performance, 90 days",
            vec![format!("/app/performance?from={quarter_ago}&to={today}")],
        ),
        ("settings", vec!["/app/settings".into()]),
        (
            "public tracking page",
            cycle(&|i| format!("/track/{}", seeded.awbs[i % seeded.awbs.len()])),
        ),
    ];
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let mut buf = vec![0u8; 4 * 1024 * 1024];
    println!(
        "{:<34} {:>9} {:>9} {:>9}",
        "page", "p50 ms", "p99 ms", "max ms"
    );
    let mut over = Vec::new();
    for (name, paths) in &pages {
        let raw: Vec<Vec<u8>> = paths.iter().map(|p| request(p, &token)).collect();
        for r in raw.iter().cycle().take(20) {
            let status = exchange(&mut stream, &mut buf, r).await;
            assert_eq!(status, 200, "{name}");
        }
        let mut latencies: Vec<Duration> = Vec::with_capacity(requests);
        for r in raw.iter().cycle().take(requests) {
            let started = Instant::now();
            let status = exchange(&mut stream, &mut buf, r).await;
            latencies.push(started.elapsed());
            assert_eq!(status, 200, "{name}");
        }
        latencies.sort_unstable();
        let (p50, p99) = (percentile(&latencies, 0.5), percentile(&latencies, 0.99));
        let max = latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        println!("{name:<34} {p50:>9.2} {p99:>9.2} {max:>9.2}");
        if p99 > TARGET_MS {
            over.push(*name);
        }
    }
    // The report's own queries, without HTTP and HTML.
    for (name, days) in [("report query, 30 days", 30), ("report query, 90 days", 90)] {
        let first = today - jiff::Span::new().days(days - 1);
        let mut latencies = Vec::new();
        for _ in 0..requests {
            let started = Instant::now();
            store
                .carrier_performance(&tenant.id, first, today)
                .await
                .unwrap();
            latencies.push(started.elapsed());
        }
        latencies.sort_unstable();
        let (p50, p99) = (percentile(&latencies, 0.5), percentile(&latencies, 0.99));
        let max = latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        println!("{name:<34} {p50:>9.2} {p99:>9.2} {max:>9.2}");
        if p99 > TARGET_MS {
            over.push(name);
        }
    }
    if over.is_empty() {
        println!("every page's p99 is under {TARGET_MS} ms");
    } else {
        println!("over {TARGET_MS} ms at p99: {}", over.join(", "));
    }
}
