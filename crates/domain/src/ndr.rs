//! NDR records (one per failed delivery attempt) and the per-tenant rules
//! that act on them automatically.

use serde::{Deserialize, Serialize};

use std::fmt;
use std::str::FromStr;

use crate::status::{NdrReason, UnknownValue, string_enum};
use crate::validation::{InvalidValue, ValidationErrors};

string_enum! {
    /// Where an NDR stands. `open` and `failed` take an action; an action
    /// claims the record (`action_requested`) so only one is ever sent.
    /// `failed`: the carrier refused the action (another may be tried);
    /// `closed`: superseded by a later failed attempt, or the shipment ended otherwise.
    NdrState {
        Open => "open",
        ActionRequested => "action_requested",
        ActionSent => "action_sent",
        Failed => "failed",
        ResolvedDelivered => "resolved_delivered",
        ResolvedRto => "resolved_rto",
        Closed => "closed",
    }
}

impl NdrState {
    /// Still awaiting the outcome of the attempt (shown in the NDR queue).
    pub fn is_unresolved(self) -> bool {
        matches!(
            self,
            Self::Open | Self::ActionRequested | Self::ActionSent | Self::Failed
        )
    }

    /// An action may claim the record from this state.
    pub fn is_actionable(self) -> bool {
        matches!(self, Self::Open | Self::Failed)
    }
}

/// Re-attempt automatically for these reasons, up to and including attempt `max_attempt`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AutoReattempt {
    pub reasons: Vec<NdrReason>,
    /// 1 = only after the first failed attempt.
    pub max_attempt: u32,
}

/// A tenant's NDR rules; each is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NdrRules {
    /// Return to origin once this many attempts have failed (checked first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rto_after_attempts: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_reattempt: Option<AutoReattempt>,
    /// Email the customer the self-service link at once for these reasons.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ask_customer_reasons: Vec<NdrReason>,
    /// Escalate an NDR nobody acted on within this many hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_after_hours: Option<u32>,
}

/// What the rules do with a fresh NDR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleDecision {
    ReturnToOrigin,
    Reattempt,
    AskCustomer,
}

impl RuleDecision {
    /// The rule's name, recorded as the actor (`rule:<name>`).
    pub fn rule_name(self) -> &'static str {
        match self {
            Self::ReturnToOrigin => "rto_after_attempts",
            Self::Reattempt => "auto_reattempt",
            Self::AskCustomer => "ask_customer",
        }
    }
}

/// A carrier re-attempts for a week at most; beyond that no rule makes sense.
pub const MAX_RULE_ATTEMPTS: u32 = 10;

impl NdrRules {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errs = ValidationErrors::new();
        if let Some(n) = self.rto_after_attempts
            && !(1..=MAX_RULE_ATTEMPTS).contains(&n)
        {
            errs.push(
                "rto_after_attempts",
                InvalidValue::new("out_of_range", format!("1 to {MAX_RULE_ATTEMPTS}")),
            );
        }
        if let Some(a) = &self.auto_reattempt {
            if a.reasons.is_empty() {
                errs.push(
                    "auto_reattempt.reasons",
                    InvalidValue::new("required", "name at least one reason"),
                );
            }
            if !(1..=MAX_RULE_ATTEMPTS).contains(&a.max_attempt) {
                errs.push(
                    "auto_reattempt.max_attempt",
                    InvalidValue::new("out_of_range", format!("1 to {MAX_RULE_ATTEMPTS}")),
                );
            }
            if let Some(rto) = self.rto_after_attempts
                && a.max_attempt >= rto
            {
                errs.push(
                    "auto_reattempt.max_attempt",
                    InvalidValue::new(
                        "conflicts",
                        "must be below rto_after_attempts, which is checked first",
                    ),
                );
            }
        }
        if let Some(h) = self.escalate_after_hours
            && !(1..=24 * 14).contains(&h)
        {
            errs.push(
                "escalate_after_hours",
                InvalidValue::new("out_of_range", "1 to 336 hours"),
            );
        }
        if errs.is_empty() { Ok(()) } else { Err(errs) }
    }

    /// The rule that applies to attempt `attempt` failed for `reason`, if any:
    /// return to origin first, then re-attempt, then ask the customer.
    pub fn decide(&self, reason: NdrReason, attempt: u32) -> Option<RuleDecision> {
        if self.rto_after_attempts.is_some_and(|n| attempt >= n) {
            return Some(RuleDecision::ReturnToOrigin);
        }
        if self
            .auto_reattempt
            .as_ref()
            .is_some_and(|a| attempt <= a.max_attempt && a.reasons.contains(&reason))
        {
            return Some(RuleDecision::Reattempt);
        }
        if self.ask_customer_reasons.contains(&reason) {
            return Some(RuleDecision::AskCustomer);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> NdrRules {
        NdrRules {
            rto_after_attempts: Some(3),
            auto_reattempt: Some(AutoReattempt {
                reasons: vec![NdrReason::CustomerUnavailable],
                max_attempt: 1,
            }),
            ask_customer_reasons: vec![NdrReason::AddressIssue],
            escalate_after_hours: Some(24),
        }
    }

    #[test]
    fn decisions_follow_the_documented_order() {
        let r = rules();
        use NdrReason as R;
        assert_eq!(
            r.decide(R::CustomerUnavailable, 1),
            Some(RuleDecision::Reattempt)
        );
        assert_eq!(r.decide(R::CustomerUnavailable, 2), None);
        assert_eq!(
            r.decide(R::CustomerUnavailable, 3),
            Some(RuleDecision::ReturnToOrigin)
        );
        assert_eq!(
            r.decide(R::AddressIssue, 1),
            Some(RuleDecision::AskCustomer)
        );
        assert_eq!(r.decide(R::Refused, 1), None);
        assert_eq!(NdrRules::default().decide(R::Refused, 9), None);
    }

    #[test]
    fn validation_names_each_bad_field() {
        assert!(rules().validate().is_ok());
        let bad = NdrRules {
            rto_after_attempts: Some(MAX_RULE_ATTEMPTS + 1),
            auto_reattempt: Some(AutoReattempt {
                reasons: vec![],
                max_attempt: 0,
            }),
            ask_customer_reasons: vec![],
            escalate_after_hours: Some(0),
        };
        let fields = |r: NdrRules| -> Vec<(String, &'static str)> {
            r.validate()
                .unwrap_err()
                .errors
                .into_iter()
                .map(|e| (e.field, e.code))
                .collect()
        };
        let f = |s: &str, c| (s.to_string(), c);
        assert_eq!(
            fields(bad),
            [
                f("rto_after_attempts", "out_of_range"),
                f("auto_reattempt.reasons", "required"),
                f("auto_reattempt.max_attempt", "out_of_range"),
                f("escalate_after_hours", "out_of_range"),
            ]
        );
        // Re-attempting up to the attempt that already returns never applies.
        let mut shadowed = rules();
        shadowed.auto_reattempt.as_mut().unwrap().max_attempt = 3;
        assert_eq!(
            fields(shadowed),
            [f("auto_reattempt.max_attempt", "conflicts")]
        );
    }
}
