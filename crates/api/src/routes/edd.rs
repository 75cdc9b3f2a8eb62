use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use shipgate_domain::validation::{InvalidValue, ValidationErrors};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::LookupCaller;
use crate::error::{ApiError, Problem};
use crate::extract::{JsonBody, QueryParams};
use crate::service::edd::{Promise, PromiseRequest, promise};

/// Destinations one batch request may ask about.
pub const MAX_BATCH_DESTINATIONS: usize = 100;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EddParams {
    /// Pickup postal code.
    origin: String,
    /// Delivery postal code.
    destination: String,
    /// Only this carrier (code, e.g. `delhivery`); default: every carrier of the tenant.
    carrier: Option<String>,
    /// The day the order is placed (YYYY-MM-DD); default: now, with the pickup cut-off applied.
    ship_date: Option<String>,
    /// Share of parcels to arrive by the promised date, 0–1 exclusive (default 0.9).
    confidence: Option<f64>,
    /// Country of both codes (ISO 3166-1 alpha-2; default IN).
    country: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EddBatchInput {
    pub origin: String,
    /// Up to 100 delivery postal codes.
    pub destinations: Vec<String>,
    pub carrier: Option<String>,
    pub ship_date: Option<String>,
    pub confidence: Option<f64>,
    pub country: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EstimateView {
    pub carrier: String,
    /// Promised date at the requested confidence.
    #[schema(value_type = String, format = Date)]
    pub date: jiff::civil::Date,
    pub confidence: f64,
    /// Median date.
    #[schema(value_type = String, format = Date)]
    pub p50: jiff::civil::Date,
    /// Typical range (5th–95th percentile).
    #[schema(value_type = String, format = Date)]
    pub earliest: jiff::civil::Date,
    #[schema(value_type = String, format = Date)]
    pub latest: jiff::civil::Date,
    /// First day the carrier can take the parcel (cut-off and calendar applied).
    #[schema(value_type = String, format = Date)]
    pub handover: jiff::civil::Date,
    /// The postal hierarchy level that answered, e.g. `prefix3→prefix3`, or `carrier`.
    pub level: String,
    /// Deliveries behind that level.
    pub samples: u32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EddView {
    pub origin: String,
    pub destination: String,
    /// The earliest promise at the requested confidence, if any carrier has history.
    pub best: Option<EstimateView>,
    /// Every carrier with history, earliest first.
    pub carriers: Vec<EstimateView>,
    /// Carriers asked about that have no delivery history yet.
    pub unknown: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EddBatchView {
    pub data: Vec<EddView>,
}

/// JSON written straight into one buffer: a product page asks for this on
/// every view, and serde's generic path escapes every key and formats every
/// date through `fmt`. Byte for byte what `serde_json` writes (tested).
struct FastJson(Vec<u8>);

impl axum::response::IntoResponse for FastJson {
    fn into_response(self) -> Response {
        (
            [(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            )],
            self.0,
        )
            .into_response()
    }
}

fn json_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        serde_json::to_writer(&mut *out, s).expect("a string serializes");
    }
}

fn json_date(out: &mut Vec<u8>, date: jiff::civil::Date) {
    let year = date.year();
    if (0..=9999).contains(&year) {
        let digits = |n: i64, width: usize, out: &mut Vec<u8>| {
            for shift in (0..width).rev() {
                out.push(b'0' + (n / 10i64.pow(shift as u32) % 10) as u8);
            }
        };
        out.push(b'"');
        digits(year.into(), 4, out);
        out.push(b'-');
        digits(date.month().into(), 2, out);
        out.push(b'-');
        digits(date.day().into(), 2, out);
        out.push(b'"');
    } else {
        serde_json::to_writer(&mut *out, &date).expect("a date serializes");
    }
}

impl EstimateView {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"carrier\":");
        json_str(out, &self.carrier);
        out.extend_from_slice(b",\"date\":");
        json_date(out, self.date);
        out.extend_from_slice(b",\"confidence\":");
        serde_json::to_writer(&mut *out, &self.confidence).expect("a number serializes");
        for (key, date) in [
            (&b",\"p50\":"[..], self.p50),
            (b",\"earliest\":", self.earliest),
            (b",\"latest\":", self.latest),
            (b",\"handover\":", self.handover),
        ] {
            out.extend_from_slice(key);
            json_date(out, date);
        }
        out.extend_from_slice(b",\"level\":");
        json_str(out, &self.level);
        out.extend_from_slice(b",\"samples\":");
        serde_json::to_writer(&mut *out, &self.samples).expect("a number serializes");
        out.push(b'}');
    }
}

impl EddView {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"origin\":");
        json_str(out, &self.origin);
        out.extend_from_slice(b",\"destination\":");
        json_str(out, &self.destination);
        out.extend_from_slice(b",\"best\":");
        match &self.best {
            Some(best) => best.write_json(out),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"carriers\":[");
        for (i, estimate) in self.carriers.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            estimate.write_json(out);
        }
        out.extend_from_slice(b"],\"unknown\":[");
        for (i, carrier) in self.unknown.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            json_str(out, carrier);
        }
        out.extend_from_slice(b"]}");
    }

    fn to_json(&self) -> FastJson {
        let mut out = Vec::with_capacity(256 + 256 * self.carriers.len());
        self.write_json(&mut out);
        FastJson(out)
    }
}

impl EddBatchView {
    fn to_json(&self) -> FastJson {
        let mut out = Vec::with_capacity(64 + 512 * self.data.len());
        out.extend_from_slice(b"{\"data\":[");
        for (i, view) in self.data.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            view.write_json(&mut out);
        }
        out.extend_from_slice(b"]}");
        FastJson(out)
    }
}

fn view(origin: &str, p: Promise) -> EddView {
    let carriers: Vec<EstimateView> = p
        .estimates
        .into_iter()
        .map(|e| EstimateView {
            carrier: e.carrier,
            date: e.date,
            confidence: e.confidence,
            p50: e.p50,
            earliest: e.earliest,
            latest: e.latest,
            handover: e.handover,
            level: e.level,
            samples: e.samples,
        })
        .collect();
    EddView {
        origin: origin.to_string(),
        destination: p.destination,
        best: carriers.first().map(|b| EstimateView {
            carrier: b.carrier.clone(),
            level: b.level.clone(),
            ..*b
        }),
        carriers,
        unknown: p.unknown,
    }
}

/// A carrier adapter's code, or the tenant's own fleet.
fn is_known_carrier(code: &str) -> bool {
    code == "fleet" || shipgate_carriers::adapter(code).is_some()
}

struct Raw<'a> {
    origin: &'a str,
    destinations: Vec<&'a str>,
    carrier: Option<&'a str>,
    ship_date: Option<&'a str>,
    confidence: Option<f64>,
    country: Option<&'a str>,
}

fn validate(
    state: &AppState,
    raw: Raw<'_>,
    destinations_field: &str,
) -> Result<PromiseRequest, ApiError> {
    let mut errs = ValidationErrors::new();
    let country = raw.country.unwrap_or("IN").trim().to_ascii_uppercase();
    let country_ok = country.len() == 2 && country.chars().all(|c| c.is_ascii_uppercase());
    if !country_ok {
        errs.push(
            "country",
            InvalidValue::new("invalid_country", "an ISO 3166-1 alpha-2 code such as IN"),
        );
    }
    // The model's configured scheme (no allocation per lookup); the generic
    // one for a country without its own.
    let model = state.edd.model();
    let generic;
    let scheme = match model.context().scheme(&country) {
        Ok(scheme) => scheme,
        Err(_) => {
            generic = shipgate_edd::PostalScheme::for_country(&country);
            &generic
        }
    };
    // Field names are built only for an error: most lookups have none.
    let mut normalize = |field: &dyn Fn() -> String, code: &str| match scheme.normalize(code) {
        Ok(code) => Some(code),
        Err(e) => {
            errs.push(
                field(),
                InvalidValue::new("invalid_postal_code", e.to_string()),
            );
            None
        }
    };
    let origin = normalize(&|| "origin".into(), raw.origin);
    let single = raw.destinations.len() == 1 && destinations_field == "destination";
    let destinations: Vec<Option<String>> = raw
        .destinations
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let field = || {
                if single {
                    destinations_field.to_string()
                } else {
                    format!("{destinations_field}[{i}]")
                }
            };
            normalize(&field, d)
        })
        .collect();
    if raw.destinations.is_empty() || raw.destinations.len() > MAX_BATCH_DESTINATIONS {
        errs.push(
            destinations_field,
            InvalidValue::new(
                "invalid_count",
                format!("give 1 to {MAX_BATCH_DESTINATIONS} destinations"),
            ),
        );
    }
    let confidence = raw
        .confidence
        .unwrap_or(crate::service::edd::DEFAULT_CONFIDENCE);
    if !(confidence > 0.0 && confidence < 1.0) {
        errs.push(
            "confidence",
            InvalidValue::new("out_of_range", "a share between 0 and 1, e.g. 0.9"),
        );
    }
    let ship_date = match raw.ship_date.map(str::parse::<jiff::civil::Date>) {
        None => None,
        Some(Ok(date)) => Some(date),
        Some(Err(_)) => {
            errs.push(
                "ship_date",
                InvalidValue::new("invalid_date", "a date as YYYY-MM-DD"),
            );
            None
        }
    };
    let carriers = raw.carrier.map(|c| vec![c.trim().to_ascii_lowercase()]);
    if let Some(carrier) = carriers.as_ref().and_then(|c| c.first())
        && !is_known_carrier(carrier)
    {
        errs.push(
            "carrier",
            InvalidValue::new("unknown_carrier", "see GET /v1/carriers for the codes"),
        );
    }
    if !errs.is_empty() {
        return Err(errs.into());
    }
    Ok(PromiseRequest {
        country,
        origin: origin.unwrap_or_default(),
        destinations: destinations.into_iter().flatten().collect(),
        carriers,
        ship_date,
        confidence,
    })
}

/// Estimated delivery date for one lane: per carrier and best overall.
#[utoipa::path(
    get, path = "/v1/edd", tag = "edd",
    params(EddParams),
    responses((status = 200, body = EddView), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn get(
    caller: LookupCaller,
    State(state): State<AppState>,
    query: Result<QueryParams<EddParams>, ApiError>,
) -> Response {
    let answer = async {
        let QueryParams(p) = query?;
        lookup(&state, &caller.tenant, p).await
    };
    caller.respond(answer.await)
}

async fn lookup(
    state: &AppState,
    tenant: &shipgate_storage::Tenant,
    p: EddParams,
) -> Result<FastJson, ApiError> {
    let request = validate(
        state,
        Raw {
            origin: &p.origin,
            destinations: vec![&p.destination],
            carrier: p.carrier.as_deref(),
            ship_date: p.ship_date.as_deref(),
            confidence: p.confidence,
            country: p.country.as_deref(),
        },
        "destination",
    )?;
    let mut promises = promise(state, tenant, &request).await?;
    let promise = promises
        .pop()
        .ok_or_else(|| ApiError::internal(&"no answer"))?;
    Ok(view(&request.origin, promise).to_json())
}

/// Estimated delivery dates from one origin to many destinations at once.
#[utoipa::path(
    post, path = "/v1/edd/batch", tag = "edd",
    request_body = EddBatchInput,
    responses((status = 200, body = EddBatchView), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn batch(
    caller: LookupCaller,
    State(state): State<AppState>,
    body: Result<JsonBody<EddBatchInput>, ApiError>,
) -> Response {
    let answer = async {
        let JsonBody(input) = body?;
        lookup_batch(&state, &caller.tenant, input).await
    };
    caller.respond(answer.await)
}

async fn lookup_batch(
    state: &AppState,
    tenant: &shipgate_storage::Tenant,
    input: EddBatchInput,
) -> Result<FastJson, ApiError> {
    let request = validate(
        state,
        Raw {
            origin: &input.origin,
            destinations: input.destinations.iter().map(String::as_str).collect(),
            carrier: input.carrier.as_deref(),
            ship_date: input.ship_date.as_deref(),
            confidence: input.confidence,
            country: input.country.as_deref(),
        },
        "destinations",
    )?;
    let data = promise(state, tenant, &request)
        .await?
        .into_iter()
        .map(|p| view(&request.origin, p))
        .collect();
    Ok(EddBatchView { data }.to_json())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn estimate(carrier: &str, level: &str, year: i16) -> EstimateView {
        EstimateView {
            carrier: carrier.into(),
            date: date(year, 12, 31),
            confidence: 0.9,
            p50: date(year, 1, 2),
            earliest: date(year, 10, 9),
            latest: date(year, 2, 28),
            handover: date(year, 11, 30),
            level: level.into(),
            samples: 4_294_967_295,
        }
    }

    #[test]
    fn fast_json_is_what_serde_writes() {
        let views = [
            EddView {
                origin: "110001".into(),
                destination: "560001".into(),
                best: Some(estimate("delhivery", "prefix3→prefix3", 2026)),
                carriers: vec![
                    estimate("delhivery", "prefix3→prefix3", 2026),
                    estimate("ek\"art\\", "tab\there\u{1}", 7),
                    estimate("far", "carrier", 9999),
                    estimate("zero", "carrier", 0),
                    estimate("past", "carrier", -44),
                ],
                unknown: vec!["dtdc".into(), "quote\"d".into()],
            },
            EddView {
                origin: String::new(),
                destination: "01310-100".into(),
                best: None,
                carriers: vec![],
                unknown: vec![],
            },
        ];
        for view in &views {
            assert_eq!(
                String::from_utf8(view.to_json().0).unwrap(),
                serde_json::to_string(view).unwrap()
            );
        }
        let batch = EddBatchView {
            data: views.into_iter().collect(),
        };
        assert_eq!(
            String::from_utf8(batch.to_json().0).unwrap(),
            serde_json::to_string(&batch).unwrap()
        );
        let empty = EddBatchView { data: vec![] };
        assert_eq!(
            String::from_utf8(empty.to_json().0).unwrap(),
            serde_json::to_string(&empty).unwrap()
        );
    }

    #[test]
    fn confidences_print_as_serde_prints_them() {
        for confidence in [0.5, 0.9, 0.95, 0.999, 1e-7, 0.1 + 0.2] {
            let mut e = estimate("c", "l", 2026);
            e.confidence = confidence;
            let mut out = Vec::new();
            e.write_json(&mut out);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(&e).unwrap()
            );
        }
    }
}
