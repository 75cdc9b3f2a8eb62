//! Keeps personal data (phone numbers, email addresses, postal addresses and
//! names) out of logs. Log lines that quote text from outside — a carrier's
//! push or error, a URL — pass it through these first.

/// What replaces a redacted value.
pub const REDACTED: &str = "[redacted]";

/// Masks phone-number-like runs (8 or more digits, allowing `+`, spaces,
/// hyphens, dots and parentheses between them) and email addresses in free
/// text. AWBs of 8+ digits are masked too: log them as their own fields.
pub fn text(input: &str) -> String {
    masked(input).into_owned()
}

/// [`text`], borrowing the input when it holds nothing to mask (most lines:
/// one scan, no copy).
pub fn masked(input: &str) -> std::borrow::Cow<'_, str> {
    if !has_email_sign_or_phone_like_run(input) {
        return std::borrow::Cow::Borrowed(input);
    }
    let masked_emails = mask_emails(input);
    std::borrow::Cow::Owned(mask_digit_runs(&masked_emails))
}

/// Whether `mask_emails` or `mask_digit_runs` could mask anything: an `@`,
/// or 8 or more digits in one stretch of digits and phone separators. One
/// pass over the bytes: the request log asks this of every URI.
fn has_email_sign_or_phone_like_run(input: &str) -> bool {
    let mut digits = 0;
    for b in input.bytes() {
        if b == b'@' {
            return true;
        }
        if b.is_ascii_digit() {
            digits += 1;
            if digits >= 8 {
                return true;
            }
        } else if !matches!(b, b'+' | b' ' | b'-' | b'.' | b'(' | b')') {
            digits = 0;
        }
    }
    false
}

fn mask_emails(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for (i, word) in input.split(|c: char| c.is_whitespace()).enumerate() {
        if i > 0 {
            // Keep the original separator's place with a plain space.
            out.push(' ');
        }
        let looks_like_email = word
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
        if looks_like_email {
            out.push_str("[email]");
        } else {
            out.push_str(word);
        }
    }
    out
}

fn mask_digit_runs(input: &str) -> String {
    let chars: Vec<char> = input.chars().collect();
    let mut out = String::with_capacity(input.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit()
            || (chars[i] == '+' && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit()))
        {
            // Extend over digits and the separators phone numbers are written with.
            let mut end = i;
            let mut digits = 0;
            let mut last_digit = i;
            while end < chars.len()
                && (chars[end].is_ascii_digit()
                    || matches!(chars[end], '+' | ' ' | '-' | '.' | '(' | ')'))
            {
                if chars[end].is_ascii_digit() {
                    digits += 1;
                    last_digit = end;
                }
                end += 1;
            }
            if digits >= 8 {
                out.push_str("[phone]");
                i = last_digit + 1;
                continue;
            }
            out.extend(&chars[i..=last_digit.max(i)]);
            i = last_digit.max(i) + 1;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Whether a field (JSON key or XML element) of a carrier's or client's
/// document holds personal data.
pub fn is_personal_field(name: &str) -> bool {
    !KNOWN_IMPERSONAL.contains(&name) && named_like_personal_data(name)
}

/// Names asked about on nearly every request (the request log checks each
/// query key; a product page's EDD lookup sends these): answered by one
/// comparison each instead of the pattern search, which gives them the
/// same answer (tested).
const KNOWN_IMPERSONAL: &[&str] = &[
    "origin",
    "destination",
    "carrier",
    "confidence",
    "ship_date",
    "country",
    "limit",
    "cursor",
    "status",
];

fn named_like_personal_data(name: &str) -> bool {
    // Field names are short: lower-cased on the stack, searched by plain
    // window comparison (no allocation, no searcher set-up per pattern; the
    // request log asks this for every query parameter).
    let mut short = [0u8; 48];
    let long: Vec<u8>;
    let key: &[u8] = if name.len() <= short.len() {
        let mut len = 0;
        for b in name.bytes().filter(u8::is_ascii_alphanumeric) {
            short[len] = b.to_ascii_lowercase();
            len += 1;
        }
        &short[..len]
    } else {
        long = name
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| b.to_ascii_lowercase())
            .collect();
        &long
    };
    let contains = |needle: &str| key.windows(needle.len()).any(|w| w == needle.as_bytes());
    const PERSONAL: &[&str] = &[
        "phone",
        "mobile",
        "email",
        "address",
        "addr",
        "landmark",
        "consignee",
        "receiver",
        "recipient",
        "customer",
        "buyer",
        "line1",
        "line2",
        "telephone",
        "contact",
    ];
    const NOT_A_PERSON: &[&str] = &[
        "location", "status", "city", "carrier", "courier", "scan", "hub", "office", "facility",
        "branch", "center", "centre", "service", "product", "file",
    ];
    PERSONAL.iter().any(|p| contains(p))
        || (key.ends_with(b"name") && !NOT_A_PERSON.iter().any(|n| contains(n)))
}

/// A document from outside (a carrier's push or answer) fit for a log line:
/// JSON with the values of personal fields replaced, XML with their
/// elements' text replaced, and anything else (or what is left) through
/// [`text`].
pub fn document(input: &str) -> String {
    let trimmed = input.trim_start();
    if trimmed.starts_with('<') {
        return text(&redact_xml(input));
    }
    text(&redact_json_like(input))
}

/// Replaces the string and number values of personal keys in JSON-like text
/// (also a truncated excerpt, which would not parse) and whole objects or
/// arrays under them.
fn redact_json_like(input: &str) -> String {
    let chars: Vec<char> = input.chars().collect();
    let mut out = String::with_capacity(input.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '"' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // A string: copy it, then see whether a colon follows (it is a key).
        let start = i;
        i += 1;
        while i < chars.len() && chars[i] != '"' {
            if chars[i] == '\\' {
                i += 1;
            }
            i += 1;
        }
        let end = i.min(chars.len());
        let key: String = chars[start + 1..end].iter().collect();
        out.extend(&chars[start..(end + 1).min(chars.len())]);
        i = end + 1;
        let mut j = i;
        while j < chars.len() && chars[j].is_whitespace() {
            j += 1;
        }
        if j < chars.len() && chars[j] == ':' && is_personal_field(&key) {
            out.extend(&chars[i..=j]);
            j += 1;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            j = skip_json_value(&chars, j);
            out.push('"');
            out.push_str(REDACTED);
            out.push('"');
            i = j;
        }
    }
    out
}

/// The index just past the JSON value starting at `i` (to the end of the
/// text when it is cut short).
fn skip_json_value(chars: &[char], mut i: usize) -> usize {
    match chars.get(i) {
        Some('"') => {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            (i + 1).min(chars.len())
        }
        Some('{' | '[') => {
            let mut depth = 0usize;
            let mut in_string = false;
            while i < chars.len() {
                let c = chars[i];
                if in_string {
                    if c == '\\' {
                        i += 1;
                    } else if c == '"' {
                        in_string = false;
                    }
                } else {
                    match c {
                        '"' => in_string = true,
                        '{' | '[' => depth += 1,
                        '}' | ']' => {
                            depth -= 1;
                            if depth == 0 {
                                return i + 1;
                            }
                        }
                        _ => {}
                    }
                }
                i += 1;
            }
            chars.len()
        }
        _ => {
            while i < chars.len() && !matches!(chars[i], ',' | '}' | ']') {
                i += 1;
            }
            i
        }
    }
}

/// Replaces the text of personal elements (`<ConsigneeMobile>…</…>`).
fn redact_xml(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        rest = &rest[open..];
        let Some(close) = rest.find('>') else {
            out.push_str(rest);
            return out;
        };
        let tag = &rest[..=close];
        out.push_str(tag);
        rest = &rest[close + 1..];
        let name = tag[1..tag.len() - 1]
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("");
        let opening = !tag.starts_with("</") && !tag.ends_with("/>") && !tag.starts_with("<?");
        let local = name.rsplit(':').next().unwrap_or(name);
        if opening && is_personal_field(local) {
            let text_end = rest.find('<').unwrap_or(rest.len());
            if text_end > 0 && !rest[..text_end].trim().is_empty() {
                out.push_str(REDACTED);
            }
            rest = &rest[text_end..];
        }
    }
    out.push_str(rest);
    out
}

/// A request's path and query for the request log: the customer's NDR page
/// token (a credential) and query values of personal parameters are masked.
pub fn uri(path_and_query: &str) -> String {
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_and_query, None),
    };
    // Written into one string: this runs for every request logged.
    let mut out = String::with_capacity(path_and_query.len() + 16);
    match path.strip_prefix("/ndr/") {
        Some(token) if !token.is_empty() => {
            out.push_str("/ndr/");
            out.push_str(REDACTED);
        }
        _ => out.push_str(&masked(path)),
    }
    if let Some(query) = query {
        out.push('?');
        for (i, pair) in query.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            match pair.split_once('=') {
                Some((k, _)) if is_personal_field(k) => {
                    out.push_str(k);
                    out.push('=');
                    out.push_str(REDACTED);
                }
                Some((k, v)) => {
                    out.push_str(k);
                    out.push('=');
                    out.push_str(&masked(v));
                }
                None => out.push_str(&masked(pair)),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_known_impersonal_names_are_what_the_patterns_say() {
        for name in KNOWN_IMPERSONAL {
            assert!(!named_like_personal_data(name), "{name}");
        }
        assert!(is_personal_field("consignee_phone"));
        assert!(!is_personal_field("destination"));
    }

    #[test]
    fn text_without_phones_or_emails_is_kept_as_it_is() {
        for line in [
            "/v1/edd?origin=110001&destination=560001",
            "AWB 1234567 at hub",
            "",
        ] {
            assert_eq!(text(line), line);
        }
        assert_eq!(text("call 98123 45678"), "call [phone]");
    }

    #[test]
    fn phones_and_emails_in_text_are_masked() {
        let line = "invalid phone +91 98123 45678 or 9812345678 for asha@example.com (order 12345)";
        let redacted = text(line);
        assert!(!redacted.contains("98123"), "{redacted}");
        assert!(!redacted.contains("9812345678"), "{redacted}");
        assert!(!redacted.contains("asha@"), "{redacted}");
        assert!(redacted.contains("order 12345"), "{redacted}");
        assert!(redacted.contains("invalid phone [phone]"), "{redacted}");
    }

    #[test]
    fn personal_json_fields_are_replaced_even_in_a_cut_excerpt() {
        let push = r#"{"Shipment": {"AWB": "1234", "Status": {"Status": "Manifested", "StatusLocation": "Okhla"},
            "Consignee": {"Name": "Asha Rao", "Address1": "12 MG Road"}, "consignee_phone": 9812345678,
            "ReceiverName": "Ravi", "customer_addr": "Flat 9, Rose Lane"}}"#;
        let redacted = document(push);
        for secret in ["Asha", "MG Road", "9812345678", "Ravi", "Rose Lane"] {
            assert!(!redacted.contains(secret), "{secret} in {redacted}");
        }
        assert!(
            redacted.contains("Manifested") && redacted.contains("Okhla"),
            "{redacted}"
        );
        let cut = &push[..120];
        assert!(!document(cut).contains("Asha"), "{}", document(cut));
    }

    #[test]
    fn personal_xml_elements_are_replaced() {
        let xml = "<Scans><AWB>SG1</AWB><ConsigneeName>Asha Rao</ConsigneeName><a:ConsigneeMobile>9812345678</a:ConsigneeMobile><ScannedLocation>Okhla</ScannedLocation></Scans>";
        let redacted = document(xml);
        assert!(
            !redacted.contains("Asha") && !redacted.contains("98123"),
            "{redacted}"
        );
        assert!(redacted.contains("Okhla"), "{redacted}");
    }

    #[test]
    fn uris_lose_tokens_and_personal_query_values() {
        assert_eq!(uri("/ndr/abc.def"), "/ndr/[redacted]");
        assert_eq!(
            uri("/v1/edd?origin=110020&phone=9812345678"),
            "/v1/edd?origin=110020&phone=[redacted]"
        );
        assert_eq!(uri("/v1/shipments/shp_1"), "/v1/shipments/shp_1");
    }
}
