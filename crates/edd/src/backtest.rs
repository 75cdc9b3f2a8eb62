//! Backtests: replay history in time order as a live system would see it —
//! learn each delivery when it arrives, promise each order when it is placed
//! — and score the promises made after the training period.

use std::collections::BTreeMap;

use jiff::civil::{Date, DateTime};
use serde::Serialize;

use crate::import::HistoricalOrder;
use crate::model::{Model, Query, Start};

/// Promises are scored at these confidences.
pub const DEFAULT_CONFIDENCES: [f64; 4] = [0.5, 0.8, 0.9, 0.95];

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Score {
    /// Orders scored.
    pub n: u64,
    /// Share delivered on or before the promised date (0–1).
    pub on_time_rate: f64,
    /// Mean absolute difference between promised and actual date, in days.
    pub mae_days: f64,
    /// Mean days from order to promised date.
    pub mean_promise_days: f64,
    /// Mean days from order to delivery.
    pub mean_actual_days: f64,
}

#[derive(Debug, Clone, Default)]
struct Tally {
    n: u64,
    on_time: u64,
    abs_error: i64,
    promise: i64,
    actual: i64,
}

impl Tally {
    fn add(&mut self, ordered: Date, promised: Date, delivered: Date) {
        self.n += 1;
        self.on_time += u64::from(delivered <= promised);
        self.abs_error += days_between(promised, delivered).abs();
        self.promise += days_between(ordered, promised);
        self.actual += days_between(ordered, delivered);
    }

    fn score(&self) -> Score {
        let n = self.n.max(1) as f64;
        let round = |x: f64| (x * 10_000.0).round() / 10_000.0;
        Score {
            n: self.n,
            on_time_rate: round(self.on_time as f64 / n),
            mae_days: round(self.abs_error as f64 / n),
            mean_promise_days: round(self.promise as f64 / n),
            mean_actual_days: round(self.actual as f64 / n),
        }
    }
}

fn days_between(from: Date, to: Date) -> i64 {
    (to - from).get_days() as i64
}

/// Scores at one confidence, beside the seller's own promise for the same orders.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelReport {
    pub confidence: f64,
    #[serde(flatten)]
    pub score: Score,
    /// The seller's own estimate on the same orders (where the data has it).
    pub seller_estimate: Option<Score>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestReport {
    pub train_until: Date,
    /// Deliveries learned, before and during the test period.
    pub learned: u64,
    /// Orders placed on or after `train_until` that were delivered, i.e. can be scored.
    pub scored: u64,
    /// Orders in the test period never delivered (cancelled, lost): nothing to score.
    pub undelivered: u64,
    /// Deliveries the model could not learn or promise (bad codes, unknown country).
    pub rejected: u64,
    /// `p50`, `p90`, … → scores.
    #[serde(flatten)]
    pub levels: BTreeMap<String, LevelReport>,
}

enum Event<'a> {
    /// The order is placed: promise it (scored when in the test period).
    Promise(&'a HistoricalOrder),
    Learn(&'a HistoricalOrder),
}

/// Replays `orders`: learning from each delivery at its delivery time and
/// promising each order placed on or after `train_until` at its order time, so
/// no promise knows of a delivery that had not happened yet.
pub fn run(
    mut model: Model,
    orders: &[HistoricalOrder],
    train_until: Date,
    confidences: &[f64],
    mut progress: impl FnMut(u64, u64),
) -> BacktestReport {
    let mut events: Vec<(DateTime, u8, Event<'_>)> = Vec::with_capacity(orders.len() * 2);
    let mut undelivered = 0;
    for order in orders {
        if let Some(delivered) = order.delivered_at {
            events.push((delivered, 1, Event::Learn(order)));
            if order.ordered_at.date() >= train_until {
                events.push((order.ordered_at, 0, Event::Promise(order)));
            }
        } else if order.ordered_at.date() >= train_until {
            undelivered += 1;
        }
    }
    // At the same instant a promise comes first: it must not see that delivery.
    events.sort_by_key(|e| (e.0, e.1));

    let mut ours: Vec<Tally> = vec![Tally::default(); confidences.len()];
    let mut sellers: Vec<Tally> = vec![Tally::default(); confidences.len()];
    let (mut learned, mut scored, mut rejected) = (0, 0, 0);
    let total = events.len() as u64;
    for (index, (_, _, event)) in events.iter().enumerate() {
        if index % 5_000 == 0 {
            progress(index as u64, total);
        }
        match event {
            Event::Learn(order) => match order.observation().map(|o| model.observe(&o)) {
                Some(Ok(())) => learned += 1,
                _ => rejected += 1,
            },
            Event::Promise(order) => {
                let Some(delivered) = order.delivered_at.map(|t| t.date()) else {
                    continue;
                };
                let ordered = order.ordered_at.date();
                let mut promises = Vec::with_capacity(confidences.len());
                for &confidence in confidences {
                    let query = Query {
                        country: &order.country,
                        carrier: &order.carrier,
                        service: &order.service,
                        scope: &order.scope,
                        origin: &order.origin,
                        destination: &order.destination,
                        start: Start::Order(order.ordered_at),
                        confidence,
                    };
                    match model.estimate(&query) {
                        Ok(Some(estimate)) => promises.push(estimate.date),
                        _ => break,
                    }
                }
                if promises.len() != confidences.len() {
                    rejected += 1;
                    continue;
                }
                scored += 1;
                for (i, promised) in promises.into_iter().enumerate() {
                    ours[i].add(ordered, promised, delivered);
                    if let Some(seller) = order.promised {
                        sellers[i].add(ordered, seller, delivered);
                    }
                }
            }
        }
    }
    progress(total, total);
    let levels = confidences
        .iter()
        .enumerate()
        .map(|(i, &confidence)| {
            let name = format!("p{}", (confidence * 100.0).round() as u32);
            let report = LevelReport {
                confidence,
                score: ours[i].score(),
                seller_estimate: (sellers[i].n > 0).then(|| sellers[i].score()),
            };
            (name, report)
        })
        .collect();
    BacktestReport {
        train_until,
        learned,
        scored,
        undelivered,
        rejected,
        levels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Calendar;
    use crate::model::{Context, ModelConfig};
    use crate::postal::PostalScheme;
    use jiff::civil::date;

    fn order(id: usize, ordered: Date, transit: i64, promised: i64) -> HistoricalOrder {
        let at = ordered.at(9, 0, 0, 0);
        HistoricalOrder {
            id: id.to_string(),
            country: "IN".into(),
            carrier: "delhivery".into(),
            service: String::new(),
            scope: String::new(),
            origin: "560001".into(),
            destination: "110001".into(),
            ordered_at: at,
            picked_up_at: Some(at),
            delivered_at: Some(at + jiff::Span::new().days(transit)),
            promised: Some(ordered + jiff::Span::new().days(promised)),
        }
    }

    #[test]
    fn promises_are_scored_only_after_training_and_never_see_the_future() {
        let model = Model::new(
            ModelConfig::default(),
            Context::default()
                .with_scheme(PostalScheme::india())
                .with_default_calendar(Calendar::every_day()),
        );
        let mut orders = Vec::new();
        // Training: every delivery takes 3 days.
        for i in 0..60 {
            orders.push(order(
                i,
                date(2026, 1, 1) + jiff::Span::new().days(i as i64),
                3,
                7,
            ));
        }
        // Test: deliveries take 3 days too; the seller promises 7.
        for i in 0..20 {
            orders.push(order(
                100 + i,
                date(2026, 3, 10) + jiff::Span::new().days(i as i64),
                3,
                7,
            ));
        }
        let report = run(model, &orders, date(2026, 3, 10), &[0.5, 0.9], |_, _| {});
        assert_eq!(report.scored, 20);
        assert_eq!(report.learned, 80);
        let p90 = &report.levels["p90"];
        assert_eq!(p90.score.on_time_rate, 1.0);
        assert_eq!(p90.score.mean_promise_days, 3.0);
        assert_eq!(p90.score.mae_days, 0.0);
        let seller = p90.seller_estimate.as_ref().unwrap();
        assert_eq!(seller.mean_promise_days, 7.0);
        assert_eq!(seller.mae_days, 4.0);
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["p50"]["n"], 20);
        assert_eq!(json["p90"]["seller_estimate"]["on_time_rate"], 1.0);
    }
}
