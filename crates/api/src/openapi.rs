//! The OpenAPI document (generated from the handlers' annotations) and a
//! self-contained docs page rendered from it (no CDN: it works offline).

use utoipa::Modify;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::error::PROBLEM_CODES;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Shipgate API",
        description = "One API for every courier: shipments, AWBs, labels, tracking.\n\nAuthenticate with `Authorization: Bearer <key>`. Errors are RFC 9457 problem documents with a stable `code`. Writes accept `Idempotency-Key`.",
    ),
    modifiers(&ApiKeyAuth),
    components(schemas(
        crate::error::Problem,
        crate::error::ProblemField,
        crate::service::webhooks::events::WebhookPayload,
        crate::service::ndr::EscalatedPayload
    )),
    tags(
        (name = "shipments", description = "Create shipments, fetch them, their labels and timelines"),
        (name = "fleet", description = "Scans from the self-managed fleet"),
        (name = "carriers", description = "Supported carriers and their capabilities"),
        (name = "edd", description = "Estimated delivery dates learned from delivered shipments, and serviceability per postal code"),
        (name = "webhooks", description = "Merchant webhooks (Standard Webhooks): endpoints, deliveries, replays. Each request carries `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256>` over `{id}.{timestamp}.{body}`"),
        (name = "ndr", description = "Failed delivery attempts (NDRs): the queue, actions (one per NDR, from the desk, the customer's self-service page at `/ndr/{token}`, or a rule), per-tenant rules and reporting"),
        (name = "system", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;

struct ApiKeyAuth;

impl Modify for ApiKeyAuth {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key from `shipgate tenants create NAME`"))
                    .build(),
            ),
        );
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A plain HTML reference: every operation with its parameters and
/// responses, and every problem code.
pub fn docs_html(doc: &OpenApi) -> String {
    let mut html = String::from(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Shipgate API</title>\
         <style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}\
         code,pre{background:#f4f4f4;padding:.1rem .3rem;border-radius:3px}.op{border-top:1px solid #ddd;padding:.6rem 0}\
         .m{display:inline-block;min-width:4rem;font-weight:bold}.get{color:#2a7}.post{color:#27c}.patch{color:#c72}.delete{color:#c33}\
         table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}</style></head><body>",
    );
    html.push_str(&format!(
        "<h1>{} <small>{}</small></h1>",
        escape(&doc.info.title),
        escape(&doc.info.version)
    ));
    if let Some(d) = &doc.info.description {
        for para in d.split("\n\n") {
            html.push_str(&format!("<p>{}</p>", escape(para)));
        }
    }
    html.push_str(
        "<p>Machine-readable: <a href=\"/openapi.json\">/openapi.json</a></p><h2>Operations</h2>",
    );
    for (path, item) in &doc.paths.paths {
        let ops = [
            ("get", &item.get),
            ("post", &item.post),
            ("put", &item.put),
            ("patch", &item.patch),
            ("delete", &item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            html.push_str(&format!(
                "<div class=op><span class=\"m {method}\">{}</span><code>{}</code> — {}",
                method.to_uppercase(),
                escape(path),
                escape(op.summary.as_deref().unwrap_or(""))
            ));
            if let Some(d) = &op.description {
                html.push_str(&format!("<p>{}</p>", escape(d)));
            }
            if let Some(params) = &op.parameters {
                html.push_str("<ul>");
                for p in params {
                    let utoipa::openapi::RefOr::T(p) = p else {
                        continue;
                    };
                    html.push_str(&format!(
                        "<li><code>{}</code> ({}){}</li>",
                        escape(&p.name),
                        serde_json::to_value(&p.parameter_in)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default(),
                        p.description
                            .as_deref()
                            .map(|d| format!(": {}", escape(d)))
                            .unwrap_or_default()
                    ));
                }
                html.push_str("</ul>");
            }
            let codes: Vec<_> = op.responses.responses.keys().map(|c| escape(c)).collect();
            html.push_str(&format!("<p>Responses: {}</p></div>", codes.join(", ")));
        }
    }
    html.push_str(
        "<h2>Problem codes</h2><table><tr><th>code</th><th>status</th><th>meaning</th></tr>",
    );
    for (code, status, title) in PROBLEM_CODES {
        html.push_str(&format!("<tr id=\"problem-{code}\"><td><code>{code}</code></td><td>{status}</td><td>{}</td></tr>", escape(title)));
    }
    html.push_str("</table></body></html>");
    html
}

/// Declares the problem answers the cross-cutting layers give on every
/// operation they guard, beside what each handler's annotation lists: an
/// answer the document does not describe is a broken contract to a client
/// generated from it.
/// - every route: 414 and 431 (`limits`);
/// - secret-key routes: 401 (no or unknown key), 403 (a publishable key),
///   429 (`rate_limited`);
/// - with parameters or a body: 400 (`invalid_query`, `malformed_json`) and
///   422 (`validation_failed`);
/// - with a body: 413 and 415;
/// - with a path parameter: 404;
/// - writes under `/v1`: 409 and 422 (`Idempotency-Key` in use or reused).
pub fn declare_problem_responses(doc: &mut OpenApi) {
    use utoipa::openapi::path::{Operation, ParameterIn};
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

    let problem = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    crate::error::PROBLEM_JSON,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build(),
        )
    };
    let declare = |op: &mut Operation, status: u16, description: &str| {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| problem(description));
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let writes_v1 = path.starts_with("/v1/");
        let path_parameter = path.contains('{');
        let mut operations = [
            (false, item.get.as_mut()),
            (false, item.head.as_mut()),
            (true, item.post.as_mut()),
            (true, item.put.as_mut()),
            (true, item.patch.as_mut()),
            (true, item.delete.as_mut()),
        ];
        for (write, op) in operations.iter_mut() {
            let Some(op) = op.as_deref_mut() else {
                continue;
            };
            declare(op, 414, "The path and query are too long");
            declare(op, 431, "The headers are too large");
            if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                declare(op, 401, "No API key, or an unknown or revoked one");
                declare(op, 403, "The key may not call this operation");
                declare(op, 429, "Over the key's rate limit; see `Retry-After`");
            }
            let has_query = op.parameters.as_ref().is_some_and(|ps| {
                ps.iter().any(
                    |p| matches!(p, RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query)),
                )
            });
            let has_body = op.request_body.is_some();
            if has_query || has_body || path_parameter {
                declare(op, 400, "The request is malformed");
                declare(op, 422, "The request is not valid");
            }
            if has_body {
                declare(op, 413, "The body is too large");
                declare(op, 415, "The body's content type is not accepted");
            }
            if path_parameter {
                declare(op, 404, "No such object");
            }
            if *write && writes_v1 {
                declare(
                    op,
                    409,
                    "The `Idempotency-Key` is in use by another request",
                );
                declare(
                    op,
                    422,
                    "The `Idempotency-Key` was used with another request",
                );
            }
        }
    }
}
