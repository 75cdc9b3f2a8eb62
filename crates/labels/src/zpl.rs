//! The label as ZPL II for 203 dpi thermal printers (4×6 in = 812×1218 dots).
//!
//! The printer draws the barcodes itself (`^BC` Code128, `^BQ` QR) from the
//! data, so nothing here depends on fonts or rasterising. Text uses the
//! printer's scalable font 0 with UTF-8 (`^CI28`); a printer without a
//! Devanagari font loaded prints boxes for Devanagari, which is why the PDF
//! label, with its embedded fonts, is the default.

use std::fmt::Write;

use shipgate_domain::{Address, Shipment};

use crate::payload::{LabelPayload, cod_amount, decimal};
use crate::pdf::{awb_barcode_modules, code128_module_dots, decimal_kg};

const WIDTH_DOTS: u32 = 812;
const LEFT: u32 = 30;
const TEXT_WIDTH: u32 = WIDTH_DOTS - 2 * LEFT;

/// Escapes text for a ZPL `^FD` field written after `^FH`: `^` and `~`
/// start commands, `_` is `^FH`'s escape character and `\` makes line breaks
/// inside `^FB` blocks, so all four become hex escapes, as does anything
/// outside printable ASCII (as its UTF-8 bytes, which `^CI28` reads back).
/// Control characters become spaces.
pub fn zpl_field(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '^' | '~' | '_' | '\\' => {
                let _ = write!(out, "_{:02X}", c as u32);
            }
            c if c.is_control() => out.push(' '),
            c if c.is_ascii() => out.push(c),
            c => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    let _ = write!(out, "_{b:02X}");
                }
            }
        }
    }
    out
}

/// Money for the printer's font, which has no ₹ sign.
fn zpl_money(minor_units: i64, currency: &str) -> String {
    let symbol = if currency == "INR" { "Rs." } else { currency };
    format!("{symbol} {}", decimal(minor_units))
}

/// Dots per QR module for `^BQ`: the largest (up to 6) at which the symbol
/// for `payload` at level Q fits 220 dots; 2 if it is larger still.
fn qr_magnification(payload: &str) -> usize {
    fast_qr::QRBuilder::new(payload.as_bytes())
        .ecl(fast_qr::ECL::Q)
        .build()
        .map_or(2, |code| (220 / code.size.max(1)).clamp(2, 6))
}

struct Zpl(String);

impl Zpl {
    /// One line of text; cut at the right edge by a one-line field block.
    fn text(&mut self, x: u32, y: u32, size: u32, text: &str) {
        self.block(x, y, size, TEXT_WIDTH - (x - LEFT), 1, text);
    }

    /// Wrapped text in a field block of `lines` lines.
    fn block(&mut self, x: u32, y: u32, size: u32, width: u32, lines: u32, text: &str) {
        let _ = writeln!(
            self.0,
            "^FO{x},{y}^A0N,{size},{size}^FB{width},{lines},2,L^FH^FD{}^FS",
            zpl_field(text)
        );
    }

    fn rule(&mut self, y: u32) {
        let _ = writeln!(self.0, "^FO{LEFT},{y}^GB{TEXT_WIDTH},3,3^FS");
    }
}

fn street(a: &Address) -> String {
    [
        a.company.as_deref(),
        Some(a.line1.as_str()),
        a.line2.as_deref(),
        a.landmark.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ")
}

/// Renders the 4×6 in label as ZPL II: the AWB as Code128 (`^BC`), the
/// payload as a QR code (`^BQ`), the routing code large and reversed.
pub fn render_zpl(shipment: &Shipment) -> String {
    let mut z = Zpl(String::from("^XA^CI28^PW812^LL1218\n"));
    z.text(LEFT, 30, 50, &shipment.carrier.to_uppercase());
    z.block(LEFT, 90, 26, 480, 1, &format!("AWB {}", shipment.awb));
    if let Some(code) = shipment
        .routing_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        // A black box with the code printed in reverse (^FR) over it.
        let _ = writeln!(
            z.0,
            "^FO520,25^GB262,100,100^FS\n^FO520,45^A0N,70,70^FR^FB262,1,0,C^FH^FD{}^FS",
            zpl_field(code)
        );
    }
    z.rule(140);

    // The module width the PDF would use; the printer lays out the bars.
    let module = awb_barcode_modules(&shipment.awb)
        .ok()
        .and_then(|m| code128_module_dots(m.len(), TEXT_WIDTH as f32 * 72.0 / 203.0))
        .unwrap_or(2);
    let _ = writeln!(
        z.0,
        "^FO60,160^BY{module}^BCN,160,Y,N,N^FD{}^FS",
        zpl_field(&shipment.awb)
    );
    z.rule(375);

    let payment = match cod_amount(shipment) {
        Some(m) => format!("COD {}", zpl_money(m.minor_units, m.currency.as_str())),
        None => "PREPAID".to_string(),
    };
    z.block(LEFT, 395, 60, 500, 1, &payment);
    z.block(
        LEFT,
        470,
        28,
        500,
        1,
        &format!("Order: {}", shipment.order_reference),
    );
    z.block(
        LEFT,
        510,
        28,
        500,
        1,
        &format!(
            "Weight: {} kg  Pieces: {}",
            decimal_kg(shipment.total_weight_grams()),
            shipment.parcels.len()
        ),
    );
    z.block(
        LEFT,
        550,
        28,
        500,
        1,
        &format!(
            "Value: {}",
            zpl_money(
                shipment.declared_value.minor_units,
                shipment.declared_value.currency.as_str()
            )
        ),
    );
    // Model 2; "QA," = error correction Q, automatic mode. The module size
    // is chosen so the symbol stays within the 220 dots right of the text.
    let payload = LabelPayload::from_shipment(shipment).encode();
    let _ = writeln!(
        z.0,
        "^FO560,385^BQN,2,{}^FH^FDQA,{}^FS",
        qr_magnification(&payload),
        zpl_field(&payload)
    );
    z.rule(610);

    let c = &shipment.consignee;
    z.text(LEFT, 625, 26, "DELIVER TO");
    z.block(LEFT, 660, 40, TEXT_WIDTH, 2, &c.name);
    z.block(LEFT, 750, 30, TEXT_WIDTH, 4, &street(c));
    z.text(LEFT, 890, 30, &format!("{}, {}", c.city, c.state));
    z.text(
        LEFT,
        930,
        44,
        &format!("PIN {}  {}", c.postal_code, c.country.as_str()),
    );
    z.text(LEFT, 985, 30, &format!("Ph: {}", c.phone));
    z.rule(1030);

    let r = shipment.return_address.as_ref().unwrap_or(&shipment.pickup);
    z.text(LEFT, 1045, 22, "IF UNDELIVERED, RETURN TO");
    z.block(
        LEFT,
        1075,
        22,
        TEXT_WIDTH,
        5,
        &format!(
            "{}, {}, {}, {} {}, Ph: {}",
            r.name,
            street(r),
            r.city,
            r.state,
            r.postal_code,
            r.phone
        ),
    );
    z.0.push_str("^XZ\n");
    z.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zpl_fields_cannot_inject_commands() {
        assert_eq!(zpl_field("A^XZ~B_"), "A_5EXZ_7EB_5F");
        assert_eq!(zpl_field("a\\&b"), "a_5C&b");
        assert_eq!(zpl_field("₹"), "_E2_82_B9");
        assert_eq!(zpl_field("x\ny"), "x y");
    }

    #[test]
    fn money_for_the_printer_font() {
        assert_eq!(zpl_money(149_905, "INR"), "Rs. 1499.05");
        assert_eq!(zpl_money(100, "BRL"), "BRL 1.00");
    }
}
