//! Addresses and their parts: country, postal code, phone.
//!
//! Postal codes and phone numbers are checked per country. India's 6-digit
//! PIN is the first-class case; Brazil's CEP and US ZIP codes show the rules
//! are per country, and any other country gets a permissive generic check.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::validation::{InvalidValue, ValidationErrors};

/// ISO 3166-1 alpha-2 country code, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode(String);

impl CountryCode {
    pub fn india() -> Self {
        Self("IN".into())
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let code = raw.trim().to_ascii_uppercase();
        if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(code))
        } else {
            Err(InvalidValue::new(
                "invalid_country",
                "must be an ISO 3166-1 alpha-2 country code such as IN",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CountryCode {
    type Error = InvalidValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CountryCode> for String {
    fn from(value: CountryCode) -> Self {
        value.0
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A postal code valid for its country, stored in canonical form
/// (Indian PIN `560001`, Brazilian CEP `01310100`, US ZIP `94103` or `94103-1234`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct PostalCode(String);

impl PostalCode {
    pub fn parse(country: &CountryCode, raw: &str) -> Result<Self, InvalidValue> {
        let raw = raw.trim();
        let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let all_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
        match country.as_str() {
            "IN" => {
                if all_digits && digits.len() == 6 && !digits.starts_with('0') {
                    Ok(Self(digits))
                } else {
                    Err(InvalidValue::new(
                        "invalid_postal_code",
                        "an Indian PIN code has 6 digits and does not start with 0",
                    ))
                }
            }
            "BR" => {
                if all_digits && digits.len() == 8 {
                    Ok(Self(digits))
                } else {
                    Err(InvalidValue::new(
                        "invalid_postal_code",
                        "a Brazilian CEP has 8 digits (e.g. 01310-100)",
                    ))
                }
            }
            "US" => match (all_digits, digits.len()) {
                (true, 5) => Ok(Self(digits)),
                (true, 9) => Ok(Self(format!("{}-{}", &digits[..5], &digits[5..]))),
                _ => Err(InvalidValue::new(
                    "invalid_postal_code",
                    "a US ZIP code has 5 digits or 5+4 digits",
                )),
            },
            _ => {
                let ok = (2..=10).contains(&raw.len())
                    && raw
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-');
                if ok {
                    Ok(Self(raw.to_ascii_uppercase()))
                } else {
                    Err(InvalidValue::new(
                        "invalid_postal_code",
                        "a postal code has 2 to 10 letters, digits, spaces or hyphens",
                    ))
                }
            }
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PostalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number in E.164 form (`+919812345678`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Phone(String);

/// Calling codes for the countries whose national formats we accept without `+`.
fn national_format(country: &str) -> Option<(&'static str, usize)> {
    match country {
        "IN" => Some(("91", 10)),
        "BR" => Some(("55", 11)),
        "US" => Some(("1", 10)),
        _ => None,
    }
}

impl Phone {
    pub fn parse(country: &CountryCode, raw: &str) -> Result<Self, InvalidValue> {
        let trimmed = raw.trim();
        let international = trimmed.starts_with('+');
        let digits: String = trimmed
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | '+'))
            .collect();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidValue::new(
                "invalid_phone",
                "a phone number holds digits, optionally with +, spaces, hyphens or parentheses",
            ));
        }
        if let Some((calling_code, national_len)) = national_format(country.as_str()) {
            let national = if international || digits.len() == calling_code.len() + national_len {
                digits.strip_prefix(calling_code)
            } else if digits.len() == national_len + 1 {
                digits.strip_prefix('0')
            } else {
                Some(digits.as_str())
            };
            if let Some(national) = national.filter(|n| n.len() == national_len) {
                if country.as_str() == "IN" && !matches!(national.as_bytes()[0], b'6'..=b'9') {
                    return Err(InvalidValue::new(
                        "invalid_phone",
                        "an Indian mobile number has 10 digits starting with 6, 7, 8 or 9",
                    ));
                }
                return Ok(Self(format!("+{calling_code}{national}")));
            }
            // Carriers reach consignees on a local number.
            return Err(InvalidValue::new(
                "invalid_phone",
                format!(
                    "expected a {national_len}-digit national number or +{calling_code} followed by it"
                ),
            ));
        }
        if international && (8..=15).contains(&digits.len()) {
            Ok(Self(format!("+{digits}")))
        } else {
            Err(InvalidValue::new(
                "invalid_phone",
                "expected an international number such as +4420700000000",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An address as a client sends it; [`Address::parse`] turns it into a valid one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    pub name: String,
    pub phone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landmark: Option<String>,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2; defaults to IN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// The lines of a delivery address a form corrects; the rest (name, phone,
/// email, company, country) stays as it was. Blank optional lines are none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct AddressLines {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub landmark: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
}

impl Address {
    /// This address with `lines` in its place, as input to validate again.
    pub fn corrected(&self, lines: &AddressLines) -> AddressInput {
        let text = |v: &Option<String>| v.as_deref().unwrap_or_default().trim().to_string();
        let optional = |v: &Option<String>| Some(text(v)).filter(|v| !v.is_empty());
        AddressInput {
            name: self.name.clone(),
            phone: self.phone.to_string(),
            email: self.email.clone(),
            company: self.company.clone(),
            line1: text(&lines.line1),
            line2: optional(&lines.line2),
            landmark: optional(&lines.landmark),
            city: text(&lines.city),
            state: text(&lines.state),
            postal_code: text(&lines.postal_code),
            country: Some(self.country.to_string()),
        }
    }

    /// Its own lines, as a form shows them.
    pub fn lines(&self) -> AddressLines {
        AddressLines {
            line1: Some(self.line1.clone()),
            line2: self.line2.clone(),
            landmark: self.landmark.clone(),
            city: Some(self.city.clone()),
            state: Some(self.state.clone()),
            postal_code: Some(self.postal_code.to_string()),
        }
    }
}

/// A validated address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Address {
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "+919812345678"))]
    pub phone: Phone,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landmark: Option<String>,
    pub city: String,
    pub state: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "560001"))]
    pub postal_code: PostalCode,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "IN"))]
    pub country: CountryCode,
}

// Stored addresses were validated when written; reading them back trusts them.
impl<'de> Deserialize<'de> for Phone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self)
    }
}

impl<'de> Deserialize<'de> for PostalCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self)
    }
}

fn required_text(value: &str, max: usize) -> Result<String, InvalidValue> {
    let value = value.trim();
    if value.is_empty() {
        Err(InvalidValue::new("required", "must not be empty"))
    } else if value.chars().count() > max {
        Err(InvalidValue::new(
            "too_long",
            format!("must be at most {max} characters"),
        ))
    } else {
        Ok(value.to_string())
    }
}

fn optional_text(value: Option<&str>, max: usize) -> Result<Option<String>, InvalidValue> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => required_text(v, max).map(Some),
    }
}

fn email(value: Option<&str>) -> Result<Option<String>, InvalidValue> {
    let Some(v) = optional_text(value, 254)? else {
        return Ok(None);
    };
    match v.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !v.contains(char::is_whitespace) =>
        {
            Ok(Some(v))
        }
        _ => Err(InvalidValue::new(
            "invalid_email",
            "must be an email address such as name@example.com",
        )),
    }
}

impl Address {
    pub fn parse(input: &AddressInput) -> Result<Self, ValidationErrors> {
        let mut errs = ValidationErrors::new();
        let country = errs.check(
            "country",
            input
                .country
                .as_deref()
                .map_or(Ok(CountryCode::india()), CountryCode::parse),
        );
        let name = errs.check("name", required_text(&input.name, 100));
        let phone = country
            .as_ref()
            .and_then(|c| errs.check("phone", Phone::parse(c, &input.phone)));
        let email = errs.check("email", email(input.email.as_deref()));
        let company = errs.check("company", optional_text(input.company.as_deref(), 100));
        let line1 = errs.check("line1", required_text(&input.line1, 200));
        let line2 = errs.check("line2", optional_text(input.line2.as_deref(), 200));
        let landmark = errs.check("landmark", optional_text(input.landmark.as_deref(), 100));
        let city = errs.check("city", required_text(&input.city, 80));
        let state = errs.check("state", required_text(&input.state, 80));
        let postal_code = country
            .as_ref()
            .and_then(|c| errs.check("postal_code", PostalCode::parse(c, &input.postal_code)));
        errs.finish(|| {
            Some(Address {
                name: name?,
                phone: phone?,
                email: email?,
                company: company?,
                line1: line1?,
                line2: line2?,
                landmark: landmark?,
                city: city?,
                state: state?,
                postal_code: postal_code?,
                country: country?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn india() -> CountryCode {
        CountryCode::india()
    }

    #[test]
    fn indian_pin_has_six_digits_not_starting_with_zero() {
        assert_eq!(
            PostalCode::parse(&india(), " 560001 ").unwrap().as_str(),
            "560001"
        );
        assert_eq!(
            PostalCode::parse(&india(), "560 001").unwrap().as_str(),
            "560001"
        );
        for bad in ["56000", "5600011", "060001", "56000a", "", "-56000"] {
            assert_eq!(
                PostalCode::parse(&india(), bad).unwrap_err().code,
                "invalid_postal_code",
                "{bad}"
            );
        }
    }

    #[test]
    fn other_countries_follow_their_own_format() {
        let br = CountryCode::parse("br").unwrap();
        assert_eq!(
            PostalCode::parse(&br, "01310-100").unwrap().as_str(),
            "01310100"
        );
        assert!(PostalCode::parse(&br, "0131010").is_err());
        let us = CountryCode::parse("US").unwrap();
        assert_eq!(
            PostalCode::parse(&us, "941031234").unwrap().as_str(),
            "94103-1234"
        );
        assert!(PostalCode::parse(&us, "9410").is_err());
        let gb = CountryCode::parse("GB").unwrap();
        assert_eq!(
            PostalCode::parse(&gb, "sw1a 1aa").unwrap().as_str(),
            "SW1A 1AA"
        );
        assert!(PostalCode::parse(&gb, "SW1A_1AA").is_err());
    }

    #[test]
    fn country_code_is_two_letters() {
        assert!(CountryCode::parse("IND").is_err());
        assert!(CountryCode::parse("1N").is_err());
        assert_eq!(CountryCode::parse(" in ").unwrap().as_str(), "IN");
    }

    #[test]
    fn indian_phones_normalise_to_e164() {
        for ok in [
            "9812345678",
            "+91 98123 45678",
            "919812345678",
            "09812345678",
            "(981) 234-5678",
        ] {
            assert_eq!(
                Phone::parse(&india(), ok).unwrap().as_str(),
                "+919812345678",
                "{ok}"
            );
        }
        for bad in [
            "5812345678",
            "981234567",
            "98123456789x",
            "",
            "+1 415 555 0100",
        ] {
            assert!(Phone::parse(&india(), bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn other_countries_need_international_form_unless_known() {
        let de = CountryCode::parse("DE").unwrap();
        assert_eq!(
            Phone::parse(&de, "+49 30 1234567").unwrap().as_str(),
            "+49301234567"
        );
        assert!(Phone::parse(&de, "030 1234567").is_err());
        let us = CountryCode::parse("US").unwrap();
        assert_eq!(
            Phone::parse(&us, "415-555-0100").unwrap().as_str(),
            "+14155550100"
        );
    }

    fn sample() -> AddressInput {
        AddressInput {
            name: "Asha Rao".into(),
            phone: "9812345678".into(),
            line1: "12 MG Road".into(),
            city: "Bengaluru".into(),
            state: "Karnataka".into(),
            postal_code: "560001".into(),
            ..Default::default()
        }
    }

    #[test]
    fn address_defaults_to_india_and_trims() {
        let mut input = sample();
        input.line2 = Some("  ".into());
        let address = Address::parse(&input).unwrap();
        assert_eq!(address.country.as_str(), "IN");
        assert_eq!(address.line2, None);
    }

    #[test]
    fn address_reports_every_bad_field() {
        let mut input = sample();
        input.name = " ".into();
        input.postal_code = "12".into();
        input.email = Some("not-an-email".into());
        let errs = Address::parse(&input).unwrap_err();
        let fields: Vec<_> = errs.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "email", "postal_code"]);
    }
}
