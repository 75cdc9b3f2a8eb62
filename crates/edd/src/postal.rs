//! Postal codes as configuration: a country's format and the hierarchy of
//! areas a code belongs to, from the full code up to its state.

use std::collections::HashMap;
use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::EddError;

/// One rung of a postal hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "length")]
pub enum AreaLevel {
    /// The whole normalized code.
    Full,
    /// The first `n` characters (India's first three digits are the sorting
    /// district, Brazil's first five the CEP sector).
    Prefix(usize),
    /// The district, from loaded geography.
    District,
    /// The state, from loaded geography.
    State,
}

/// The level's name in answers: `code`, `prefix3`, `district`, `state`.
impl std::fmt::Display for AreaLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AreaLevel::Full => f.write_str("code"),
            AreaLevel::Prefix(n) => write!(f, "prefix{n}"),
            AreaLevel::District => f.write_str("district"),
            AreaLevel::State => f.write_str("state"),
        }
    }
}

impl AreaLevel {
    fn tag(self) -> u8 {
        match self {
            AreaLevel::Full => 0,
            AreaLevel::Prefix(n) => 16u8.saturating_add(n as u8),
            AreaLevel::District => 1,
            AreaLevel::State => 2,
        }
    }
}

/// An area a code belongs to: the level and its key at that level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Area<'a> {
    pub level: AreaLevel,
    pub key: &'a str,
}

impl Area<'_> {
    pub(crate) fn tag(&self) -> u8 {
        self.level.tag()
    }
}

/// A country's postal codes: which characters and lengths are valid, and the
/// hierarchy from the most specific area to the broadest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PostalScheme {
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// Accepted lengths after removing spaces and hyphens.
    pub lengths: Vec<usize>,
    /// Digits only (true for IN, BR, US).
    pub numeric: bool,
    /// Codes longer than this are cut to it (US ZIP+4 → ZIP).
    pub keep: Option<usize>,
    /// Most specific first; levels a code lacks (no geography) are skipped.
    pub levels: Vec<AreaLevel>,
    /// Local time offset used to turn instants into local dates, in minutes.
    pub utc_offset_minutes: i32,
}

impl PostalScheme {
    /// India's 6-digit PIN: full PIN, district, 3-digit sorting district,
    /// state, 1-digit postal region.
    pub fn india() -> Self {
        Self {
            country: "IN".into(),
            lengths: vec![6],
            numeric: true,
            keep: None,
            levels: vec![
                AreaLevel::Full,
                AreaLevel::District,
                AreaLevel::Prefix(3),
                AreaLevel::State,
                AreaLevel::Prefix(1),
            ],
            utc_offset_minutes: 330,
        }
    }

    /// Brazil's 8-digit CEP, or its 5-digit prefix (what public data sets
    /// publish): full, 3-digit sector prefix, state.
    pub fn brazil() -> Self {
        Self {
            country: "BR".into(),
            lengths: vec![5, 8],
            numeric: true,
            keep: None,
            levels: vec![
                AreaLevel::Full,
                AreaLevel::Prefix(5),
                AreaLevel::Prefix(3),
                AreaLevel::State,
            ],
            utc_offset_minutes: -180,
        }
    }

    /// US ZIP (ZIP+4 cut to 5 digits): ZIP, 3-digit sectional centre, state.
    pub fn united_states() -> Self {
        Self {
            country: "US".into(),
            lengths: vec![5, 9],
            numeric: true,
            keep: Some(5),
            levels: vec![AreaLevel::Full, AreaLevel::Prefix(3), AreaLevel::State],
            utc_offset_minutes: -300,
        }
    }

    /// Any other country: 2–10 letters or digits, full code then shorter prefixes.
    pub fn generic(country: &str) -> Self {
        Self {
            country: country.to_ascii_uppercase(),
            lengths: (2..=10).collect(),
            numeric: false,
            keep: None,
            levels: vec![AreaLevel::Full, AreaLevel::Prefix(3), AreaLevel::Prefix(2)],
            utc_offset_minutes: 0,
        }
    }

    /// The built-in scheme for `country` (generic for countries without one).
    pub fn for_country(country: &str) -> Self {
        match country.to_ascii_uppercase().as_str() {
            "IN" => Self::india(),
            "BR" => Self::brazil(),
            "US" => Self::united_states(),
            other => Self::generic(other),
        }
    }

    /// The local civil time of an instant in this scheme's country.
    pub fn local_datetime(&self, at: jiff::Timestamp) -> jiff::civil::DateTime {
        jiff::tz::Offset::from_seconds(self.utc_offset_minutes * 60)
            .unwrap_or(jiff::tz::Offset::UTC)
            .to_datetime(at)
    }

    pub fn normalize(&self, raw: &str) -> Result<String, EddError> {
        // Codes usually arrive clean (a PIN's six digits): copy them whole.
        let clean = raw
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
        let code: String = if clean {
            raw.to_string()
        } else {
            raw.chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .map(|c| c.to_ascii_uppercase())
                .collect()
        };
        let valid_chars = if self.numeric {
            code.chars().all(|c| c.is_ascii_digit())
        } else {
            code.chars().all(|c| c.is_ascii_alphanumeric())
        };
        if !valid_chars || !self.lengths.contains(&code.len()) {
            return Err(EddError::InvalidPostalCode {
                country: self.country.clone(),
                code: raw.to_string(),
            });
        }
        Ok(match self.keep {
            Some(n) if code.len() > n => code[..n].to_string(),
            _ => code,
        })
    }

    /// The areas of a normalized code, most specific first. Levels the code
    /// cannot have (a prefix as long as the code, geography not loaded) are
    /// left out.
    pub fn areas<'a>(&self, code: &'a str, geography: &'a Geography) -> Vec<Area<'a>> {
        let mut out: Vec<Area<'a>> = Vec::with_capacity(self.levels.len());
        for &level in &self.levels {
            let key = match level {
                AreaLevel::Full => Some(code),
                AreaLevel::Prefix(n) if n < code.len() => Some(&code[..n]),
                AreaLevel::Prefix(_) => None,
                AreaLevel::District => geography.lookup(code).and_then(|r| r.district.as_deref()),
                AreaLevel::State => geography.lookup(code).and_then(|r| r.state.as_deref()),
            };
            if let Some(key) = key {
                out.push(Area { level, key });
            }
        }
        out
    }
}

/// Where a code or code prefix lies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub district: Option<String>,
    pub state: Option<String>,
}

/// Postal geography: codes or code prefixes mapped to district and state. A
/// lookup tries the full code, then ever shorter prefixes, so data keyed by
/// 5-digit CEP prefixes answers for 8-digit CEPs too.
#[derive(Debug, Clone, Default)]
pub struct Geography {
    regions: HashMap<String, Region>,
    /// Lengths of the keys present, longest first.
    key_lengths: Vec<usize>,
}

impl Geography {
    pub fn insert(&mut self, code: &str, region: Region) {
        let len = code.len();
        self.regions.insert(code.to_string(), region);
        if !self.key_lengths.contains(&len) {
            self.key_lengths.push(len);
            self.key_lengths.sort_unstable_by(|a, b| b.cmp(a));
        }
    }

    pub fn len(&self) -> usize {
        self.regions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }

    pub fn entries(&self) -> impl Iterator<Item = (&String, &Region)> {
        self.regions.iter()
    }

    pub fn lookup(&self, code: &str) -> Option<&Region> {
        self.key_lengths
            .iter()
            .filter(|&&n| n <= code.len())
            .find_map(|&n| self.regions.get(&code[..n]))
    }

    /// Loads `code,district,state` rows from a CSV with a header naming its
    /// columns (`code_column`, `district_column` optional, `state_column`).
    /// The first row per code wins.
    pub fn load_csv(
        &mut self,
        reader: impl Read,
        code_column: &str,
        district_column: Option<&str>,
        state_column: &str,
    ) -> Result<usize, EddError> {
        let mut csv = csv::Reader::from_reader(reader);
        let headers = csv.headers()?.clone();
        let column = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .ok_or(EddError::Input {
                    line: 1,
                    message: format!("column {name:?} not found"),
                })
        };
        let code_at = column(code_column)?;
        let district_at = district_column.map(column).transpose()?;
        let state_at = column(state_column)?;
        let mut added = 0;
        for record in csv.records() {
            let record = record?;
            let code = record.get(code_at).unwrap_or("").trim();
            if code.is_empty() || self.regions.contains_key(code) {
                continue;
            }
            let field = |at: usize| {
                record
                    .get(at)
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
            };
            let region = Region {
                district: district_at.and_then(field),
                state: field(state_at),
            };
            self.insert(code, region);
            added += 1;
        }
        Ok(added)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn india_pins_are_six_digits() {
        let scheme = PostalScheme::india();
        assert_eq!(scheme.normalize(" 560 001").unwrap(), "560001");
        assert!(scheme.normalize("56001").is_err());
        assert!(scheme.normalize("56000A").is_err());
    }

    #[test]
    fn brazil_takes_full_ceps_and_five_digit_prefixes() {
        let scheme = PostalScheme::brazil();
        assert_eq!(scheme.normalize("01310-100").unwrap(), "01310100");
        assert_eq!(scheme.normalize("01310").unwrap(), "01310");
        assert!(scheme.normalize("0131").is_err());
    }

    #[test]
    fn us_zip_plus_four_is_cut_to_the_zip() {
        assert_eq!(
            PostalScheme::united_states()
                .normalize("10001-1234")
                .unwrap(),
            "10001"
        );
    }

    #[test]
    fn areas_run_from_the_code_to_the_state_skipping_what_is_unknown() {
        let mut geo = Geography::default();
        geo.insert(
            "01310",
            Region {
                district: None,
                state: Some("SP".into()),
            },
        );
        let scheme = PostalScheme::brazil();
        let areas = scheme.areas("01310100", &geo);
        let keys: Vec<_> = areas.iter().map(|a| (a.level, a.key)).collect();
        assert_eq!(
            keys,
            vec![
                (AreaLevel::Full, "01310100"),
                (AreaLevel::Prefix(5), "01310"),
                (AreaLevel::Prefix(3), "013"),
                (AreaLevel::State, "SP"),
            ]
        );
        // A 5-digit prefix has no separate 5-digit level, and no state without geography.
        let empty = Geography::default();
        let bare = scheme.areas("01310", &empty);
        assert_eq!(bare.len(), 2);
    }

    #[test]
    fn geography_csv_loads_by_column_name() {
        let csv = "pincode,district,statename\n560001,BENGALURU,KARNATAKA\n560001,DUP,DUP\n110001,NEW DELHI,DELHI\n";
        let mut geo = Geography::default();
        assert_eq!(
            geo.load_csv(csv.as_bytes(), "pincode", Some("district"), "statename")
                .unwrap(),
            2
        );
        assert_eq!(
            geo.lookup("560001").unwrap().district.as_deref(),
            Some("BENGALURU")
        );
        assert!(
            geo.load_csv(csv.as_bytes(), "pin", None, "statename")
                .is_err()
        );
    }
}
