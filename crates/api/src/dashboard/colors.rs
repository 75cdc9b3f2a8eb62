//! The tenant's colour made safe to read: WCAG 2 contrast (relative
//! luminance), and an "ink" shade of the accent dark enough for white text
//! on it and for links on white (at least 4.5:1).

/// The accent when the tenant set none.
pub const DEFAULT_ACCENT: &str = "#22aa77";
/// Contrast normal text needs (WCAG 2 AA).
pub const MIN_CONTRAST: f64 = 4.5;

/// `#RRGGBB` to its channels.
pub fn parse(hex: &str) -> Option<[u8; 3]> {
    let h = hex.strip_prefix('#')?;
    if h.len() != 6 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).ok();
    Some([channel(0)?, channel(2)?, channel(4)?])
}

fn hex([r, g, b]: [u8; 3]) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// WCAG 2 relative luminance.
pub fn luminance(rgb: [u8; 3]) -> f64 {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2])
}

/// WCAG 2 contrast ratio of two colours (1 to 21).
pub fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// The accent darkened (keeping its hue) until white text on it, and it as
/// text on white, reach [`MIN_CONTRAST`].
pub fn ink(accent: [u8; 3]) -> [u8; 3] {
    let mut c = accent;
    while contrast(c, [255, 255, 255]) < MIN_CONTRAST {
        c = c.map(|v| (f64::from(v) * 0.92).floor() as u8);
    }
    c
}

/// The `:root` CSS variables for a page in the tenant's colour (`#RRGGBB`,
/// checked when it was set; anything else falls back to the default).
pub fn variables(accent: Option<&str>) -> String {
    let rgb = accent
        .and_then(parse)
        .unwrap_or_else(|| parse(DEFAULT_ACCENT).expect("valid default"));
    format!(":root{{--accent:{};--ink:{}}}", hex(rgb), hex(ink(rgb)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_follows_wcag() {
        assert!((contrast([0, 0, 0], [255, 255, 255]) - 21.0).abs() < 1e-9);
        assert!((contrast([255, 255, 255], [255, 255, 255]) - 1.0).abs() < 1e-9);
        // #767676 on white is the classic 4.54:1.
        let grey = parse("#767676").unwrap();
        assert!((contrast(grey, [255, 255, 255]) - 4.54).abs() < 0.01);
    }

    #[test]
    fn ink_is_readable_for_any_accent() {
        for accent in [
            "#22aa77", "#ffff00", "#ffffff", "#000000", "#1a56db", "#ff7f50",
        ] {
            let rgb = parse(accent).unwrap();
            let ink = ink(rgb);
            assert!(contrast(ink, [255, 255, 255]) >= MIN_CONTRAST, "{accent}");
        }
        // A dark accent is used as it is.
        assert_eq!(ink([0x11, 0x22, 0x33]), [0x11, 0x22, 0x33]);
        assert_eq!(
            variables(Some("#000000")),
            ":root{--accent:#000000;--ink:#000000}"
        );
        assert!(variables(Some("not a colour")).starts_with(":root{--accent:#22aa77;"));
    }
}
