//! The `shipgate` binary: `serve`, `migrate`, `tenants create`.
//!
//! Configuration, lowest precedence first: built-in defaults, a TOML file
//! (`--config FILE`, else `shipgate.toml` if present), environment
//! (`SHIPGATE_LISTEN`, `SHIPGATE_DATABASE_URL` or `DATABASE_URL`,
//! `SHIPGATE_LOG_FORMAT`), then command-line flags.

mod edd;

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use shipgate_api::{AppState, Sandbox, keys};
use shipgate_carriers::secrets::SecretBox;

/// A faster allocator than the system's for many small, short-lived
/// allocations (requests, JSON), as the server runs with it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "shipgate", version, about = "One API for every courier")]
struct Cli {
    /// TOML configuration file (default: ./shipgate.toml if it exists).
    #[arg(long, global = true, env = "SHIPGATE_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL: sqlite://PATH (default sqlite://shipgate.db) or postgres://…
    #[arg(long = "database", global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API and the job worker.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<String>,
        /// `api` (HTTP only), `worker` (jobs, webhook outbox, polls; no HTTP)
        /// or `all`. Processes of any role can share one PostgreSQL database.
        #[arg(long, value_enum, default_value = "all", env = "SHIPGATE_ROLE")]
        role: ServeRole,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Run the carrier simulator alone: every carrier's API on loopback.
    Sim {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: String,
    },
    /// Estimated delivery dates: import delivery history, backtest the model.
    Edd {
        #[command(subcommand)]
        command: EddCommand,
    },
    /// Manage tenants (merchants).
    Tenants {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Manage the people who sign in to the merchant dashboard (/app).
    Users {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a dashboard user in a tenant. The password is read from
    /// SHIPGATE_USER_PASSWORD, else from standard input (one line; typed at
    /// a prompt when it is a terminal).
    Create {
        /// The tenant's id (`ten_…`, printed by `tenants create`).
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ServeRole {
    Api,
    Worker,
    All,
}

impl From<ServeRole> for shipgate_api::Role {
    fn from(role: ServeRole) -> Self {
        match role {
            ServeRole::Api => Self::Api,
            ServeRole::Worker => Self::Worker,
            ServeRole::All => Self::All,
        }
    }
}

#[derive(Subcommand)]
enum EddCommand {
    /// Train on deliveries before --train-until, promise the orders placed after it while
    /// learning from each delivery as it completes, and score the promises.
    Backtest(Box<edd::BacktestArgs>),
    /// Store delivered orders from a file as history the EDD model learns from.
    Import(Box<edd::ImportArgs>),
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a tenant; prints its API key as the last line.
    Create {
        name: String,
        /// Also create a publishable key (for the product-page widget) usable
        /// from this web origin, e.g. https://shop.example; repeatable.
        #[arg(long = "publishable-origin")]
        publishable_origins: Vec<String>,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct Config {
    listen: String,
    database_url: String,
    /// `pretty` or `json`.
    log_format: String,
    /// Key that encrypts carrier credentials at rest: 32 bytes as 64 hex
    /// characters or base64. Without it, `secret_key_file` is read, and
    /// created with a new random key if missing.
    secret_key: Option<String>,
    secret_key_file: String,
    /// Start the built-in carrier simulator and let sandbox carrier accounts use it.
    sandbox: bool,
    /// Where the built-in simulator listens (port 0: any free port).
    sandbox_listen: String,
    /// SMTP server for customer emails, e.g. `smtp://user:pass@mail.example:587`
    /// (STARTTLS) or `smtps://…:465`; unset: no customer emails.
    smtp_url: Option<String>,
    /// Sender of customer emails.
    mail_from: String,
    /// Let merchant webhooks go to loopback, private, link-local and other
    /// non-public addresses. Off by default: a webhook URL is chosen by a
    /// merchant and must not reach inside Shipgate's network.
    allow_private_webhook_targets: bool,
    /// EDD: holidays CSV (date,country,subdivision,category,name); India's
    /// national public holidays become non-working days for every carrier.
    edd_holidays_file: Option<PathBuf>,
    /// EDD: PIN geography CSV with `pincode`, `district` and `state` columns
    /// (e.g. India Post's directory), adding district and state levels to
    /// the postal hierarchy.
    edd_geography_file: Option<PathBuf>,
    /// EDD: local time (HH:MM) after which an order is handed to the carrier
    /// the next working day; unset: any time of day ships the same day.
    edd_cutoff: Option<String>,
    /// The URL customers and carriers reach this deployment at (links in
    /// emails, carrier push targets); default: `http://` + the listen address.
    /// Needed by `--role worker` processes, which listen nowhere.
    public_url: Option<String>,
    /// Behind a reverse proxy: the request header it appends the client's
    /// address to (e.g. `x-forwarded-for`), for publishable keys' per-address
    /// rate limit; unset: the connection's peer address.
    client_address_header: Option<String>,
    /// Publishable keys' rate limits (token buckets in each process): lookups
    /// a second and burst, per key and per client address.
    publishable_rate_per_key: f64,
    publishable_burst_per_key: f64,
    publishable_rate_per_address: f64,
    publishable_burst_per_address: f64,
    /// Secret API keys' rate limit (token bucket per key in each process):
    /// requests a second and burst; 0 turns it off. Over it: 429
    /// `rate_limited` with `Retry-After`.
    secret_rate_per_key: f64,
    secret_burst_per_key: f64,
    /// The public tracking and NDR self-service pages' rate limit (token
    /// bucket per client address in each process): pages a second and
    /// burst; 0 turns it off. Over it: 429 with `Retry-After`.
    public_page_rate_per_address: f64,
    public_page_burst_per_address: f64,
    /// Seconds a worker's claim on a job (and, at least, on a batch of
    /// webhook messages) holds; work held by a process that died is taken
    /// over by another process after it. Must be longer than any job runs.
    worker_lease_seconds: f64,
    /// Seconds a merchant webhook request may take (connect, send, read).
    webhook_timeout_seconds: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://shipgate.db".into(),
            log_format: "pretty".into(),
            secret_key: None,
            secret_key_file: "shipgate.key".into(),
            sandbox: true,
            sandbox_listen: "127.0.0.1:0".into(),
            smtp_url: None,
            mail_from: "Shipgate <no-reply@localhost>".into(),
            allow_private_webhook_targets: false,
            edd_holidays_file: None,
            edd_geography_file: None,
            edd_cutoff: None,
            public_url: None,
            client_address_header: None,
            publishable_rate_per_key: PUBLISHABLE_DEFAULTS.per_key.rate,
            publishable_burst_per_key: PUBLISHABLE_DEFAULTS.per_key.burst,
            publishable_rate_per_address: PUBLISHABLE_DEFAULTS.per_address.rate,
            publishable_burst_per_address: PUBLISHABLE_DEFAULTS.per_address.burst,
            secret_rate_per_key: shipgate_api::auth::SecretKeyLimits::DEFAULT.rate,
            secret_burst_per_key: shipgate_api::auth::SecretKeyLimits::DEFAULT.burst,
            public_page_rate_per_address: shipgate_api::auth::PublicPageLimits::PUBLIC_PAGES.rate,
            public_page_burst_per_address: shipgate_api::auth::PublicPageLimits::PUBLIC_PAGES.burst,
            worker_lease_seconds: shipgate_api::worker::DEFAULT_LEASE.as_secs_f64(),
            webhook_timeout_seconds: shipgate_api::service::webhooks::WebhookConfig::default()
                .request_timeout
                .as_secs_f64(),
        }
    }
}

const PUBLISHABLE_DEFAULTS: shipgate_api::auth::PublishableLimits =
    shipgate_api::auth::PublishableLimits::DEFAULT;

#[derive(Serialize)]
struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    database_url: Option<String>,
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let mut figment = Figment::from(Serialized::defaults(Config::default()));
    match &cli.config {
        Some(path) => {
            anyhow::ensure!(
                path.exists(),
                "config file {} does not exist",
                path.display()
            );
            figment = figment.merge(Toml::file(path));
        }
        None => figment = figment.merge(Toml::file("shipgate.toml")),
    }
    let listen = match &cli.command {
        Command::Serve { listen, .. } => listen.clone(),
        _ => None,
    };
    figment = figment
        .merge(Env::raw().only(&["DATABASE_URL"]))
        .merge(Env::prefixed("SHIPGATE_").ignore(&["CONFIG"]))
        .merge(Serialized::defaults(Overrides {
            listen,
            database_url: cli.database_url.clone(),
        }));
    figment.extract().context("invalid configuration")
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

fn load_secret_box(config: &Config) -> anyhow::Result<SecretBox> {
    if let Some(key) = &config.secret_key {
        return SecretBox::from_config(key).context("secret_key");
    }
    let path = std::path::Path::new(&config.secret_key_file);
    let key = match std::fs::read_to_string(path) {
        Ok(key) => key,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SecretBox::generate_key();
            write_private(path, &key).with_context(|| format!("create {}", path.display()))?;
            tracing::warn!(file = %path.display(), "generated a new key for carrier credentials; keep this file (or set SHIPGATE_SECRET_KEY)");
            key
        }
        Err(e) => return Err(e).with_context(|| format!("read {}", path.display())),
    };
    SecretBox::from_config(&key).with_context(|| format!("the key in {}", path.display()))
}

fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

fn rand_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

async fn create_tenant(
    store: &dyn shipgate_storage::Store,
    name: &str,
) -> anyhow::Result<(shipgate_storage::Tenant, String)> {
    let key = keys::issue();
    let tenant = store
        .create_tenant(name, &key.hash, &key.prefix)
        .await
        .context("create tenant")?;
    Ok((tenant, key.secret))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = load_config(&cli)?;
    init_logging(&config.log_format);
    let store = || async {
        let store = shipgate_storage::connect(&config.database_url)
            .await
            .with_context(|| format!("open database {}", redact(&config.database_url)))?;
        store.migrate().await.context("run migrations")?;
        anyhow::Ok(store)
    };

    match cli.command {
        Command::Migrate => {
            store().await?;
            println!("Migrations applied to {}", redact(&config.database_url));
        }
        Command::Tenants {
            command:
                TenantCommand::Create {
                    name,
                    publishable_origins,
                },
        } => {
            let name = name.trim();
            anyhow::ensure!(
                !name.is_empty() && name.len() <= 100,
                "the tenant name must be 1 to 100 characters"
            );
            let origins = publishable_origins
                .iter()
                .map(|o| {
                    shipgate_api::routes::publishable_keys::normalize_origin(o).ok_or_else(|| {
                        anyhow::anyhow!("`{o}` is not a web origin like https://shop.example")
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let store = store().await?;
            let (tenant, key) = create_tenant(store.as_ref(), name).await?;
            println!(
                "Created tenant {} ({}), AWB series {:04}",
                tenant.name, tenant.id, tenant.awb_series
            );
            if !origins.is_empty() {
                let publishable = keys::issue_publishable();
                shipgate_api::routes::publishable_keys::store_new(
                    store.as_ref(),
                    &tenant.id,
                    &publishable,
                    &origins,
                    &shipgate_api::auth::ChangedBy::system(),
                )
                .await
                .context("create publishable key")?;
                println!(
                    "Publishable key for the widget (lookups only, from {}):",
                    origins.join(", ")
                );
                println!("{}", publishable.secret);
            }
            println!("API key (shown once; store it safely):");
            println!("{key}");
        }
        Command::Users {
            command: UserCommand::Create { tenant, email },
        } => {
            let password = match std::env::var("SHIPGATE_USER_PASSWORD") {
                Ok(p) if !p.is_empty() => p,
                _ => read_password()?,
            };
            let store = store().await?;
            let user =
                shipgate_api::dashboard::create_user(store.as_ref(), &tenant, &email, &password)
                    .await?;
            println!(
                "Created dashboard user {} ({}) in tenant {}; sign in at /app/login",
                user.email, user.id, user.tenant_id
            );
        }
        Command::Edd {
            command: EddCommand::Backtest(args),
        } => edd::backtest(&args)?,
        Command::Edd {
            command: EddCommand::Import(args),
        } => edd::import(&args, store().await?.as_ref()).await?,
        Command::Sim { listen } => {
            let url = Sandbox::start(&listen, rand_seed())
                .await
                .with_context(|| format!("simulator: listen on {listen}"))?
                .url;
            println!(
                "Carrier simulator on {url}: /{{carrier}}/… in each carrier's format; /_sim/clock, /_sim/faults, /_sim/stats"
            );
            shutdown_signal().await;
        }
        Command::Serve { role, .. } => {
            let store = store().await?;
            let secrets = load_secret_box(&config)?;
            let sandbox = if config.sandbox {
                Some(
                    Sandbox::start(&config.sandbox_listen, rand_seed())
                        .await
                        .context("start the sandbox carrier simulator")?,
                )
            } else {
                None
            };
            let sandbox_url = sandbox.as_ref().map(|s| s.url.clone());
            let listener = if role == ServeRole::Worker {
                None
            } else {
                Some(
                    tokio::net::TcpListener::bind(&config.listen)
                        .await
                        .with_context(|| format!("listen on {}", config.listen))?,
                )
            };
            let self_url = match (&config.public_url, &listener) {
                (Some(url), _) => Some(url.trim_end_matches('/').to_string()),
                (None, Some(listener)) => Some(format!("http://{}", listener.local_addr()?)),
                (None, None) => None,
            };
            let mut state = AppState::new(store.clone(), secrets, sandbox, self_url);
            if let Some(url) = &config.smtp_url {
                state.mailer = Some(
                    shipgate_api::service::email::Mailer::new(url, &config.mail_from)
                        .context("customer email")?,
                );
            }
            state.allow_private_webhook_targets = config.allow_private_webhook_targets;
            state.client_address_header = config
                .client_address_header
                .as_deref()
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty());
            let limits = [
                config.publishable_rate_per_key,
                config.publishable_burst_per_key,
                config.publishable_rate_per_address,
                config.publishable_burst_per_address,
            ];
            anyhow::ensure!(
                limits.iter().all(|l| l.is_finite() && *l > 0.0),
                "publishable_rate_* and publishable_burst_* must be positive numbers"
            );
            for (name, value) in [
                ("worker_lease_seconds", config.worker_lease_seconds),
                ("webhook_timeout_seconds", config.webhook_timeout_seconds),
            ] {
                anyhow::ensure!(
                    value.is_finite() && (0.1..=86_400.0).contains(&value),
                    "{name} must be a number of seconds from 0.1 to 86400"
                );
            }
            state.worker_lease = std::time::Duration::from_secs_f64(config.worker_lease_seconds);
            state.webhooks.request_timeout =
                std::time::Duration::from_secs_f64(config.webhook_timeout_seconds);
            state.publishable = std::sync::Arc::new(shipgate_api::auth::PublishableGuard::new(
                shipgate_api::auth::PublishableLimits {
                    per_key: shipgate_api::auth::Limit {
                        rate: config.publishable_rate_per_key,
                        burst: config.publishable_burst_per_key,
                    },
                    per_address: shipgate_api::auth::Limit {
                        rate: config.publishable_rate_per_address,
                        burst: config.publishable_burst_per_address,
                    },
                },
            ));
            state.secret_key_limits = std::sync::Arc::new(rate_limit(
                "secret_rate_per_key",
                config.secret_rate_per_key,
                config.secret_burst_per_key,
            )?);
            state.public_page_limits = std::sync::Arc::new(rate_limit(
                "public_page_rate_per_address",
                config.public_page_rate_per_address,
                config.public_page_burst_per_address,
            )?);
            state.edd = std::sync::Arc::new(edd::server_engine(
                config.edd_holidays_file.as_deref(),
                config.edd_geography_file.as_deref(),
                config.edd_cutoff.as_deref(),
            )?);
            if store.count_tenants().await? == 0 {
                // A fresh install is callable at once, with every carrier in sandbox.
                let (tenant, key) = create_tenant(store.as_ref(), "Default tenant").await?;
                let mut note = String::new();
                if sandbox_url.is_some() {
                    let accounts =
                        shipgate_api::service::carrier_accounts::create_sandbox_accounts(
                            &state, &tenant,
                        )
                        .await
                        .map_err(|e| {
                            anyhow::anyhow!(
                                "create sandbox carrier accounts: {}",
                                e.detail.unwrap_or_default()
                            )
                        })?;
                    note = format!(
                        "\nSandbox carrier accounts: {}",
                        accounts
                            .iter()
                            .map(|a| format!("{} {}", a.carrier, a.id))
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
                eprintln!(
                    "First start: created tenant {} with API key\n\n    {key}\n\n(shown once; create more with `shipgate tenants create NAME`){note}\n",
                    tenant.id
                );
            }
            if sandbox_url.is_some()
                && listener.is_some()
                && let Some(tenant) = store.first_tenant().await?
            {
                // Sandbox only: a dashboard user to sign in with at once.
                if store.user_by_email(DEMO_EMAIL).await?.is_none() {
                    let bytes: [u8; 9] = rand::random();
                    let password = format!("demo-{}", hex::encode(bytes));
                    match shipgate_api::dashboard::create_user(
                        store.as_ref(),
                        &tenant.id,
                        DEMO_EMAIL,
                        &password,
                    )
                    .await
                    {
                        Ok(_) => eprintln!(
                            "Sandbox dashboard: {}/app/login as {DEMO_EMAIL} with password {password} (shown once)",
                            state.self_url.as_deref().unwrap_or_default()
                        ),
                        Err(e) => tracing::warn!(error = %e, "sandbox dashboard user not created"),
                    }
                }
                // Sandbox only: the demo product page and the sandbox data it answers from.
                match shipgate_api::service::demo::setup(&state, &tenant).await {
                    Ok(_) => eprintln!(
                        "Sandbox demo product page: {}/demo/product",
                        state.self_url.as_deref().unwrap_or_default()
                    ),
                    Err(e) => tracing::warn!(error = ?e.detail, "sandbox demo page not set up"),
                }
            }
            match &listener {
                Some(listener) => {
                    tracing::info!(address = %listener.local_addr()?, role = ?role, database = %redact(&config.database_url), sandbox = ?sandbox_url, "Shipgate listening; docs at /docs")
                }
                None => {
                    tracing::info!(role = ?role, database = %redact(&config.database_url), "Shipgate worker running")
                }
            }
            shipgate_api::serve(listener, state, role.into(), shutdown_signal()).await?;
        }
    }
    Ok(())
}

/// A rate limit from the configuration (`name` its rate setting, which has
/// a `burst` twin): both 0 turns it off.
fn rate_limit<K: std::hash::Hash + Eq>(
    name: &str,
    rate: f64,
    burst: f64,
) -> anyhow::Result<shipgate_api::auth::RateLimit<K>> {
    use shipgate_api::auth::{Limit, RateLimit};
    if rate == 0.0 && burst == 0.0 {
        return Ok(RateLimit::default());
    }
    anyhow::ensure!(
        rate.is_finite() && rate > 0.0 && burst.is_finite() && burst >= 1.0,
        "{name} must be a positive number and its burst at least 1 (both 0: no limit)"
    );
    Ok(RateLimit::new(Some(Limit { rate, burst })))
}

/// The sandbox's dashboard user, made at the first sandbox start.
const DEMO_EMAIL: &str = "demo@shipgate.example";

/// A password from standard input: one line, not echoed at a terminal
/// (`stty -echo`) when one is attached.
fn read_password() -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal, Write};
    let stdin = std::io::stdin();
    let terminal = stdin.is_terminal();
    if terminal {
        eprint!("Password: ");
        std::io::stderr().flush()?;
        let _ = std::process::Command::new("stty").arg("-echo").status();
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if terminal {
        let _ = std::process::Command::new("stty").arg("echo").status();
        eprintln!();
    }
    read.context("read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    anyhow::ensure!(
        !password.is_empty(),
        "no password given (SHIPGATE_USER_PASSWORD or standard input)"
    );
    Ok(password)
}

/// Hides a password in a database URL before it is printed.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://shipgate.db"), "sqlite://shipgate.db");
    }
}
