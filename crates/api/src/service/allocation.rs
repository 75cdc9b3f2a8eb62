//! Choosing the carrier account: the tenant's rules, each account's rate
//! card, each lane's RTO history, and a strategy (see `domain::allocation`).

use shipgate_carriers::core::account::AccountSettings;
use shipgate_domain::allocation::{self, Allocation, Candidate, Rule, ShipmentFacts, Strategy};
use shipgate_domain::rates::Quote;
use shipgate_domain::shipment::ShipmentDraft;
use shipgate_storage::{CarrierAccountRecord, Tenant};

use crate::AppState;
use crate::error::ApiError;

pub const RULES_SETTING: &str = "allocation_rules";
/// RTO share assumed for a lane with no history (Indian COD-heavy averages
/// run 10–25%).
const PRIOR_RTO_RATE: f64 = 0.12;

pub async fn rules(state: &AppState, tenant: &Tenant) -> Result<Vec<Rule>, ApiError> {
    match state
        .store
        .tenant_setting(&tenant.id, RULES_SETTING)
        .await?
    {
        Some(value) => serde_json::from_value(value).map_err(|e| ApiError::internal(&e)),
        None => Ok(Vec::new()),
    }
}

/// Every carrier account of the tenant (a tenant has tens, not thousands).
pub async fn accounts(
    state: &AppState,
    tenant: &Tenant,
) -> Result<Vec<CarrierAccountRecord>, ApiError> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = state
            .store
            .list_carrier_accounts(&tenant.id, after.as_deref(), 100)
            .await?;
        all.extend(page.items);
        match page.next_after {
            Some(next) => after = Some(next),
            None => return Ok(all),
        }
    }
}

/// The account's rate-card price for the draft, if its card covers the lane.
pub fn quote(record: &CarrierAccountRecord, draft: &ShipmentDraft) -> Option<Quote> {
    let cod = draft.cod_amount.as_ref().map_or(0, |m| m.minor_units);
    quote_lane(
        record,
        draft.pickup.postal_code.as_str(),
        draft.consignee.postal_code.as_str(),
        &draft.parcels,
        draft.payment_mode,
        cod,
    )
}

/// The account's rate-card price for parcels on a lane, if its card covers it.
pub fn quote_lane(
    record: &CarrierAccountRecord,
    origin: &str,
    destination: &str,
    parcels: &[shipgate_domain::Parcel],
    payment_mode: shipgate_domain::PaymentMode,
    cod_minor: i64,
) -> Option<Quote> {
    let settings: AccountSettings = serde_json::from_value(record.settings.clone()).ok()?;
    settings
        .rate_card?
        .quote(origin, destination, parcels, payment_mode, cod_minor)
        .ok()
}

pub async fn allocate(
    state: &AppState,
    tenant: &Tenant,
    draft: &ShipmentDraft,
    strategy: Strategy,
) -> Result<(Allocation, Vec<CarrierAccountRecord>), ApiError> {
    let records = accounts(state, tenant).await?;
    let destination = draft.consignee.postal_code.as_str();
    let lanes = state
        .store
        .lane_outcomes(&tenant.id, destination.get(..3).unwrap_or(destination))
        .await?;
    let learned = learned_days(state, tenant, draft, &records);
    let candidates: Vec<Candidate> = records
        .iter()
        .zip(learned)
        .map(|(r, learned_days)| {
            let lane = lanes.iter().find(|l| l.carrier_account_id == r.id);
            Candidate {
                account_id: r.id.clone(),
                carrier: r.carrier.clone(),
                quote: quote(r, draft),
                rto_rate: allocation::smoothed_rto_rate(
                    lane.map_or(0, |l| l.returned),
                    lane.map_or(0, |l| l.finished),
                    PRIOR_RTO_RATE,
                ),
                learned_days,
            }
        })
        .collect();
    let facts = ShipmentFacts {
        destination_postal_code: destination,
        payment_mode: draft.payment_mode,
        weight_grams: draft.total_weight_grams(),
        order_value_minor: draft.declared_value.minor_units,
    };
    let rules = rules(state, tenant).await?;
    Ok((
        allocation::allocate(strategy, &rules, &facts, &candidates),
        records,
    ))
}

/// Per account, days from now to its carrier's learned P90 promise on the
/// draft's lane (`None` without history).
fn learned_days(
    state: &AppState,
    tenant: &Tenant,
    draft: &ShipmentDraft,
    records: &[CarrierAccountRecord],
) -> Vec<Option<u32>> {
    let model = state.edd.model();
    let country = draft.consignee.country.as_str();
    let Ok(scheme) = model.context().scheme(country) else {
        return vec![None; records.len()];
    };
    let now = scheme.local_datetime(jiff::Timestamp::now());
    let query = shipgate_edd::Query {
        country,
        carrier: "",
        service: "",
        scope: &tenant.id,
        origin: draft.pickup.postal_code.as_str(),
        destination: draft.consignee.postal_code.as_str(),
        start: shipgate_edd::Start::Order(now),
        confidence: 0.9,
    };
    let carriers: Vec<&str> = records.iter().map(|r| r.carrier.as_str()).collect();
    match model.estimate_carriers(&query, &carriers) {
        Ok(estimates) => estimates
            .into_iter()
            .map(|e| e.and_then(|e| u32::try_from((e.date - now.date()).get_days()).ok()))
            .collect(),
        Err(_) => vec![None; records.len()],
    }
}
