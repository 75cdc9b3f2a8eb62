//! The carrier performance report's counts, kept up to date as shipments
//! are stored and their state changes, so the report sums a few rows per
//! day instead of reading every shipment of the range.
//!
//! A shipment counts towards one row of `carrier_lane_daily_stats`: its
//! carrier, its lane (the first three characters of the pickup and the
//! delivery postal codes) and the day it was created, in India Standard
//! Time (the dashboard's day). What it adds to the row is a function of the
//! stored shipment alone ([`Contribution::of`]); a recording that changes
//! the shipment's state adds the difference between the contribution after
//! and before, so events that change nothing counted (a repeated scan, a
//! duplicate, a late scan the fold ignores) write nothing, and a re-fold
//! that takes back a delivery takes its counts back too. Every row has a
//! twin for the carrier's lanes together (`origin_prefix` and
//! `destination_prefix` both [`ALL_LANES`]), written by the same statement,
//! so the per-carrier totals read one row per carrier and day.

use jiff::Timestamp;
use shipgate_domain::{Shipment, ShipmentState, ShipmentStatus};

/// The report's day starts at midnight IST (UTC+05:30, no daylight saving).
pub const REPORT_UTC_OFFSET_SECONDS: i64 = 19_800;

/// The lane of a carrier's row that counts all its lanes together.
pub const ALL_LANES: &str = "*";

const SECONDS_PER_DAY: i64 = 86_400;

/// The report day (days since 1970-01-01, IST) of an instant.
pub fn report_day(t: Timestamp) -> i64 {
    (t.as_second() + REPORT_UTC_OFFSET_SECONDS).div_euclid(SECONDS_PER_DAY)
}

/// The report day of a calendar date.
pub fn day_number(date: jiff::civil::Date) -> i64 {
    // Dates jiff can represent are all within i32 days of the epoch.
    jiff::civil::date(1970, 1, 1)
        .until(date)
        .map_or(0, |span| i64::from(span.get_days()))
}

/// The report's lane of a postal code: its first three characters.
pub fn lane_prefix(postal_code: &str) -> String {
    postal_code.chars().take(3).collect()
}

/// Where a shipment is counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct StatsKey {
    pub carrier: String,
    pub origin_prefix: String,
    pub destination_prefix: String,
    pub day: i64,
}

impl StatsKey {
    pub fn of(s: &Shipment) -> Self {
        Self {
            carrier: s.carrier.clone(),
            origin_prefix: lane_prefix(s.pickup.postal_code.as_str()),
            destination_prefix: lane_prefix(s.consignee.postal_code.as_str()),
            day: report_day(s.created_at),
        }
    }

    /// The carrier's all-lanes row of the same day.
    pub fn all_lanes(&self) -> Self {
        Self {
            carrier: self.carrier.clone(),
            origin_prefix: ALL_LANES.into(),
            destination_prefix: ALL_LANES.into(),
            day: self.day,
        }
    }
}

/// What a shipment adds to its row, or (as a difference) what a change to
/// it adds. Times are microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Contribution {
    pub shipments: i64,
    pub delivered: i64,
    pub rto: i64,
    pub with_ndr: i64,
    pub promised: i64,
    pub on_time: i64,
    pub order_to_delivery: i64,
    pub picked_up_and_delivered: i64,
    pub pickup_to_delivery: i64,
}

impl Contribution {
    /// A stored shipment's contribution, with `state` as its state.
    pub fn of(s: &Shipment, state: &ShipmentState) -> Self {
        let mut c = Self {
            shipments: 1,
            rto: i64::from(state.status.as_str().starts_with("rto_")),
            with_ndr: i64::from(state.failed_attempts > 0),
            ..Self::default()
        };
        if state.status == ShipmentStatus::Delivered {
            c.delivered = 1;
            // A delivered shipment's last applied event is its delivery.
            if let Some(delivered_at) = state.last_event_at {
                c.order_to_delivery = micros_between(s.created_at, delivered_at);
                if let Some(picked_up_at) = state.picked_up_at {
                    c.picked_up_and_delivered = 1;
                    c.pickup_to_delivery = micros_between(picked_up_at, delivered_at);
                }
                // On time against what the shopper was promised at order time
                // (the carrier's own EDD moves while under way: not a promise).
                if let Some(promise) = &s.promise {
                    c.promised = 1;
                    c.on_time = i64::from(report_day(delivered_at) <= day_number(promise.date));
                }
            }
        }
        c
    }

    pub fn is_zero(&self) -> bool {
        *self == Self::default()
    }

    pub fn minus(self, o: Self) -> Self {
        self.plus(o.negated())
    }

    pub fn negated(self) -> Self {
        Self::default().plus_scaled(self, -1)
    }

    pub fn plus(self, o: Self) -> Self {
        self.plus_scaled(o, 1)
    }

    fn plus_scaled(self, o: Self, k: i64) -> Self {
        Self {
            shipments: self.shipments + k * o.shipments,
            delivered: self.delivered + k * o.delivered,
            rto: self.rto + k * o.rto,
            with_ndr: self.with_ndr + k * o.with_ndr,
            promised: self.promised + k * o.promised,
            on_time: self.on_time + k * o.on_time,
            order_to_delivery: self.order_to_delivery + k * o.order_to_delivery,
            picked_up_and_delivered: self.picked_up_and_delivered + k * o.picked_up_and_delivered,
            pickup_to_delivery: self.pickup_to_delivery + k * o.pickup_to_delivery,
        }
    }
}

impl From<Contribution> for crate::PerformanceCounts {
    fn from(c: Contribution) -> Self {
        let count = |n: i64| n.max(0) as u64;
        Self {
            shipments: count(c.shipments),
            delivered: count(c.delivered),
            rto: count(c.rto),
            with_ndr: count(c.with_ndr),
            order_to_delivery_micros: c.order_to_delivery,
            picked_up_and_delivered: count(c.picked_up_and_delivered),
            pickup_to_delivery_micros: c.pickup_to_delivery,
            promised: count(c.promised),
            on_time: count(c.on_time),
        }
    }
}

fn micros_between(from: Timestamp, to: Timestamp) -> i64 {
    to.as_microsecond() - from.as_microsecond()
}

/// Changes to rows, merged per row (one statement may not update a row twice).
#[derive(Debug, Default)]
pub(crate) struct StatsChanges {
    pub rows: std::collections::BTreeMap<StatsKey, Contribution>,
}

impl StatsChanges {
    /// Adds `c` to the shipment's lane row and its carrier's all-lanes row.
    pub fn add(&mut self, key: &StatsKey, c: Contribution) {
        if c.is_zero() {
            return;
        }
        for k in [key.clone(), key.all_lanes()] {
            let row = self.rows.entry(k).or_default();
            *row = row.plus(c);
        }
    }

    /// The rows to change (changes that cancelled out left aside).
    pub fn nonzero(&self) -> Vec<(&StatsKey, &Contribution)> {
        self.rows.iter().filter(|(_, c)| !c.is_zero()).collect()
    }

    /// A new shipment.
    pub fn insert(&mut self, s: &Shipment) {
        self.add(&StatsKey::of(s), Contribution::of(s, &s.state));
    }

    /// A shipment's state changed from `before` to `s.state`.
    pub fn state_change(&mut self, s: &Shipment, before: &ShipmentState) {
        let delta = Contribution::of(s, &s.state).minus(Contribution::of(s, before));
        // Most scans move nothing counted: no key is built for them.
        if !delta.is_zero() {
            self.add(&StatsKey::of(s), delta);
        }
    }

    /// A shipment was modified (its delivery address may be in another lane).
    pub fn modification(&mut self, before: &Shipment, after: &Shipment) {
        self.add(
            &StatsKey::of(before),
            Contribution::of(before, &before.state).negated(),
        );
        self.add(&StatsKey::of(after), Contribution::of(after, &after.state));
    }

    /// The lanes whose shipment count changes (all days together), and by
    /// how much: for the busiest-lanes ranking.
    pub fn lane_counts(&self) -> Vec<((&str, &str, &str), i64)> {
        let mut lanes: std::collections::BTreeMap<(&str, &str, &str), i64> = Default::default();
        for (k, c) in &self.rows {
            if k.origin_prefix != ALL_LANES {
                *lanes
                    .entry((&k.carrier, &k.origin_prefix, &k.destination_prefix))
                    .or_default() += c.shipments;
            }
        }
        lanes.into_iter().filter(|(_, n)| *n != 0).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_days_start_at_midnight_in_india() {
        let day = |s: &str| report_day(s.parse().unwrap());
        assert_eq!(day("2026-11-24T18:29:59Z"), day("2026-11-24T00:00:00Z"));
        assert_eq!(day("2026-11-24T18:30:00Z"), day("2026-11-24T00:00:00Z") + 1);
        assert_eq!(
            day("2026-11-24T18:30:00Z"),
            day_number(jiff::civil::date(2026, 11, 25))
        );
    }

    #[test]
    fn changes_to_one_row_merge_and_cancel_out() {
        let key = StatsKey {
            carrier: "ekart".into(),
            origin_prefix: "110".into(),
            destination_prefix: "560".into(),
            day: 20_000,
        };
        let delivered = Contribution {
            delivered: 1,
            ..Default::default()
        };
        let mut changes = StatsChanges::default();
        changes.add(&key, delivered);
        assert_eq!(
            changes.nonzero().len(),
            2,
            "the lane and the carrier's all-lanes row"
        );
        changes.add(&key, delivered.negated());
        assert!(changes.nonzero().is_empty());
    }
}
