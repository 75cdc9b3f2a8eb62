//! Labels rendered per second: 4×6 PDF, A4 sheets of four, and ZPL, on one
//! thread, and the 4×6 PDF on two threads at once (how a server with two
//! cores renders concurrent requests). Run with `cargo bench -p
//! shipgate-labels` (release profile).
//!
//! A plain `Instant` loop: each case warms up (fonts parse once per process,
//! on first use), then runs for a fixed time and reports the rate.
//!
//! Every label is of a different shipment (AWB, order, consignee and phone),
//! so nothing a renderer might remember between labels flatters the figures;
//! the carrier, routing codes and the warehouse (return address) repeat, as
//! they do in one merchant's day of labels.

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

const LATIN_NAMES: [&str; 7] = [
    "Asha Rao",
    "Vikram Singh",
    "Priya Nair",
    "Rahul Mehta",
    "Fatima Sheikh",
    "Arjun Reddy",
    "Meera Iyer",
];
const DEVANAGARI_NAMES: [&str; 3] = ["राम कुमार शर्मा", "सीता देवी", "अमित वर्मा"];

/// A typical label: COD, routing code, two address lines; every fourth one
/// has a Devanagari address, so both scripts' fonts are embedded.
fn shipment(i: usize) -> Shipment {
    let mut consignee = if i % 4 == 3 {
        address(
            DEVANAGARI_NAMES[i % 3],
            &format!("फ्लैट {}, श्री निवास, सेक्टर {}", i % 500 + 1, i % 40 + 1),
            "नई दिल्ली",
            "दिल्ली",
            "110001",
        )
    } else {
        address(
            LATIN_NAMES[i % 7],
            &format!(
                "{}, {}th Main, HAL 2nd Stage, Indiranagar",
                i % 900 + 1,
                i % 19 + 1
            ),
            "Bengaluru",
            "Karnataka",
            "560038",
        )
    };
    consignee.phone =
        Phone::parse(&consignee.country, &format!("98{:08}", i)).expect("valid phone");
    Shipment {
        id: format!("shp_{i}"),
        tenant_id: "ten_1".into(),
        order_reference: format!("ORD-{i:06}"),
        carrier: "delhivery".into(),
        carrier_account_id: None,
        awb: format!("SG{:013}", 1_000_000 + i),
        routing_code: Some(["BLR/KOR/E12", "DEL/OKH/S03", "BOM/AND/W07"][i % 3].into()),
        allocation: None,
        carrier_facts: Default::default(),
        promise: None,
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
            minor_units: 49_900 + 100 * (i as i64 % 200),
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

/// Whether the command line selects the case `name`: any argument that is
/// not a flag selects cases by substring.
fn selected(name: &str) -> bool {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
}

/// Runs `render` (which renders `labels_per_call` labels for call number
/// `i`) on `threads` threads at once for about `duration`, and prints the
/// labels per second of all of them together.
fn bench(
    name: &str,
    threads: usize,
    labels_per_call: usize,
    duration: Duration,
    render: impl Fn(usize) -> usize + Sync,
) {
    if !selected(name) {
        return;
    }
    for i in 0..20 {
        black_box(render(i));
    }
    let start = Instant::now();
    let (calls, bytes) = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let render = &render;
                scope.spawn(move || {
                    let (mut calls, mut bytes) = (0usize, 0usize);
                    // Threads take interleaved call numbers: no two render
                    // the same label.
                    while start.elapsed() < duration {
                        bytes += black_box(render(calls * threads + t));
                        calls += 1;
                    }
                    (calls, bytes)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("bench thread"))
            .fold((0, 0), |(c, b), (c2, b2)| (c + c2, b + b2))
    });
    let secs = start.elapsed().as_secs_f64();
    let labels = calls * labels_per_call;
    println!(
        "{name:<30} {:>9.0} labels/s  {:>8.1} µs/label  {:>7} B/call  ({labels} labels in {secs:.2} s)",
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
    // Enough different shipments that no case runs out in its time.
    let shipments: Vec<Shipment> = (0..if full { 8192 } else { 256 }).map(shipment).collect();
    let n = shipments.len();
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    println!("shipgate-labels, {duration:?} per case, {cores} cores");
    bench("PDF 4x6, 1 thread", 1, 1, duration, |i| {
        shipgate_labels::render_pdf(&shipments[i % n])
            .expect("label renders")
            .len()
    });
    bench("PDF 4x6, 2 threads", 2, 1, duration, |i| {
        shipgate_labels::render_pdf(&shipments[i % n])
            .expect("label renders")
            .len()
    });
    bench("PDF A4 (4 labels a page)", 1, 4, duration, |i| {
        let start = (i * 4) % n;
        shipgate_labels::render_pdf_a4(&shipments[start..start + 4])
            .expect("sheet renders")
            .len()
    });
    bench("PDF A4 (64 labels, 16 pages)", 1, 64, duration, |i| {
        let start = (i * 64) % n;
        shipgate_labels::render_pdf_a4(&shipments[start..start + 64])
            .expect("sheets render")
            .len()
    });
    bench("ZPL", 1, 1, duration, |i| {
        shipgate_labels::render_zpl(&shipments[i % n]).len()
    });
    // Parts, to show what the label rates are made of.
    bench("  part: QR encode", 1, 1, duration, |i| {
        let payload = shipgate_labels::LabelPayload::from_shipment(&shipments[i % n]).encode();
        fast_qr::QRBuilder::new(payload.as_bytes())
            .ecl(fast_qr::ECL::M)
            .build()
            .expect("fits")
            .size
    });
}
