use serde::{Deserialize, Serialize};
use shipgate_carriers::core::Capability;
use shipgate_carriers::{adapters, fleet};
use utoipa::ToSchema;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CarrierView {
    pub code: String,
    pub name: String,
    /// Operations this carrier supports, e.g. `create_shipment`, `label`, `track_pull`, `ndr_action`.
    #[schema(value_type = Vec<String>)]
    pub capabilities: Vec<Capability>,
    /// Credentials an account of this carrier needs.
    pub credentials: Vec<String>,
}

/// List the carriers Shipgate supports and what each can do.
#[utoipa::path(
    get, path = "/v1/carriers", tag = "carriers",
    responses((status = 200, body = Vec<CarrierView>)),
    security(("api_key" = []))
)]
pub async fn list() -> axum::Json<Vec<CarrierView>> {
    let mut carriers = vec![CarrierView {
        code: fleet::CODE.into(),
        name: fleet::NAME.into(),
        capabilities: fleet::CAPABILITIES.to_vec(),
        credentials: Vec::new(),
    }];
    carriers.extend(adapters().into_iter().map(|a| CarrierView {
        code: a.carrier().into(),
        name: a.name().into(),
        capabilities: a.capabilities().to_vec(),
        credentials: a.credential_names().iter().map(|c| c.to_string()).collect(),
    }));
    axum::Json(carriers)
}
