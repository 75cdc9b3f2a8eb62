//! Shiprocket's wire types. Responses are read leniently: every field is
//! optional, unknown fields are ignored, and ids, flags and amounts that
//! Shiprocket sends sometimes as numbers and sometimes as strings are read
//! through [`Flex`].

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// A scalar Shiprocket sends as a string, a number or a boolean (ids,
/// `"sr-status": "7"` vs `7`, `"cod": 1`, `"status": 1`); `null` and
/// objects read as absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flex(pub Option<String>);

impl<'de> Deserialize<'de> for Flex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Flex(match Value::deserialize(d)? {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }))
    }
}

impl Flex {
    /// The trimmed value, `None` when absent or blank.
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }

    pub fn or_empty(&self) -> &str {
        self.get().unwrap_or("")
    }

    pub fn as_f64(&self) -> Option<f64> {
        self.get()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|f| f.is_finite())
    }

    pub fn as_i64(&self) -> Option<i64> {
        self.get().and_then(|s| {
            s.parse::<i64>().ok().or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            })
        })
    }

    /// `1`, `"1"` and `true` are true.
    pub fn is_true(&self) -> bool {
        matches!(self.get(), Some("1" | "true" | "TRUE" | "True"))
    }
}

// ---------------------------------------------------------------- errors

/// Shiprocket's error body (Laravel/Dingo style):
/// `{"message": "...", "errors": {"field": ["..."]}, "status_code": 422}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ShiprocketErrorBody {
    pub message: Flex,
    pub status_code: Flex,
    /// Serviceability answers `{"status": 404, "message": ...}` instead.
    pub status: Flex,
    pub errors: Option<Value>,
}

// ---------------------------------------------------------------- login

#[derive(Debug, Clone, Serialize)]
pub struct ShiprocketLoginRequest<'a> {
    pub email: &'a str,
    pub password: &'a str,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ShiprocketLoginResponse {
    pub id: Flex,
    pub email: Flex,
    pub company_id: Flex,
    pub token: Flex,
}

// ---------------------------------------------------------------- create

/// `POST /shipments/create/forward-shipment` (the "wrapper" API: creates the
/// order, assigns the AWB and optionally requests pickup and prints the label
/// in one call).
#[derive(Debug, Clone, Serialize)]
pub struct ShiprocketForwardShipmentRequest {
    pub order_id: String,
    /// `YYYY-MM-DD HH:MM`, IST.
    pub order_date: String,
    pub pickup_location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub courier_id: Option<u64>,
    pub billing_customer_name: String,
    pub billing_last_name: String,
    pub billing_address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_address_2: Option<String>,
    pub billing_city: String,
    pub billing_pincode: String,
    pub billing_state: String,
    pub billing_country: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_email: Option<String>,
    pub billing_phone: String,
    pub shipping_is_billing: bool,
    pub order_items: Vec<ShiprocketOrderItem>,
    /// `COD` or `Prepaid`.
    pub payment_method: &'static str,
    /// Rupees.
    pub shipping_charges: Value,
    /// Rupees.
    pub total_discount: Value,
    /// Rupees.
    pub sub_total: Value,
    /// Centimetres.
    pub length: u32,
    pub breadth: u32,
    pub height: u32,
    /// Kilograms.
    pub weight: Value,
    pub request_pickup: bool,
    pub print_label: bool,
    pub generate_manifest: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShiprocketOrderItem {
    pub name: String,
    pub sku: String,
    pub units: u32,
    /// Rupees.
    pub selling_price: Value,
}

/// The wrapper's request as the simulator reads it back.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ShiprocketForwardShipmentIncoming {
    pub order_id: Flex,
    pub pickup_location: Flex,
    pub billing_customer_name: Flex,
    pub billing_last_name: Flex,
    pub billing_pincode: Flex,
    pub payment_method: Flex,
    pub sub_total: Flex,
    pub shipping_charges: Flex,
    pub total_discount: Flex,
    pub weight: Flex,
}

/// `{"status": 1, "payload": {...}}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ShiprocketForwardShipmentResponse {
    pub status: Flex,
    pub message: Flex,
    pub payload: Option<ShiprocketForwardShipmentPayload>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ShiprocketForwardShipmentPayload {
    pub pickup_location_added: Flex,
    pub order_created: Flex,
    pub awb_generated: Flex,
    pub label_generated: Flex,
    pub pickup_generated: Flex,
    pub manifest_generated: Flex,
    pub pickup_scheduled_date: Flex,
    pub order_id: Flex,
    pub shipment_id: Flex,
    pub awb_code: Flex,
    pub courier_company_id: Flex,
    pub courier_name: Flex,
    pub label_url: Flex,
    pub manifest_url: Flex,
    pub routing_code: Flex,
    pub rto_routing_code: Flex,
    pub pickup_token_number: Flex,
    /// Not in the documented example; read if present.
    pub error_message: Flex,
}

// ---------------------------------------------------------------- tracking

#[derive(Debug, Clone, Serialize)]
pub struct ShiprocketTrackAwbsRequest<'a> {
    pub awbs: &'a [String],
}

/// `{"tracking_data": {...}}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ShiprocketTrackingEnvelope {
    pub tracking_data: Option<ShiprocketTrackingData>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ShiprocketTrackingData {
    pub track_status: Flex,
    pub shipment_status: Flex,
    pub shipment_track: Option<Vec<ShiprocketShipmentTrack>>,
    pub shipment_track_activities: Option<Vec<ShiprocketActivity>>,
    pub track_url: Flex,
    pub etd: Flex,
    pub error: Flex,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ShiprocketShipmentTrack {
    pub id: Flex,
    pub awb_code: Flex,
    pub courier_company_id: Flex,
    pub shipment_id: Flex,
    pub order_id: Flex,
    pub pickup_date: Flex,
    pub delivered_date: Flex,
    pub weight: Flex,
    pub packages: Flex,
    pub current_status: Flex,
    pub delivered_to: Flex,
    pub destination: Flex,
    pub consignee_name: Flex,
    pub origin: Flex,
    pub courier_name: Flex,
    pub edd: Flex,
}

/// One scan: in tracking (`shipment_track_activities`) and in pushes (`scans`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ShiprocketActivity {
    pub date: Flex,
    /// The courier's own code (`DLVD`, `X-PPOM`, `FMPUR-101`).
    pub status: Flex,
    pub activity: Flex,
    pub location: Flex,
    /// Shiprocket's normalized status id, or `NA` when it has none.
    #[serde(rename = "sr-status")]
    pub sr_status: Flex,
    #[serde(rename = "sr-status-label")]
    pub sr_status_label: Flex,
}

// ---------------------------------------------------------------- push

/// The tracking webhook Shiprocket posts (authenticated by the `x-api-key`
/// header the merchant configured).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ShiprocketWebhook {
    pub awb: Flex,
    pub courier_name: Flex,
    pub current_status: Flex,
    pub current_status_id: Flex,
    pub shipment_status: Flex,
    pub shipment_status_id: Flex,
    /// `23 05 2023 11:43:52` (IST).
    pub current_timestamp: Flex,
    /// The merchant's (channel) order id.
    pub order_id: Flex,
    pub sr_order_id: Flex,
    pub awb_assigned_date: Flex,
    pub pickup_scheduled_date: Flex,
    pub etd: Flex,
    pub scans: Option<Vec<ShiprocketActivity>>,
    pub is_return: Flex,
    pub channel_id: Flex,
    pub pod_status: Flex,
    pub pod: Flex,
}

// ---------------------------------------------------------------- cancel, NDR

#[derive(Debug, Clone, Serialize)]
pub struct ShiprocketCancelAwbsRequest<'a> {
    pub awbs: [&'a str; 1],
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ShiprocketCancelAwbsIncoming {
    pub awbs: Option<Vec<Flex>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ShiprocketNdrActionRequest {
    /// `re-attempt`, `return` (or `fake-attempt`).
    pub action: String,
    pub comments: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address2: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deferred_date: Option<String>,
}

// ---------------------------------------------------------------- serviceability

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ShiprocketServiceabilityResponse {
    pub status: Flex,
    pub status_code: Flex,
    pub message: Flex,
    pub currency: Flex,
    /// `{"available_courier_companies": [...]}`.
    pub data: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ShiprocketCourierCompany {
    pub courier_company_id: Flex,
    pub courier_name: Flex,
    /// `1` when the courier collects cash on delivery on this lane.
    pub cod: Flex,
    pub rate: Flex,
    pub freight_charge: Flex,
    pub cod_charges: Flex,
    pub pickup_availability: Flex,
    /// The delivery postcode.
    pub postcode: Flex,
    pub city: Flex,
    pub state: Flex,
    /// Kilograms.
    pub surface_max_weight: Flex,
    pub etd: Flex,
    pub estimated_delivery_days: Flex,
    pub blocked: Flex,
}

impl ShiprocketServiceabilityResponse {
    /// The courier list, empty when absent or shaped otherwise.
    pub fn couriers(&self) -> Vec<ShiprocketCourierCompany> {
        self.data
            .as_ref()
            .and_then(|d| d.get("available_courier_companies"))
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|c| serde_json::from_value(c.clone()).ok())
                    .collect()
            })
            .unwrap_or_default()
    }
}
