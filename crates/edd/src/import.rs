//! Historical deliveries from files: a generic CSV that any shipper or
//! carrier export can be turned into, and Olist's public marketplace files
//! read exactly as published.

use std::collections::HashMap;
use std::io::Read;

use jiff::civil::{Date, DateTime};
use serde::Deserialize;

use crate::EddError;
use crate::model::Observation;
use crate::postal::{Geography, Region};

/// One order of the past: where and when it went, when it arrived (if it
/// did), and what its seller promised (if known).
#[derive(Debug, Clone, PartialEq)]
pub struct HistoricalOrder {
    pub id: String,
    pub country: String,
    pub carrier: String,
    pub service: String,
    pub scope: String,
    pub origin: String,
    pub destination: String,
    pub ordered_at: DateTime,
    pub picked_up_at: Option<DateTime>,
    pub delivered_at: Option<DateTime>,
    /// The seller's own promised date, to compare against.
    pub promised: Option<Date>,
}

impl HistoricalOrder {
    /// The delivery to learn from, if the order was delivered.
    pub fn observation(&self) -> Option<Observation> {
        Some(Observation {
            country: self.country.clone(),
            carrier: self.carrier.clone(),
            service: self.service.clone(),
            scope: self.scope.clone(),
            origin: self.origin.clone(),
            destination: self.destination.clone(),
            ordered_at: self.ordered_at,
            picked_up_at: self.picked_up_at,
            delivered_at: self.delivered_at?,
        })
    }
}

/// What a reader made of its input.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ImportReport {
    pub rows: u64,
    pub orders: u64,
    pub skipped: u64,
    /// The first few reasons, with their line numbers.
    pub problems: Vec<String>,
}

impl ImportReport {
    fn skip(&mut self, line: u64, why: impl std::fmt::Display) {
        self.skipped += 1;
        if self.problems.len() < 20 {
            self.problems.push(format!("line {line}: {why}"));
        }
    }
}

/// `2017-07-09 21:57:05`, `2017-07-09T21:57:05`, or a bare date (midnight).
pub fn parse_local_datetime(text: &str) -> Option<DateTime> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    text.replacen(' ', "T", 1)
        .parse::<DateTime>()
        .ok()
        .or_else(|| text.parse::<Date>().ok().map(|d| d.at(0, 0, 0, 0)))
}

fn optional_time(text: &str, line: u64, column: &str) -> Result<Option<DateTime>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    parse_local_datetime(text)
        .map(Some)
        .ok_or_else(|| format!("{column}: {text:?} is not a date-time (line {line})"))
}

/// The generic format: a CSV with a header and the columns `order_id`,
/// `carrier`, `origin`, `destination`, `ordered_at`, `delivered_at`, and
/// optionally `country` (else `default_country`), `service`, `scope`,
/// `picked_up_at`, `promised_date`. Times are local, `YYYY-MM-DD HH:MM:SS`.
/// Bad rows are skipped and reported, never guessed.
pub fn read_generic_csv(
    reader: impl Read,
    default_country: &str,
    mut progress: impl FnMut(u64),
) -> Result<(Vec<HistoricalOrder>, ImportReport), EddError> {
    #[derive(Deserialize)]
    struct Row {
        order_id: String,
        #[serde(default)]
        country: String,
        carrier: String,
        #[serde(default)]
        service: String,
        #[serde(default)]
        scope: String,
        origin: String,
        destination: String,
        ordered_at: String,
        #[serde(default)]
        picked_up_at: String,
        #[serde(default)]
        delivered_at: String,
        #[serde(default)]
        promised_date: String,
    }
    let mut report = ImportReport::default();
    let mut orders = Vec::new();
    let mut csv = csv::Reader::from_reader(reader);
    for (index, row) in csv.deserialize::<Row>().enumerate() {
        let line = index as u64 + 2;
        report.rows += 1;
        if report.rows % 10_000 == 0 {
            progress(report.rows);
        }
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                report.skip(line, e);
                continue;
            }
        };
        let Some(ordered_at) = parse_local_datetime(&row.ordered_at) else {
            report.skip(
                line,
                format!("ordered_at {:?} is not a date-time", row.ordered_at),
            );
            continue;
        };
        let times = optional_time(&row.picked_up_at, line, "picked_up_at")
            .and_then(|p| Ok((p, optional_time(&row.delivered_at, line, "delivered_at")?)));
        let (picked_up_at, delivered_at) = match times {
            Ok(times) => times,
            Err(why) => {
                report.skip(line, why);
                continue;
            }
        };
        let promised = match row.promised_date.trim() {
            "" => None,
            text => match parse_local_datetime(text) {
                Some(at) => Some(at.date()),
                None => {
                    report.skip(line, format!("promised_date {text:?} is not a date"));
                    continue;
                }
            },
        };
        let country = if row.country.trim().is_empty() {
            default_country.to_string()
        } else {
            row.country.trim().to_ascii_uppercase()
        };
        orders.push(HistoricalOrder {
            id: row.order_id,
            country,
            carrier: row.carrier,
            service: row.service,
            scope: row.scope,
            origin: row.origin,
            destination: row.destination,
            ordered_at,
            picked_up_at,
            delivered_at,
            promised,
        });
        report.orders += 1;
    }
    progress(report.rows);
    Ok((orders, report))
}

/// Olist's files, as published (see `shared/data/olist/README.md`).
pub struct OlistFiles<R> {
    pub orders: R,
    pub items: R,
    pub customers: R,
    pub sellers: R,
    /// `geolocation_zip_code_prefix,…,geolocation_state`: states of prefixes
    /// beyond the customers' and sellers' own.
    pub geolocation: Option<R>,
}

/// Olist orders as historical deliveries: lanes run from the seller's CEP
/// prefix to the customer's (the first item's seller, as an order ships from
/// one warehouse first); no carrier is named, so all share the carrier
/// `olist`; the processing scope is the seller. Also returns the geography
/// (CEP prefix → state) the files hold.
pub fn read_olist<R: Read>(
    files: OlistFiles<R>,
) -> Result<(Vec<HistoricalOrder>, Geography, ImportReport), EddError> {
    #[derive(Deserialize)]
    struct Order {
        order_id: String,
        customer_id: String,
        order_purchase_timestamp: String,
        order_delivered_carrier_date: String,
        order_delivered_customer_date: String,
        order_estimated_delivery_date: String,
    }
    #[derive(Deserialize)]
    struct Item {
        order_id: String,
        order_item_id: u32,
        seller_id: String,
    }
    #[derive(Deserialize)]
    struct Customer {
        customer_id: String,
        customer_zip_code_prefix: String,
        customer_state: String,
    }
    #[derive(Deserialize)]
    struct Seller {
        seller_id: String,
        seller_zip_code_prefix: String,
        seller_state: String,
    }

    let mut geography = Geography::default();
    let add_state = |geography: &mut Geography, zip: &str, state: &str| {
        if geography.lookup(zip).is_none() && !state.is_empty() {
            let region = Region {
                district: None,
                state: Some(state.to_string()),
            };
            geography.insert(zip, region);
        }
    };

    let mut sellers: HashMap<String, String> = HashMap::new();
    for seller in csv::Reader::from_reader(files.sellers).deserialize::<Seller>() {
        let seller = seller?;
        add_state(
            &mut geography,
            &seller.seller_zip_code_prefix,
            &seller.seller_state,
        );
        sellers.insert(seller.seller_id, seller.seller_zip_code_prefix);
    }
    let mut customers: HashMap<String, String> = HashMap::new();
    for customer in csv::Reader::from_reader(files.customers).deserialize::<Customer>() {
        let customer = customer?;
        add_state(
            &mut geography,
            &customer.customer_zip_code_prefix,
            &customer.customer_state,
        );
        customers.insert(customer.customer_id, customer.customer_zip_code_prefix);
    }
    if let Some(geolocation) = files.geolocation {
        let mut extra = Geography::default();
        extra.load_csv(
            geolocation,
            "geolocation_zip_code_prefix",
            None,
            "geolocation_state",
        )?;
        // Only prefixes the customers and sellers files did not place.
        for (zip, state) in extra_states(&extra) {
            add_state(&mut geography, &zip, &state);
        }
    }
    // The first item's seller ships the order.
    let mut first_seller: HashMap<String, (u32, String)> = HashMap::new();
    for item in csv::Reader::from_reader(files.items).deserialize::<Item>() {
        let item = item?;
        let entry = first_seller
            .entry(item.order_id)
            .or_insert((item.order_item_id, item.seller_id.clone()));
        if item.order_item_id < entry.0 {
            *entry = (item.order_item_id, item.seller_id);
        }
    }

    let mut report = ImportReport::default();
    let mut orders = Vec::new();
    for (index, order) in csv::Reader::from_reader(files.orders)
        .deserialize::<Order>()
        .enumerate()
    {
        let line = index as u64 + 2;
        report.rows += 1;
        let order = order?;
        let Some((_, seller_id)) = first_seller.get(&order.order_id) else {
            report.skip(line, format!("order {} has no items", order.order_id));
            continue;
        };
        let (Some(origin), Some(destination)) =
            (sellers.get(seller_id), customers.get(&order.customer_id))
        else {
            report.skip(
                line,
                format!("order {}: seller or customer unknown", order.order_id),
            );
            continue;
        };
        let Some(ordered_at) = parse_local_datetime(&order.order_purchase_timestamp) else {
            report.skip(line, format!("order {}: no purchase time", order.order_id));
            continue;
        };
        orders.push(HistoricalOrder {
            id: order.order_id,
            country: "BR".into(),
            carrier: "olist".into(),
            service: String::new(),
            scope: seller_id.clone(),
            origin: origin.clone(),
            destination: destination.clone(),
            ordered_at,
            picked_up_at: parse_local_datetime(&order.order_delivered_carrier_date),
            delivered_at: parse_local_datetime(&order.order_delivered_customer_date),
            promised: parse_local_datetime(&order.order_estimated_delivery_date).map(|t| t.date()),
        });
        report.orders += 1;
    }
    Ok((orders, geography, report))
}

fn extra_states(geography: &Geography) -> Vec<(String, String)> {
    geography
        .entries()
        .filter_map(|(zip, region)| Some((zip.clone(), region.state.clone()?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn generic_rows_are_read_and_bad_ones_reported() {
        let csv = "order_id,carrier,origin,destination,ordered_at,picked_up_at,delivered_at,promised_date\n\
                   a,delhivery,560001,110001,2026-01-02 10:00:00,2026-01-02 18:00:00,2026-01-05 12:00:00,2026-01-07\n\
                   b,delhivery,560001,110001,not a time,,,\n\
                   c,ekart,400001,700001,2026-01-03,,,\n";
        let mut seen = 0;
        let (orders, report) = read_generic_csv(csv.as_bytes(), "IN", |n| seen = n).unwrap();
        assert_eq!(orders.len(), 2);
        assert_eq!(report.skipped, 1);
        assert!(report.problems[0].starts_with("line 3"));
        assert_eq!(seen, 3);
        assert_eq!(orders[0].promised, Some(date(2026, 1, 7)));
        assert_eq!(orders[0].country, "IN");
        assert!(orders[0].observation().is_some());
        assert!(
            orders[1].observation().is_none(),
            "not delivered: nothing to learn"
        );
    }

    #[test]
    fn olist_orders_ship_from_the_first_items_seller() {
        let files = OlistFiles {
            orders: "order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,order_delivered_carrier_date,order_delivered_customer_date,order_estimated_delivery_date\n\
                     o1,c1,delivered,2017-07-09 21:57:05,2017-07-09 22:10:13,2017-07-11 14:58:04,2017-07-26 10:57:55,2017-08-01 00:00:00\n\
                     o2,c1,canceled,2017-07-10 10:00:00,,,,2017-08-01 00:00:00\n"
                .as_bytes(),
            items: "order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,freight_value\n\
                    o1,2,p,s2,2017-07-13 00:00:00,1,1\no1,1,p,s1,2017-07-13 00:00:00,1,1\n"
                .as_bytes(),
            customers: "customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,customer_state\nc1,u,01310,sao paulo,SP\n".as_bytes(),
            sellers: "seller_id,seller_zip_code_prefix,seller_city,seller_state\ns1,13023,campinas,SP\ns2,20000,rio,RJ\n".as_bytes(),
            geolocation: None,
        };
        let (orders, geography, report) = read_olist(files).unwrap();
        assert_eq!(orders.len(), 1);
        assert_eq!(report.skipped, 1, "an order without items cannot be placed");
        assert_eq!(orders[0].origin, "13023");
        assert_eq!(orders[0].destination, "01310");
        assert_eq!(orders[0].promised, Some(date(2017, 8, 1)));
        assert_eq!(
            geography.lookup("20000").unwrap().state.as_deref(),
            Some("RJ")
        );
    }
}
