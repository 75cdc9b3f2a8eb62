//! What each carrier account serves, per postal code: imported from a CSV or
//! fetched from the carrier's pincode API, and answered per destination.

use shipgate_carriers::adapter;
use shipgate_storage::{CarrierAccountRecord, ServiceabilityEntry, Tenant};

use crate::AppState;
use crate::error::ApiError;

/// Postal codes one sync may ask the carrier about.
pub const MAX_SYNC_CODES: usize = 500;
/// Rows one CSV import may hold.
pub const MAX_IMPORT_ROWS: usize = 50_000;

/// A CSV row that could not be imported.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RowError {
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    pub message: String,
}

fn flag(value: Option<&str>, default: bool, column: &str) -> Result<bool, String> {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") => Ok(default),
        Some("y" | "yes" | "true" | "1") => Ok(true),
        Some("n" | "no" | "false" | "0") => Ok(false),
        Some(other) => Err(format!("{column}: {other:?} is not yes/no")),
    }
}

fn number(value: Option<&str>, column: &str) -> Result<Option<i64>, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| format!("{column}: {v:?} is not a whole number")),
    }
}

/// Parses a serviceability CSV: a header naming `postal_code` and any of
/// `prepaid`, `cod`, `pickup`, `reverse`, `oda`, `embargo` (yes/no; a missing
/// column means yes for prepaid, no for the rest), `max_weight_grams`,
/// `max_cod` (minor units). Bad rows are reported, the rest kept.
pub fn parse_csv(
    account_id: &str,
    country: &shipgate_domain::CountryCode,
    body: &[u8],
) -> Result<(Vec<ServiceabilityEntry>, Vec<RowError>), ApiError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| {
            ApiError::field(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "body",
                "invalid_csv",
                e.to_string(),
            )
        })?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let Some(code_at) = column("postal_code") else {
        return Err(ApiError::field(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "body",
            "missing_column",
            "the header must name a postal_code column",
        ));
    };
    let columns: Vec<Option<usize>> = [
        "prepaid",
        "cod",
        "pickup",
        "reverse",
        "oda",
        "embargo",
        "max_weight_grams",
        "max_cod",
    ]
    .iter()
    .map(|c| column(c))
    .collect();
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index as u64 + 2;
        if entries.len() + errors.len() >= MAX_IMPORT_ROWS {
            return Err(ApiError::field(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "body",
                "too_many_rows",
                format!("at most {MAX_IMPORT_ROWS} rows per import"),
            ));
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError {
                    line,
                    message: e.to_string(),
                });
                continue;
            }
        };
        let get = |i: usize| columns[i].and_then(|at| record.get(at));
        let parsed = (|| {
            let code =
                shipgate_domain::PostalCode::parse(country, record.get(code_at).unwrap_or(""))
                    .map_err(|e| format!("postal_code: {}", e.message))?;
            Ok::<_, String>(ServiceabilityEntry {
                carrier_account_id: account_id.to_string(),
                postal_code: code.as_str().to_string(),
                prepaid: flag(get(0), true, "prepaid")?,
                cod: flag(get(1), false, "cod")?,
                pickup: flag(get(2), false, "pickup")?,
                reverse: flag(get(3), false, "reverse")?,
                oda: flag(get(4), false, "oda")?,
                embargo: flag(get(5), false, "embargo")?,
                max_weight_grams: number(get(6), "max_weight_grams")?,
                max_cod_minor: number(get(7), "max_cod")?,
            })
        })();
        match parsed {
            Ok(entry) => entries.push(entry),
            Err(message) => errors.push(RowError { line, message }),
        }
    }
    Ok((entries, errors))
}

/// Asks the carrier's pincode API about each code and stores the answers.
/// Returns how many codes were stored and the codes the carrier failed on.
pub async fn sync_from_carrier(
    state: &AppState,
    tenant: &Tenant,
    record: &CarrierAccountRecord,
    codes: &[String],
    changed_by: &crate::auth::ChangedBy,
) -> Result<(u64, Vec<RowError>), ApiError> {
    let adapter = adapter(&record.carrier)
        .ok_or_else(|| ApiError::internal(&"carrier account for an unknown carrier"))?;
    let account = super::carrier_accounts::open_account(state, record)?;
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        match state
            .carrier_client
            .serviceability(adapter, &account, code)
            .await
        {
            Ok(answers) => {
                // No record means the carrier does not serve the code.
                let answer = answers.into_iter().find(|a| &a.postal_code == code);
                entries.push(match answer {
                    Some(a) => ServiceabilityEntry {
                        carrier_account_id: record.id.clone(),
                        postal_code: code.clone(),
                        prepaid: a.prepaid,
                        cod: a.cod,
                        pickup: a.pickup,
                        reverse: a.reverse,
                        oda: a.oda,
                        embargo: a.embargo,
                        max_weight_grams: a.max_weight_grams.map(|w| w as i64),
                        max_cod_minor: a.max_cod_minor,
                    },
                    None => ServiceabilityEntry {
                        carrier_account_id: record.id.clone(),
                        postal_code: code.clone(),
                        prepaid: false,
                        cod: false,
                        pickup: false,
                        reverse: false,
                        oda: false,
                        embargo: false,
                        max_weight_grams: None,
                        max_cod_minor: None,
                    },
                });
            }
            Err(e) => errors.push(RowError {
                line: i as u64 + 1,
                message: format!("{code}: {e}"),
            }),
        }
    }
    let stored = state
        .store
        .upsert_serviceability(
            &tenant.id,
            &entries,
            &changed_by
                .entry("serviceability", "imported", &record.id)
                .with_summary(serde_json::json!({ "source": "carrier" })),
        )
        .await?;
    state.serviceability_coverage.forget(&tenant.id);
    Ok((stored, errors))
}

/// A tenant's carrier accounts (id, carrier) and which of them have any
/// serviceability loaded.
pub struct TenantCoverage {
    pub accounts: Vec<(String, String)>,
    /// The distinct carriers of those accounts, sorted (what EDD asks about).
    pub carriers: Vec<String>,
    pub covered: std::collections::HashSet<String>,
}

/// [`TenantCoverage`] per tenant, cached [`COVERAGE_TTL`]: a product page
/// asks on every PIN typed. This process forgets a tenant's entry when it
/// stores serviceability or adds a carrier account; other processes see the
/// change within the TTL.
#[derive(Default)]
pub struct CoverageCache {
    entries: std::sync::Mutex<
        std::collections::HashMap<String, (std::time::Instant, std::sync::Arc<TenantCoverage>)>,
    >,
}

pub const COVERAGE_TTL: std::time::Duration = std::time::Duration::from_secs(30);

impl CoverageCache {
    pub async fn get(
        &self,
        state: &AppState,
        tenant: &Tenant,
    ) -> Result<std::sync::Arc<TenantCoverage>, ApiError> {
        if let Some((at, coverage)) = self.entries.lock().expect("poisoned").get(&tenant.id)
            && at.elapsed() < COVERAGE_TTL
        {
            return Ok(coverage.clone());
        }
        let accounts: Vec<(String, String)> = super::allocation::accounts(state, tenant)
            .await?
            .into_iter()
            .map(|a| (a.id, a.carrier))
            .collect();
        let mut carriers: Vec<String> = accounts.iter().map(|(_, c)| c.clone()).collect();
        carriers.sort();
        carriers.dedup();
        let covered = state
            .store
            .serviceability_coverage(&tenant.id)
            .await?
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(id, _)| id)
            .collect();
        let coverage = std::sync::Arc::new(TenantCoverage {
            accounts,
            carriers,
            covered,
        });
        self.entries.lock().expect("poisoned").insert(
            tenant.id.clone(),
            (std::time::Instant::now(), coverage.clone()),
        );
        Ok(coverage)
    }

    pub fn forget(&self, tenant_id: &str) {
        self.entries.lock().expect("poisoned").remove(tenant_id);
    }
}
