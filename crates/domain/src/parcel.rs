//! Parcels: weight and dimensions, always positive.

use serde::{Deserialize, Serialize};

use crate::validation::{InvalidValue, ValidationErrors};

/// A parcel as a client sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ParcelInput {
    /// Dead weight in grams.
    pub weight_grams: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length_cm: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width_cm: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_cm: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A validated parcel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Parcel {
    pub weight_grams: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length_cm: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width_cm: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_cm: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// 1 tonne: anything heavier is freight, not a parcel, and likely a unit mistake.
const MAX_WEIGHT_GRAMS: i64 = 1_000_000;
const MAX_SIDE_CM: i64 = 1_000;

fn positive(value: i64, max: i64, unit: &str) -> Result<u32, InvalidValue> {
    if value <= 0 {
        Err(InvalidValue::new(
            "must_be_positive",
            format!("must be more than 0 {unit}"),
        ))
    } else if value > max {
        Err(InvalidValue::new(
            "too_large",
            format!("must be at most {max} {unit}"),
        ))
    } else {
        // max fits in u32, so this cannot truncate.
        Ok(value as u32)
    }
}

impl Parcel {
    pub fn parse(input: &ParcelInput) -> Result<Self, ValidationErrors> {
        let mut errs = ValidationErrors::new();
        let weight = errs.check(
            "weight_grams",
            positive(input.weight_grams, MAX_WEIGHT_GRAMS, "grams"),
        );
        let mut side = |name: &str, v: Option<i64>| match v {
            None => Some(None),
            Some(v) => errs.check(name, positive(v, MAX_SIDE_CM, "cm")).map(Some),
        };
        let length = side("length_cm", input.length_cm);
        let width = side("width_cm", input.width_cm);
        let height = side("height_cm", input.height_cm);
        let given = [input.length_cm, input.width_cm, input.height_cm]
            .iter()
            .filter(|d| d.is_some())
            .count();
        if given != 0 && given != 3 {
            errs.push(
                "length_cm",
                InvalidValue::new(
                    "incomplete_dimensions",
                    "give length, width and height together, or none",
                ),
            );
        }
        let description = input
            .description
            .as_ref()
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty());
        errs.finish(|| {
            Some(Parcel {
                weight_grams: weight?,
                length_cm: length?,
                width_cm: width?,
                height_cm: height?,
                description,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_must_be_positive() {
        for w in [0, -1, -500] {
            let errs = Parcel::parse(&ParcelInput {
                weight_grams: w,
                ..Default::default()
            })
            .unwrap_err();
            assert_eq!(errs.errors[0].field, "weight_grams");
            assert_eq!(errs.errors[0].code, "must_be_positive");
        }
        assert_eq!(
            Parcel::parse(&ParcelInput {
                weight_grams: 500,
                ..Default::default()
            })
            .unwrap()
            .weight_grams,
            500
        );
    }

    #[test]
    fn dimensions_come_as_a_set() {
        let input = ParcelInput {
            weight_grams: 500,
            length_cm: Some(10),
            ..Default::default()
        };
        assert_eq!(
            Parcel::parse(&input).unwrap_err().errors[0].code,
            "incomplete_dimensions"
        );
        let input = ParcelInput {
            weight_grams: 500,
            length_cm: Some(10),
            width_cm: Some(10),
            height_cm: Some(-2),
            description: None,
        };
        assert_eq!(
            Parcel::parse(&input).unwrap_err().errors[0].field,
            "height_cm"
        );
    }
}
