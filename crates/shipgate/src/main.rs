//! The `shipgate` binary: `serve`, `migrate`, `tenants create`.
//!
//! Configuration, lowest precedence first: built-in defaults, a TOML file
//! (`--config FILE`, else `shipgate.toml` if present), environment
//! (`SHIPGATE_LISTEN`, `SHIPGATE_DATABASE_URL` or `DATABASE_URL`,
//! `SHIPGATE_LOG_FORMAT`), then command-line flags.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use shipgate_api::{AppState, keys};

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
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage tenants (merchants).
    Tenants {
        #[command(subcommand)]
        command: TenantCommand,
    },
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a tenant; prints its API key as the last line.
    Create { name: String },
}

#[derive(Debug, Serialize, Deserialize)]
struct Config {
    listen: String,
    database_url: String,
    /// `pretty` or `json`.
    log_format: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://shipgate.db".into(),
            log_format: "pretty".into(),
        }
    }
}

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
        Command::Serve { listen } => listen.clone(),
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
    let store = shipgate_storage::connect(&config.database_url)
        .await
        .with_context(|| format!("open database {}", redact(&config.database_url)))?;
    store.migrate().await.context("run migrations")?;

    match cli.command {
        Command::Migrate => println!("Migrations applied to {}", redact(&config.database_url)),
        Command::Tenants {
            command: TenantCommand::Create { name },
        } => {
            let name = name.trim();
            anyhow::ensure!(
                !name.is_empty() && name.len() <= 100,
                "the tenant name must be 1 to 100 characters"
            );
            let (tenant, key) = create_tenant(store.as_ref(), name).await?;
            println!(
                "Created tenant {} ({}), AWB series {:04}",
                tenant.name, tenant.id, tenant.awb_series
            );
            println!("API key (shown once; store it safely):");
            println!("{key}");
        }
        Command::Serve { .. } => {
            if store.count_tenants().await? == 0 {
                // A fresh install is callable at once.
                let (tenant, key) = create_tenant(store.as_ref(), "Default tenant").await?;
                eprintln!(
                    "First start: created tenant {} with API key\n\n    {key}\n\n(shown once; create more with `shipgate tenants create NAME`)\n",
                    tenant.id
                );
            }
            let listener = tokio::net::TcpListener::bind(&config.listen)
                .await
                .with_context(|| format!("listen on {}", config.listen))?;
            tracing::info!(address = %listener.local_addr()?, database = %redact(&config.database_url), "Shipgate listening; docs at /docs");
            shipgate_api::serve(listener, AppState::new(store), shutdown_signal()).await?;
        }
    }
    Ok(())
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
