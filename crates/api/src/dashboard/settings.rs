//! Settings: the public pages' branding, carrier accounts and their pickup
//! locations, allocation rules, webhook endpoints (with each one's delivery
//! log and replay), secret API keys and publishable keys, and the audit log
//! of these changes.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::{Nav, Page, PageError, Session, when, words};
use crate::AppState;
use crate::auth::Caller;
use crate::extract::JsonBody;
use crate::routes::branding::Branding;

#[derive(Debug, Default, Deserialize)]
pub struct SettingsQuery {
    done: Option<String>,
}

async fn render(
    state: &AppState,
    session: &Session,
    notice: Option<(bool, String)>,
    rules_text: Option<String>,
) -> Result<Page, PageError> {
    let tenant = &session.signed.tenant;
    let (accounts, endpoints, secret_keys, keys) = tokio::try_join!(
        state.store.list_carrier_accounts(&tenant.id, None, 100),
        state.store.list_webhook_endpoints(&tenant.id, None, 100),
        state.store.list_api_keys(&tenant.id),
        state.store.list_publishable_keys(&tenant.id),
    )?;
    let rules = crate::service::allocation::rules(state, tenant).await?;
    let rules_text = rules_text.unwrap_or_else(|| {
        serde_json::to_string_pretty(&serde_json::json!({ "rules": rules })).unwrap_or_default()
    });
    let csrf = session.csrf();
    let brand = &session.brand;
    let body = html! {
        h1 { "Settings" }
        p { a href="/app/settings/audit-log" { "Audit log: who changed what" } }
        @if let Some((error, message)) = &notice {
            p class=(if *error { "notice error" } else { "notice" }) role=(if *error { "alert" } else { "status" }) { (message) }
        }
        section.card aria-labelledby="brand-h" {
            h2 id="brand-h" { "Branding of the tracking and NDR pages" }
            form.stack method="post" action="/app/settings/branding" {
                input type="hidden" name="csrf" value=(csrf);
                div {
                    label for="display_name" { "Shop name" }
                    input id="display_name" name="display_name" maxlength="80" value=[brand.display_name.as_deref()];
                }
                div {
                    label for="primary_color" { "Colour (#RRGGBB)" }
                    input id="primary_color" name="primary_color" pattern="#[0-9a-fA-F]{6}" value=[brand.primary_color.as_deref()];
                }
                button type="submit" { "Save branding" }
            }
        }
        h2 { "Carrier accounts and pickup locations" }
        @if accounts.items.is_empty() {
            p.muted { "No carrier accounts yet (POST /v1/carrier-accounts)." }
        } @else {
            table.responsive {
                thead { tr { th { "Name" } th { "Carrier" } th { "Mode" } th { "Pickup location" } th { "Created (IST)" } } }
                tbody {
                    @for a in &accounts.items {
                        tr {
                            td data-label="Name" { (a.name) br; span.muted { (a.id) } }
                            td data-label="Carrier" { (words(&a.carrier)) }
                            td data-label="Mode" { @if a.base_url.is_none() { "Sandbox" } @else { "Live" } }
                            td data-label="Pickup" { (a.settings["pickup_location"].as_str().unwrap_or("–")) }
                            td data-label="Created" { (when(a.created_at)) }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="rules-h" style="margin-top:1rem" {
            h2 id="rules-h" { "Allocation rules" }
            p.muted { "The first rule whose conditions all hold applies; see the README for the fields." }
            form.stack method="post" action="/app/settings/allocation" {
                input type="hidden" name="csrf" value=(csrf);
                div {
                    label for="rules" { "Rules (JSON)" }
                    textarea id="rules" name="rules" spellcheck="false" { (rules_text) }
                }
                button type="submit" { "Save rules" }
            }
        }
        h2 { "Webhook endpoints" }
        @if endpoints.items.is_empty() {
            p.muted { "No webhook endpoints yet (POST /v1/webhook-endpoints)." }
        } @else {
            table.responsive {
                thead { tr { th { "URL" } th { "Events" } th { "State" } th { "Deliveries" } } }
                tbody {
                    @for e in &endpoints.items {
                        tr {
                            td data-label="URL" { (e.url) }
                            td data-label="Events" { (e.event_types.join(", ")) }
                            td data-label="State" {
                                @if e.enabled { span.badge.good { "Enabled" } } @else { span.badge.bad { "Disabled" } }
                                @if let Some(r) = &e.disabled_reason { br; span.muted { (r) } }
                            }
                            td data-label="Deliveries" { a href={"/app/settings/webhooks/" (e.id)} { "Delivery log" } }
                        }
                    }
                }
            }
        }
        h2 { "Secret API keys" }
        p.muted {
            "For your systems to call the API (Authorization: Bearer …). Each is shown once, when created. "
            "Revoking one stops every integration that uses it within 30 seconds; the last key cannot be revoked."
        }
        table.responsive {
            thead { tr { th { "Key" } th { "Label" } th { "Created (IST)" } th { "Revoke" } } }
            tbody {
                @for k in &secret_keys {
                    tr {
                        td data-label="Key" { code { (k.key_prefix) "…" } }
                        td data-label="Label" { (k.label.as_deref().unwrap_or("–")) }
                        td data-label="Created" { (when(k.created_at)) }
                        td data-label="Revoke" {
                            @if secret_keys.len() > 1 {
                                form method="post" action={"/app/settings/api-keys/" (k.id) "/revoke"} {
                                    input type="hidden" name="csrf" value=(csrf);
                                    button.danger type="submit" aria-label={"Revoke secret key " (k.key_prefix)} { "Revoke" }
                                }
                            } @else {
                                span.muted { "Your only key" }
                            }
                        }
                    }
                }
            }
        }
        form.filters method="post" action="/app/settings/api-keys" {
            input type="hidden" name="csrf" value=(csrf);
            div.wide {
                label for="label" { "New secret key: what it is for (optional)" }
                input id="label" name="label" maxlength=(crate::routes::api_keys::MAX_LABEL_CHARS) placeholder="Warehouse scanner";
            }
            div.row { button type="submit" { "Create secret key" } }
        }
        h2 { "Publishable API keys" }
        p.muted { "For the product-page widget: lookups only, from the web origins listed." }
        @if keys.is_empty() {
            p.muted { "None yet." }
        } @else {
            table.responsive {
                thead { tr { th { "Key" } th { "Allowed origins" } th { "Created (IST)" } th { "Revoke" } } }
                tbody {
                    @for k in &keys {
                        tr {
                            td data-label="Key" { code { (k.key_prefix) "…" } }
                            td data-label="Origins" { (k.allowed_origins.join(", ")) }
                            td data-label="Created" { (when(k.created_at)) }
                            td data-label="Revoke" {
                                form method="post" action={"/app/settings/publishable-keys/" (k.id) "/revoke"} {
                                    input type="hidden" name="csrf" value=(csrf);
                                    button.danger type="submit" aria-label={"Revoke " (k.key_prefix)} { "Revoke" }
                                }
                            }
                        }
                    }
                }
            }
        }
        form.filters method="post" action="/app/settings/publishable-keys" {
            input type="hidden" name="csrf" value=(csrf);
            div.wide {
                label for="origins" { "New key: the shop's web origins, comma-separated" }
                input id="origins" name="origins" placeholder="https://shop.example" required;
            }
            div.row { button type="submit" { "Create publishable key" } }
        }
    };
    let status = match &notice {
        Some((true, _)) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    Ok(Page::app(session, Nav::Settings, "Settings", body).with_status(status))
}

pub async fn page(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<SettingsQuery>,
) -> Result<Page, PageError> {
    let notice = match q.done.as_deref() {
        Some("branding") => Some((false, "Branding saved.".to_string())),
        Some("rules") => Some((false, "Allocation rules saved.".to_string())),
        Some("revoked") => Some((false, "Key revoked.".to_string())),
        Some("secret-revoked") => Some((
            false,
            "Secret key revoked: calls with it are refused (on every server within 30 seconds)."
                .to_string(),
        )),
        _ => None,
    };
    render(&state, &session, notice, None).await
}

#[derive(Debug, Deserialize)]
pub struct BrandingForm {
    csrf: String,
    display_name: Option<String>,
    primary_color: Option<String>,
}

pub async fn branding(
    State(state): State<AppState>,
    session: Session,
    axum::Form(form): axum::Form<BrandingForm>,
) -> Result<Response, PageError> {
    session.check_csrf(&form.csrf)?;
    let clean = |v: Option<String>| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let input = Branding {
        display_name: clean(form.display_name),
        primary_color: clean(form.primary_color),
    };
    match crate::routes::branding::put(
        State(state.clone()),
        Caller(session.signed.tenant.clone()),
        session.changed_by(),
        JsonBody(input),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/app/settings?done=branding").into_response()),
        Err(e) if e.status.is_client_error() => {
            let message = e.detail.unwrap_or_default();
            Ok(render(&state, &session, Some((true, message)), None)
                .await?
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct RulesForm {
    csrf: String,
    rules: String,
}

pub async fn allocation(
    State(state): State<AppState>,
    session: Session,
    axum::Form(form): axum::Form<RulesForm>,
) -> Result<Response, PageError> {
    session.check_csrf(&form.csrf)?;
    let refused = |message: String| {
        let state = state.clone();
        let text = form.rules.clone();
        let session = &session;
        async move {
            Ok::<_, PageError>(
                render(&state, session, Some((true, message)), Some(text))
                    .await?
                    .into_response(),
            )
        }
    };
    let doc: crate::routes::rates::RulesDoc = match serde_json::from_str(&form.rules) {
        Ok(doc) => doc,
        Err(e) => return refused(format!("The rules are not valid: {e}")).await,
    };
    match crate::routes::rates::put_rules(
        State(state.clone()),
        Caller(session.signed.tenant.clone()),
        session.changed_by(),
        JsonBody(doc),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/app/settings?done=rules").into_response()),
        Err(e) if e.status.is_client_error() => refused(e.detail.unwrap_or_default()).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct WebhookQuery {
    replayed: Option<String>,
}

/// An endpoint's delivery log: its latest messages and their attempts.
pub async fn webhook(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(q): Query<WebhookQuery>,
) -> Result<Page, PageError> {
    let tenant = &session.signed.tenant;
    let endpoint = state
        .store
        .webhook_endpoint(&tenant.id, &id)
        .await?
        .ok_or_else(|| PageError::new(StatusCode::NOT_FOUND, "No such webhook endpoint."))?;
    let messages = state
        .store
        .list_webhook_messages(&tenant.id, &id, None, 50)
        .await?;
    let body = html! {
        p { a href="/app/settings" { "← Settings" } }
        h1 { "Webhook deliveries" }
        p { code { (endpoint.url) } }
        @if q.replayed.is_some() {
            p.notice role="status" { "Replay queued: it is sent once more, outside the retry schedule." }
        }
        @if messages.items.is_empty() {
            p.muted { "Nothing sent yet." }
        } @else {
            table.responsive {
                thead { tr { th { "Event" } th { "Created (IST)" } th { "Status" } th { "Attempts" } th { "Replay" } } }
                tbody {
                    @for m in &messages.items {
                        tr {
                            td data-label="Event" { (m.event_type) br; span.muted { (m.id) } }
                            td data-label="Created" { (when(m.created_at)) }
                            td data-label="Status" { (words(m.status.as_str())) }
                            td data-label="Attempts" {
                                @if let Some(a) = m.attempts.last() {
                                    (m.attempts.len()) " so far; the last " (when(a.started_at)) ": "
                                    @if let Some(code) = a.status_code { "HTTP " (code) } @else {
                                        (a.error.as_deref().map_or("no answer", |e| e.split(':').next().unwrap_or(e)))
                                    }
                                    " (" (a.latency_ms) " ms)"
                                } @else { span.muted { "none yet" } }
                                @if let Some(next) = m.next_attempt_at { br; span.muted { "next " (when(next)) } }
                            }
                            td data-label="Replay" {
                                form method="post" action={"/app/settings/webhooks/" (endpoint.id) "/replay/" (m.id)} {
                                    input type="hidden" name="csrf" value=(session.csrf());
                                    button.secondary type="submit" aria-label={"Replay " (m.event_type) " " (m.id)} { "Replay" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(Page::app(
        &session,
        Nav::Settings,
        "Webhook deliveries",
        body,
    ))
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

pub async fn replay(
    State(state): State<AppState>,
    session: Session,
    Path((id, message)): Path<(String, String)>,
    axum::Form(form): axum::Form<CsrfOnly>,
) -> Result<Response, PageError> {
    session.check_csrf(&form.csrf)?;
    crate::service::webhooks::replay(&state, &session.signed.tenant, &id, &message).await?;
    Ok(Redirect::to(&format!("/app/settings/webhooks/{id}?replayed=1")).into_response())
}

#[derive(Debug, Deserialize)]
pub struct NewKeyForm {
    csrf: String,
    origins: String,
}

/// Creates a publishable key; the page shows it this once.
pub async fn create_key(
    State(state): State<AppState>,
    session: Session,
    axum::Form(form): axum::Form<NewKeyForm>,
) -> Result<Response, PageError> {
    session.check_csrf(&form.csrf)?;
    let input = crate::routes::publishable_keys::PublishableKeyInput {
        allowed_origins: form
            .origins
            .split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_string)
            .collect(),
    };
    let result = crate::routes::publishable_keys::create(
        State(state.clone()),
        Caller(session.signed.tenant.clone()),
        session.changed_by(),
        JsonBody(input),
    )
    .await
    .map(|(_, view)| {
        format!(
            "New publishable key (shown this once; put it in the widget's data-key): {}",
            view.0.key
        )
    });
    key_created(&state, &session, result).await
}

/// The settings page after creating a key: the message showing it this
/// once, or why it was refused.
async fn key_created(
    state: &AppState,
    session: &Session,
    result: Result<String, crate::error::ApiError>,
) -> Result<Response, PageError> {
    let notice = match result {
        Ok(shown) => (false, shown),
        Err(e) if e.status.is_client_error() => (true, e.detail.unwrap_or_default()),
        Err(e) => return Err(e.into()),
    };
    let status = if notice.0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render(state, session, Some(notice), None)
        .await?
        .with_status(status)
        .into_response())
}

pub async fn revoke_key(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<CsrfOnly>,
) -> Result<Response, PageError> {
    session.check_csrf(&form.csrf)?;
    crate::routes::publishable_keys::revoke(
        State(state.clone()),
        Caller(session.signed.tenant.clone()),
        session.changed_by(),
        Path(id),
    )
    .await?;
    Ok(Redirect::to("/app/settings?done=revoked").into_response())
}

#[derive(Debug, Deserialize)]
pub struct NewSecretKeyForm {
    csrf: String,
    label: Option<String>,
}

/// Creates a secret key; the page shows it this once.
pub async fn create_secret_key(
    State(state): State<AppState>,
    session: Session,
    axum::Form(form): axum::Form<NewSecretKeyForm>,
) -> Result<Response, PageError> {
    session.check_csrf(&form.csrf)?;
    let result = crate::routes::api_keys::create(
        State(state.clone()),
        Caller(session.signed.tenant.clone()),
        session.changed_by(),
        JsonBody(crate::routes::api_keys::ApiKeyInput { label: form.label }),
    )
    .await
    .map(|(_, key)| {
        format!(
            "New secret key (shown this once: copy it now, and keep it out of web pages and code): {}",
            key.0.key
        )
    });
    key_created(&state, &session, result).await
}

pub async fn revoke_secret_key(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<CsrfOnly>,
) -> Result<Response, PageError> {
    session.check_csrf(&form.csrf)?;
    let revoked = crate::routes::api_keys::revoke(
        State(state.clone()),
        Caller(session.signed.tenant.clone()),
        session.changed_by(),
        Path(id),
    )
    .await;
    match revoked {
        Ok(_) => Ok(Redirect::to("/app/settings?done=secret-revoked").into_response()),
        Err(e) if e.status == StatusCode::CONFLICT => {
            let message = e.detail.unwrap_or_default();
            Ok(render(&state, &session, Some((true, message)), None)
                .await?
                .with_status(StatusCode::CONFLICT)
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The latest configuration changes: who made them, what and when.
pub async fn audit_log(State(state): State<AppState>, session: Session) -> Result<Page, PageError> {
    let entries = state
        .store
        .audit_log(
            &session.signed.tenant.id,
            &shipgate_storage::AuditFilter::default(),
            None,
            100,
        )
        .await?;
    let body = html! {
        p { a href="/app/settings" { "← Settings" } }
        h1 { "Audit log" }
        p.muted { "The latest 100 changes; all of them through GET /v1/audit-log." }
        @if entries.items.is_empty() {
            p.muted { "No changes yet." }
        } @else {
            table.responsive {
                thead { tr { th { "When (IST)" } th { "Who" } th { "What" } th { "Object" } } }
                tbody {
                    @for r in &entries.items {
                        tr {
                            td data-label="When" { (when(r.at)) }
                            td data-label="Who" {
                                (words(r.entry.actor.kind()))
                                @if let Some(id) = r.entry.actor.id() { br; span.muted { (id) } }
                            }
                            td data-label="What" { (words(&r.entry.action.replace('.', " "))) }
                            td data-label="Object" { (r.entry.object_id) }
                        }
                    }
                }
            }
        }
    };
    Ok(Page::app(&session, Nav::Settings, "Audit log", body))
}
