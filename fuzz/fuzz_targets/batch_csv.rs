//! The bulk-shipment CSV (`POST /v1/shipments/batch`, `text/csv`) on arbitrary
//! bytes: a problem or rows, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = shipgate_api::service::batch::csv_rows(data);
});
