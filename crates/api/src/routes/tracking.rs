//! Tracking by AWB: for the merchant (`/v1/tracking/{awb}`, tenant-scoped)
//! and for the end customer (`/track/{awb}`, a public page that shows the
//! journey but never addresses or phone numbers).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use shipgate_domain::{CustomerBucket, Shipment, Timeline};
use shipgate_storage::ShipmentFilter;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::views::{EventView, ShipmentView, TimelineView};

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TrackingView {
    pub shipment: ShipmentView,
    pub timeline: TimelineView,
}

/// Track a shipment by AWB: the shipment and its timeline.
#[utoipa::path(
    get, path = "/v1/tracking/{awb}", tag = "shipments",
    params(("awb" = String, Path, description = "The AWB (tracking number)")),
    responses((status = 200, body = TrackingView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn by_awb(
    State(state): State<AppState>,
    Caller(tenant): Caller,
    Path(awb): Path<String>,
) -> Result<axum::Json<TrackingView>, ApiError> {
    let filter = ShipmentFilter {
        awb: Some(awb),
        ..Default::default()
    };
    let shipment = state
        .store
        .list_shipments(&tenant.id, &filter, None, 1)
        .await?
        .items
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found("shipment"))?;
    let timeline = Timeline::build(state.store.events(&tenant.id, &shipment.id).await?);
    Ok(axum::Json(TrackingView {
        timeline: TimelineView {
            shipment_id: shipment.id.clone(),
            status: shipment.state.status,
            events: timeline.entries.into_iter().map(EventView::from).collect(),
        },
        shipment: shipment.into(),
    }))
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

const STEPS: [(CustomerBucket, &str); 5] = [
    (CustomerBucket::Ordered, "Ordered"),
    (CustomerBucket::Shipped, "Shipped"),
    (CustomerBucket::InTransit, "In transit"),
    (CustomerBucket::OutForDelivery, "Out for delivery"),
    (CustomerBucket::Delivered, "Delivered"),
];

fn bucket_label(bucket: CustomerBucket) -> &'static str {
    match bucket {
        CustomerBucket::DeliveryFailed => "Delivery attempt failed",
        CustomerBucket::Returned => "Returning to sender",
        CustomerBucket::Lost => "Lost in transit",
        CustomerBucket::Damaged => "Damaged in transit",
        other => STEPS
            .iter()
            .find(|(b, _)| *b == other)
            .map_or("In transit", |(_, l)| l),
    }
}

/// The page's accent colour when the tenant set none.
pub(crate) const DEFAULT_ACCENT: &str = "#22aa77";

/// A public page in the shared look (`/assets/shipgate.css`), in the
/// tenant's colour; `body` is HTML the caller escaped.
pub(crate) fn page(title: &str, body: &str, accent: &str) -> String {
    crate::dashboard::public_document(title, Some(accent), None, body)
}

fn render(shipment: &Shipment, timeline: &Timeline, brand: &super::branding::Branding) -> String {
    let bucket = shipment.state.status.customer_bucket();
    let reached = STEPS.iter().position(|(b, _)| *b == bucket);
    let steps: String = STEPS
        .iter()
        .enumerate()
        .map(|(i, (_, label))| {
            let done = reached.is_some_and(|r| i <= r)
                || bucket == CustomerBucket::DeliveryFailed && i <= 3;
            format!(
                "<span class=\"{}\">{label}</span>",
                if done { "done" } else { "" }
            )
        })
        .collect();
    let ist = shipgate_carriers::core::time::ist();
    let events: String = timeline
        .entries
        .iter()
        .rev()
        .filter(|e| e.applied)
        .map(|e| {
            let when = e
                .event
                .occurred_at
                .to_zoned(ist.clone())
                .strftime("%d %b %Y, %H:%M IST")
                .to_string();
            let what = e
                .event
                .description
                .clone()
                .unwrap_or_else(|| bucket_label(e.event.status.customer_bucket()).to_string());
            let location = e
                .event
                .location
                .as_deref()
                .map(|l| format!(" — {}", escape(l)))
                .unwrap_or_default();
            format!("<li>{}{location}<small>{when}</small></li>", escape(&what))
        })
        .collect();
    let edd = match (
        shipment.carrier_facts.edd,
        shipment.state.status.is_terminal(),
    ) {
        (Some(date), false) => {
            format!("<p>Expected by <b>{}</b></p>", date.strftime("%a %d %b %Y"))
        }
        _ => String::new(),
    };
    let body = format!(
        "<p>Tracking <b>{awb}</b> · {carrier}</p><p class=status>{status}</p>{edd}<p>To {city}, {state}</p><div class=steps>{steps}</div><ol class=events>{events}</ol>",
        awb = escape(&shipment.awb),
        carrier = escape(&shipment.carrier),
        status = bucket_label(bucket),
        city = escape(&shipment.consignee.city),
        state = escape(&shipment.consignee.state),
    );
    let shop = brand
        .display_name
        .as_deref()
        .map(|n| format!("<h1>{}</h1>", escape(n)))
        .unwrap_or_default();
    // The colour was checked to be #RRGGBB when it was set.
    let accent = brand.primary_color.as_deref().unwrap_or(DEFAULT_ACCENT);
    page(
        &format!("Tracking {}", escape(&shipment.awb)),
        &format!("{shop}{body}"),
        accent,
    )
}

/// The public tracking page for end customers.
pub async fn page_by_awb(
    State(state): State<AppState>,
    Path(awb): Path<String>,
) -> Result<Response, ApiError> {
    let Some(shipment) = state
        .store
        .shipments_by_awb_any_tenant(awb.trim())
        .await?
        .into_iter()
        .next()
    else {
        let body = page(
            "Not found",
            "<p>No shipment with that tracking number. Check the number and try again.</p>",
            DEFAULT_ACCENT,
        );
        return Ok((StatusCode::NOT_FOUND, Html(body)).into_response());
    };
    let timeline = Timeline::build(
        state
            .store
            .events(&shipment.tenant_id, &shipment.id)
            .await?,
    );
    let brand = super::branding::of(&state, &shipment.tenant_id).await?;
    Ok(Html(render(&shipment, &timeline, &brand)).into_response())
}
