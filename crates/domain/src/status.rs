//! The status taxonomy every carrier's codes are normalized into, the
//! customer-facing buckets, and the normalized NDR reasons.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue { kind: stringify!($name), value: s.to_string() }),
                }
            }
        }
    };
}

pub(crate) use string_enum;

/// A string that names no member of the expected enumeration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

string_enum! {
    /// Shipgate's normalized shipment status.
    ShipmentStatus {
        OrderPlaced => "order_placed",
        Manifested => "manifested",
        PickupScheduled => "pickup_scheduled",
        OutForPickup => "out_for_pickup",
        PickupFailed => "pickup_failed",
        PickedUp => "picked_up",
        InTransit => "in_transit",
        AtDestinationHub => "at_destination_hub",
        OutForDelivery => "out_for_delivery",
        DeliveryFailed => "delivery_failed",
        Delivered => "delivered",
        RtoRequested => "rto_requested",
        RtoInTransit => "rto_in_transit",
        RtoOutForDelivery => "rto_out_for_delivery",
        RtoDelivered => "rto_delivered",
        RtoFailed => "rto_failed",
        Cancelled => "cancelled",
        NotServiceable => "not_serviceable",
        Delayed => "delayed",
        Held => "held",
        ContactSupport => "contact_support",
        Lost => "lost",
        Damaged => "damaged",
    }
}

string_enum! {
    /// What the end customer is shown.
    CustomerBucket {
        Ordered => "ordered",
        Shipped => "shipped",
        InTransit => "in_transit",
        OutForDelivery => "out_for_delivery",
        DeliveryFailed => "delivery_failed",
        Delivered => "delivered",
        Returned => "returned",
        Lost => "lost",
        Damaged => "damaged",
    }
}

string_enum! {
    /// Normalized reason for a failed delivery attempt.
    NdrReason {
        Unknown => "unknown",
        CustomerUnavailable => "customer_unavailable",
        Refused => "refused",
        RescheduledByCustomer => "rescheduled_by_customer",
        NotAttempted => "not_attempted",
        CustomerUnreachable => "customer_unreachable",
        AddressIssue => "address_issue",
        PaymentNotReady => "payment_not_ready",
        OutOfDeliveryArea => "out_of_delivery_area",
        OrderCancelledByCustomer => "order_cancelled_by_customer",
        SelfCollectRequested => "self_collect_requested",
        OpenDeliveryRequested => "open_delivery_requested",
        EntryRestricted => "entry_restricted",
        Misrouted => "misrouted",
    }
}

/// Which journey a status belongs to; transitions are judged within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Forward journey; the rank orders its steps (equal ranks are an attempt
    /// and its failure).
    Forward { rank: u8 },
    /// Return to origin; ranked like the forward journey.
    Rto { rank: u8 },
    /// Statuses that describe a condition rather than a step: they never
    /// advance or rewind the journey underneath them.
    Exception,
    /// Ends the journey outright from wherever it was.
    Closing,
}

impl ShipmentStatus {
    pub fn phase(self) -> Phase {
        use ShipmentStatus::*;
        match self {
            OrderPlaced => Phase::Forward { rank: 0 },
            Manifested => Phase::Forward { rank: 1 },
            PickupScheduled => Phase::Forward { rank: 2 },
            OutForPickup | PickupFailed => Phase::Forward { rank: 3 },
            PickedUp => Phase::Forward { rank: 4 },
            InTransit => Phase::Forward { rank: 5 },
            AtDestinationHub => Phase::Forward { rank: 6 },
            OutForDelivery | DeliveryFailed => Phase::Forward { rank: 7 },
            Delivered => Phase::Forward { rank: 8 },
            RtoRequested => Phase::Rto { rank: 0 },
            RtoInTransit => Phase::Rto { rank: 1 },
            RtoOutForDelivery | RtoFailed => Phase::Rto { rank: 2 },
            RtoDelivered => Phase::Rto { rank: 3 },
            NotServiceable | Delayed | Held | ContactSupport | Damaged => Phase::Exception,
            Cancelled | Lost => Phase::Closing,
        }
    }

    /// Nothing follows a terminal status.
    pub fn is_terminal(self) -> bool {
        use ShipmentStatus::*;
        matches!(self, Delivered | RtoDelivered | Cancelled | Lost)
    }

    /// True before the carrier has the parcel in hand: the window in which a
    /// shipment can still be cancelled outright rather than returned.
    pub fn is_before_pickup(self) -> bool {
        matches!(self.phase(), Phase::Forward { rank } if rank <= 3)
    }

    pub fn customer_bucket(self) -> CustomerBucket {
        use ShipmentStatus::*;
        match self {
            OrderPlaced | Manifested | PickupScheduled | OutForPickup | PickupFailed
            | NotServiceable | Cancelled => CustomerBucket::Ordered,
            PickedUp => CustomerBucket::Shipped,
            InTransit | AtDestinationHub | Delayed | Held | ContactSupport => {
                CustomerBucket::InTransit
            }
            OutForDelivery => CustomerBucket::OutForDelivery,
            DeliveryFailed => CustomerBucket::DeliveryFailed,
            Delivered => CustomerBucket::Delivered,
            RtoRequested | RtoInTransit | RtoOutForDelivery | RtoDelivered | RtoFailed => {
                CustomerBucket::Returned
            }
            Lost => CustomerBucket::Lost,
            Damaged => CustomerBucket::Damaged,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text_and_json() {
        for s in ShipmentStatus::ALL {
            assert_eq!(s.as_str().parse::<ShipmentStatus>().unwrap(), *s);
            assert_eq!(
                serde_json::to_string(s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        for r in NdrReason::ALL {
            assert_eq!(r.as_str().parse::<NdrReason>().unwrap(), *r);
        }
        assert!("teleported".parse::<ShipmentStatus>().is_err());
    }

    #[test]
    fn taxonomy_is_complete() {
        assert_eq!(ShipmentStatus::ALL.len(), 23);
        assert_eq!(NdrReason::ALL.len(), 14);
        let terminal: Vec<_> = ShipmentStatus::ALL
            .iter()
            .filter(|s| s.is_terminal())
            .map(|s| s.as_str())
            .collect();
        assert_eq!(
            terminal,
            ["delivered", "rto_delivered", "cancelled", "lost"]
        );
    }

    #[test]
    fn buckets_for_key_statuses() {
        assert_eq!(
            ShipmentStatus::DeliveryFailed.customer_bucket(),
            CustomerBucket::DeliveryFailed
        );
        assert_eq!(
            ShipmentStatus::RtoInTransit.customer_bucket(),
            CustomerBucket::Returned
        );
        assert_eq!(
            ShipmentStatus::AtDestinationHub.customer_bucket(),
            CustomerBucket::InTransit
        );
    }
}
