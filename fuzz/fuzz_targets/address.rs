//! Address normalization on arbitrary text: `Address::parse` (phone, postal
//! code, country, lengths) and the EDD postal schemes never panic, and what
//! they accept is canonical (parsing the canonical form again gives itself).
#![no_main]
use libfuzzer_sys::fuzz_target;
use shipgate_domain::address::AddressInput;
use shipgate_domain::{Address, CountryCode, Phone, PostalCode};
use shipgate_edd::PostalScheme;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut fields = text.split('\u{1f}');
    let mut next = || fields.next().unwrap_or_default().to_string();
    let optional = |s: String| (!s.is_empty()).then_some(s);
    let input = AddressInput {
        country: optional(next()),
        name: next(),
        phone: next(),
        email: optional(next()),
        company: optional(next()),
        line1: next(),
        line2: optional(next()),
        landmark: optional(next()),
        city: next(),
        state: next(),
        postal_code: next(),
    };
    if let Ok(address) = Address::parse(&input) {
        let country = &address.country;
        let phone = Phone::parse(country, address.phone.as_str()).expect("canonical phone parses");
        assert_eq!(phone, address.phone);
        let code = PostalCode::parse(country, address.postal_code.as_str())
            .expect("canonical postal code parses");
        assert_eq!(code, address.postal_code);
    }
    for country in ["IN", "BR", "US", "GB"] {
        let country_code = CountryCode::parse(country).expect("a valid country");
        let _ = Phone::parse(&country_code, &input.phone);
        let _ = PostalCode::parse(&country_code, &input.postal_code);
        let scheme = PostalScheme::for_country(country);
        if let Ok(code) = scheme.normalize(&input.postal_code) {
            assert_eq!(scheme.normalize(&code).ok().as_deref(), Some(code.as_str()));
            let _ = scheme.areas(&code, &Default::default());
        }
    }
});
