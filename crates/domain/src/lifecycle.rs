//! A shipment's current state, derived from its event history.
//!
//! Events are kept forever, in the order carriers report them; the state is a
//! fold over them sorted by when they happened. A transition the rules do not
//! allow (a `picked_up` after `delivered`, a stale `in_transit` arriving after
//! `out_for_delivery`) stays in the history, marked as not applied, and moves
//! nothing: late or repeated events never move a shipment backwards.

use jiff::Timestamp;
use serde::Serialize;

use crate::shipment::ShipmentEvent;
use crate::status::{NdrReason, Phase, ShipmentStatus};

/// Whether a shipment whose journey last stood at `progress` may move to `next`.
///
/// `progress` is the last journey step (never an exception status such as
/// `delayed`, which describes a condition and leaves the journey where it was).
pub fn transition_allowed(progress: ShipmentStatus, next: ShipmentStatus) -> bool {
    use ShipmentStatus as S;
    if progress.is_terminal() {
        return false;
    }
    match (progress.phase(), next.phase()) {
        (_, Phase::Exception) => next != S::NotServiceable || progress.is_before_pickup(),
        (_, Phase::Closing) => next == S::Lost || progress.is_before_pickup(),
        (Phase::Forward { rank: from }, Phase::Forward { rank: to }) => {
            to >= from
                // A failed attempt is followed by a new attempt further back along the way.
                || (progress == S::PickupFailed && to >= S::PickupScheduled.rank())
                || (progress == S::DeliveryFailed && to >= S::InTransit.rank())
        }
        // Before pickup a shipment is cancelled, not returned.
        (Phase::Forward { rank: from }, Phase::Rto { .. }) => from >= S::PickedUp.rank(),
        (Phase::Rto { rank: from }, Phase::Rto { rank: to }) => {
            to >= from || (progress == S::RtoFailed && to >= S::RtoInTransit.rank())
        }
        _ => false,
    }
}

impl ShipmentStatus {
    fn rank(self) -> u8 {
        match self.phase() {
            Phase::Forward { rank } | Phase::Rto { rank } => rank,
            Phase::Exception | Phase::Closing => u8::MAX,
        }
    }
}

/// How soon to ask the carrier again about a shipment in `status` (pull
/// tracking); `None` once nothing more can happen. Closer to the doorstep,
/// more often: customers watch out-for-delivery shipments by the minute.
pub fn poll_interval(status: ShipmentStatus) -> Option<jiff::SignedDuration> {
    use ShipmentStatus as S;
    let minutes = match status {
        s if s.is_terminal() => return None,
        S::OutForDelivery | S::RtoOutForDelivery | S::OutForPickup => 30,
        S::DeliveryFailed | S::PickupFailed | S::RtoFailed => 60,
        S::AtDestinationHub | S::InTransit | S::PickedUp | S::RtoInTransit | S::RtoRequested => 120,
        S::Delayed | S::Held | S::ContactSupport | S::Damaged => 180,
        S::OrderPlaced | S::Manifested | S::PickupScheduled | S::NotServiceable => 240,
        // Terminal statuses returned above.
        S::Delivered | S::RtoDelivered | S::Cancelled | S::Lost => return None,
    };
    Some(jiff::SignedDuration::from_mins(minutes))
}

/// What a shipment's history adds up to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShipmentState {
    /// The status shown: the last applied event's.
    pub status: ShipmentStatus,
    /// The last journey step, which exception statuses leave untouched.
    pub progress: ShipmentStatus,
    /// Failed delivery attempts (NDRs) so far.
    pub failed_attempts: u32,
    /// The reason of the latest failed attempt, while the shipment is in NDR.
    pub ndr_reason: Option<NdrReason>,
    pub last_event_at: Option<Timestamp>,
    /// When the carrier first had the parcel: the first applied `picked_up`
    /// or `in_transit` event (carriers that skip the pick-up scan start at
    /// `in_transit`), as the EDD model counts pick-up. Pickup-to-delivery
    /// turnaround is measured from it.
    pub picked_up_at: Option<Timestamp>,
}

impl Default for ShipmentState {
    fn default() -> Self {
        Self {
            status: ShipmentStatus::OrderPlaced,
            progress: ShipmentStatus::OrderPlaced,
            failed_attempts: 0,
            ndr_reason: None,
            last_event_at: None,
            picked_up_at: None,
        }
    }
}

impl ShipmentState {
    /// Applies one event if the rules allow it; returns whether it was applied.
    pub fn apply(&mut self, event: &ShipmentEvent) -> bool {
        let next = event.status;
        // A repeated step (another `in_transit` scan at a new hub) is a valid
        // event that changes nothing but the last-seen time.
        let repeat = next == self.status && !next.is_terminal();
        let allowed = repeat || transition_allowed(self.progress, next);
        if !allowed {
            return false;
        }
        if next == ShipmentStatus::DeliveryFailed && self.status != ShipmentStatus::DeliveryFailed {
            self.failed_attempts += 1;
        }
        if next == ShipmentStatus::DeliveryFailed {
            self.ndr_reason = Some(event.ndr_reason.unwrap_or(NdrReason::Unknown));
        } else if next.phase() != Phase::Exception {
            self.ndr_reason = None;
        }
        if self.picked_up_at.is_none()
            && matches!(next, ShipmentStatus::PickedUp | ShipmentStatus::InTransit)
        {
            self.picked_up_at = Some(event.occurred_at);
        }
        self.status = next;
        if next.phase() != Phase::Exception {
            self.progress = next;
        }
        self.last_event_at = Some(
            self.last_event_at
                .map_or(event.occurred_at, |t| t.max(event.occurred_at)),
        );
        true
    }
}

/// One event of a timeline and whether it moved the shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineEntry {
    #[serde(flatten)]
    pub event: ShipmentEvent,
    pub applied: bool,
}

/// A shipment's events in the order they happened, with the state they add up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    pub entries: Vec<TimelineEntry>,
    pub state: ShipmentState,
}

impl Timeline {
    /// Sorts by event time (ties broken by the order they were recorded) and folds.
    pub fn build(events: Vec<ShipmentEvent>) -> Self {
        Self::fold_onto(ShipmentState::default(), events)
    }

    /// Sorts `events` by event time (then recording order) and folds them onto `state`.
    fn fold_onto(mut state: ShipmentState, mut events: Vec<ShipmentEvent>) -> Self {
        events.sort_by_key(|e| (e.occurred_at, e.seq));
        let entries = events
            .into_iter()
            .map(|event| {
                let applied = state.apply(&event);
                TimelineEntry { event, applied }
            })
            .collect();
        Self { entries, state }
    }

    /// Folds `new` events onto a history already folded into `state`, without
    /// that history: `latest` is when its latest event happened (applied or
    /// not; `None` for no events), and every new event was recorded after it
    /// (a greater `seq`). When none of `new` happened before `latest` they all
    /// sort after the whole history, so folding them onto `state` gives what
    /// [`Timeline::build`] over history and new events gives; the entries are
    /// the new events'. Otherwise `None`: an event that happened earlier can
    /// change how later ones fold, so the caller folds the whole history again.
    pub fn fold_after(
        state: &ShipmentState,
        latest: Option<Timestamp>,
        new: Vec<ShipmentEvent>,
    ) -> Option<Self> {
        if let Some(latest) = latest
            && new.iter().any(|e| e.occurred_at < latest)
        {
            return None;
        }
        Some(Self::fold_onto(state.clone(), new))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shipment::EventSource;
    use ShipmentStatus as S;
    use proptest::prelude::*;

    fn event(seq: i64, status: ShipmentStatus, minute: i64) -> ShipmentEvent {
        let at = Timestamp::from_second(1_764_000_000 + minute * 60).unwrap();
        ShipmentEvent {
            id: format!("evt_{seq}"),
            seq,
            status,
            occurred_at: at,
            recorded_at: at,
            source: EventSource::CarrierPull,
            carrier_code: None,
            description: None,
            location: None,
            ndr_reason: None,
            actor: None,
        }
    }

    fn fold(statuses: &[ShipmentStatus]) -> Timeline {
        let events = statuses
            .iter()
            .enumerate()
            .map(|(i, s)| event(i as i64, *s, i as i64))
            .collect();
        Timeline::build(events)
    }

    #[test]
    fn happy_path_reaches_delivered() {
        let t = fold(&[
            S::OrderPlaced,
            S::Manifested,
            S::PickedUp,
            S::InTransit,
            S::InTransit,
            S::OutForDelivery,
            S::Delivered,
        ]);
        assert_eq!(t.state.status, S::Delivered);
        assert!(t.entries.iter().all(|e| e.applied));
    }

    #[test]
    fn pick_up_is_the_first_applied_pick_up_or_transit_scan() {
        let minute = |m: i64| Some(event(0, S::OrderPlaced, m).occurred_at);
        let t = fold(&[S::Manifested, S::PickedUp, S::InTransit, S::Delivered]);
        assert_eq!(t.state.picked_up_at, minute(1));
        // A carrier without pick-up scans: its first transit scan.
        let t = fold(&[S::Manifested, S::InTransit, S::InTransit, S::Delivered]);
        assert_eq!(t.state.picked_up_at, minute(1));
        // A scan the rules reject does not count.
        let t = fold(&[S::Delivered, S::PickedUp]);
        assert_eq!(t.state.picked_up_at, None);
    }

    #[test]
    fn scan_after_delivered_is_kept_but_ignored() {
        let t = fold(&[S::OrderPlaced, S::PickedUp, S::Delivered, S::PickedUp]);
        assert_eq!(t.state.status, S::Delivered);
        assert_eq!(t.entries.len(), 4);
        assert!(!t.entries[3].applied);
    }

    #[test]
    fn late_event_is_ordered_by_time_not_arrival() {
        // in_transit happened before out_for_delivery but arrived after it.
        let events = vec![
            event(0, S::PickedUp, 0),
            event(1, S::OutForDelivery, 30),
            event(2, S::InTransit, 10),
        ];
        let t = Timeline::build(events);
        assert_eq!(t.state.status, S::OutForDelivery);
        assert_eq!(
            t.entries.iter().map(|e| e.event.status).collect::<Vec<_>>(),
            [S::PickedUp, S::InTransit, S::OutForDelivery]
        );
        assert!(t.entries.iter().all(|e| e.applied));
    }

    #[test]
    fn stale_event_after_a_later_step_does_not_rewind() {
        let t = fold(&[S::PickedUp, S::OutForDelivery, S::InTransit]);
        assert_eq!(t.state.status, S::OutForDelivery);
        assert!(!t.entries[2].applied);
    }

    #[test]
    fn ndr_counts_attempts_and_allows_reattempt() {
        let mut events = vec![event(0, S::PickedUp, 0), event(1, S::OutForDelivery, 1)];
        let mut failed = event(2, S::DeliveryFailed, 2);
        failed.ndr_reason = Some(NdrReason::CustomerUnavailable);
        events.push(failed);
        events.push(event(3, S::OutForDelivery, 3));
        events.push(event(4, S::DeliveryFailed, 4));
        let t = Timeline::build(events.clone());
        assert_eq!(t.state.failed_attempts, 2);
        assert_eq!(t.state.ndr_reason, Some(NdrReason::Unknown));
        events.push(event(5, S::Delivered, 5));
        let t = Timeline::build(events);
        assert_eq!(t.state.status, S::Delivered);
        assert_eq!(t.state.ndr_reason, None);
    }

    #[test]
    fn exceptions_overlay_the_journey() {
        let t = fold(&[
            S::PickedUp,
            S::InTransit,
            S::Delayed,
            S::Manifested,
            S::AtDestinationHub,
        ]);
        assert_eq!(t.state.status, S::AtDestinationHub);
        assert!(
            !t.entries[3].applied,
            "a delay must not open a way back to manifested"
        );
    }

    #[test]
    fn polling_tightens_near_the_doorstep_and_stops_at_the_end() {
        assert!(poll_interval(S::OutForDelivery) < poll_interval(S::InTransit));
        assert!(poll_interval(S::InTransit) < poll_interval(S::Manifested));
        for s in ShipmentStatus::ALL {
            assert_eq!(poll_interval(*s).is_none(), s.is_terminal(), "{s}");
        }
    }

    #[test]
    fn cancel_only_before_pickup_and_rto_only_after() {
        assert!(transition_allowed(S::PickupScheduled, S::Cancelled));
        assert!(!transition_allowed(S::InTransit, S::Cancelled));
        assert!(transition_allowed(S::InTransit, S::RtoRequested));
        assert!(!transition_allowed(S::Manifested, S::RtoRequested));
        assert!(!transition_allowed(S::RtoInTransit, S::OutForDelivery));
        assert!(transition_allowed(S::RtoFailed, S::RtoOutForDelivery));
        assert!(!transition_allowed(S::Cancelled, S::Manifested));
    }

    fn any_status() -> impl Strategy<Value = ShipmentStatus> {
        proptest::sample::select(ShipmentStatus::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn order_of_arrival_does_not_matter(
            statuses in proptest::collection::vec(any_status(), 0..30),
            shuffle_seed in any::<u64>(),
        ) {
            // Distinct times: the fold must depend on when events happened, not
            // on when they were recorded.
            let events: Vec<_> = statuses.iter().enumerate().map(|(i, s)| event(i as i64, *s, i as i64)).collect();
            let mut shuffled = events.clone();
            let mut x = shuffle_seed | 1;
            for i in (1..shuffled.len()).rev() {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                shuffled.swap(i, (x % (i as u64 + 1)) as usize);
            }
            for (i, e) in shuffled.iter_mut().enumerate() { e.seq = i as i64; }
            prop_assert_eq!(Timeline::build(events).state, Timeline::build(shuffled).state);
        }

        /// Folding new events onto the stored state gives what folding the
        /// whole history gives, whenever `fold_after` takes the short way;
        /// it takes it for every event that arrives in order.
        #[test]
        fn folding_onto_the_stored_state_equals_the_full_fold(
            reports in proptest::collection::vec((any_status(), 0i64..12), 0..30),
            split in 0usize..30,
        ) {
            // Times repeat and reports repeat (same status, same minute): the
            // store drops a repeated report before folding, so do the same.
            let mut seen = std::collections::HashSet::new();
            let events: Vec<ShipmentEvent> = reports
                .iter()
                .enumerate()
                .map(|(i, (s, minute))| event(i as i64, *s, *minute))
                .filter(|e| seen.insert(e.dedupe_key()))
                .collect();
            let split = split.min(events.len());
            let (history, new) = events.split_at(split);
            let stored = Timeline::build(history.to_vec());
            let latest = history.iter().map(|e| e.occurred_at).max();
            let full = Timeline::build(events.clone());
            match Timeline::fold_after(&stored.state, latest, new.to_vec()) {
                Some(incremental) => {
                    prop_assert_eq!(&incremental.state, &full.state);
                    for entry in &incremental.entries {
                        let in_full = full.entries.iter().find(|f| f.event.id == entry.event.id).unwrap();
                        prop_assert_eq!(entry.applied, in_full.applied, "{:?}", entry.event.status);
                    }
                    prop_assert_eq!(incremental.entries.len(), new.len());
                }
                None => prop_assert!(new.iter().any(|e| Some(e.occurred_at) < latest)),
            }
            // In order of time: always the short way, one event at a time too.
            let mut ordered = events.clone();
            ordered.sort_by_key(|e| (e.occurred_at, e.seq));
            let mut state = ShipmentState::default();
            let mut latest = None;
            for e in &ordered {
                let step = Timeline::fold_after(&state, latest, vec![e.clone()]);
                prop_assert!(step.is_some());
                state = step.unwrap().state;
                latest = Some(e.occurred_at);
            }
            prop_assert_eq!(state, Timeline::build(ordered).state);
        }

        #[test]
        fn terminal_states_are_final_and_journeys_never_rewind(
            statuses in proptest::collection::vec(any_status(), 0..40),
        ) {
            let timeline = fold(&statuses);
            let mut state = ShipmentState::default();
            for entry in &timeline.entries {
                let before = state.clone();
                let applied = state.apply(&entry.event);
                prop_assert_eq!(applied, entry.applied);
                if before.status.is_terminal() {
                    prop_assert!(!applied);
                    prop_assert_eq!(&state, &before);
                }
                if !applied {
                    prop_assert_eq!(&state, &before);
                }
                // Within one journey, progress only moves forward, except a
                // failed attempt followed by a new one.
                if let (Phase::Forward { rank: a }, Phase::Forward { rank: b }) = (before.progress.phase(), state.progress.phase()) {
                    prop_assert!(b >= a || before.progress == S::PickupFailed || before.progress == S::DeliveryFailed);
                }
                // Once returning, a shipment never resumes the forward journey.
                if matches!(before.progress.phase(), Phase::Rto { .. }) {
                    let resumed_forward = matches!(state.progress.phase(), Phase::Forward { .. });
                    prop_assert!(!resumed_forward);
                }
                prop_assert!(state.progress.phase() != Phase::Exception);
            }
        }
    }
}
