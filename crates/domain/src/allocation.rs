//! Carrier allocation: which of a merchant's carrier accounts books a
//! shipment, and why. Merchant rules come first (the first rule whose
//! conditions match decides exclusions and an ordered preference); the
//! strategy ranks the rest: `cheapest` by the rate card's total, `fastest` by
//! promised transit days, `best` by expected cost — the price plus the lane's
//! RTO risk times what a return costs (a return runs the parcel back, about
//! twice the forward freight).

use serde::{Deserialize, Serialize};

use crate::rates::Quote;
use crate::shipment::PaymentMode;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    #[default]
    Cheapest,
    Fastest,
    Best,
}

/// When a rule applies; every given condition must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct RuleCondition {
    /// Destination PIN codes or prefixes (`"560"`, `"110001"`).
    pub destination_prefixes: Vec<String>,
    pub payment_mode: Option<PaymentMode>,
    pub min_weight_grams: Option<u64>,
    pub max_weight_grams: Option<u64>,
    pub min_order_value_minor: Option<i64>,
    pub max_order_value_minor: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    #[serde(default)]
    pub when: RuleCondition,
    /// Carrier codes or account ids to try first, in this order.
    #[serde(default)]
    pub prefer: Vec<String>,
    /// Carrier codes or account ids never to use when the rule matches.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// What the rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipmentFacts<'a> {
    pub destination_postal_code: &'a str,
    pub payment_mode: PaymentMode,
    pub weight_grams: u64,
    pub order_value_minor: i64,
}

impl RuleCondition {
    pub fn matches(&self, f: &ShipmentFacts<'_>) -> bool {
        (self.destination_prefixes.is_empty()
            || self
                .destination_prefixes
                .iter()
                .any(|p| f.destination_postal_code.starts_with(p.as_str())))
            && self.payment_mode.is_none_or(|m| m == f.payment_mode)
            && self.min_weight_grams.is_none_or(|w| f.weight_grams >= w)
            && self.max_weight_grams.is_none_or(|w| f.weight_grams <= w)
            && self
                .min_order_value_minor
                .is_none_or(|v| f.order_value_minor >= v)
            && self
                .max_order_value_minor
                .is_none_or(|v| f.order_value_minor <= v)
    }
}

/// One carrier account that could take the shipment.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub account_id: String,
    pub carrier: String,
    /// The account's rate-card price, if it has a card covering the lane.
    pub quote: Option<Quote>,
    /// Share of this lane's finished shipments that came back (0–1).
    pub rto_rate: f64,
    /// Days to the promise learned from this carrier's deliveries on the lane
    /// (its P90 EDD), when it has history; `fastest` prefers it to the rate
    /// card's nominal transit days.
    pub learned_days: Option<u32>,
}

/// A candidate in ranked order, with the reasons for its place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ranked {
    pub carrier_account_id: String,
    pub carrier: String,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Allocation {
    pub strategy: Strategy,
    /// The rule that matched, if any.
    pub rule: Option<String>,
    /// Candidates in the order to try them.
    pub ranked: Vec<Ranked>,
}

fn rupees(minor: i64) -> String {
    format!("₹{}.{:02}", minor / 100, (minor % 100).abs())
}

fn names(c: &Candidate, list: &[String]) -> Option<usize> {
    list.iter()
        .position(|x| *x == c.account_id || *x == c.carrier)
}

/// Expected cost of shipping through a candidate: its price plus the chance
/// of a return times a return's cost (about twice the forward freight).
pub fn expected_cost(quote: &Quote, rto_rate: f64) -> f64 {
    quote.total_minor as f64 + rto_rate.clamp(0.0, 1.0) * 2.0 * quote.freight_minor as f64
}

pub fn allocate(
    strategy: Strategy,
    rules: &[Rule],
    facts: &ShipmentFacts<'_>,
    candidates: &[Candidate],
) -> Allocation {
    let rule = rules.iter().find(|r| r.when.matches(facts));
    let mut pool: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| rule.is_none_or(|r| names(c, &r.exclude).is_none()))
        .collect();
    let preference = |c: &Candidate| rule.and_then(|r| names(c, &r.prefer)).unwrap_or(usize::MAX);
    // Candidates without a price sort after priced ones, whatever the strategy.
    let key = |c: &Candidate| -> (usize, u8, f64, i64) {
        let total = c.quote.as_ref().map_or(i64::MAX, |q| q.total_minor);
        match (strategy, &c.quote) {
            (_, None) => (preference(c), 1, f64::MAX, total),
            (Strategy::Cheapest, Some(q)) => (preference(c), 0, q.total_minor as f64, total),
            (Strategy::Fastest, Some(q)) => (
                preference(c),
                0,
                c.learned_days
                    .or(q.transit_days)
                    .map_or(f64::MAX, f64::from),
                total,
            ),
            (Strategy::Best, Some(q)) => (preference(c), 0, expected_cost(q, c.rto_rate), total),
        }
    };
    pool.sort_by(|a, b| {
        key(a)
            .partial_cmp(&key(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let ranked = pool
        .into_iter()
        .map(|c| {
            let mut reasons = Vec::new();
            if let Some((r, i)) = rule.and_then(|r| names(c, &r.prefer).map(|i| (r, i))) {
                reasons.push(format!("rule `{}` prefers it (choice {})", r.name, i + 1));
            }
            match &c.quote {
                None => reasons.push("no rate card covers this lane".into()),
                Some(q) => {
                    reasons.push(format!(
                        "{} for {} g chargeable in the {:?} zone",
                        rupees(q.total_minor),
                        q.chargeable_weight_grams,
                        q.zone
                    ));
                    match strategy {
                        Strategy::Fastest => reasons.push(match (c.learned_days, q.transit_days) {
                            (Some(d), _) => {
                                format!(
                                    "delivers within {d} day(s) at P90, learned from its deliveries"
                                )
                            }
                            (None, Some(d)) => format!("promises {d} day(s)"),
                            (None, None) => "no transit promise on its rate card".into(),
                        }),
                        Strategy::Best => reasons.push(format!(
                            "expected cost {} with {:.0}% RTO risk on this lane",
                            rupees(expected_cost(q, c.rto_rate).round() as i64),
                            c.rto_rate * 100.0
                        )),
                        Strategy::Cheapest => {}
                    }
                }
            }
            Ranked {
                carrier_account_id: c.account_id.clone(),
                carrier: c.carrier.clone(),
                reasons,
            }
        })
        .collect();
    Allocation {
        strategy,
        rule: rule.map(|r| r.name.clone()),
        ranked,
    }
}

/// A lane's RTO rate with little history pulled towards a prior: with no
/// history it is the prior, with much it is what happened.
pub fn smoothed_rto_rate(returned: u64, finished: u64, prior: f64) -> f64 {
    const WEIGHT: f64 = 20.0;
    (returned as f64 + prior * WEIGHT) / (finished as f64 + WEIGHT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rates::Zone;

    fn quote(total: i64, freight: i64, days: Option<u32>) -> Quote {
        Quote {
            zone: Zone::National,
            dead_weight_grams: 500,
            volumetric_weight_grams: 0,
            chargeable_weight_grams: 500,
            freight_minor: freight,
            fuel_surcharge_minor: 0,
            cod_fee_minor: total - freight,
            total_minor: total,
            transit_days: days,
        }
    }

    fn candidates() -> Vec<Candidate> {
        vec![
            Candidate {
                account_id: "ca_d".into(),
                carrier: "delhivery".into(),
                quote: Some(quote(5000, 4000, Some(4))),
                rto_rate: 0.30,
                learned_days: None,
            },
            Candidate {
                account_id: "ca_e".into(),
                carrier: "ekart".into(),
                quote: Some(quote(5500, 4500, Some(2))),
                rto_rate: 0.05,
                learned_days: None,
            },
            Candidate {
                account_id: "ca_b".into(),
                carrier: "bluedart".into(),
                quote: Some(quote(9000, 8000, Some(1))),
                rto_rate: 0.02,
                learned_days: None,
            },
            Candidate {
                account_id: "ca_x".into(),
                carrier: "dtdc".into(),
                quote: None,
                rto_rate: 0.1,
                learned_days: None,
            },
        ]
    }

    fn facts() -> ShipmentFacts<'static> {
        ShipmentFacts {
            destination_postal_code: "560001",
            payment_mode: PaymentMode::Cod,
            weight_grams: 500,
            order_value_minor: 150_000,
        }
    }

    fn order(a: &Allocation) -> Vec<&str> {
        a.ranked.iter().map(|r| r.carrier.as_str()).collect()
    }

    #[test]
    fn cheapest_ranks_by_total_and_unpriced_last() {
        let a = allocate(Strategy::Cheapest, &[], &facts(), &candidates());
        assert_eq!(order(&a), ["delhivery", "ekart", "bluedart", "dtdc"]);
        assert!(a.ranked[0].reasons[0].contains("₹50.00"));
        assert!(a.ranked[3].reasons[0].contains("no rate card"));
    }

    #[test]
    fn fastest_ranks_by_transit_days() {
        let a = allocate(Strategy::Fastest, &[], &facts(), &candidates());
        assert_eq!(order(&a), ["bluedart", "ekart", "delhivery", "dtdc"]);
        assert!(a.ranked[0].reasons.iter().any(|r| r.contains("1 day")));
    }

    #[test]
    fn fastest_prefers_learned_promises_to_rate_cards() {
        let mut candidates = candidates();
        // Delhivery's card says 4 days, but its deliveries on the lane say 1.
        candidates[0].learned_days = Some(1);
        candidates[2].learned_days = Some(3);
        let a = allocate(Strategy::Fastest, &[], &facts(), &candidates);
        assert_eq!(order(&a), ["delhivery", "ekart", "bluedart", "dtdc"]);
        assert!(a.ranked[0].reasons.iter().any(|r| r.contains("learned")));
    }

    #[test]
    fn best_weighs_the_lanes_rto_risk() {
        // Delhivery: 5000 + 0.30×8000 = 7400; Ekart: 5500 + 0.05×9000 = 5950; Blue Dart: 9000 + 0.02×16000 = 9320.
        let a = allocate(Strategy::Best, &[], &facts(), &candidates());
        assert_eq!(order(&a), ["ekart", "delhivery", "bluedart", "dtdc"]);
        assert!(
            a.ranked[0]
                .reasons
                .iter()
                .any(|r| r.contains("₹59.50") && r.contains("5% RTO"))
        );
    }

    #[test]
    fn the_first_matching_rule_prefers_and_excludes() {
        let rules = vec![
            Rule {
                name: "heavy".into(),
                when: RuleCondition {
                    min_weight_grams: Some(10_000),
                    ..Default::default()
                },
                prefer: vec!["dtdc".into()],
                exclude: vec![],
            },
            Rule {
                name: "bangalore cod".into(),
                when: RuleCondition {
                    destination_prefixes: vec!["560".into()],
                    payment_mode: Some(PaymentMode::Cod),
                    ..Default::default()
                },
                prefer: vec!["ca_b".into()],
                exclude: vec!["delhivery".into()],
            },
        ];
        let a = allocate(Strategy::Cheapest, &rules, &facts(), &candidates());
        assert_eq!(a.rule.as_deref(), Some("bangalore cod"));
        assert_eq!(order(&a), ["bluedart", "ekart", "dtdc"]);
        assert!(a.ranked[0].reasons[0].contains("rule `bangalore cod` prefers it"));
        let prepaid = ShipmentFacts {
            payment_mode: PaymentMode::Prepaid,
            ..facts()
        };
        assert_eq!(
            allocate(Strategy::Cheapest, &rules, &prepaid, &candidates()).rule,
            None
        );
    }

    #[test]
    fn conditions_check_every_bound() {
        let c = RuleCondition {
            min_order_value_minor: Some(100_000),
            max_order_value_minor: Some(200_000),
            max_weight_grams: Some(1000),
            ..Default::default()
        };
        assert!(c.matches(&facts()));
        assert!(!c.matches(&ShipmentFacts {
            order_value_minor: 250_000,
            ..facts()
        }));
        assert!(!c.matches(&ShipmentFacts {
            weight_grams: 1001,
            ..facts()
        }));
    }

    #[test]
    fn rto_rates_are_smoothed_towards_the_prior() {
        assert!((smoothed_rto_rate(0, 0, 0.1) - 0.1).abs() < 1e-9);
        assert!((smoothed_rto_rate(50, 100, 0.1) - (50.0 + 2.0) / 120.0).abs() < 1e-9);
        assert!(smoothed_rto_rate(900, 1000, 0.1) > 0.85);
    }
}
