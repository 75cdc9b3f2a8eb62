//! The serviceability CSV import (`PUT /v1/carrier-accounts/{id}/serviceability`)
//! on arbitrary bytes: a problem or rows, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use shipgate_domain::CountryCode;

fuzz_target!(|data: &[u8]| {
    let _ = shipgate_api::service::serviceability::parse_csv("ca_fuzz", &CountryCode::india(), data);
});
