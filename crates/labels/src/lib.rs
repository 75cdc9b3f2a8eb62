//! Shipping labels.
//!
//! A 4×6 in (288×432 pt) thermal label as PDF: carrier and AWB, the AWB as a
//! Code128 barcode drawn as vector bars (so it stays crisp at any printer
//! resolution), consignee, return address, payment (COD amount or prepaid),
//! order reference and weight.
//!
//! Text uses the PDF base-14 Helvetica fonts with WinAnsi encoding; characters
//! outside it (Devanagari, ₹) are shown as `?` until labels embed their own
//! fonts.

use barcoders::sym::code128::Code128;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use shipgate_domain::{Address, PaymentMode, Shipment};

#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    #[error("the AWB `{0}` cannot be encoded as Code128")]
    Barcode(String),
}

const WIDTH: f32 = 288.0;
const HEIGHT: f32 = 432.0;
const MARGIN: f32 = 12.0;
/// Narrowest bar: 3 dots at 203 dpi (≈1.06 pt), wide enough for any thermal printer.
const MODULE_PT: f32 = 3.0 * 72.0 / 203.0;

/// The Code128 modules (1 = bar, 0 = space) for an AWB, in character set B
/// (AWBs mix letters and digits).
pub fn awb_barcode_modules(awb: &str) -> Result<Vec<u8>, LabelError> {
    Code128::new(format!("Ɓ{awb}"))
        .map(|c| c.encode())
        .map_err(|_| LabelError::Barcode(awb.to_string()))
}

/// Maps text to WinAnsi bytes, replacing what the encoding cannot show.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

fn money(minor_units: i64, currency: &str) -> String {
    let symbol = if currency == "INR" { "Rs." } else { currency };
    format!("{symbol} {}.{:02}", minor_units / 100, minor_units % 100)
}

struct Writer {
    content: Content,
    y: f32,
}

impl Writer {
    fn text(&mut self, font: &[u8], size: f32, x: f32, text: &str) {
        self.y -= size + 2.0;
        self.content
            .begin_text()
            .set_font(Name(font), size)
            .next_line(x, self.y)
            .show(Str(&win_ansi(text)))
            .end_text();
    }

    fn rule(&mut self) {
        self.y -= 5.0;
        self.content
            .rect(MARGIN, self.y, WIDTH - 2.0 * MARGIN, 0.8)
            .fill_nonzero();
        self.y -= 3.0;
    }

    fn address(&mut self, heading: &str, a: &Address, size: f32) {
        self.text(b"F2", 8.0, MARGIN, heading);
        self.text(b"F2", size + 1.0, MARGIN, &a.name);
        let mut lines = vec![a.line1.clone()];
        lines.extend(a.line2.clone());
        lines.extend(a.landmark.as_ref().map(|l| format!("Near {l}")));
        lines.push(format!(
            "{}, {} {} {}",
            a.city, a.state, a.postal_code, a.country
        ));
        lines.push(format!("Ph: {}", a.phone));
        for line in lines {
            self.text(b"F1", size, MARGIN, &line);
        }
    }

    fn barcode(&mut self, modules: &[u8], height: f32) {
        let width = modules.len() as f32 * MODULE_PT;
        let x0 = (WIDTH - width) / 2.0;
        self.y -= height + 4.0;
        for (i, m) in modules.iter().enumerate() {
            if *m == 1 {
                self.content
                    .rect(x0 + i as f32 * MODULE_PT, self.y, MODULE_PT, height);
            }
        }
        self.content.fill_nonzero();
    }
}

/// Renders the 4×6 in label for a shipment as a one-page PDF.
pub fn render_pdf(shipment: &Shipment) -> Result<Vec<u8>, LabelError> {
    let modules = awb_barcode_modules(&shipment.awb)?;
    let mut w = Writer {
        content: Content::new(),
        y: HEIGHT - MARGIN,
    };

    w.text(b"F2", 16.0, MARGIN, &shipment.carrier.to_uppercase());
    w.text(b"F1", 9.0, MARGIN, &format!("AWB {}", shipment.awb));
    w.barcode(&modules, 60.0);
    w.text(
        b"F2",
        12.0,
        (WIDTH - 8.0 * shipment.awb.len() as f32) / 2.0,
        &shipment.awb,
    );
    w.rule();
    match (shipment.payment_mode, &shipment.cod_amount) {
        (PaymentMode::Cod, Some(amount)) => {
            w.text(
                b"F2",
                18.0,
                MARGIN,
                &format!(
                    "COD  {}",
                    money(amount.minor_units, amount.currency.as_str())
                ),
            );
        }
        _ => w.text(b"F2", 18.0, MARGIN, "PREPAID"),
    }
    w.rule();
    w.address("DELIVER TO", &shipment.consignee, 10.0);
    w.rule();
    let weight_kg = shipment.total_weight_grams() as f64 / 1000.0;
    w.text(
        b"F1",
        9.0,
        MARGIN,
        &format!("Order: {}", shipment.order_reference),
    );
    w.text(
        b"F1",
        9.0,
        MARGIN,
        &format!(
            "Weight: {weight_kg:.3} kg   Pieces: {}",
            shipment.parcels.len()
        ),
    );
    w.text(
        b"F1",
        9.0,
        MARGIN,
        &format!(
            "Value: {}",
            money(
                shipment.declared_value.minor_units,
                shipment.declared_value.currency.as_str()
            )
        ),
    );
    w.rule();
    let return_to = shipment.return_address.as_ref().unwrap_or(&shipment.pickup);
    w.address("IF UNDELIVERED, RETURN TO", return_to, 7.5);

    let (catalog, pages, page, contents, regular, bold) = (
        Ref::new(1),
        Ref::new(2),
        Ref::new(3),
        Ref::new(4),
        Ref::new(5),
        Ref::new(6),
    );
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(pages);
    pdf.pages(pages).kids([page]).count(1);
    let mut p = pdf.page(page);
    p.parent(pages)
        .media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT))
        .contents(contents);
    p.resources()
        .fonts()
        .pair(Name(b"F1"), regular)
        .pair(Name(b"F2"), bold);
    p.finish();
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.stream(contents, &w.content.finish());
    Ok(pdf.finish())
}

/// Escapes text for a ZPL `^FD` field: `^` and `~` start commands, so they
/// are written as hex escapes (enabled by `^FH`).
fn zpl_field(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '^' => out.push_str("_5E"),
            '~' => out.push_str("_7E"),
            '_' => out.push_str("_5F"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("_{b:02X}"));
                }
            }
        }
    }
    out
}

/// Renders the 4×6 in label as ZPL II for a 203 dpi thermal printer
/// (812×1218 dots), with the AWB as a Code128 barcode (`^BC`).
pub fn render_zpl(shipment: &Shipment) -> String {
    let mut z = String::from("^XA^CI28^PW812^LL1218\n");
    let mut y = 30;
    let line = |z: &mut String, size: u32, text: &str, y: &mut u32| {
        z.push_str(&format!(
            "^FO30,{y}^A0N,{size},{size}^FH^FD{}^FS\n",
            zpl_field(text)
        ));
        *y += size + 8;
    };
    line(&mut z, 50, &shipment.carrier.to_uppercase(), &mut y);
    z.push_str(&format!(
        "^FO60,{y}^BY3^BCN,160,Y,N,N^FD{}^FS\n",
        zpl_field(&shipment.awb)
    ));
    y += 220;
    let payment = match (shipment.payment_mode, &shipment.cod_amount) {
        (PaymentMode::Cod, Some(a)) => format!("COD {}", money(a.minor_units, a.currency.as_str())),
        _ => "PREPAID".to_string(),
    };
    line(&mut z, 56, &payment, &mut y);
    let c = &shipment.consignee;
    line(&mut z, 28, "DELIVER TO", &mut y);
    line(&mut z, 36, &c.name, &mut y);
    for text in [
        Some(c.line1.clone()),
        c.line2.clone(),
        c.landmark.as_ref().map(|l| format!("Near {l}")),
    ]
    .into_iter()
    .flatten()
    {
        line(&mut z, 30, &text, &mut y);
    }
    line(
        &mut z,
        30,
        &format!("{}, {} {}", c.city, c.state, c.postal_code),
        &mut y,
    );
    line(&mut z, 30, &format!("Ph: {}", c.phone), &mut y);
    line(
        &mut z,
        28,
        &format!("Order: {}", shipment.order_reference),
        &mut y,
    );
    let kg = shipment.total_weight_grams() as f64 / 1000.0;
    line(
        &mut z,
        28,
        &format!("Weight: {kg:.3} kg  Pieces: {}", shipment.parcels.len()),
        &mut y,
    );
    let r = shipment.return_address.as_ref().unwrap_or(&shipment.pickup);
    line(&mut z, 24, "IF UNDELIVERED, RETURN TO", &mut y);
    line(
        &mut z,
        24,
        &format!("{}, {}, {} {}", r.name, r.line1, r.city, r.postal_code),
        &mut y,
    );
    z.push_str("^XZ\n");
    z
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn barcode_has_code128_structure() {
        let modules = awb_barcode_modules("SG0001000000425").unwrap();
        // Start B + 15 data + check symbol = 17 symbols of 11 modules, then a 13-module stop.
        assert_eq!(modules.len(), 17 * 11 + 13);
        // Start B is 11010010000; the stop pattern ends 1100011101011.
        assert_eq!(&modules[..11], &[1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0]);
        assert_eq!(
            &modules[modules.len() - 13..],
            &[1, 1, 0, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1]
        );
    }

    #[test]
    fn win_ansi_replaces_unencodable_text() {
        assert_eq!(win_ansi("Café ₹ नमस्ते"), b"Caf\xe9 ? ??????".to_vec());
    }

    #[test]
    fn zpl_fields_cannot_inject_commands() {
        assert_eq!(zpl_field("A^XZ~B_"), "A_5EXZ_7EB_5F");
        assert_eq!(zpl_field("₹"), "_E2_82_B9");
    }

    #[test]
    fn money_formats_minor_units() {
        assert_eq!(money(149_905, "INR"), "Rs. 1499.05");
        assert_eq!(money(100, "BRL"), "BRL 1.00");
    }
}
