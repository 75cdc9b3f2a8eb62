use std::borrow::Cow;

use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use shipgate_domain::validation::{InvalidValue, ValidationErrors};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::LookupCaller;
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::service::edd::{Promise, PromiseRequest, promise};

/// Destinations one batch request may ask about.
pub const MAX_BATCH_DESTINATIONS: usize = 100;

/// The query of `GET /v1/edd`, for the OpenAPI document; requests are read
/// by [`EddQuery`] (a test checks the two agree).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
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
        let (year, month, day) = (year as u16, date.month() as u8, date.day() as u8);
        let two = |n: u8| [b'0' + n / 10, b'0' + n % 10];
        let [c1, c2] = two((year / 100) as u8);
        let [y1, y2] = two((year % 100) as u8);
        let [m1, m2] = two(month);
        let [d1, d2] = two(day);
        out.extend_from_slice(&[b'"', c1, c2, y1, y2, b'-', m1, m2, b'-', d1, d2, b'"']);
    } else {
        serde_json::to_writer(&mut *out, &date).expect("a date serializes");
    }
}

/// A number as JSON, remembered: every estimate of an answer carries the
/// same confidence, and printing a float is the dearest part of writing one.
#[derive(Default)]
struct NumberMemo(Option<(u64, Vec<u8>)>);

impl NumberMemo {
    fn write(&mut self, out: &mut Vec<u8>, value: f64) {
        match &self.0 {
            Some((bits, json)) if *bits == value.to_bits() => out.extend_from_slice(json),
            _ => {
                let json = serde_json::to_vec(&value).expect("a number serializes");
                out.extend_from_slice(&json);
                self.0 = Some((value.to_bits(), json));
            }
        }
    }
}

/// One estimate as [`EstimateView`]'s JSON.
fn write_estimate(out: &mut Vec<u8>, e: &shipgate_edd::Estimate, confidence: &mut NumberMemo) {
    out.extend_from_slice(b"{\"carrier\":");
    json_str(out, &e.carrier);
    out.extend_from_slice(b",\"date\":");
    json_date(out, e.date);
    out.extend_from_slice(b",\"confidence\":");
    confidence.write(out, e.confidence);
    for (key, date) in [
        (&b",\"p50\":"[..], e.p50),
        (b",\"earliest\":", e.earliest),
        (b",\"latest\":", e.latest),
        (b",\"handover\":", e.handover),
    ] {
        out.extend_from_slice(key);
        json_date(out, date);
    }
    out.extend_from_slice(b",\"level\":");
    json_str(out, &e.level);
    out.extend_from_slice(b",\"samples\":");
    serde_json::to_writer(&mut *out, &e.samples).expect("a number serializes");
    out.push(b'}');
}

/// One destination's answer as [`EddView`]'s JSON, written from the
/// promise itself (the best is the first estimate: written once, its bytes
/// copied).
fn write_promise(out: &mut Vec<u8>, origin: &str, p: &Promise) {
    let mut confidence = NumberMemo::default();
    out.extend_from_slice(b"{\"origin\":");
    json_str(out, origin);
    out.extend_from_slice(b",\"destination\":");
    json_str(out, &p.destination);
    out.extend_from_slice(b",\"best\":");
    let best = out.len();
    match p.estimates.first() {
        Some(first) => write_estimate(out, first, &mut confidence),
        None => out.extend_from_slice(b"null"),
    }
    let best = best..out.len();
    out.extend_from_slice(b",\"carriers\":[");
    for (i, estimate) in p.estimates.iter().enumerate() {
        if i == 0 {
            out.extend_from_within(best.clone());
            continue;
        }
        out.push(b',');
        write_estimate(out, estimate, &mut confidence);
    }
    out.extend_from_slice(b"],\"unknown\":[");
    for (i, carrier) in p.unknown.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json_str(out, carrier);
    }
    out.extend_from_slice(b"]}");
}

/// Many destinations' answers as [`EddBatchView`]'s JSON.
fn write_batch(origin: &str, promises: &[Promise]) -> FastJson {
    let mut out = Vec::with_capacity(64 + 512 * promises.len());
    out.extend_from_slice(b"{\"data\":[");
    for (i, promise) in promises.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_promise(&mut out, origin, promise);
    }
    out.extend_from_slice(b"]}");
    FastJson(out)
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
    uri: axum::http::Uri,
) -> Response {
    let answer = async {
        let p = EddQuery::parse(uri.query().unwrap_or(""))?;
        lookup(&state, caller.tenant(), p).await
    };
    caller.respond(answer.await)
}

/// [`EddParams`] as the query gave them, borrowed where nothing was
/// percent-decoded. Parsed by hand, not through serde: a product page asks
/// for this on every view, and the generic path (with its error-path
/// tracking) cost more than the model's own lookup.
#[derive(Debug, PartialEq)]
struct EddQuery<'a> {
    origin: Cow<'a, str>,
    destination: Cow<'a, str>,
    carrier: Option<Cow<'a, str>>,
    ship_date: Option<Cow<'a, str>>,
    confidence: Option<f64>,
    country: Option<Cow<'a, str>>,
}

const EDD_QUERY_FIELDS: &str =
    "`origin`, `destination`, `carrier`, `ship_date`, `confidence`, `country`";

impl<'a> EddQuery<'a> {
    /// The query's fields; an unknown, repeated or missing field, or a
    /// confidence that is not a number, is a 400 naming the field (as the
    /// other endpoints' query errors do).
    fn parse(query: &'a str) -> Result<Self, ApiError> {
        let bad = |field: &str, message: String| {
            ApiError::field(
                axum::http::StatusCode::BAD_REQUEST,
                "invalid_query",
                field,
                "invalid_value",
                message,
            )
        };
        let (mut origin, mut destination, mut carrier, mut ship_date, mut country) =
            (None, None, None, None, None);
        let mut confidence = None;
        for (key, value) in crate::extract::query_pairs(query) {
            let slot = match key.as_ref() {
                "origin" => &mut origin,
                "destination" => &mut destination,
                "carrier" => &mut carrier,
                "ship_date" => &mut ship_date,
                "country" => &mut country,
                "confidence" => {
                    if confidence.is_some() {
                        return Err(bad("confidence", "duplicate field `confidence`".into()));
                    }
                    let number = value
                        .trim()
                        .parse::<f64>()
                        .map_err(|_| bad("confidence", format!("invalid number: `{value}`")))?;
                    confidence = Some(number);
                    continue;
                }
                other => {
                    return Err(bad(
                        other,
                        format!("unknown field `{other}`, expected one of {EDD_QUERY_FIELDS}"),
                    ));
                }
            };
            if slot.is_some() {
                return Err(bad(&key, format!("duplicate field `{key}`")));
            }
            *slot = Some(value);
        }
        let missing = |field: &str| bad(field, format!("missing field `{field}`"));
        Ok(Self {
            origin: origin.ok_or_else(|| missing("origin"))?,
            destination: destination.ok_or_else(|| missing("destination"))?,
            carrier,
            ship_date,
            confidence,
            country,
        })
    }
}

async fn lookup(
    state: &AppState,
    tenant: &shipgate_storage::Tenant,
    p: EddQuery<'_>,
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
    let mut out = Vec::with_capacity(256 + 256 * promise.estimates.len());
    write_promise(&mut out, &request.origin, &promise);
    Ok(FastJson(out))
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
        lookup_batch(&state, caller.tenant(), input).await
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
    let promises = promise(state, tenant, &request).await?;
    Ok(write_batch(&request.origin, &promises))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_documented_query_is_the_one_read() {
        use utoipa::openapi::Required;
        let documented: Vec<(String, bool)> = EddParams::into_params(|| None)
            .into_iter()
            .map(|p| (p.name, matches!(p.required, Required::True)))
            .collect();
        let listed: Vec<&str> = EDD_QUERY_FIELDS.split('`').skip(1).step_by(2).collect();
        let names: Vec<&str> = documented.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, listed);
        let value = |name: &str| {
            if name == "confidence" {
                "0.9"
            } else {
                "110001"
            }
        };
        // Every documented field is read; only the required ones must be there.
        let all: Vec<String> = names.iter().map(|n| format!("{n}={}", value(n))).collect();
        assert!(EddQuery::parse(&all.join("&")).is_ok());
        for (name, required) in &documented {
            let without: Vec<&str> = all
                .iter()
                .filter(|p| !p.starts_with(&format!("{name}=")))
                .map(String::as_str)
                .collect();
            assert_eq!(
                EddQuery::parse(&without.join("&")).is_err(),
                *required,
                "{name}"
            );
        }
    }

    fn estimate(carrier: &str, level: &str, year: i16) -> shipgate_edd::Estimate {
        shipgate_edd::Estimate {
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

    /// The documented view of a promise, through serde: what the fast
    /// writers must match byte for byte.
    fn view(origin: &str, p: &Promise) -> EddView {
        let estimate = |e: &shipgate_edd::Estimate| EstimateView {
            carrier: e.carrier.to_string(),
            date: e.date,
            confidence: e.confidence,
            p50: e.p50,
            earliest: e.earliest,
            latest: e.latest,
            handover: e.handover,
            level: e.level.to_string(),
            samples: e.samples,
        };
        EddView {
            origin: origin.to_string(),
            destination: p.destination.clone(),
            best: p.estimates.first().map(estimate),
            carriers: p.estimates.iter().map(estimate).collect(),
            unknown: p.unknown.clone(),
        }
    }

    fn promises() -> Vec<Promise> {
        vec![
            Promise {
                destination: "560001".into(),
                estimates: vec![
                    estimate("delhivery", "prefix3→prefix3", 2026),
                    estimate("ek\"art\\", "tab\there\u{1}", 7),
                    shipgate_edd::Estimate {
                        confidence: 0.95,
                        ..estimate("far", "carrier", 9999)
                    },
                    estimate("zero", "carrier", 0),
                    estimate("past", "carrier", -44),
                    estimate("y2k", "carrier", 2000),
                ],
                unknown: vec!["dtdc".into(), "quote\"d".into()],
            },
            Promise {
                destination: "01310-100".into(),
                estimates: vec![],
                unknown: vec![],
            },
        ]
    }

    #[test]
    fn fast_json_is_what_serde_writes() {
        for origin in ["110001", "", "o\"rigin"] {
            for promise in &promises() {
                let mut out = Vec::new();
                write_promise(&mut out, origin, promise);
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    serde_json::to_string(&view(origin, promise)).unwrap()
                );
            }
            for batch in [promises(), vec![]] {
                let expected = EddBatchView {
                    data: batch.iter().map(|p| view(origin, p)).collect(),
                };
                assert_eq!(
                    String::from_utf8(write_batch(origin, &batch).0).unwrap(),
                    serde_json::to_string(&expected).unwrap()
                );
            }
        }
    }

    #[test]
    fn confidences_and_dates_print_as_serde_prints_them() {
        for confidence in [0.5, 0.9, 0.95, 0.999, 1e-7, 0.1 + 0.2] {
            for day in [date(2026, 1, 1), date(1999, 12, 31), date(10, 10, 10)] {
                let mut e = estimate("c", "l", 2026);
                e.confidence = confidence;
                e.date = day;
                let mut out = Vec::new();
                write_estimate(&mut out, &e, &mut NumberMemo::default());
                let promise = Promise {
                    destination: String::new(),
                    estimates: vec![e],
                    unknown: vec![],
                };
                let expected = view("", &promise).best.unwrap();
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    serde_json::to_string(&expected).unwrap()
                );
            }
        }
    }

    #[test]
    fn the_query_is_read_field_by_field() {
        let q = EddQuery::parse(
            "origin=110020&destination=560%20001&carrier=delhivery&ship_date=2026-12-01&confidence=0.5&country=in",
        )
        .unwrap();
        assert_eq!(q.origin, "110020");
        assert_eq!(q.destination, "560 001");
        assert_eq!(q.carrier.as_deref(), Some("delhivery"));
        assert_eq!(q.ship_date.as_deref(), Some("2026-12-01"));
        assert_eq!(q.confidence, Some(0.5));
        assert_eq!(q.country.as_deref(), Some("in"));
        assert!(
            matches!(q.origin, Cow::Borrowed(_)),
            "nothing decoded, nothing copied"
        );

        for (query, field, message) in [
            ("destination=1", "origin", "missing field `origin`"),
            ("origin=1", "destination", "missing field `destination`"),
            ("origin=1&destination=2&pin=3", "pin", "unknown field `pin`"),
            (
                "origin=1&destination=2&origin=3",
                "origin",
                "duplicate field `origin`",
            ),
            (
                "origin=1&destination=2&confidence=high",
                "confidence",
                "invalid number",
            ),
            (
                "origin=1&destination=2&confidence=1&confidence=1",
                "confidence",
                "duplicate field",
            ),
        ] {
            let e = EddQuery::parse(query).unwrap_err();
            assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST, "{query}");
            assert_eq!(e.code, "invalid_query", "{query}");
            assert_eq!(e.errors[0].field, field, "{query}");
            assert!(
                e.errors[0].message.contains(message),
                "{query}: {}",
                e.errors[0].message
            );
        }
    }
}
