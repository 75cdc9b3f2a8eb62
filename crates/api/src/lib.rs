//! Shipgate's HTTP API.
//!
//! Layers, outermost first: request id → tracing → panic catcher → metrics →
//! request id in problem bodies → size limits (`limits`) → routes. Under `/v1`, every route also
//! passes API-key authentication and then the `Idempotency-Key` guard.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use shipgate_carriers::client::{CarrierClient, ClientConfig};
use shipgate_carriers::secrets::SecretBox;
use shipgate_storage::Store;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub mod auth;
pub mod dashboard;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod keys;
pub mod limits;
pub mod openapi;
pub mod routes;
pub mod service;
pub mod telemetry;
pub mod views;
pub mod worker;

/// What every handler can reach.
/// What every handler and job shares. Cloned per request (by each extractor
/// and middleware), so it is one `Arc`; setting a field before the server
/// starts copies the fields once (`Arc::make_mut`).
#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

impl std::ops::Deref for AppState {
    type Target = SharedState;
    fn deref(&self) -> &SharedState {
        &self.0
    }
}

impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut SharedState {
        Arc::make_mut(&mut self.0)
    }
}

#[derive(Clone)]
pub struct SharedState {
    pub store: Arc<dyn Store>,
    /// Sends every carrier request (timeouts, retries, limits, breaker).
    pub carrier_client: Arc<CarrierClient>,
    /// Seals carrier credentials before they are stored.
    pub secrets: SecretBox,
    /// The built-in carrier simulator, when sandbox mode is on.
    pub sandbox: Option<Sandbox>,
    /// This server's own base URL, where the sandbox pushes carrier scans.
    pub self_url: Option<String>,
    /// Let merchant webhooks go to loopback, private and other non-public
    /// addresses (off in production: a webhook URL must not reach inside).
    pub allow_private_webhook_targets: bool,
    /// Retry schedule, timeout and disable rule of merchant webhooks.
    pub webhooks: service::webhooks::WebhookConfig,
    /// How long a worker's claim on a job holds (and, at least, on a batch
    /// of outbox messages): a process that dies holding work has it taken
    /// over by another once this has passed. Longer than any job runs.
    pub worker_lease: Duration,
    /// Sends customer emails; `None` when no SMTP server is configured.
    pub mailer: Option<service::email::Mailer>,
    pub edd: Arc<service::edd::EddEngine>,
    pub api_keys: Arc<auth::VerifiedKeys>,
    /// Publishable keys' cache and rate limits (per process).
    pub publishable: Arc<auth::PublishableGuard>,
    /// Secret API keys' rate limit (per key and process); none by default.
    pub secret_key_limits: Arc<auth::SecretKeyLimits>,
    /// The public tracking and NDR pages' rate limit (per client address and
    /// process); none by default.
    pub public_page_limits: Arc<auth::PublicPageLimits>,
    /// Behind a reverse proxy: the header it appends the client's address to
    /// (e.g. `x-forwarded-for`; its rightmost entry counts), for the
    /// per-address rate limit. `None`: the TCP peer's address.
    pub client_address_header: Option<String>,
    /// The sandbox demo product page, once `service::demo::setup` has run.
    pub demo: Arc<std::sync::OnceLock<service::demo::DemoPage>>,
    /// Each tenant's carrier accounts and serviceability coverage, cached briefly.
    pub serviceability_coverage: Arc<service::serviceability::CoverageCache>,
    /// The dashboard's per-process state: sign-in limits.
    pub dashboard: Arc<dashboard::DashboardState>,
    /// Stores and applies carrier pushes as they arrive, several per transaction.
    pub push_ingest: Arc<service::push_ingest::PushIngest>,
}

/// The in-process carrier simulator that sandbox carrier accounts call.
#[derive(Clone)]
pub struct Sandbox {
    pub url: String,
    pub simulator: Arc<shipgate_simulator::Simulator>,
}

impl Sandbox {
    /// Starts a simulator for every built-in carrier on `listen`.
    pub async fn start(listen: &str, seed: u64) -> std::io::Result<Self> {
        let simulator = Arc::new(shipgate_simulator::Simulator::new(
            shipgate_carriers::adapters(),
            seed,
        ));
        let listener = TcpListener::bind(listen).await?;
        let url = shipgate_simulator::spawn(simulator.clone(), listener).await?;
        Ok(Self { url, simulator })
    }
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        secrets: SecretBox,
        sandbox: Option<Sandbox>,
        self_url: Option<String>,
    ) -> Self {
        Self(Arc::new(SharedState {
            store,
            carrier_client: Arc::new(CarrierClient::new(ClientConfig::default())),
            secrets,
            sandbox,
            self_url,
            allow_private_webhook_targets: false,
            webhooks: service::webhooks::WebhookConfig::default(),
            worker_lease: worker::DEFAULT_LEASE,
            mailer: None,
            edd: Arc::new(service::edd::EddEngine::new(
                shipgate_edd::ModelConfig::default(),
                service::edd::default_context(shipgate_edd::Calendar::default()),
            )),
            api_keys: Arc::default(),
            publishable: Arc::default(),
            secret_key_limits: Arc::default(),
            public_page_limits: Arc::default(),
            client_address_header: None,
            demo: Arc::default(),
            serviceability_coverage: Arc::default(),
            dashboard: Arc::default(),
            push_ingest: Arc::default(),
        }))
    }
}

/// The OpenAPI document and the router it describes.
pub fn router(state: AppState) -> (Router, utoipa::openapi::OpenApi) {
    use routes::{
        api_keys, audit_log, batches, branding, carrier_accounts, carriers, edd, exceptions, fleet,
        hooks, ndr, pickups, publishable_keys, rates, self_service, serviceability, shipments,
        system, tracking, webhook_endpoints,
    };
    let v1 = OpenApiRouter::new()
        .routes(routes!(shipments::create, shipments::list))
        .routes(routes!(shipments::get, exceptions::modify))
        .routes(routes!(exceptions::changes))
        .routes(routes!(shipments::events))
        .routes(routes!(shipments::label))
        .routes(routes!(fleet::post_scans))
        .routes(routes!(carriers::list))
        .routes(routes!(tracking::by_awb))
        .routes(routes!(rates::quote))
        .routes(routes!(serviceability::import))
        .routes(routes!(serviceability::sync))
        .routes(routes!(branding::put))
        .routes(routes!(publishable_keys::create, publishable_keys::list))
        .routes(routes!(publishable_keys::revoke))
        .routes(routes!(api_keys::create, api_keys::list))
        .routes(routes!(api_keys::revoke))
        .routes(routes!(exceptions::cancel))
        .routes(routes!(ndr::queue))
        .routes(routes!(exceptions::act))
        .routes(routes!(ndr::get_rules, ndr::put_rules))
        .routes(routes!(ndr::analytics))
        .routes(routes!(batches::create))
        .routes(routes!(batches::get))
        .routes(routes!(pickups::create))
        .routes(routes!(pickups::manifest))
        .routes(routes!(rates::put_rules, rates::get_rules))
        .routes(routes!(carrier_accounts::create, carrier_accounts::list))
        .routes(routes!(carrier_accounts::get))
        .routes(routes!(webhook_endpoints::create, webhook_endpoints::list))
        .routes(routes!(
            webhook_endpoints::get,
            webhook_endpoints::update,
            webhook_endpoints::delete
        ))
        .routes(routes!(webhook_endpoints::rotate_secret))
        .routes(routes!(webhook_endpoints::deliveries))
        .routes(routes!(webhook_endpoints::replay))
        .routes(routes!(audit_log::list))
        // Later layers run first: authenticate, then guard idempotency.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            idempotency::idempotent_writes,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_api_key,
        ));
    // Lookups a product page makes on every view: authenticated by their
    // `LookupCaller` extractor, with nothing to make idempotent (the batch
    // lookup is a POST only for its body).
    let lookups = OpenApiRouter::new()
        .routes(routes!(edd::get))
        .routes(routes!(edd::batch))
        .routes(routes!(serviceability::get));
    let (router, mut doc) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(v1)
        .merge(lookups)
        .routes(routes!(hooks::receive))
        .routes(routes!(system::healthz))
        .routes(routes!(system::metrics))
        .split_for_parts();
    openapi::declare_problem_responses(&mut doc);
    (
        router
            .merge(
                Router::new()
                    .route("/track/{awb}", get(routes::tracking::page_by_awb))
                    .route(
                        "/ndr/{token}",
                        get(self_service::show).post(self_service::answer),
                    )
                    .route_layer(middleware::from_fn_with_state(
                        state.clone(),
                        auth::limit_public_pages,
                    )),
            )
            .route("/widget/edd.js", get(routes::widget::script))
            .route("/demo/product", get(routes::widget::demo_product))
            .merge(dashboard::router())
            .with_state(state),
        doc,
    )
}

/// The whole app with its cross-cutting layers.
///
/// The layers wrap the router once, not each route: axum clones a route's
/// whole layered service on every request it routes, so a dozen per-route
/// layers cost dozens of boxed clones a request. Only a tag naming the
/// matched route (for the request metrics) runs per route.
pub fn app(state: AppState) -> Router {
    telemetry::prometheus();
    let (router, doc) = router(state.clone());
    let doc = Arc::new(doc);
    let routes = router
        .route("/openapi.json", get(routes::system::openapi_json))
        .route("/docs", get(routes::system::docs))
        .route(
            "/",
            get(|| async { axum::response::Redirect::temporary("/docs") }),
        )
        .fallback(|| async {
            error::ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
        })
        .method_not_allowed_fallback(|| async {
            error::ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method; see /docs",
            )
        })
        .layer(middleware::from_fn(telemetry::tag_route));
    // Outermost first.
    let layered = tower::ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                let request_id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                // Personal query values and the NDR page's token stay out of
                // the log. Inside the macro, so only worked out when the span
                // is recorded.
                tracing::info_span!(
                    "request",
                    method = %req.method(),
                    uri = %shipgate_domain::redact::uri(
                        req.uri().path_and_query().map_or("/", |p| p.as_str())
                    ),
                    request_id
                )
            }),
        )
        .layer(middleware::from_fn(telemetry::record_http_metrics))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn(telemetry::request_id_in_problems))
        .layer(middleware::from_fn(limits::enforce))
        .layer(DefaultBodyLimit::max(extract::BODY_LIMIT))
        .layer(middleware::from_fn_with_state(state, auth::cors_preflight))
        .layer(axum::Extension(doc))
        .service(routes);
    Router::new().fallback_service(layered)
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    let mut response = error::ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "an internal error occurred; it has been logged",
    )
    .into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(error::PROBLEM_JSON),
    );
    response
}

/// What a `shipgate serve` process does. Any number of processes of each
/// role can share one PostgreSQL database: jobs, polls and the webhook outbox
/// are claimed through it, never run twice at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The HTTP API only (with its EDD model, kept fresh from the database).
    Api,
    /// The job worker, the webhook outbox and the poll scheduler (and the EDD
    /// model its bookings use); no HTTP.
    Worker,
    /// Both, as one process on one machine runs.
    #[default]
    All,
}

/// Serves the API and/or runs the job worker (by `role`) until `shutdown`
/// resolves. `listener` is needed unless the role is `Worker`.
pub async fn serve(
    listener: Option<TcpListener>,
    state: AppState,
    role: Role,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // Every role needs the EDD model: lookups in the API, allocation and the
    // promise kept on shipments booked by a worker's batch jobs.
    let mut tasks = vec![tokio::spawn(service::edd::refresher(
        state.clone(),
        stop_rx.clone(),
    ))];
    if role != Role::Api {
        let worker_name = format!("{}-{}", hostname(), std::process::id());
        let worker = register_jobs(
            worker::Worker::new(state.store.clone(), worker_name)
                .with_lease(state.worker_lease)
                .with_idle_pause(Duration::from_millis(500)),
            &state,
        )?;
        tasks.push(tokio::spawn(poll_scheduler(state.clone(), stop_rx.clone())));
        tasks.push(tokio::spawn(worker.run(stop_rx.clone())));
    }
    let result = match (role, listener) {
        (Role::Worker, _) => {
            shutdown.await;
            let _ = stop_tx.send(true);
            Ok(())
        }
        (_, None) => Err(std::io::Error::other("the api role needs a listener")),
        (_, Some(listener)) => {
            axum::serve(
                listener,
                app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                shutdown.await;
                let _ = stop_tx.send(true);
            })
            .await
        }
    };
    for task in tasks {
        let _ = task.await;
    }
    result
}

/// Every few seconds, hands shipments due for a pull-tracking poll to the job
/// queue (claimed once across all processes sharing the database).
async fn poll_scheduler(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        if let Err(e) = service::tracking::enqueue_due_polls(&state, 500).await {
            tracing::error!(error = %e, "poll scheduler: store error");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Registers the handler of every job kind the API enqueues, and the
/// webhook outbox's delivery.
pub fn register_jobs(worker: worker::Worker, state: &AppState) -> std::io::Result<worker::Worker> {
    use service::webhooks::{delivery, events};
    let deliver = delivery::DeliverJob::new(state.clone()).map_err(std::io::Error::other)?;
    let outbox = delivery::Outbox::new(state.clone()).map_err(std::io::Error::other)?;
    Ok(worker
        .sweep(Arc::new(outbox))
        .register(
            service::tracking::APPLY_PUSH,
            Arc::new(service::tracking::ApplyPushJob(state.clone())),
        )
        .register(
            service::tracking::POLL,
            Arc::new(service::tracking::PollJob(state.clone())),
        )
        .register(
            service::awb_pool::TOP_UP,
            Arc::new(service::awb_pool::TopUpJob(state.clone())),
        )
        .register(
            service::email::SEND,
            Arc::new(service::email::SendJob(state.clone())),
        )
        .register(
            service::batch::PROCESS,
            Arc::new(service::batch::ProcessJob(state.clone())),
        )
        .register(
            service::edd::LEARN,
            Arc::new(service::edd::LearnJob(state.clone())),
        )
        .register(
            service::edd::REBUILD,
            Arc::new(service::edd::RebuildJob(state.clone())),
        )
        .register(
            service::ndr::RULES,
            Arc::new(service::ndr::RulesJob(state.clone())),
        )
        .register(
            service::ndr::ESCALATE,
            Arc::new(service::ndr::EscalateJob(state.clone())),
        )
        .register(events::FANOUT, Arc::new(delivery::FanOutJob(state.clone())))
        .register(delivery::DELIVER, Arc::new(deliver)))
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "shipgate".into())
}
