//! Working through a batch: each row is booked like `POST /v1/shipments`
//! and its result (or problem) recorded once.

use shipgate_domain::shipment::NewShipmentInput;

use crate::AppState;
use crate::error::ApiError;

pub const PROCESS: &str = "batch.process";

/// Books every row without a result yet. A re-run after a crash skips the
/// rows already recorded.
pub async fn process(state: &AppState, tenant_id: &str, batch_id: &str) -> Result<(), String> {
    let tenant = state
        .store
        .tenant(tenant_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the tenant is gone")?;
    let mut from = 0;
    loop {
        let rows = state
            .store
            .batch_rows(batch_id, from, 50)
            .await
            .map_err(|e| e.to_string())?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        from = last.index + 1;
        for row in rows.into_iter().filter(|r| r.result.is_none()) {
            let outcome = match serde_json::from_value::<NewShipmentInput>(row.input) {
                Err(e) => Err(ApiError::new(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    e.to_string(),
                )),
                Ok(input) => crate::service::create_shipment(state, &tenant, &input).await,
            };
            let (result, ok) = match outcome {
                Ok(s) => (serde_json::json!({"ok": {"id": s.id, "awb": s.awb}}), true),
                Err(e) => (serde_json::json!({"error": e.to_problem()}), false),
            };
            state
                .store
                .finish_batch_row(batch_id, row.index, &result, ok)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
}

pub struct ProcessJob(pub AppState);

#[async_trait::async_trait]
impl crate::worker::JobHandler for ProcessJob {
    async fn run(&self, job: &shipgate_storage::Job) -> Result<(), String> {
        let batch_id = job
            .payload
            .get("batch_id")
            .and_then(|v| v.as_str())
            .ok_or("job has no batch_id")?;
        let tenant_id = job.tenant_id.as_deref().ok_or("job has no tenant")?;
        process(&self.0, tenant_id, batch_id).await
    }
}

/// CSV rows into shipment requests (see the route's documentation for the columns).
pub fn csv_rows(body: &[u8]) -> Result<Vec<serde_json::Value>, ApiError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| bad_csv(0, &e.to_string()))?
        .clone();
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| bad_csv(i + 1, &e.to_string()))?;
        let get = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|p| record.get(p))
                .filter(|v| !v.is_empty())
        };
        let number = |name: &str| -> Result<Option<i64>, ApiError> {
            get(name)
                .map(|v| {
                    v.parse::<i64>()
                        .map_err(|_| bad_csv(i + 1, &format!("{name} must be a whole number")))
                })
                .transpose()
        };
        let address = |prefix: &str| {
            serde_json::json!({
                "name": get(&format!("{prefix}_name")).unwrap_or(""),
                "phone": get(&format!("{prefix}_phone")).unwrap_or(""),
                "line1": get(&format!("{prefix}_line1")).unwrap_or(""),
                "city": get(&format!("{prefix}_city")).unwrap_or(""),
                "state": get(&format!("{prefix}_state")).unwrap_or(""),
                "postal_code": get(&format!("{prefix}_postal_code")).unwrap_or(""),
            })
        };
        let mut consignee = address("consignee");
        if let Some(email) = get("consignee_email") {
            consignee["email"] = email.into();
        }
        let mut parcel = serde_json::json!({"weight_grams": number("weight_grams")?.unwrap_or(0)});
        for side in ["length_cm", "width_cm", "height_cm"] {
            if let Some(v) = number(side)? {
                parcel[side] = v.into();
            }
        }
        let mut row = serde_json::json!({
            "order_reference": get("order_reference").unwrap_or(""),
            "pickup": address("pickup"),
            "consignee": consignee,
            "parcels": [parcel],
            "payment_mode": get("payment_mode").unwrap_or("prepaid").to_ascii_lowercase(),
            "declared_value": number("declared_value")?.unwrap_or(0),
        });
        if let Some(v) = number("cod_amount")? {
            row["cod_amount"] = v.into();
        }
        if let Some(v) = get("carrier_account_id") {
            row["carrier_account_id"] = v.into();
        }
        rows.push(row);
    }
    Ok(rows)
}

fn bad_csv(line: usize, message: &str) -> ApiError {
    ApiError::field(
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        &format!("csv line {line}"),
        "invalid_csv",
        message.to_string(),
    )
}
