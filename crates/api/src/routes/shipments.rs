use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shipgate_domain::ShipmentStatus;
use shipgate_domain::Timeline;
use shipgate_domain::shipment::NewShipmentInput;
use shipgate_storage::ShipmentFilter;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::extract::{JsonBody, QueryParams};
use crate::views::{EventView, ShipmentPage, ShipmentView, TimelineView, encode_cursor};

pub const TAG: &str = "shipments";

/// Create a shipment: book it at the carrier, get its AWB.
///
/// Send an `Idempotency-Key` header to make retries safe: the same key with
/// the same body returns the first response.
#[utoipa::path(
    post, path = "/v1/shipments", tag = TAG,
    request_body = NewShipmentInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe; reuse only with the identical request")),
    responses(
        (status = 201, description = "Created", body = ShipmentView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid API key", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or the key was reused with another request", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    JsonBody(input): JsonBody<NewShipmentInput>,
) -> Result<Response, ApiError> {
    let shipment = crate::service::create_shipment(&state, &tenant, &input).await?;
    let location = format!("/v1/shipments/{}", shipment.id);
    let mut response = (
        StatusCode::CREATED,
        axum::Json(ShipmentView::from(shipment)),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1–100 (default 20).
    limit: Option<u32>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
    status: Option<ShipmentStatus>,
    order_reference: Option<String>,
    awb: Option<String>,
    carrier: Option<String>,
    carrier_account_id: Option<String>,
}

/// List shipments, newest first, a page at a time.
#[utoipa::path(
    get, path = "/v1/shipments", tag = TAG,
    params(ListParams),
    responses(
        (status = 200, body = ShipmentPage),
        (status = 400, description = "Invalid query parameter", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    QueryParams(params): QueryParams<ListParams>,
) -> Result<axum::Json<ShipmentPage>, ApiError> {
    let (limit, after) = crate::views::page_params(params.limit, params.cursor.as_deref())?;
    let filter = ShipmentFilter {
        status: params.status,
        order_reference: params.order_reference,
        awb: params.awb,
        carrier: params.carrier,
        carrier_account_id: params.carrier_account_id,
        ..Default::default()
    };
    let page = state
        .store
        .list_shipments(&tenant.id, &filter, after.as_deref(), limit)
        .await?;
    Ok(axum::Json(ShipmentPage {
        data: page.items.into_iter().map(ShipmentView::from).collect(),
        next_cursor: page.next_after.as_deref().map(encode_cursor),
    }))
}

async fn load(
    state: &AppState,
    tenant_id: &str,
    id: &str,
) -> Result<shipgate_domain::Shipment, ApiError> {
    state
        .store
        .shipment(tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("shipment"))
}

/// Get a shipment.
#[utoipa::path(
    get, path = "/v1/shipments/{id}", tag = TAG,
    params(("id" = String, Path, description = "Shipment id")),
    responses(
        (status = 200, body = ShipmentView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<ShipmentView>, ApiError> {
    Ok(axum::Json(load(&state, &tenant.id, &id).await?.into()))
}

/// Get a shipment's timeline: every event in the order it happened.
#[utoipa::path(
    get, path = "/v1/shipments/{id}/events", tag = TAG,
    params(("id" = String, Path, description = "Shipment id")),
    responses(
        (status = 200, body = TimelineView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn events(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<TimelineView>, ApiError> {
    let shipment = load(&state, &tenant.id, &id).await?;
    let timeline = Timeline::build(state.store.events(&tenant.id, &id).await?);
    Ok(axum::Json(TimelineView {
        shipment_id: shipment.id,
        status: shipment.state.status,
        events: timeline.entries.into_iter().map(EventView::from).collect(),
    }))
}

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LabelFormat {
    /// 4×6 in PDF.
    #[default]
    Pdf,
    /// The 4×6 in label on an A4 page (top-left quarter), for office printers.
    #[serde(rename = "pdf_a4")]
    PdfA4,
    /// ZPL II for 203 dpi thermal printers.
    Zpl,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LabelParams {
    /// `pdf` (default), `pdf_a4` or `zpl`.
    // Inline: the enum is not among the document's component schemas, and
    // a reference to it would dangle.
    #[param(inline)]
    format: Option<LabelFormat>,
}

/// Get a shipment's label.
#[utoipa::path(
    get, path = "/v1/shipments/{id}/label", tag = TAG,
    params(("id" = String, Path, description = "Shipment id"), LabelParams),
    responses(
        (status = 200, description = "The label", content(("application/pdf"), ("application/zpl"))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn label(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    Path(id): Path<String>,
    QueryParams(params): QueryParams<LabelParams>,
) -> Result<Response, ApiError> {
    let shipment = load(&state, &tenant.id, &id).await?;
    let format = params.format.unwrap_or_default();
    // A PDF takes about half a millisecond of CPU: render it off the async
    // threads so other requests are not held up behind it.
    let (shipment, (content_type, body, ext)) = tokio::task::spawn_blocking(move || {
        let rendered = match format {
            LabelFormat::Pdf => shipgate_labels::render_pdf(&shipment)
                .map(|pdf| ("application/pdf", pdf, "pdf"))
                .map_err(|e| ApiError::internal(&e)),
            LabelFormat::PdfA4 => shipgate_labels::render_pdf_a4(std::slice::from_ref(&shipment))
                .map(|pdf| ("application/pdf", pdf, "pdf"))
                .map_err(|e| ApiError::internal(&e)),
            LabelFormat::Zpl => Ok((
                "application/zpl",
                shipgate_labels::render_zpl(&shipment).into_bytes(),
                "zpl",
            )),
        };
        rendered.map(|r| (shipment, r))
    })
    .await
    .map_err(|e| ApiError::internal(&e))??;
    let disposition = format!("inline; filename=\"{}.{ext}\"", shipment.awb);
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}
