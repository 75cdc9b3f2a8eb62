//! Shipments: search and filters (GET forms, cursor pages), and the
//! shipment's page with its timeline, label, and the cancel, modify and
//! NDR actions (through the same services as the API, as the signed-in user).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;
use shipgate_domain::address::{CountryCode, Phone};
use shipgate_domain::{Shipment, ShipmentStatus, Timeline};
use shipgate_storage::{ShipmentFilter, ShipmentSearch};

use super::{Nav, Page, PageError, Session, filter_select, given, status_badge, when, words};
use crate::AppState;
use crate::auth::Caller;
use crate::extract::QueryParams;
use crate::routes::exceptions::{CancelInput, ModifyInput, cancel_as, modify_as};
use crate::service::ndr::{ActionInput, ActionKind};

/// Shipments per page.
pub const PAGE_SIZE: u32 = 50;

/// Carrier codes to filter by: the fleet and every built-in carrier.
pub fn carrier_codes() -> Vec<&'static str> {
    let mut codes = vec!["fleet"];
    codes.extend(shipgate_carriers::adapters().iter().map(|a| a.carrier()));
    codes
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    carrier: Option<String>,
    from: Option<String>,
    to: Option<String>,
    ndr: Option<String>,
    after: Option<String>,
}

/// The start of a day in India Standard Time.
pub fn day_start(date: jiff::civil::Date) -> Option<jiff::Timestamp> {
    date.to_datetime(jiff::civil::Time::midnight())
        .to_zoned(shipgate_carriers::core::time::ist())
        .ok()
        .map(|z| z.timestamp())
}

pub fn parse_day(v: &Option<String>) -> Result<Option<jiff::civil::Date>, PageError> {
    given(v)
        .map(|d| {
            d.parse::<jiff::civil::Date>().map_err(|_| {
                PageError::new(
                    StatusCode::BAD_REQUEST,
                    format!("`{d}` is not a date (YYYY-MM-DD)"),
                )
            })
        })
        .transpose()
}

fn filter_of(q: &ListQuery) -> Result<ShipmentFilter, PageError> {
    let status = given(&q.status)
        .map(|s| {
            s.parse::<ShipmentStatus>()
                .map_err(|_| PageError::new(StatusCode::BAD_REQUEST, format!("no status `{s}`")))
        })
        .transpose()?;
    let search = given(&q.q).map(|text| ShipmentSearch {
        text: text.to_string(),
        phone: Phone::parse(&CountryCode::india(), text)
            .ok()
            .map(|p| p.as_str().to_string()),
    });
    let from = parse_day(&q.from)?.and_then(day_start);
    let before = parse_day(&q.to)?
        .and_then(|d| d.tomorrow().ok())
        .and_then(day_start);
    Ok(ShipmentFilter {
        status,
        carrier: given(&q.carrier).map(str::to_string),
        created_from: from,
        created_before: before,
        search,
        with_ndr: given(&q.ndr).is_some(),
        ..Default::default()
    })
}

/// The list's query string with another cursor.
fn with_after(q: &ListQuery, after: &str) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("q", &q.q),
        ("status", &q.status),
        ("carrier", &q.carrier),
        ("from", &q.from),
        ("to", &q.to),
        ("ndr", &q.ndr),
    ] {
        if let Some(v) = given(v) {
            s.append_pair(k, v);
        }
    }
    s.append_pair("after", after);
    s.finish()
}

/// The shipments list: search box, filters, newest first.
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<ListQuery>,
) -> Result<Page, PageError> {
    let filter = filter_of(&q)?;
    let after = given(&q.after).and_then(crate::views::decode_cursor);
    let tenant = &session.signed.tenant;
    let page = state
        .store
        .list_shipments(&tenant.id, &filter, after.as_deref(), PAGE_SIZE)
        .await?;
    let body = html! {
        h1 { "Shipments" }
        form.filters method="get" action="/app/shipments" role="search" {
            div.wide {
                label for="q" { "AWB, order reference or phone" }
                input id="q" name="q" type="search" value=[given(&q.q)] placeholder="e.g. ORD-1001 or 98123 45678";
            }
            (filter_select("status", "Status", "Any status", ShipmentStatus::ALL.iter().map(|s| s.as_str()), &q.status))
            (filter_select("carrier", "Carrier", "Any carrier", carrier_codes(), &q.carrier))
            div {
                label for="from" { "Created from" }
                input id="from" name="from" type="date" value=[given(&q.from)];
            }
            div {
                label for="to" { "Created until" }
                input id="to" name="to" type="date" value=[given(&q.to)];
            }
            div {
                label.check for="ndr" {
                    input id="ndr" name="ndr" type="checkbox" value="1" checked[given(&q.ndr).is_some()];
                    "With an NDR"
                }
            }
            div.row {
                button type="submit" { "Search" }
                a.button.secondary href="/app/shipments" { "Clear" }
            }
        }
        @if page.items.is_empty() {
            p.notice { "No shipments match." }
        } @else {
            table.responsive {
                caption.muted style="text-align:left" { (page.items.len()) " shipments on this page, newest first" }
                thead { tr { th { "AWB" } th { "Order" } th { "Consignee" } th { "Carrier" } th { "Status" } th { "Created (IST)" } } }
                tbody {
                    @for s in &page.items {
                        tr {
                            td data-label="AWB" { a href={"/app/shipments/" (s.id)} { (s.awb) } }
                            td data-label="Order" { (s.order_reference) }
                            td data-label="Consignee" { (s.consignee.name) ", " (s.consignee.city) }
                            td data-label="Carrier" { (words(&s.carrier)) }
                            td data-label="Status" { (status_badge(s.state.status)) }
                            td data-label="Created" { (when(s.created_at)) }
                        }
                    }
                }
            }
        }
        nav.pager aria-label="Pages" {
            @if after.is_some() {
                a href="/app/shipments" { "← First page" }
            } @else { span {} }
            @if let Some(next) = &page.next_after {
                a href={"/app/shipments?" (with_after(&q, &crate::views::encode_cursor(next)))} rel="next" { "Older shipments →" }
            }
        }
    };
    Ok(Page::app(&session, Nav::Shipments, "Shipments", body))
}

#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    done: Option<String>,
}

/// What a finished action says (fixed texts: nothing from the URL is shown).
fn done_message(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "cancelled" => Some("Cancellation recorded."),
        "modified" => Some("Changes saved."),
        "ndr" => Some("NDR action sent."),
        _ => None,
    }
}

async fn load(state: &AppState, session: &Session, id: &str) -> Result<Shipment, PageError> {
    state
        .store
        .shipment(&session.signed.tenant.id, id)
        .await?
        .ok_or_else(|| PageError::new(StatusCode::NOT_FOUND, "No such shipment."))
}

/// The shipment's page.
pub async fn show(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Page, PageError> {
    let notice = done_message(q.done.as_deref()).map(|m| (false, m.to_string()));
    render(&state, &session, &id, notice).await
}

async fn render(
    state: &AppState,
    session: &Session,
    id: &str,
    notice: Option<(bool, String)>,
) -> Result<Page, PageError> {
    let tenant_id = &session.signed.tenant.id;
    let s = load(state, session, id).await?;
    let (events, changes, ndr) = tokio::try_join!(
        state.store.events(tenant_id, &s.id),
        state.store.shipment_changes(tenant_id, &s.id),
        async {
            crate::service::ndr::current(state, tenant_id, &s.id)
                .await
                .map_err(|e| shipgate_storage::StoreError::Conflict(e.detail.unwrap_or_default()))
        },
    )?;
    let timeline = Timeline::build(events);
    let csrf = session.csrf();
    let in_ndr = s.state.status == ShipmentStatus::DeliveryFailed && ndr.is_some();
    let cancellable = !s.state.progress.is_terminal()
        && !s.state.progress.as_str().starts_with("rto_")
        && s.state.progress != ShipmentStatus::Cancelled;
    let money = |m: &shipgate_domain::money::Money| {
        format!(
            "{} {:.2}",
            m.currency.as_str(),
            m.minor_units as f64 / 100.0
        )
    };
    let body = html! {
        p { a href="/app/shipments" { "← Shipments" } }
        h1 { "Shipment " (s.awb) }
        @if let Some((error, message)) = &notice {
            p class=(if *error { "notice error" } else { "notice" }) role=(if *error { "alert" } else { "status" }) { (message) }
        }
        div.cards {
            section.card aria-labelledby="facts-h" {
                h2 id="facts-h" { "Details" }
                dl.facts {
                    dt { "Status" } dd { (status_badge(s.state.status)) }
                    dt { "Order" } dd { (s.order_reference) }
                    dt { "Carrier" } dd { (words(&s.carrier)) }
                    dt { "AWB" } dd { (s.awb) }
                    dt { "Payment" } dd {
                        @if s.payment_mode.as_str() == "cod" { "Cash on delivery" } @else { (words(s.payment_mode.as_str())) }
                        @if let Some(cod) = &s.cod_amount { " · collect " (money(cod)) }
                    }
                    dt { "Created" } dd { (when(s.created_at)) " IST" }
                    @if let Some(p) = &s.promise {
                        dt { "Promised by" } dd { (p.date.strftime("%a %d %b %Y")) " (" (p.confidence_percent) "%)" }
                    }
                    @if let Some(edd) = s.carrier_facts.edd {
                        dt { "Carrier's EDD" } dd { (edd.strftime("%a %d %b %Y")) }
                    }
                    @if s.state.failed_attempts > 0 {
                        dt { "Failed attempts" } dd { (s.state.failed_attempts) }
                    }
                }
            }
            section.card aria-labelledby="to-h" {
                h2 id="to-h" { "Deliver to" }
                p {
                    (s.consignee.name) br;
                    (s.consignee.line1) br;
                    @if let Some(l2) = &s.consignee.line2 { (l2) br; }
                    (s.consignee.city) ", " (s.consignee.state) " " (s.consignee.postal_code.as_str()) br;
                    "Phone " (s.consignee.phone.as_str())
                }
                @if let Some(i) = &s.delivery.instructions { p.muted { "Instructions: " (i) } }
                p.row {
                    a.button.secondary href={"/app/shipments/" (s.id) "/label?format=pdf"} { "Label (4×6 PDF)" }
                    a.button.secondary href={"/app/shipments/" (s.id) "/label?format=pdf_a4"} { "Label (A4)" }
                    a.button.secondary href={"/app/shipments/" (s.id) "/label?format=zpl"} { "ZPL" }
                }
            }
        }
        @if in_ndr {
            @if let Some(n) = &ndr {
                section.card aria-labelledby="ndr-h" style="margin-top:1rem" {
                    h2 id="ndr-h" { "Failed delivery: act on the NDR" }
                    p { "Attempt " (n.attempt) ": " (words(n.reason.as_str()))
                        @if let Some(r) = &n.remarks { " — " (r) }
                        " · " span.badge { (words(n.state.as_str())) } }
                    form.row method="post" action={"/app/shipments/" (s.id) "/ndr"} {
                        input type="hidden" name="csrf" value=(csrf);
                        div {
                            label for="ndr-action" { "Action" }
                            select id="ndr-action" name="action" {
                                option value="reattempt" { "Re-attempt delivery" }
                                option value="hold" { "Hold until a date" }
                                option value="return_to_origin" { "Return to origin" }
                            }
                        }
                        div {
                            label for="ndr-date" { "Date (for re-attempt or hold)" }
                            input id="ndr-date" name="date" type="date";
                        }
                        button type="submit" { "Send to carrier" }
                    }
                }
            }
        }
        section aria-labelledby="timeline-h" {
            h2 id="timeline-h" { "Timeline" }
            ol.timeline {
                @for e in timeline.entries.iter().rev() {
                    li {
                        (words(e.event.status.as_str()))
                        @if let Some(d) = &e.event.description { " — " (d) }
                        @if let Some(l) = &e.event.location { " · " (l) }
                        @if !e.applied { " " span.badge { "not applied" } }
                        small { (when(e.event.occurred_at)) " IST · " (words(e.event.source.as_str()))
                            @if let Some(a) = &e.event.actor { " · " (a) } }
                    }
                }
            }
        }
        div.cards style="margin-top:1rem" {
            @if cancellable {
                section.card aria-labelledby="cancel-h" {
                    h2 id="cancel-h" { "Cancel" }
                    p.muted { "Before pickup the carrier cancels it; after pickup it becomes a return to origin." }
                    form.stack method="post" action={"/app/shipments/" (s.id) "/cancel"} {
                        input type="hidden" name="csrf" value=(csrf);
                        div {
                            label for="cancel-reason" { "Reason" }
                            input id="cancel-reason" name="reason" required maxlength="500";
                        }
                        button.danger type="submit" { "Cancel shipment" }
                    }
                }
            }
            section.card aria-labelledby="modify-h" {
                h2 id="modify-h" { "Modify" }
                form.stack method="post" action={"/app/shipments/" (s.id) "/modify"} {
                    input type="hidden" name="csrf" value=(csrf);
                    fieldset {
                        legend { "Delivery address" }
                        @let a = &s.consignee;
                        (address_field("line1", "Address", &a.line1, true))
                        (address_field("line2", "Address line 2", a.line2.as_deref().unwrap_or(""), false))
                        (address_field("landmark", "Landmark", a.landmark.as_deref().unwrap_or(""), false))
                        (address_field("city", "City", &a.city, true))
                        (address_field("state", "State", &a.state, true))
                        (address_field("postal_code", "PIN code", a.postal_code.as_str(), true))
                    }
                    div {
                        label for="modify-phone" { "New consignee phone" }
                        input id="modify-phone" name="phone" type="tel" autocomplete="off";
                    }
                    div {
                        label for="modify-instructions" { "Delivery instructions" }
                        input id="modify-instructions" name="delivery_instructions" maxlength="200" value=[s.delivery.instructions.as_deref()];
                    }
                    button type="submit" { "Save changes" }
                }
            }
        }
        @if !changes.is_empty() {
            section aria-labelledby="changes-h" {
                h2 id="changes-h" { "Changes" }
                ul {
                    @for c in &changes {
                        li { (when(c.created_at)) " IST · " (c.actor) ": " code { (c.changes.to_string()) } }
                    }
                }
            }
        }
    };
    let status = match &notice {
        Some((true, _)) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    Ok(Page::app(
        session,
        Nav::Shipments,
        &format!("Shipment {}", s.awb),
        body,
    )
    .with_status(status))
}

#[derive(Debug, Deserialize)]
pub struct LabelQuery {
    format: Option<String>,
}

/// The label, as the API renders it.
pub async fn label(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(q): Query<LabelQuery>,
) -> Result<Response, PageError> {
    let query = q
        .format
        .map(|f| {
            format!(
                "format={}",
                form_urlencoded::byte_serialize(f.as_bytes()).collect::<String>()
            )
        })
        .unwrap_or_default();
    let params = serde_urlencoded::from_str(&query)
        .map_err(|_| PageError::new(StatusCode::BAD_REQUEST, "format is pdf, pdf_a4 or zpl"))?;
    Ok(crate::routes::shipments::label(
        State(state),
        Caller(session.signed.tenant.clone()),
        Path(id),
        QueryParams(params),
    )
    .await?)
}

/// After an action: back to the shipment with a fixed message, or the page
/// again with what went wrong.
async fn after_action(
    state: &AppState,
    session: &Session,
    id: &str,
    done: &str,
    result: Result<(), crate::error::ApiError>,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/app/shipments/{id}?done={done}")).into_response()),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            let message = e.detail.unwrap_or_else(|| "The action was refused.".into());
            Ok(render(state, session, id, Some((true, message)))
                .await?
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct CancelForm {
    csrf: String,
    reason: String,
}

pub async fn cancel(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<CancelForm>,
) -> Result<Response, PageError> {
    session.check_csrf(&form.csrf)?;
    let input = CancelInput {
        reason: form.reason,
    };
    let result = cancel_as(
        &state,
        &session.signed.tenant,
        &id,
        &input,
        &session.actor(),
    )
    .await
    .map(|_| ());
    after_action(&state, &session, &id, "cancelled", result).await
}

/// One line of the modify form's address, filled with the current value.
fn address_field(name: &str, label: &str, value: &str, required: bool) -> maud::Markup {
    let id = format!("modify-{name}");
    html! {
        div {
            label for=(id) { (label) }
            input id=(id) name=(name) value=(value) required[required] autocomplete="off";
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ModifyForm {
    csrf: String,
    phone: Option<String>,
    delivery_instructions: Option<String>,
    #[serde(flatten)]
    address: shipgate_domain::address::AddressLines,
}

pub async fn modify(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<ModifyForm>,
) -> Result<Response, PageError> {
    session.check_csrf(&form.csrf)?;
    let current = load(&state, &session, &id).await?;
    let instructions = form.delivery_instructions.map(|i| i.trim().to_string());
    // The form shows the address as it is: a change is any line that differs
    // (a form without the address lines changes none).
    let address = current.consignee.corrected(&form.address);
    let consignee = (form.address != Default::default()
        && address != current.consignee.corrected(&current.consignee.lines()))
    .then_some(address);
    let input = ModifyInput {
        consignee,
        phone: given(&form.phone).map(str::to_string),
        payment_mode: None,
        cod_amount: None,
        // Unchanged instructions are not a change.
        delivery_instructions: instructions
            .filter(|i| Some(i.as_str()) != current.delivery.instructions.as_deref().or(Some(""))),
        preferred_delivery_date: None,
    };
    if input.consignee.is_none() && input.phone.is_none() && input.delivery_instructions.is_none() {
        return render(
            &state,
            &session,
            &id,
            Some((true, "Nothing to change.".into())),
        )
        .await
        .map(IntoResponse::into_response);
    }
    let result = modify_as(&state, &session.signed.tenant, &id, input, &session.actor())
        .await
        .map(|_| ());
    after_action(&state, &session, &id, "modified", result).await
}

#[derive(Debug, Deserialize)]
pub struct NdrForm {
    csrf: String,
    action: String,
    date: Option<String>,
}

/// An NDR action from a form: the action's name and an optional date.
pub fn action_input(action: &str, date: &Option<String>) -> Result<ActionInput, PageError> {
    let kind: ActionKind = serde_json::from_value(serde_json::Value::String(action.to_string()))
        .map_err(|_| {
            PageError::new(StatusCode::BAD_REQUEST, format!("no NDR action `{action}`"))
        })?;
    let mut input = ActionInput::of(kind);
    input.date = parse_day(date)?;
    Ok(input)
}

pub async fn ndr_action(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<NdrForm>,
) -> Result<Response, PageError> {
    session.check_csrf(&form.csrf)?;
    let input = action_input(&form.action, &form.date)?;
    let actor = format!("desk:{}", session.actor());
    let result =
        crate::service::ndr::act(&state, &session.signed.tenant.id, &id, None, input, &actor)
            .await
            .map(|_| ());
    after_action(&state, &session, &id, "ndr", result).await
}
