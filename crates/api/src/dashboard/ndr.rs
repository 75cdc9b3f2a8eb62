//! The NDR desk: the open queue (filters, cursor pages), the customer's
//! answers and the rules' actions beside each, and bulk actions on the
//! selected NDRs (each through `service::ndr::act`, as the desk user).

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use shipgate_domain::NdrReason;
use shipgate_domain::ndr::NdrState;
use shipgate_storage::{Ndr, NdrFilter};

use super::shipments::{action_input, carrier_codes};
use super::{Nav, Page, PageError, Session, filter_select, given, when, words};
use crate::AppState;

/// NDRs per page, and most acted on at once.
pub const PAGE_SIZE: u32 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct DeskQuery {
    carrier: Option<String>,
    reason: Option<String>,
    state: Option<String>,
    after: Option<String>,
    acted: Option<u32>,
    refused: Option<u32>,
}

/// Who acted, as the desk reads it.
fn actor_label(actor: &str) -> String {
    if actor == "customer" {
        "Customer".into()
    } else if let Some(rule) = actor.strip_prefix("rule:") {
        format!("Rule ({})", words(rule))
    } else if let Some(user) = actor.strip_prefix("desk:user:") {
        format!("Desk ({user})")
    } else if actor.starts_with("desk:") {
        "Desk (API)".into()
    } else {
        actor.to_string()
    }
}

/// The action taken, in words: "Re-attempt on 2026-12-01".
fn action_text(action: &serde_json::Value) -> String {
    let kind = action["action"].as_str().unwrap_or("action");
    let mut text = match kind {
        "reattempt" => "Re-attempt".to_string(),
        "return_to_origin" => "Return to origin".to_string(),
        "hold" => "Hold".to_string(),
        "change_address" => "New address".to_string(),
        "change_phone" => "New phone".to_string(),
        other => words(other),
    };
    if let Some(date) = action["date"].as_str() {
        text.push_str(&format!(" on {date}"));
    }
    if let Some(phone) = action["phone"].as_str() {
        text.push_str(&format!(": {phone}"));
    }
    text
}

fn answer(n: &Ndr) -> Markup {
    html! {
        @if let (Some(action), Some(actor)) = (&n.action, &n.actor) {
            (action_text(action)) br;
            span.muted { "by " (actor_label(actor)) @if let Some(at) = n.action_at { ", " (when(at)) } }
            @if let Some(e) = &n.error { br; span.badge.bad { "Refused: " (e) } }
        } @else if n.customer_asked_at.is_some() {
            span.muted { "Customer asked; no answer yet" }
        } @else {
            span.muted { "None yet" }
        }
    }
}

fn state_badge(state: NdrState) -> Markup {
    let class = match state {
        NdrState::Failed => "badge bad",
        NdrState::ActionSent | NdrState::ResolvedDelivered => "badge good",
        _ => "badge",
    };
    html! { span class=(class) { (words(state.as_str())) } }
}

/// The queue.
pub async fn desk(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<DeskQuery>,
) -> Result<Page, PageError> {
    let bad =
        |what: &str, v: &str| PageError::new(StatusCode::BAD_REQUEST, format!("no {what} `{v}`"));
    let filter = NdrFilter {
        carrier: given(&q.carrier).map(str::to_string),
        reason: given(&q.reason)
            .map(|r| r.parse::<NdrReason>().map_err(|_| bad("reason", r)))
            .transpose()?,
        state: given(&q.state)
            .map(|s| s.parse::<NdrState>().map_err(|_| bad("state", s)))
            .transpose()?,
        ..Default::default()
    };
    let after = given(&q.after).and_then(crate::views::decode_cursor);
    let page = state
        .store
        .list_ndrs(
            &session.signed.tenant.id,
            &filter,
            after.as_deref(),
            PAGE_SIZE,
        )
        .await?;
    let next_link = page.next_after.as_ref().map(|next| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("carrier", &q.carrier),
            ("reason", &q.reason),
            ("state", &q.state),
        ] {
            if let Some(v) = given(v) {
                s.append_pair(k, v);
            }
        }
        s.append_pair("after", &crate::views::encode_cursor(next));
        format!("/app/ndr?{}", s.finish())
    });
    let body = html! {
        h1 { "NDR desk" }
        @if q.acted.is_some() || q.refused.is_some() {
            @let (acted, refused) = (q.acted.unwrap_or(0), q.refused.unwrap_or(0));
            p class=(if refused > 0 { "notice error" } else { "notice" }) role="status" {
                (acted) " sent to the carrier"
                @if refused > 0 { "; " (refused) " not sent (someone acted first, or it was refused: see each row)" }
                "."
            }
        }
        form.filters method="get" action="/app/ndr" {
            (filter_select("carrier", "Carrier", "Any carrier", carrier_codes(), &q.carrier))
            (filter_select("reason", "Reason", "Any reason", NdrReason::ALL.iter().map(|r| r.as_str()), &q.reason))
            (filter_select("state", "State", "Unresolved", NdrState::ALL.iter().map(|s| s.as_str()), &q.state))
            div.row { button type="submit" { "Filter" } }
        }
        @if page.items.is_empty() {
            p.notice { "No NDRs in the queue." }
        } @else {
            form method="post" action="/app/ndr/bulk" {
                input type="hidden" name="csrf" value=(session.csrf());
                div.filters role="group" aria-labelledby="bulk-h" {
                    h2.wide id="bulk-h" style="margin:0" { "Act on the selected NDRs" }
                    div {
                        label for="bulk-action" { "Action" }
                        select id="bulk-action" name="action" {
                            option value="reattempt" { "Re-attempt delivery" }
                            option value="hold" { "Hold until a date" }
                            option value="return_to_origin" { "Return to origin" }
                        }
                    }
                    div {
                        label for="bulk-date" { "Date (re-attempt or hold)" }
                        input id="bulk-date" name="date" type="date";
                    }
                    div.row { button type="submit" { "Apply to selected" } }
                }
                table.responsive {
                    thead { tr {
                        th { span.visually-hidden { "Select" } }
                        th { "AWB" } th { "Carrier" } th { "Attempt" } th { "Reason" } th { "Raised (IST)" } th { "State" } th { "Action / answer" }
                    } }
                    tbody {
                        @for n in &page.items {
                            tr {
                                td data-label="Select" {
                                    input type="checkbox" name="ndr" value=(n.id) id={"sel-" (n.id)} aria-label={"Select the NDR of " (n.awb)};
                                }
                                td data-label="AWB" { a href={"/app/shipments/" (n.shipment_id)} { (n.awb) } }
                                td data-label="Carrier" { (words(&n.carrier)) }
                                td data-label="Attempt" { (n.attempt) }
                                td data-label="Reason" {
                                    (words(n.reason.as_str()))
                                    @if let Some(r) = &n.remarks { br; span.muted { (r) } }
                                }
                                td data-label="Raised" { (when(n.created_at)) }
                                td data-label="State" {
                                    (state_badge(n.state))
                                    @if n.escalated_at.is_some() { " " span.badge.bad { "Escalated" } }
                                }
                                td data-label="Action" { (answer(n)) }
                            }
                        }
                    }
                }
            }
        }
        nav.pager aria-label="Pages" {
            @if after.is_some() { a href="/app/ndr" { "← First page" } } @else { span {} }
            @if let Some(link) = &next_link { a href=(link) rel="next" { "Older NDRs →" } }
        }
    };
    Ok(Page::app(&session, Nav::Ndr, "NDR desk", body))
}

/// One action on every selected NDR; back to the queue with the counts.
pub async fn bulk(
    State(state): State<AppState>,
    session: Session,
    body: Bytes,
) -> Result<Response, PageError> {
    let (mut csrf, mut action, mut date, mut ids) =
        (String::new(), String::new(), None, Vec::new());
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "csrf" => csrf = v.into_owned(),
            "action" => action = v.into_owned(),
            "date" => date = Some(v.into_owned()),
            "ndr" => ids.push(v.into_owned()),
            _ => {}
        }
    }
    session.check_csrf(&csrf)?;
    if ids.is_empty() {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "Select at least one NDR.",
        ));
    }
    if ids.len() > PAGE_SIZE as usize {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            format!("Select at most {PAGE_SIZE} NDRs at once."),
        ));
    }
    let input = action_input(&action, &date)?;
    let tenant_id = &session.signed.tenant.id;
    let actor = format!("desk:{}", session.actor());
    let (mut acted, mut refused) = (0u32, 0u32);
    for id in &ids {
        let Some(ndr) = state.store.ndr(tenant_id, id).await? else {
            refused += 1;
            continue;
        };
        match crate::service::ndr::act(
            &state,
            tenant_id,
            &ndr.shipment_id,
            Some(&ndr.id),
            input.clone(),
            &actor,
        )
        .await
        {
            Ok(_) => acted += 1,
            Err(e) if e.status.is_client_error() => refused += 1,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Redirect::to(&format!("/app/ndr?acted={acted}&refused={refused}")).into_response())
}
