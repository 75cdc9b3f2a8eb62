//! Rate cards: what a carrier account charges for a parcel, the way Indian
//! courier contracts price it — a zone from origin and destination PIN, a
//! chargeable weight (the greater of dead and volumetric weight) priced by a
//! first slab plus additional slabs, a COD fee (the greater of a minimum and
//! a percentage of the amount collected), and a fuel surcharge on freight.

use serde::{Deserialize, Serialize};

use crate::parcel::Parcel;
use crate::shipment::PaymentMode;

/// Delivery zones, as Indian rate cards name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Zone {
    /// Same city (same 3-digit sorting district).
    Local,
    /// Same region (same first two PIN digits).
    Regional,
    /// Between metros.
    Metro,
    /// Rest of India.
    National,
    /// North-East, Jammu & Kashmir, islands: special surface routes.
    Special,
}

/// PIN prefixes of the six metros' sorting districts.
const METROS: [&str; 6] = ["110", "400", "700", "600", "560", "500"];
/// Two-digit PIN prefixes served as special zones (J&K and Ladakh, the
/// North-East, Andaman & Nicobar and Lakshadweep).
const SPECIAL: [&str; 5] = ["18", "19", "78", "79", "74"];

/// The zone between two Indian PIN codes.
pub fn zone(origin: &str, destination: &str) -> Zone {
    let prefix = |pin: &str, n: usize| pin.get(..n).unwrap_or("").to_string();
    if SPECIAL.contains(&prefix(destination, 2).as_str()) {
        Zone::Special
    } else if prefix(origin, 3) == prefix(destination, 3) {
        Zone::Local
    } else if prefix(origin, 2) == prefix(destination, 2) {
        Zone::Regional
    } else if METROS.contains(&prefix(origin, 3).as_str())
        && METROS.contains(&prefix(destination, 3).as_str())
    {
        Zone::Metro
    } else {
        Zone::National
    }
}

/// The price of one zone: a first slab, then each additional slab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ZonePrice {
    pub zone: Zone,
    /// Price of the first slab, minor units.
    pub base_minor: i64,
    /// Price of each additional slab (or part of one), minor units.
    pub additional_minor: i64,
    /// Promised transit days for this zone, used by the `fastest` strategy.
    #[serde(default)]
    pub transit_days: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RateCard {
    /// First slab, grams (typically 500).
    pub base_slab_grams: u32,
    /// Each additional slab, grams (typically 500).
    pub additional_slab_grams: u32,
    /// cm³ per kg for volumetric weight (5000 for most Indian couriers).
    #[serde(default = "default_divisor")]
    pub volumetric_divisor: u32,
    pub zones: Vec<ZonePrice>,
    /// COD fee: the greater of this minimum (minor units)…
    #[serde(default)]
    pub cod_fee_min_minor: i64,
    /// …and this share of the COD amount, in basis points (150 = 1.5%).
    #[serde(default)]
    pub cod_fee_bps: u32,
    /// Fuel surcharge on freight, basis points.
    #[serde(default)]
    pub fuel_surcharge_bps: u32,
}

fn default_divisor() -> u32 {
    5000
}

/// A priced parcel set, with the parts that make up the total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Quote {
    pub zone: Zone,
    pub dead_weight_grams: u64,
    pub volumetric_weight_grams: u64,
    /// The greater of the two, rounded up to whole slabs.
    pub chargeable_weight_grams: u64,
    pub freight_minor: i64,
    pub fuel_surcharge_minor: i64,
    pub cod_fee_minor: i64,
    pub total_minor: i64,
    pub transit_days: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("the rate card has no price for the {0:?} zone")]
    NoZonePrice(Zone),
    #[error("the rate card's slabs and divisor must be positive")]
    InvalidCard,
}

/// `value × bps / 10 000`, rounded half up, in integers.
fn bps_of(value: i64, bps: u32) -> i64 {
    (value * i64::from(bps) + 5_000) / 10_000
}

/// Volumetric grams of one parcel: L×W×H (cm) / divisor (cm³ per kg) × 1000,
/// rounded up to the gram.
fn volumetric_grams(p: &Parcel, divisor: u32) -> u64 {
    match (p.length_cm, p.width_cm, p.height_cm) {
        (Some(l), Some(w), Some(h)) => {
            let cm3 = u64::from(l) * u64::from(w) * u64::from(h);
            (cm3 * 1000).div_ceil(u64::from(divisor))
        }
        _ => 0,
    }
}

impl RateCard {
    pub fn quote(
        &self,
        origin: &str,
        destination: &str,
        parcels: &[Parcel],
        payment: PaymentMode,
        cod_amount_minor: i64,
    ) -> Result<Quote, RateError> {
        if self.base_slab_grams == 0
            || self.additional_slab_grams == 0
            || self.volumetric_divisor == 0
        {
            return Err(RateError::InvalidCard);
        }
        let zone = zone(origin, destination);
        let price = self
            .zones
            .iter()
            .find(|z| z.zone == zone)
            .ok_or(RateError::NoZonePrice(zone))?;
        let dead: u64 = parcels.iter().map(|p| u64::from(p.weight_grams)).sum();
        let volumetric: u64 = parcels
            .iter()
            .map(|p| volumetric_grams(p, self.volumetric_divisor))
            .sum();
        let weight = dead.max(volumetric);
        let base = u64::from(self.base_slab_grams);
        let extra_slabs = weight
            .saturating_sub(base)
            .div_ceil(u64::from(self.additional_slab_grams));
        let chargeable = base + extra_slabs * u64::from(self.additional_slab_grams);
        let freight = price.base_minor + price.additional_minor * extra_slabs as i64;
        let fuel = bps_of(freight, self.fuel_surcharge_bps);
        let cod_fee = match payment {
            PaymentMode::Cod => self
                .cod_fee_min_minor
                .max(bps_of(cod_amount_minor, self.cod_fee_bps)),
            PaymentMode::Prepaid => 0,
        };
        Ok(Quote {
            zone,
            dead_weight_grams: dead,
            volumetric_weight_grams: volumetric,
            chargeable_weight_grams: chargeable,
            freight_minor: freight,
            fuel_surcharge_minor: fuel,
            cod_fee_minor: cod_fee,
            total_minor: freight + fuel + cod_fee,
            transit_days: price.transit_days,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> RateCard {
        let price = |zone, base, add| ZonePrice {
            zone,
            base_minor: base,
            additional_minor: add,
            transit_days: Some(3),
        };
        RateCard {
            base_slab_grams: 500,
            additional_slab_grams: 500,
            volumetric_divisor: 5000,
            zones: vec![
                price(Zone::Local, 3000, 2500),
                price(Zone::Regional, 3500, 3000),
                price(Zone::Metro, 4000, 3500),
                price(Zone::National, 4500, 4000),
                price(Zone::Special, 6000, 5500),
            ],
            cod_fee_min_minor: 3500,
            cod_fee_bps: 150,
            fuel_surcharge_bps: 1000,
        }
    }

    fn parcel(grams: u32, dims: Option<(u32, u32, u32)>) -> Parcel {
        Parcel {
            weight_grams: grams,
            length_cm: dims.map(|d| d.0),
            width_cm: dims.map(|d| d.1),
            height_cm: dims.map(|d| d.2),
            description: None,
        }
    }

    #[test]
    fn zones_follow_the_pin_hierarchy() {
        assert_eq!(zone("110020", "110001"), Zone::Local);
        assert_eq!(zone("110020", "121001"), Zone::National);
        assert_eq!(zone("560001", "562106"), Zone::Regional);
        assert_eq!(zone("110020", "400001"), Zone::Metro);
        assert_eq!(zone("110020", "781001"), Zone::Special);
        assert_eq!(zone("110020", "302001"), Zone::National);
    }

    #[test]
    fn slabs_round_up_and_the_first_slab_covers_light_parcels() {
        let c = card();
        let q = |g| {
            c.quote(
                "110020",
                "400001",
                &[parcel(g, None)],
                PaymentMode::Prepaid,
                0,
            )
            .unwrap()
        };
        assert_eq!(
            (q(1).chargeable_weight_grams, q(1).freight_minor),
            (500, 4000)
        );
        assert_eq!(
            (q(500).chargeable_weight_grams, q(500).freight_minor),
            (500, 4000)
        );
        assert_eq!(
            (q(501).chargeable_weight_grams, q(501).freight_minor),
            (1000, 7500)
        );
        assert_eq!(
            (q(1500).chargeable_weight_grams, q(1500).freight_minor),
            (1500, 11000)
        );
        assert_eq!(q(1501).chargeable_weight_grams, 2000);
    }

    #[test]
    fn volumetric_weight_wins_when_larger() {
        let c = card();
        // 40×30×20 cm = 24 000 cm³ → 4.8 kg volumetric against 1 kg dead.
        let q = c
            .quote(
                "110020",
                "400001",
                &[parcel(1000, Some((40, 30, 20)))],
                PaymentMode::Prepaid,
                0,
            )
            .unwrap();
        assert_eq!(
            (q.volumetric_weight_grams, q.chargeable_weight_grams),
            (4800, 5000)
        );
        // Small box: dead weight wins.
        let q = c
            .quote(
                "110020",
                "400001",
                &[parcel(1000, Some((10, 10, 10)))],
                PaymentMode::Prepaid,
                0,
            )
            .unwrap();
        assert_eq!(
            (q.volumetric_weight_grams, q.chargeable_weight_grams),
            (200, 1000)
        );
        // Several parcels add up.
        let q = c
            .quote(
                "110020",
                "400001",
                &[parcel(300, None), parcel(300, None)],
                PaymentMode::Prepaid,
                0,
            )
            .unwrap();
        assert_eq!(q.chargeable_weight_grams, 1000);
    }

    #[test]
    fn cod_fee_is_the_greater_of_minimum_and_share() {
        let c = card();
        let q = |cod| {
            c.quote(
                "110020",
                "400001",
                &[parcel(400, None)],
                PaymentMode::Cod,
                cod,
            )
            .unwrap()
            .cod_fee_minor
        };
        assert_eq!(
            q(100_000),
            3500,
            "1.5% of ₹1,000 is ₹15: the ₹35 minimum applies"
        );
        assert_eq!(q(233_333), 3500, "₹35.00 exactly at the crossover");
        assert_eq!(q(1_000_000), 15_000, "1.5% of ₹10,000");
        assert_eq!(
            c.quote(
                "110020",
                "400001",
                &[parcel(400, None)],
                PaymentMode::Prepaid,
                1_000_000
            )
            .unwrap()
            .cod_fee_minor,
            0
        );
    }

    #[test]
    fn fuel_surcharge_applies_to_freight_only_and_totals_add_up() {
        let c = card();
        let q = c
            .quote(
                "110020",
                "400001",
                &[parcel(700, None)],
                PaymentMode::Cod,
                1_000_000,
            )
            .unwrap();
        assert_eq!(q.freight_minor, 7500);
        assert_eq!(q.fuel_surcharge_minor, 750);
        assert_eq!(q.total_minor, 7500 + 750 + 15_000);
    }

    #[test]
    fn a_missing_zone_or_broken_card_is_an_error() {
        let mut c = card();
        c.zones.retain(|z| z.zone != Zone::Special);
        assert_eq!(
            c.quote(
                "110020",
                "781001",
                &[parcel(100, None)],
                PaymentMode::Prepaid,
                0
            ),
            Err(RateError::NoZonePrice(Zone::Special))
        );
        c.additional_slab_grams = 0;
        assert_eq!(
            c.quote(
                "110020",
                "110001",
                &[parcel(100, None)],
                PaymentMode::Prepaid,
                0
            ),
            Err(RateError::InvalidCard)
        );
    }
}
