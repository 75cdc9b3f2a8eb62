//! AWB pools: carriers such as Ecom Express hand out AWBs in bulk ahead of
//! use. Each account's pool lives in the database; an AWB is taken by one
//! shipment only (a row claim, `SKIP LOCKED` on PostgreSQL), and a background
//! job tops the pool up before it runs dry.

use shipgate_carriers::core::{Account, Adapter};
use shipgate_storage::NewJob;

use crate::AppState;
use crate::error::ApiError;

/// Job kind that refills an account's pool.
pub const TOP_UP: &str = "awb_pool.top_up";
/// Big enough that rate-limited bulk calls (Delhivery: 5 per 5 minutes) keep up.
const DEFAULT_SIZE: u32 = 500;
const MAX_SIZE: u32 = 10_000;

fn size(account: &Account) -> u32 {
    account
        .settings
        .awb_pool_size
        .unwrap_or(DEFAULT_SIZE)
        .clamp(1, MAX_SIZE)
}

async fn refill(
    state: &AppState,
    adapter: &dyn Adapter,
    account: &Account,
) -> Result<u64, ApiError> {
    let awbs = state
        .carrier_client
        .fetch_awbs(adapter, account, size(account))
        .await?;
    Ok(state.store.add_pool_awbs(&account.id, &awbs).await?)
}

/// Takes an AWB for a new shipment, fetching a batch first if the pool is
/// empty, and asks for a top-up when it runs low.
pub async fn take(
    state: &AppState,
    adapter: &dyn Adapter,
    account: &Account,
) -> Result<String, ApiError> {
    for _ in 0..3 {
        if let Some(awb) = state.store.take_pool_awb(&account.id).await? {
            if state.store.pool_available(&account.id).await? < u64::from(size(account) / 4) {
                let job = NewJob::now(
                    TOP_UP,
                    None,
                    serde_json::json!({"carrier_account_id": account.id}),
                );
                state.store.enqueue_job(&job).await?;
            }
            return Ok(awb);
        }
        refill(state, adapter, account).await?;
    }
    Err(ApiError::new(
        axum::http::StatusCode::BAD_GATEWAY,
        "carrier_unavailable",
        format!("{} gave no AWBs for the pool", adapter.name()),
    ))
}

/// The worker's handler for [`TOP_UP`] jobs.
pub struct TopUpJob(pub AppState);

#[async_trait::async_trait]
impl crate::worker::JobHandler for TopUpJob {
    async fn run(&self, job: &shipgate_storage::Job) -> Result<(), String> {
        let state = &self.0;
        let id = job
            .payload
            .get("carrier_account_id")
            .and_then(|v| v.as_str())
            .ok_or("job has no carrier_account_id")?;
        let Some(record) = state
            .store
            .carrier_account_by_id(id)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(());
        };
        let adapter = shipgate_carriers::adapter(&record.carrier)
            .ok_or("no adapter for the account's carrier")?;
        let account = crate::service::carrier_accounts::open_account(state, &record)
            .map_err(|e| e.detail.unwrap_or_default())?;
        // Another process may have refilled it meanwhile.
        if state
            .store
            .pool_available(id)
            .await
            .map_err(|e| e.to_string())?
            >= u64::from(size(&account) / 4)
        {
            return Ok(());
        }
        refill(state, adapter, &account)
            .await
            .map(|_| ())
            .map_err(|e| e.detail.unwrap_or_default())
    }
}
