//! Labels rendered per second, single-threaded: 4×6 PDF, A4 sheets of four,
//! and ZPL. Run with `cargo bench -p shipgate-labels` (release profile).
//!
//! A plain `Instant` loop: each case warms up (fonts parse once per process,
//! on first use), then runs for a fixed time and reports the rate.

use std::hint::black_box;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use shipgate_domain::{
    Address, CountryCode, Currency, Money, Parcel, PaymentMode, Phone, PostalCode, Shipment,
    ShipmentState,
};

fn address(name: &str, line1: &str, city: &str, state: &str, pin: &str) -> Address {
    let country = CountryCode::india();
    Address {
        name: name.into(),
        phone: Phone::parse(&country, "9812345678").expect("valid phone"),
        email: None,
        company: None,
        line1: line1.into(),
        line2: Some("Near the water tank, 3rd cross".into()),
        landmark: None,
        city: city.into(),
        state: state.into(),
        postal_code: PostalCode::parse(&country, pin).expect("valid PIN"),
        country,
    }
}

/// A typical label: Latin consignee, COD, routing code; every fourth one has
/// a Devanagari address, so both fonts are exercised.
fn shipment(i: usize) -> Shipment {
    let consignee = if i % 4 == 3 {
        address(
            "राम कुमार शर्मा",
            "फ्लैट 4, श्री निवास, सेक्टर 5",
            "नई दिल्ली",
            "दिल्ली",
            "110001",
        )
    } else {
        address(
            "Asha Rao",
            "12, 4th Main, HAL 2nd Stage, Indiranagar",
            "Bengaluru",
            "Karnataka",
            "560038",
        )
    };
    Shipment {
        id: format!("shp_{i}"),
        tenant_id: "ten_1".into(),
        order_reference: format!("ORD-{i:06}"),
        carrier: "delhivery".into(),
        carrier_account_id: None,
        awb: format!("SG{:013}", 1_000_000 + i),
        routing_code: Some("BLR/KOR/E12".into()),
        allocation: None,
        carrier_facts: Default::default(),
        pickup: address(
            "Shipgate Warehouse",
            "Plot 7, KIADB Industrial Area",
            "Bengaluru",
            "Karnataka",
            "562114",
        ),
        consignee,
        return_address: None,
        parcels: vec![Parcel {
            weight_grams: 1_250,
            length_cm: Some(30),
            width_cm: Some(20),
            height_cm: Some(10),
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
        state: ShipmentState::default(),
        created_at: Timestamp::UNIX_EPOCH,
        updated_at: Timestamp::UNIX_EPOCH,
    }
}

/// Runs `render` (which renders `labels_per_call` labels) for about
/// `duration` and prints labels per second.
fn bench(
    name: &str,
    labels_per_call: usize,
    duration: Duration,
    mut render: impl FnMut(usize) -> usize,
) {
    // Any argument that is not a flag selects cases by substring.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
        return;
    }
    for i in 0..20 {
        black_box(render(i));
    }
    let start = Instant::now();
    let (mut calls, mut bytes) = (0usize, 0usize);
    while start.elapsed() < duration {
        bytes += black_box(render(calls));
        calls += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    let labels = calls * labels_per_call;
    println!(
        "{name:<28} {:>9.0} labels/s  {:>8.1} µs/label  {:>7} B/call  ({labels} labels in {secs:.2} s)",
        labels as f64 / secs,
        secs * 1e6 / labels as f64,
        bytes / calls.max(1),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and
    // then a short run only checks the benchmark still works.
    let full = std::env::args().any(|a| a == "--bench");
    let duration = Duration::from_millis(if full { 3_000 } else { 100 });
    let shipments: Vec<Shipment> = (0..64).map(shipment).collect();
    let n = shipments.len();
    println!("shipgate-labels, single thread, {duration:?} per case");
    bench("PDF 4x6", 1, duration, |i| {
        shipgate_labels::render_pdf(&shipments[i % n])
            .expect("label renders")
            .len()
    });
    bench("PDF A4 (4 labels a page)", 4, duration, |i| {
        let start = (i * 4) % n;
        shipgate_labels::render_pdf_a4(&shipments[start..start + 4])
            .expect("sheet renders")
            .len()
    });
    bench("PDF A4 (64 labels, 16 pages)", 64, duration, |_| {
        shipgate_labels::render_pdf_a4(&shipments)
            .expect("sheets render")
            .len()
    });
    bench("ZPL", 1, duration, |i| {
        shipgate_labels::render_zpl(&shipments[i % n]).len()
    });
    // Parts, to show what the label rates are made of.
    bench("  part: QR encode", 1, duration, |i| {
        let payload = shipgate_labels::LabelPayload::from_shipment(&shipments[i % n]).encode();
        fast_qr::QRBuilder::new(payload.as_bytes())
            .ecl(fast_qr::ECL::M)
            .build()
            .expect("fits")
            .size
    });
}
