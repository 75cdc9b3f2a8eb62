//! Carrier performance: per carrier and on its busiest lanes, for the
//! shipments created in a date range — turnaround (order to delivery and
//! pick-up to delivery), on-time rate against the promised EDD, NDR and RTO
//! rates — as server-rendered SVG bar charts with the numbers beside them.
//! The counts are kept up to date as shipments are recorded
//! (`shipgate_storage::performance`), so each view reads them afresh.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use maud::{Markup, html};
use serde::Deserialize;
use shipgate_storage::{BUSIEST_LANES_RANKED, PerformanceCounts};

use super::shipments::parse_day;
use super::{Nav, Page, PageError, Session, words};
use crate::AppState;

/// The default range: the last 30 days.
const DEFAULT_DAYS: i64 = 30;
/// The longest range one report covers.
const MAX_DAYS: i64 = 366;
/// Lanes listed, busiest first.
const TOP_LANES: usize = 25;

#[derive(Debug, Default, Deserialize)]
pub struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
}

/// The rates and means of one carrier (all its lanes) or one lane.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Figures(pub PerformanceCounts);

const MICROS_PER_DAY: f64 = 86_400_000_000.0;

impl Figures {
    fn rate(part: u64, whole: u64) -> Option<f64> {
        (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
    }

    fn mean_days(total_micros: i64, n: u64) -> Option<f64> {
        (n > 0).then(|| total_micros as f64 / n as f64 / MICROS_PER_DAY)
    }

    /// Delivered by the promised date, of those delivered with a promise.
    pub fn on_time_rate(&self) -> Option<f64> {
        Self::rate(self.0.on_time, self.0.promised)
    }

    pub fn ndr_rate(&self) -> Option<f64> {
        Self::rate(self.0.with_ndr, self.0.shipments)
    }

    pub fn rto_rate(&self) -> Option<f64> {
        Self::rate(self.0.rto, self.0.shipments)
    }

    /// Mean days from order (creation) to delivery.
    pub fn turnaround_days(&self) -> Option<f64> {
        Self::mean_days(self.0.order_to_delivery_micros, self.0.delivered)
    }

    /// Mean days from pick-up to delivery, of those delivered with a pick-up scan.
    pub fn pickup_turnaround_days(&self) -> Option<f64> {
        Self::mean_days(
            self.0.pickup_to_delivery_micros,
            self.0.picked_up_and_delivered,
        )
    }
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
    let report = state
        .store
        .carrier_performance(&session.signed.tenant.id, from, to)
        .await?;
    let carriers: Vec<(String, Figures)> = report
        .carriers
        .into_iter()
        .map(|(carrier, counts)| (carrier, Figures(counts)))
        .collect();
    let mut busiest = report.lanes;
    busiest.truncate(TOP_LANES);
    let series = |f: fn(&Figures) -> Option<f64>| -> Vec<(String, Option<f64>)> {
        carriers.iter().map(|(c, v)| (words(c), f(v))).collect()
    };
    let max_days = |f: fn(&Figures) -> Option<f64>| {
        carriers
            .iter()
            .filter_map(|(_, v)| f(v))
            .fold(0.0, f64::max)
    };
    let turnaround_scale = max_days(Figures::turnaround_days);
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
            p.muted { "Shipments created " (from) " to " (to) " (IST), as they stand now." }
            div {
                table.responsive {
                    thead { tr {
                        th { "Carrier" } th.num { "Shipments" } th.num { "Delivered" } th.num { "Order to delivery" }
                        th.num { "Pick-up to delivery" } th.num { "On time" } th.num { "NDR rate" } th.num { "RTO rate" }
                    } }
                    tbody {
                        @for (carrier, f) in &carriers {
                            tr {
                                td data-label="Carrier" { strong { (words(carrier)) } }
                                td.num data-label="Shipments" { (f.0.shipments) }
                                td.num data-label="Delivered" { (f.0.delivered) }
                                td.num data-label="Order to delivery" { (days(f.turnaround_days())) }
                                td.num data-label="Pick-up to delivery" { (days(f.pickup_turnaround_days())) }
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
                (chart("turnaround", "Mean days from order to delivery", &series(Figures::turnaround_days), turnaround_scale, " d"))
                // On the order-to-delivery scale, so the two compare at a glance.
                (chart("pickup-turnaround", "Mean days from pick-up to delivery", &series(Figures::pickup_turnaround_days), turnaround_scale.max(max_days(Figures::pickup_turnaround_days)), " d"))
                (chart("ndr", "Shipments with a failed delivery attempt (%)", &series(Figures::ndr_rate), 100.0, "%"))
                (chart("rto", "Shipments returned to origin (%)", &series(Figures::rto_rate), 100.0, "%"))
            }
            h2 { "Busiest lanes" }
            p.muted {
                "Lanes by the first three digits of the pickup and delivery PIN codes: of your "
                (BUSIEST_LANES_RANKED) " busiest lanes overall, the " (TOP_LANES) " with the most shipments in this range."
            }
            table.responsive {
                thead { tr {
                    th { "Carrier" } th { "Lane" } th.num { "Shipments" } th.num { "Order to delivery" }
                    th.num { "Pick-up to delivery" } th.num { "On time" } th.num { "NDR rate" } th.num { "RTO rate" }
                } }
                tbody {
                    @for l in &busiest {
                        @let f = Figures(l.counts);
                        tr {
                            td data-label="Carrier" { (words(&l.carrier)) }
                            td data-label="Lane" { (l.origin_prefix) "xxx → " (l.destination_prefix) "xxx" }
                            td.num data-label="Shipments" { (f.0.shipments) }
                            td.num data-label="Order to delivery" { (days(f.turnaround_days())) }
                            td.num data-label="Pick-up to delivery" { (days(f.pickup_turnaround_days())) }
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
    fn rates_and_means_divide_by_what_they_are_of() {
        let f = Figures(PerformanceCounts {
            shipments: 20,
            delivered: 10,
            rto: 2,
            with_ndr: 2,
            order_to_delivery_micros: 10 * 3 * 86_400_000_000,
            picked_up_and_delivered: 8,
            pickup_to_delivery_micros: 8 * 2 * 86_400_000_000,
            promised: 8,
            on_time: 6,
        });
        assert_eq!(f.on_time_rate(), Some(75.0));
        assert_eq!(f.ndr_rate(), Some(10.0));
        assert_eq!(f.rto_rate(), Some(10.0));
        assert_eq!(f.turnaround_days(), Some(3.0));
        assert_eq!(f.pickup_turnaround_days(), Some(2.0));
        let none = Figures(PerformanceCounts {
            shipments: 4,
            ..Default::default()
        });
        assert_eq!(none.on_time_rate(), None);
        assert_eq!(none.turnaround_days(), None);
        assert_eq!(none.pickup_turnaround_days(), None);
    }
}
