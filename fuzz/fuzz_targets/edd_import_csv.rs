//! The EDD history importer (`shipgate edd import`, generic CSV) on arbitrary
//! bytes: bad rows are skipped and reported, nothing panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((orders, report)) = shipgate_edd::import::read_generic_csv(data, "IN", |_| {}) {
        assert_eq!(orders.len() as u64, report.orders);
        for order in &orders {
            let _ = order.observation();
        }
    }
});
