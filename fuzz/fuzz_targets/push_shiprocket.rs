//! The carrier's tracking push parser on arbitrary bytes: an error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use shipgate_carrier_core::Push;

fuzz_target!(|data: &[u8]| {
    if let Ok(shipments) = shipgate_carrier_shiprocket::Shiprocket.parse_push(data) {
        for shipment in shipments {
            let _ = format!("{shipment:?}");
        }
    }
});
