use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CarrierView {
    pub code: String,
    pub name: String,
    /// Operations this carrier supports, e.g. `create_shipment`, `label`, `scan_ingest`.
    pub capabilities: Vec<String>,
}

/// List the carriers Shipgate supports and what each can do.
#[utoipa::path(
    get, path = "/v1/carriers", tag = "carriers",
    responses((status = 200, body = Vec<CarrierView>)),
    security(("api_key" = []))
)]
pub async fn list(State(state): State<AppState>) -> axum::Json<Vec<CarrierView>> {
    axum::Json(
        state
            .carriers
            .all()
            .iter()
            .map(|c| CarrierView {
                code: c.code().to_string(),
                name: c.name().to_string(),
                capabilities: c
                    .capabilities()
                    .iter()
                    .map(|cap| {
                        serde_json::to_value(cap)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default()
                    })
                    .collect(),
            })
            .collect(),
    )
}
