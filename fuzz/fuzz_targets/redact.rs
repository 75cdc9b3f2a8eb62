//! Log redaction on arbitrary text: never panics, and a phone number planted
//! in a personal JSON field never survives.
#![no_main]
use libfuzzer_sys::fuzz_target;
use shipgate_domain::redact;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = redact::text(&text);
    let _ = redact::document(&text);
    let _ = redact::uri(&text);
    let planted = format!("{{\"consignee_phone\": \"9812345678\", \"x\": {:?}}}", text);
    assert!(!redact::document(&planted).contains("9812345678"));
});
