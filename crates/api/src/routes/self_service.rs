//! The customer's NDR self-service page (`/ndr/{token}`): reached from the
//! signed link in the failed-delivery email, it lets the customer pick a new
//! date, hold the parcel, or correct the address or phone. The answer goes
//! through `service::ndr::act`, the same path as the desk's, as `customer`.
//!
//! The signed token is the only credential: it is in the URL and repeated in
//! a hidden form field that must match it (the form's CSRF token). Pages are
//! not cached and send no referrer, so the token does not leak onwards.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use shipgate_domain::Shipment;
use shipgate_storage::Ndr;

use super::tracking::{DEFAULT_ACCENT, escape, page};
use crate::AppState;
use crate::error::ApiError;
use crate::service::ndr::{ActionInput, ActionKind, REATTEMPT_WINDOW_DAYS, today};
use crate::service::ndr_link::{LinkClaims, LinkError, verify};

fn respond(status: StatusCode, title: &str, body: &str, accent: &str) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(page(title, body, accent)),
    )
        .into_response()
}

fn refused(e: LinkError) -> Response {
    let (status, text) = match e {
        LinkError::Expired => (
            StatusCode::GONE,
            "This link has expired. Please contact the shop you ordered from.",
        ),
        LinkError::Malformed | LinkError::BadSignature => (
            StatusCode::FORBIDDEN,
            "This link is not valid. Open it exactly as it arrived in your email.",
        ),
    };
    respond(
        status,
        "Link not valid",
        &format!("<p class=msg>{text}</p>"),
        DEFAULT_ACCENT,
    )
}

/// What the link points at, read within the link's tenant only.
struct Context {
    claims: LinkClaims,
    shipment: Shipment,
    ndr: Ndr,
    accent: String,
    shop: String,
}

async fn load(state: &AppState, token: &str) -> Result<Result<Context, Response>, ApiError> {
    let claims = match verify(state, token) {
        Ok(c) => c,
        Err(e) => return Ok(Err(refused(e))),
    };
    let shipment = state
        .store
        .shipment(&claims.tenant_id, &claims.shipment_id)
        .await?;
    let ndr = state.store.ndr(&claims.tenant_id, &claims.ndr_id).await?;
    let (Some(shipment), Some(ndr)) = (shipment, ndr) else {
        return Ok(Err(refused(LinkError::BadSignature)));
    };
    if ndr.shipment_id != shipment.id {
        return Ok(Err(refused(LinkError::BadSignature)));
    }
    let brand = super::branding::of(state, &claims.tenant_id).await?;
    Ok(Ok(Context {
        claims,
        shipment,
        ndr,
        accent: brand
            .primary_color
            .unwrap_or_else(|| DEFAULT_ACCENT.to_string()),
        shop: brand
            .display_name
            .map(|n| format!("<h1>{}</h1>", escape(&n)))
            .unwrap_or_default(),
    }))
}

fn header_html(c: &Context) -> String {
    format!(
        "{}<p>Order <b>{}</b> · tracking <b>{}</b> ({})</p>",
        c.shop,
        escape(&c.shipment.order_reference),
        escape(&c.shipment.awb),
        escape(&c.shipment.carrier)
    )
}

fn form(token: &str, choice: &str, title: &str, fields: &str, button: &str) -> String {
    format!(
        "<form method=post class=choice><h2>{title}</h2><input type=hidden name=token value=\"{}\">\
         <input type=hidden name=choice value={choice}>{fields}\
         <button type=submit>{button}</button></form>",
        escape(token)
    )
}

fn render_forms(c: &Context, token: &str) -> String {
    let min = today();
    let max = min
        .checked_add(jiff::Span::new().days(REATTEMPT_WINDOW_DAYS))
        .unwrap_or(min);
    // Two forms ask for a day: each its own id, so each label names its field.
    let date = |form: &str| {
        format!(
            "<label for={form}-date>Day</label><input id={form}-date type=date name=date required min={min} max={max}>"
        )
    };
    let a = &c.shipment.consignee;
    let field = |name: &str, label: &str, value: &str, required: bool| {
        format!(
            "<label for={name}>{label}</label><input id={name} name={name} value=\"{}\"{}>",
            escape(value),
            if required { " required" } else { "" }
        )
    };
    let address = [
        field("line1", "Address", &a.line1, true),
        field(
            "line2",
            "Address line 2",
            a.line2.as_deref().unwrap_or(""),
            false,
        ),
        field(
            "landmark",
            "Landmark",
            a.landmark.as_deref().unwrap_or(""),
            false,
        ),
        field("city", "City", &a.city, true),
        field("state", "State", &a.state, true),
        field("postal_code", "PIN code", a.postal_code.as_str(), true),
    ]
    .concat();
    [
        form(token, "reattempt", "Deliver again on a day that suits you", &date("reattempt"), "Deliver on this day"),
        form(token, "hold", "Hold the parcel until a day", &date("hold"), "Hold until this day"),
        form(token, "change_address", "Correct the address", &address, "Deliver to this address"),
        form(
            token,
            "change_phone",
            "Correct the phone number",
            "<label for=phone>Phone</label><input id=phone type=tel name=phone required autocomplete=tel>",
            "Use this number",
        ),
    ]
    .concat()
}

fn settled_text(ndr: &Ndr) -> &'static str {
    use shipgate_domain::ndr::NdrState as S;
    match ndr.state {
        S::ActionRequested | S::ActionSent => {
            "We have your delivery instructions and passed them to the courier."
        }
        S::ResolvedDelivered => "Your order has been delivered.",
        S::ResolvedRto => "This parcel is being returned to the seller.",
        _ => "This delivery attempt has been dealt with; check your latest email for news.",
    }
}

/// The self-service page for one NDR.
pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let c = match load(&state, &token).await? {
        Ok(c) => c,
        Err(page) => return Ok(page),
    };
    let body = if c.ndr.state.is_actionable() {
        format!(
            "{}<p class=msg>The courier could not deliver your parcel ({}). Tell us what to do next.</p>{}",
            header_html(&c),
            escape(&c.ndr.reason.to_string().replace('_', " ")),
            render_forms(&c, &token)
        )
    } else {
        format!(
            "{}<p class=msg>{}</p>",
            header_html(&c),
            settled_text(&c.ndr)
        )
    };
    Ok(respond(StatusCode::OK, "Your delivery", &body, &c.accent))
}

#[derive(Debug, Deserialize)]
struct Answer {
    token: String,
    choice: String,
    date: Option<String>,
    phone: Option<String>,
    #[serde(flatten)]
    address: shipgate_domain::address::AddressLines,
}

/// The customer's answer: becomes an NDR action, as `customer`.
pub async fn answer(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let c = match load(&state, &token).await? {
        Ok(c) => c,
        Err(page) => return Ok(page),
    };
    let form: Option<Answer> = serde_urlencoded::from_bytes(&body).ok();
    // The hidden field must repeat the link's token (the form's CSRF token).
    let Some(form) = form.filter(|f| f.token == token) else {
        return Ok(refused(LinkError::BadSignature));
    };
    let again = |status: StatusCode, message: &str| {
        respond(
            status,
            "Your delivery",
            &format!(
                "{}<p class=msg>{}</p>{}",
                header_html(&c),
                escape(message),
                render_forms(&c, &token)
            ),
            &c.accent,
        )
    };
    let kind = match form.choice.as_str() {
        "reattempt" => ActionKind::Reattempt,
        "hold" => ActionKind::Hold,
        "change_address" => ActionKind::ChangeAddress,
        "change_phone" => ActionKind::ChangePhone,
        _ => {
            return Ok(again(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Choose one of the options below.",
            ));
        }
    };
    let date = match form.date.as_deref().filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => match d.parse() {
            Ok(d) => Some(d),
            Err(_) => {
                return Ok(again(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Pick a day from the calendar.",
                ));
            }
        },
    };
    let address =
        (kind == ActionKind::ChangeAddress).then(|| c.shipment.consignee.corrected(&form.address));
    let input = ActionInput {
        action: kind,
        date,
        address,
        phone: form.phone.clone(),
    };
    match crate::service::ndr::act(
        &state,
        &c.claims.tenant_id,
        &c.claims.shipment_id,
        Some(&c.claims.ndr_id),
        input,
        "customer",
    )
    .await
    {
        Ok(_) => Ok(respond(
            StatusCode::OK,
            "Thank you",
            &format!(
                "{}<p class=msg>Thank you. We passed your instructions to the courier.</p>",
                header_html(&c)
            ),
            &c.accent,
        )),
        Err(e) if e.status == StatusCode::CONFLICT => Ok(respond(
            StatusCode::CONFLICT,
            "Your delivery",
            &format!(
                "{}<p class=msg>Someone already gave instructions for this delivery. {}</p>",
                header_html(&c),
                settled_text(&c.ndr)
            ),
            &c.accent,
        )),
        Err(e) if e.status.is_client_error() => {
            let message = e
                .errors
                .first()
                .map(|f| f.message.clone())
                .or(e.detail.clone())
                .unwrap_or_else(|| "The courier could not accept this; try another option.".into());
            Ok(again(e.status, &message))
        }
        Err(e) => Err(e),
    }
}
