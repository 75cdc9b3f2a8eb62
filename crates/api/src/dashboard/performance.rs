//! Carrier performance: per carrier and per lane, for the shipments created
//! in a date range — turnaround (creation to delivery), on-time rate against
//! the promised EDD, NDR and RTO rates — as server-rendered SVG bar charts
//! with the numbers beside them.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use maud::{Markup, html};
use serde::Deserialize;
use shipgate_storage::LanePerformance;

use super::shipments::{day_start, parse_day};
use super::{Nav, Page, PageError, Session, words};
use crate::AppState;

/// The default range: the last 30 days.
const DEFAULT_DAYS: i64 = 30;
/// The longest range one report covers.
const MAX_DAYS: i64 = 366;
/// Lanes listed, busiest first.
const TOP_LANES: usize = 25;

/// A report younger than this is shown as it is.
pub const FRESH_FOR: Duration = Duration::from_secs(60);
/// An older one (up to this age) is shown while a new one is computed in
/// the background; older still, the page waits for a new one.
pub const STALE_FOR: Duration = Duration::from_secs(15 * 60);
/// Reports kept (per tenant and range).
const CACHED_REPORTS: usize = 256;

/// A computed report.
#[derive(Debug, Clone)]
pub struct Report {
    pub lanes: Arc<Vec<LanePerformance>>,
    pub computed_at: jiff::Timestamp,
    at: Instant,
}

type Key = (String, jiff::Timestamp, jiff::Timestamp);

/// Carrier performance reports per tenant and range: the report reads every
/// shipment created in the range, so it is computed at most once a minute
/// per tenant and range and served from here meanwhile (stale-while-revalidate).
#[derive(Default)]
pub struct ReportCache {
    reports: Mutex<HashMap<Key, Report>>,
    refreshing: Mutex<std::collections::HashSet<Key>>,
}

impl ReportCache {
    /// The report for the range: cached, or computed now.
    pub async fn get(
        &self,
        state: &AppState,
        tenant_id: &str,
        from: jiff::Timestamp,
        before: jiff::Timestamp,
    ) -> Result<Report, PageError> {
        let key: Key = (tenant_id.to_string(), from, before);
        let cached = self.reports.lock().expect("poisoned").get(&key).cloned();
        match cached {
            Some(r) if r.at.elapsed() < FRESH_FOR => Ok(r),
            Some(r) if r.at.elapsed() < STALE_FOR => {
                if self
                    .refreshing
                    .lock()
                    .expect("poisoned")
                    .insert(key.clone())
                {
                    let state = state.clone();
                    tokio::spawn(async move {
                        let cache = &state.dashboard.reports;
                        if let Err(e) = cache.compute(&state, key.clone()).await {
                            tracing::warn!(error = ?e, "carrier performance refresh failed");
                        }
                        cache.refreshing.lock().expect("poisoned").remove(&key);
                    });
                }
                Ok(r)
            }
            _ => self.compute(state, key).await,
        }
    }

    async fn compute(&self, state: &AppState, key: Key) -> Result<Report, PageError> {
        let lanes = state
            .store
            .carrier_performance(&key.0, key.1, key.2)
            .await?;
        let report = Report {
            lanes: Arc::new(lanes),
            computed_at: jiff::Timestamp::now(),
            at: Instant::now(),
        };
        let mut reports = self.reports.lock().expect("poisoned");
        if reports.len() >= CACHED_REPORTS && !reports.contains_key(&key) {
            reports.retain(|_, r| r.at.elapsed() < FRESH_FOR);
            if reports.len() >= CACHED_REPORTS {
                reports.clear();
            }
        }
        reports.insert(key, report.clone());
        Ok(report)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
}

/// Totals of one carrier (all its lanes) or one lane.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub shipments: u64,
    pub delivered: u64,
    pub rto: u64,
    pub with_ndr: u64,
    pub turnaround_micros: i64,
    pub promised: u64,
    pub on_time: u64,
}

impl Figures {
    fn add(&mut self, l: &LanePerformance) {
        self.shipments += l.shipments;
        self.delivered += l.delivered;
        self.rto += l.rto;
        self.with_ndr += l.with_ndr;
        self.turnaround_micros += l.turnaround_micros;
        self.promised += l.promised;
        self.on_time += l.on_time;
    }

    fn rate(part: u64, whole: u64) -> Option<f64> {
        (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
    }

    /// Delivered by the promised date, of those delivered with a promise.
    pub fn on_time_rate(&self) -> Option<f64> {
        Self::rate(self.on_time, self.promised)
    }

    pub fn ndr_rate(&self) -> Option<f64> {
        Self::rate(self.with_ndr, self.shipments)
    }

    pub fn rto_rate(&self) -> Option<f64> {
        Self::rate(self.rto, self.shipments)
    }

    /// Mean days from creation to delivery.
    pub fn turnaround_days(&self) -> Option<f64> {
        (self.delivered > 0)
            .then(|| self.turnaround_micros as f64 / self.delivered as f64 / 86_400_000_000.0)
    }
}

/// Per carrier, every lane summed.
pub fn by_carrier(lanes: &[LanePerformance]) -> BTreeMap<String, Figures> {
    let mut out: BTreeMap<String, Figures> = BTreeMap::new();
    for l in lanes {
        out.entry(l.carrier.clone()).or_default().add(l);
    }
    out
}

fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{v:.1}%"))
}

fn days(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{v:.1} d"))
}

/// A horizontal bar chart: one bar per carrier, its value written beside it.
fn chart(id: &str, title: &str, rows: &[(String, Option<f64>)], max: f64, unit: &str) -> Markup {
    const BAR: f64 = 24.0;
    const GAP: f64 = 8.0;
    const LABEL: f64 = 100.0;
    const WIDTH: f64 = 300.0;
    let plot = WIDTH - LABEL - 56.0;
    let height = rows.len() as f64 * (BAR + GAP) + GAP;
    let max = if max > 0.0 { max } else { 1.0 };
    html! {
        figure.card {
            svg.chart viewBox={"0 0 " (WIDTH) " " (height)} role="img" aria-labelledby={(id) "-t"} {
                title id={(id) "-t"} { (title) }
                @for (i, (label, value)) in rows.iter().enumerate() {
                    @let y = GAP + i as f64 * (BAR + GAP);
                    text x=(LABEL - 6.0) y=(y + BAR * 0.7) text-anchor="end" font-size="13" fill="#1a1a1a" { (label) }
                    @if let Some(v) = value {
                        rect x=(LABEL) y=(y) width=(format!("{:.1}", (v / max).clamp(0.0, 1.0) * plot)) height=(BAR) style="fill:var(--ink)" rx="2" {}
                        text x=(format!("{:.1}", LABEL + (v / max).clamp(0.0, 1.0) * plot + 4.0)) y=(y + BAR * 0.7) font-size="13" fill="#1a1a1a" {
                            (format!("{v:.1}{unit}"))
                        }
                    } @else {
                        text x=(LABEL + 4.0) y=(y + BAR * 0.7) font-size="13" fill="#545454" { "no data" }
                    }
                }
            }
            figcaption { (title) }
        }
    }
}

/// The report.
pub async fn page(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<RangeQuery>,
) -> Result<Page, PageError> {
    let today = jiff::Timestamp::now()
        .to_zoned(shipgate_carriers::core::time::ist())
        .date();
    let to = parse_day(&q.to)?.unwrap_or(today);
    let from = parse_day(&q.from)?.unwrap_or_else(|| {
        to.checked_sub(jiff::Span::new().days(DEFAULT_DAYS - 1))
            .unwrap_or(to)
    });
    let span = (to - from).get_days() as i64;
    if !(0..MAX_DAYS).contains(&span) {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            format!("Pick a range of 1 to {MAX_DAYS} days, the start before the end."),
        ));
    }
    let (Some(start), Some(end)) = (day_start(from), to.tomorrow().ok().and_then(day_start)) else {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "Dates out of range.",
        ));
    };
    let report = state
        .dashboard
        .reports
        .get(&state, &session.signed.tenant.id, start, end)
        .await?;
    let lanes = &report.lanes;
    let carriers = by_carrier(lanes);
    let mut busiest: Vec<&LanePerformance> = lanes.iter().collect();
    busiest.sort_by(|a, b| {
        b.shipments
            .cmp(&a.shipments)
            .then(a.carrier.cmp(&b.carrier))
    });
    busiest.truncate(TOP_LANES);
    let series = |f: fn(&Figures) -> Option<f64>| -> Vec<(String, Option<f64>)> {
        carriers.iter().map(|(c, v)| (words(c), f(v))).collect()
    };
    let max_turnaround = carriers
        .values()
        .filter_map(Figures::turnaround_days)
        .fold(0.0, f64::max);
    let body = html! {
        h1 { "Carrier performance" }
        form.filters method="get" action="/app/performance" {
            div {
                label for="from" { "Created from" }
                input id="from" name="from" type="date" value=(from);
            }
            div {
                label for="to" { "Created until" }
                input id="to" name="to" type="date" value=(to);
            }
            div.row { button type="submit" { "Show" } }
        }
        @if carriers.is_empty() {
            p.notice { "No shipments were created in this range." }
        } @else {
            h2 { "By carrier" }
            p.muted { "Shipments created " (from) " to " (to) " (IST), as of " (super::when(report.computed_at)) " (recomputed at most once a minute)." }
            div {
                table.responsive {
                    thead { tr {
                        th { "Carrier" } th.num { "Shipments" } th.num { "Delivered" } th.num { "Turnaround" }
                        th.num { "On time" } th.num { "NDR rate" } th.num { "RTO rate" }
                    } }
                    tbody {
                        @for (carrier, f) in &carriers {
                            tr {
                                td data-label="Carrier" { strong { (words(carrier)) } }
                                td.num data-label="Shipments" { (f.shipments) }
                                td.num data-label="Delivered" { (f.delivered) }
                                td.num data-label="Turnaround" { (days(f.turnaround_days())) }
                                td.num data-label="On time" { (percent(f.on_time_rate())) }
                                td.num data-label="NDR rate" { (percent(f.ndr_rate())) }
                                td.num data-label="RTO rate" { (percent(f.rto_rate())) }
                            }
                        }
                    }
                }
            }
            div.cards style="margin-top:1rem" {
                (chart("on-time", "On-time delivery against the promised date (%)", &series(Figures::on_time_rate), 100.0, "%"))
                (chart("turnaround", "Mean days from order to delivery", &series(Figures::turnaround_days), max_turnaround, " d"))
                (chart("ndr", "Shipments with a failed delivery attempt (%)", &series(Figures::ndr_rate), 100.0, "%"))
                (chart("rto", "Shipments returned to origin (%)", &series(Figures::rto_rate), 100.0, "%"))
            }
            h2 { "Busiest lanes" }
            p.muted { "Lanes by the first three digits of the pickup and delivery PIN codes." }
            table.responsive {
                thead { tr {
                    th { "Carrier" } th { "Lane" } th.num { "Shipments" } th.num { "Turnaround" }
                    th.num { "On time" } th.num { "NDR rate" } th.num { "RTO rate" }
                } }
                tbody {
                    @for l in &busiest {
                        @let f = { let mut f = Figures::default(); f.add(l); f };
                        tr {
                            td data-label="Carrier" { (words(&l.carrier)) }
                            td data-label="Lane" { (l.origin_prefix) "xxx → " (l.destination_prefix) "xxx" }
                            td.num data-label="Shipments" { (f.shipments) }
                            td.num data-label="Turnaround" { (days(f.turnaround_days())) }
                            td.num data-label="On time" { (percent(f.on_time_rate())) }
                            td.num data-label="NDR rate" { (percent(f.ndr_rate())) }
                            td.num data-label="RTO rate" { (percent(f.rto_rate())) }
                        }
                    }
                }
            }
        }
    };
    Ok(Page::app(
        &session,
        Nav::Performance,
        "Carrier performance",
        body,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_add_up_per_carrier() {
        let lane = |carrier: &str, n, delivered, ndr, promised, on_time| LanePerformance {
            carrier: carrier.into(),
            origin_prefix: "110".into(),
            destination_prefix: "560".into(),
            shipments: n,
            delivered,
            rto: 1,
            with_ndr: ndr,
            turnaround_micros: delivered as i64 * 2 * 86_400_000_000,
            promised,
            on_time,
        };
        let totals = by_carrier(&[
            lane("ekart", 10, 8, 2, 8, 6),
            lane("ekart", 10, 2, 0, 2, 2),
            lane("dtdc", 4, 0, 0, 0, 0),
        ]);
        let ekart = &totals["ekart"];
        assert_eq!(ekart.shipments, 20);
        assert_eq!(ekart.on_time_rate(), Some(80.0));
        assert_eq!(ekart.ndr_rate(), Some(10.0));
        assert_eq!(ekart.rto_rate(), Some(10.0));
        assert_eq!(ekart.turnaround_days(), Some(2.0));
        assert_eq!(totals["dtdc"].on_time_rate(), None);
        assert_eq!(totals["dtdc"].turnaround_days(), None);
    }
}
