//! In-process EDD lookups: one carrier, and seven carriers on one lane, from a
//! model learned from BENCH_HISTORY synthetic deliveries (default 100,000).
//!
//!     cargo bench -p shipgate-edd

use std::hint::black_box;
use std::time::Instant;

use jiff::civil::date;
use shipgate_edd::model::Context;
use shipgate_edd::{Calendar, Model, ModelConfig, Observation, PostalScheme, Query, Start};

const CARRIERS: [&str; 7] = [
    "delhivery",
    "ekart",
    "xpressbees",
    "ecom_express",
    "bluedart",
    "dtdc",
    "shiprocket",
];

struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn pin(i: u64) -> String {
    format!("{}", 110_001 + i * 337 % 740_000)
}

fn main() {
    let history: u64 = std::env::var("BENCH_HISTORY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let context = Context::default()
        .with_scheme(PostalScheme::india())
        .with_default_calendar(Calendar::default());
    let mut model = Model::new(ModelConfig::default(), context);
    let mut rng = Lcg(42);
    let started = Instant::now();
    for _ in 0..history {
        let ordered = date(2026, 8, 1) + jiff::Span::new().days(rng.next(100) as i64);
        let at = ordered.at(10, 0, 0, 0);
        let processing = rng.next(2) as i64;
        let transit = 1 + rng.next(7) as i64;
        let observation = Observation {
            country: "IN".into(),
            carrier: CARRIERS[rng.next(7) as usize].into(),
            service: String::new(),
            scope: String::new(),
            origin: pin(rng.next(20) * 97),
            destination: pin(rng.next(2_000)),
            ordered_at: at,
            picked_up_at: Some(at + jiff::Span::new().days(processing)),
            delivered_at: at + jiff::Span::new().days(processing + transit),
        };
        model.observe(&observation).unwrap();
    }
    let learn = started.elapsed();
    println!(
        "learned {history} deliveries in {:.2} s ({:.0}/s), {} keys",
        learn.as_secs_f64(),
        history as f64 / learn.as_secs_f64(),
        model.keys()
    );
    let lanes: Vec<(String, String)> = (0..1_000)
        .map(|_| (pin(rng.next(20) * 97), pin(rng.next(2_500))))
        .collect();
    let query = |origin: &'static str, destination: &'static str| Query {
        country: "IN",
        carrier: "delhivery",
        service: "",
        scope: "",
        origin,
        destination,
        start: Start::Order(date(2026, 12, 1).at(11, 0, 0, 0)),
        confidence: 0.9,
    };
    let lanes: Vec<(&'static str, &'static str)> = lanes
        .into_iter()
        .map(|(o, d)| (&*o.leak(), &*d.leak()))
        .collect();
    // Each lane's first lookup works its answer out; later ones find it in
    // the model's lane cache. `uncached` empties the cache before each.
    for (label, carriers, cached) in [
        ("1 carrier, uncached", &CARRIERS[..1], false),
        ("7 carriers, uncached", &CARRIERS[..], false),
        ("1 carrier, cached", &CARRIERS[..1], true),
        ("7 carriers, cached", &CARRIERS[..], true),
    ] {
        let rounds = 200_000 / carriers.len();
        let started = Instant::now();
        for i in 0..rounds {
            let (o, d) = lanes[i % lanes.len()];
            if !cached {
                model.forget_lanes();
            }
            black_box(model.estimate_carriers(&query(o, d), carriers).unwrap());
        }
        let elapsed = started.elapsed();
        println!(
            "{label:<21} {:>9.0} lookups/s  {:>6.2} µs per lookup (one core)",
            rounds as f64 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64() * 1e6 / rounds as f64
        );
    }
}
