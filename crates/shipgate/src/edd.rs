//! `shipgate edd …`: imports and backtests of historical deliveries.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use jiff::civil::{Date, Time, Weekday};
use shipgate_edd::backtest::{self, DEFAULT_CONFIDENCES};
use shipgate_edd::calendar::holidays_from_csv;
use shipgate_edd::import::{self, HistoricalOrder, OlistFiles};
use shipgate_edd::model::Context;
use shipgate_edd::{Calendar, Geography, Model, ModelConfig, PostalScheme};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// One CSV: order_id, carrier, origin, destination, ordered_at,
    /// delivered_at [, country, service, scope, picked_up_at, promised_date].
    Generic,
    /// Olist's orders, items, customers and sellers files as published.
    Olist,
}

/// Where historical deliveries come from.
#[derive(Args, Debug)]
pub struct Input {
    #[arg(long, value_enum, default_value = "generic")]
    pub format: InputFormat,
    /// The CSV (generic format).
    #[arg(long, required_if_eq("format", "generic"))]
    pub file: Option<PathBuf>,
    /// Olist orders file.
    #[arg(long, required_if_eq("format", "olist"))]
    pub orders: Option<PathBuf>,
    /// Olist order items file.
    #[arg(long, required_if_eq("format", "olist"))]
    pub items: Option<PathBuf>,
    /// Olist customers file.
    #[arg(long, required_if_eq("format", "olist"))]
    pub customers: Option<PathBuf>,
    /// Olist sellers file.
    #[arg(long, required_if_eq("format", "olist"))]
    pub sellers: Option<PathBuf>,
    /// Olist geolocation (CEP prefix → state), for prefixes beyond the customers' and sellers'.
    #[arg(long)]
    pub geolocation: Option<PathBuf>,
    /// Holidays CSV (date,country,subdivision,category,name); national public holidays apply.
    #[arg(long)]
    pub holidays: Option<PathBuf>,
    /// Country of the lanes (generic format rows may name their own). Default: BR for Olist, else IN.
    #[arg(long)]
    pub country: Option<String>,
    /// Days carriers do not work, e.g. `sun` or `sat,sun`. Default: `sun` in India, `sat,sun` elsewhere.
    #[arg(long, value_delimiter = ',')]
    pub non_working_days: Option<Vec<String>>,
    /// Orders at or after this local time (HH:MM) are handed over the next working day.
    #[arg(long)]
    pub cutoff: Option<String>,
}

#[derive(Args, Debug)]
pub struct BacktestArgs {
    #[command(flatten)]
    pub input: Input,
    /// Learn from deliveries before this date; promise and score orders placed from it on.
    #[arg(long)]
    pub train_until: Date,
    /// Confidences to score, e.g. 0.5,0.9.
    #[arg(long, value_delimiter = ',', default_values_t = DEFAULT_CONFIDENCES.to_vec())]
    pub confidence: Vec<f64>,
    /// Recency: a delivery this many days older counts half as much.
    #[arg(long, default_value_t = ModelConfig::default().half_life_days)]
    pub half_life_days: f64,
    /// Deliveries a postal level needs to count as much as the broader level below it.
    #[arg(long, default_value_t = ModelConfig::default().shrinkage)]
    pub shrinkage: f64,
    /// Recency of the calibration's memory of how promises fared, in days.
    #[arg(long, default_value_t = ModelConfig::default().calibration_half_life_days)]
    pub calibration_half_life_days: f64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Historical orders, with the model context (schemes, geography, calendar) they need.
pub struct Loaded {
    pub orders: Vec<HistoricalOrder>,
    pub context: Context,
}

fn open(path: &Path) -> anyhow::Result<BufReader<File>> {
    Ok(BufReader::new(
        File::open(path).with_context(|| format!("open {}", path.display()))?,
    ))
}

fn required<'a>(path: &'a Option<PathBuf>, flag: &str) -> anyhow::Result<&'a Path> {
    path.as_deref()
        .with_context(|| format!("--{flag} is required"))
}

fn weekday(name: &str) -> anyhow::Result<Weekday> {
    Ok(
        match name.trim().to_ascii_lowercase().get(..3).unwrap_or("") {
            "mon" => Weekday::Monday,
            "tue" => Weekday::Tuesday,
            "wed" => Weekday::Wednesday,
            "thu" => Weekday::Thursday,
            "fri" => Weekday::Friday,
            "sat" => Weekday::Saturday,
            "sun" => Weekday::Sunday,
            _ => anyhow::bail!("{name:?} is not a weekday (mon … sun)"),
        },
    )
}

pub fn load(input: &Input, progress: &mut dyn FnMut(&str)) -> anyhow::Result<Loaded> {
    let default_country = match input.format {
        InputFormat::Olist => "BR",
        InputFormat::Generic => "IN",
    };
    let country = input
        .country
        .as_deref()
        .unwrap_or(default_country)
        .to_ascii_uppercase();
    let (orders, geography, report) = match input.format {
        InputFormat::Generic => {
            let file = open(required(&input.file, "file")?)?;
            let (orders, report) = import::read_generic_csv(file, &country, |rows| {
                progress(&format!("read {rows} rows"));
            })?;
            (orders, Geography::default(), report)
        }
        InputFormat::Olist => {
            let files = OlistFiles {
                orders: open(required(&input.orders, "orders")?)?,
                items: open(required(&input.items, "items")?)?,
                customers: open(required(&input.customers, "customers")?)?,
                sellers: open(required(&input.sellers, "sellers")?)?,
                geolocation: input.geolocation.as_deref().map(open).transpose()?,
            };
            import::read_olist(files)?
        }
    };
    progress(&format!(
        "read {} rows: {} orders, {} skipped",
        report.rows, report.orders, report.skipped
    ));
    for problem in report.problems.iter().take(5) {
        progress(&format!("  skipped {problem}"));
    }

    let closed: Vec<Weekday> = match &input.non_working_days {
        Some(days) => days
            .iter()
            .map(|d| weekday(d))
            .collect::<anyhow::Result<_>>()?,
        None if country == "IN" => vec![Weekday::Sunday],
        None => vec![Weekday::Saturday, Weekday::Sunday],
    };
    let mut calendar = Calendar::with_non_working_weekdays(&closed);
    if let Some(path) = &input.holidays {
        let days = holidays_from_csv(open(path)?, &country, None, &["public"])?;
        progress(&format!(
            "{} national public holidays for {country}",
            days.len()
        ));
        calendar = calendar.with_holidays(days);
    }
    if let Some(cutoff) = &input.cutoff {
        let time: Time = cutoff
            .parse()
            .with_context(|| format!("--cutoff {cutoff:?} is not HH:MM"))?;
        calendar = calendar.with_cutoff(time);
    }
    let mut context = Context::default()
        .with_scheme(PostalScheme::for_country(&country))
        .with_default_calendar(calendar);
    for row_country in orders.iter().map(|o| o.country.as_str()) {
        if context.scheme(row_country).is_err() {
            context = context.with_scheme(PostalScheme::for_country(row_country));
        }
    }
    if !geography.is_empty() {
        context = context.with_geography(&country, geography);
    }
    Ok(Loaded { orders, context })
}

pub fn backtest(args: &BacktestArgs) -> anyhow::Result<()> {
    for c in &args.confidence {
        anyhow::ensure!(
            *c > 0.0 && *c < 1.0,
            "--confidence values must be between 0 and 1"
        );
    }
    let mut stderr = std::io::stderr();
    let mut say = |line: &str| {
        let _ = writeln!(stderr, "{line}");
    };
    let loaded = load(&args.input, &mut say)?;
    anyhow::ensure!(
        args.half_life_days > 0.0 && args.shrinkage >= 0.0 && args.calibration_half_life_days > 0.0,
        "--half-life-days and --calibration-half-life-days must be positive, --shrinkage not negative"
    );
    let config = ModelConfig {
        half_life_days: args.half_life_days,
        shrinkage: args.shrinkage,
        calibration_half_life_days: args.calibration_half_life_days,
        ..ModelConfig::default()
    };
    let model = Model::new(config, loaded.context);
    let report = backtest::run(
        model,
        &loaded.orders,
        args.train_until,
        &args.confidence,
        |done, total| {
            let _ = writeln!(std::io::stderr(), "replayed {done}/{total} events");
        },
    );
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "Trained until {}: learned {} deliveries, scored {} orders ({} undelivered, {} rejected)",
        report.train_until, report.learned, report.scored, report.undelivered, report.rejected
    );
    println!(
        "{:<6} {:>7} {:>9} {:>9} {:>9} {:>9}   {:>9} {:>9} {:>9}",
        "level",
        "n",
        "on-time",
        "MAE d",
        "promise d",
        "actual d",
        "seller ot",
        "seller MAE",
        "seller d"
    );
    for (name, level) in &report.levels {
        let s = &level.score;
        let (sot, smae, sd) =
            level
                .seller_estimate
                .as_ref()
                .map_or(("-".into(), "-".into(), "-".into()), |e| {
                    (
                        format!("{:.1}%", e.on_time_rate * 100.0),
                        format!("{:.2}", e.mae_days),
                        format!("{:.2}", e.mean_promise_days),
                    )
                });
        println!(
            "{:<6} {:>7} {:>8.1}% {:>9.2} {:>9.2} {:>9.2}   {:>9} {:>9} {:>9}",
            name,
            s.n,
            s.on_time_rate * 100.0,
            s.mae_days,
            s.mean_promise_days,
            s.mean_actual_days,
            sot,
            smae,
            sd
        );
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    #[command(flatten)]
    pub input: Input,
    /// A name for this history (re-importing the same name adds only new orders).
    #[arg(long, default_value = "history")]
    pub source: String,
}

/// Stores the delivered orders of a file as EDD history; running servers
/// learn them within seconds.
pub async fn import(args: &ImportArgs, store: &dyn shipgate_storage::Store) -> anyhow::Result<()> {
    let mut say = |line: &str| eprintln!("{line}");
    let loaded = load(&args.input, &mut say)?;
    let source = format!("import:{}", args.source.trim());
    let delivered: Vec<_> = loaded
        .orders
        .iter()
        .filter_map(|o| {
            Some(shipgate_storage::EddObservationRecord {
                id: 0,
                source: source.clone(),
                source_ref: o.id.clone(),
                tenant_id: None,
                country: o.country.clone(),
                carrier: o.carrier.to_ascii_lowercase(),
                service: o.service.clone(),
                scope: o.scope.clone(),
                origin: o.origin.clone(),
                destination: o.destination.clone(),
                ordered_at: o.ordered_at,
                picked_up_at: o.picked_up_at,
                delivered_at: o.delivered_at?,
                promised_date: o.promised,
            })
        })
        .collect();
    let total = delivered.len();
    let mut added = 0;
    for (i, chunk) in delivered.chunks(5_000).enumerate() {
        added += store
            .record_edd_observations(chunk)
            .await
            .context("store deliveries")?;
        eprintln!(
            "stored {}/{total} deliveries",
            (i * 5_000 + chunk.len()).min(total)
        );
    }
    if added > 0 {
        let job = shipgate_storage::NewJob::now(
            shipgate_api::service::edd::REBUILD,
            None,
            serde_json::json!({}),
        );
        store
            .enqueue_job(&job)
            .await
            .context("enqueue the model rebuild")?;
    }
    println!(
        "Imported {added} new deliveries from {} orders ({} already known, {} not delivered)",
        loaded.orders.len(),
        total as u64 - added,
        loaded.orders.len() - total
    );
    Ok(())
}

/// The server's EDD engine: Indian carriers' Monday-to-Saturday calendar,
/// with the configured cut-off, holidays and PIN geography.
pub fn server_engine(
    holidays: Option<&Path>,
    geography: Option<&Path>,
    cutoff: Option<&str>,
) -> anyhow::Result<shipgate_api::service::edd::EddEngine> {
    let mut calendar = Calendar::default();
    if let Some(cutoff) = cutoff {
        let time: Time = cutoff
            .parse()
            .with_context(|| format!("edd_cutoff {cutoff:?} is not HH:MM"))?;
        calendar = calendar.with_cutoff(time);
    }
    if let Some(path) = holidays {
        let days = holidays_from_csv(open(path)?, "IN", None, &["public"])?;
        tracing::info!(holidays = days.len(), file = %path.display(), "EDD calendar");
        calendar = calendar.with_holidays(days);
    }
    let mut context = shipgate_api::service::edd::default_context(calendar);
    if let Some(path) = geography {
        let mut geo = Geography::default();
        let codes = geo
            .load_csv(open(path)?, "pincode", Some("district"), "state")
            .with_context(|| format!("read PIN geography from {}", path.display()))?;
        tracing::info!(codes, file = %path.display(), "EDD geography");
        context = context.with_geography("IN", geo);
    }
    Ok(shipgate_api::service::edd::EddEngine::new(
        ModelConfig::default(),
        context,
    ))
}
