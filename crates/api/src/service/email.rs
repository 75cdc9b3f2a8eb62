//! Customer email at delivery milestones, over SMTP.
//!
//! A milestone (picked up, out for delivery, delivered, a failed attempt, a
//! return) enqueues an email job in the same transaction as the event that
//! reached it; the job renders the message and sends it through the
//! configured SMTP server (`smtp_url`, e.g. `smtp://user:pass@mail:587` for
//! STARTTLS or `smtps://…:465`). Without an SMTP server, no email jobs are made.

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use shipgate_domain::{Shipment, ShipmentStatus};
use shipgate_storage::{EventsRecorded, NewJob};

use crate::AppState;

/// Job kind that emails the end customer about a milestone.
pub const SEND: &str = "customer_email.send";

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("invalid smtp_url: {0}")]
    Url(String),
    #[error("invalid mail_from address: {0}")]
    From(String),
}

impl Mailer {
    pub fn new(smtp_url: &str, from: &str) -> Result<Self, MailerError> {
        shipgate_carriers::client::install_tls_provider();
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| MailerError::Url(e.to_string()))?
            .build();
        let from = from
            .parse()
            .map_err(|e: lettre::address::AddressError| MailerError::From(e.to_string()))?;
        Ok(Self { transport, from })
    }
}

/// The milestone a recording reached, if it is one customers hear about.
pub fn milestone(r: &EventsRecorded) -> Option<ShipmentStatus> {
    use ShipmentStatus as S;
    let (before, after) = (r.previous.status, r.shipment.state.status);
    if before == after {
        return None;
    }
    let returning = |s: ShipmentStatus| {
        matches!(
            s,
            S::RtoRequested
                | S::RtoInTransit
                | S::RtoOutForDelivery
                | S::RtoDelivered
                | S::RtoFailed
        )
    };
    match after {
        S::PickedUp | S::OutForDelivery | S::Delivered | S::DeliveryFailed => Some(after),
        s if returning(s) && !returning(before) => Some(S::RtoRequested),
        _ => None,
    }
}

/// The email job a recording calls for (none without a consignee email).
pub fn follow_up(r: &EventsRecorded) -> Option<NewJob> {
    let status = milestone(r)?;
    r.shipment.consignee.email.as_ref()?;
    Some(NewJob::now(
        SEND,
        Some(r.shipment.tenant_id.clone()),
        serde_json::json!({"shipment_id": r.shipment.id, "milestone": status}),
    ))
}

fn subject_and_line(status: ShipmentStatus, s: &Shipment) -> (String, String) {
    use ShipmentStatus as S;
    let order = &s.order_reference;
    match status {
        S::PickedUp => (
            format!("Your order {order} has shipped"),
            "It is on its way.".into(),
        ),
        S::OutForDelivery => (
            format!("Your order {order} is out for delivery"),
            "It should reach you today.".into(),
        ),
        S::Delivered => (
            format!("Your order {order} was delivered"),
            "Thank you for shopping with us.".into(),
        ),
        S::DeliveryFailed => (
            format!("We could not deliver your order {order}"),
            "The courier could not complete the delivery.".into(),
        ),
        _ => (
            format!("Your order {order} is being returned"),
            "The parcel is on its way back to the seller.".into(),
        ),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Renders and sends one milestone email.
pub async fn send(
    state: &AppState,
    mailer: &Mailer,
    tenant_id: &str,
    payload: &serde_json::Value,
) -> Result<(), String> {
    let id = payload
        .get("shipment_id")
        .and_then(|v| v.as_str())
        .ok_or("job has no shipment_id")?;
    let status: ShipmentStatus = payload
        .get("milestone")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
        .ok_or("job has no milestone")?;
    let Some(shipment) = state
        .store
        .shipment(tenant_id, id)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(());
    };
    let Some(to) = shipment.consignee.email.as_deref() else {
        return Ok(());
    };
    let to: Mailbox = match format!(
        "{} <{to}>",
        shipment.consignee.name.replace(['<', '>', '"'], "")
    )
    .parse()
    {
        Ok(to) => to,
        // A malformed address will not get better by retrying.
        Err(e) => {
            tracing::warn!(shipment = id, error = %shipgate_domain::redact::text(&e.to_string()), "customer email address refused");
            return Ok(());
        }
    };
    let (mut subject, mut line) = subject_and_line(status, &shipment);
    let link = state
        .self_url
        .as_deref()
        .map(|u| format!("{}/track/{}", u.trim_end_matches('/'), shipment.awb))
        .unwrap_or_default();
    // A failed attempt carries the signed link to choose what happens next.
    let self_service = if status == ShipmentStatus::DeliveryFailed {
        self_service_link(state, tenant_id, &shipment, payload).await?
    } else {
        None
    };
    if self_service.is_some() && payload.get("ask").and_then(|v| v.as_bool()) == Some(true) {
        subject = format!(
            "Action needed to deliver your order {}",
            shipment.order_reference
        );
        line = "The courier could not deliver your order. Please tell us how to deliver it: use the link below to correct your address or phone, or pick a new day.".into();
    }
    let (text_choice, html_choice) = match &self_service {
        Some(url) => (
            format!(
                "Choose what happens next (a new day, a corrected address or phone, or a hold): {url}\n"
            ),
            format!(
                "<p><a href=\"{}\">Choose what happens next</a> — a new day, a corrected address or phone, or a hold.</p>",
                escape(url)
            ),
        ),
        None => Default::default(),
    };
    let text = format!(
        "Hello {},\n\n{line}\n\n{text_choice}Tracking number: {} ({})\nTrack it: {link}\n",
        shipment.consignee.name, shipment.awb, shipment.carrier
    );
    let html = format!(
        "<p>Hello {},</p><p>{}</p>{html_choice}<p>Tracking number: <b>{}</b> ({})</p><p><a href=\"{}\">Track your order</a></p>",
        escape(&shipment.consignee.name),
        escape(&line),
        escape(&shipment.awb),
        escape(&shipment.carrier),
        escape(&link)
    );
    let message = Message::builder()
        .from(mailer.from.clone())
        .to(to)
        .subject(subject)
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| e.to_string())?;
    mailer
        .transport
        .send(message)
        .await
        .map_err(|e| format!("SMTP: {e}"))?;
    Ok(())
}

/// The signed self-service link for the NDR the job names, or else the
/// shipment's current one; none once it no longer takes an action.
async fn self_service_link(
    state: &AppState,
    tenant_id: &str,
    shipment: &Shipment,
    payload: &serde_json::Value,
) -> Result<Option<String>, String> {
    let ndr = match payload.get("ndr_id").and_then(|v| v.as_str()) {
        Some(id) => state
            .store
            .ndr(tenant_id, id)
            .await
            .map_err(|e| e.to_string())?,
        None => super::ndr::current(state, tenant_id, &shipment.id)
            .await
            .map_err(|e| e.detail.unwrap_or_default())?,
    };
    Ok(ndr.filter(|n| n.state.is_actionable()).and_then(|n| {
        let token = super::ndr_link::token_for(state, tenant_id, &shipment.id, &n.id);
        super::ndr_link::url_for(state, &token)
    }))
}

/// The worker's handler for [`SEND`] jobs.
pub struct SendJob(pub AppState);

#[async_trait::async_trait]
impl crate::worker::JobHandler for SendJob {
    async fn run(&self, job: &shipgate_storage::Job) -> Result<(), String> {
        let Some(mailer) = self.0.mailer.clone() else {
            return Err("no SMTP server is configured".into());
        };
        let tenant_id = job.tenant_id.as_deref().ok_or("job has no tenant")?;
        send(&self.0, &mailer, tenant_id, &job.payload).await
    }
}
