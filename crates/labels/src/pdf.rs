//! The label as PDF: 4×6 in pages, or four labels on an A4 page.
//!
//! Coordinates are krilla's: points, origin top left, y down. Barcodes are
//! vector rectangles whose edges fall on the 203 dpi dot grid of a thermal
//! printer, so each module prints as a whole number of dots instead of being
//! rounded differently from bar to bar.

use krilla::color::luma;
use krilla::geom::{PathBuilder, Rect, Transform};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, LineCap, Stroke};
use krilla::surface::Surface;
use krilla::{Document, SerializeSettings};
use shipgate_domain::{Address, Shipment};

use crate::LabelError;
use crate::fonts::{Fonts, fonts};
use crate::payload::{LabelPayload, cod_amount, decimal};
use crate::text::{self, Weight};

pub(crate) const LABEL_WIDTH: f32 = 288.0;
pub(crate) const LABEL_HEIGHT: f32 = 432.0;
/// One dot of a 203 dpi thermal printer, in points.
pub(crate) const DOT: f32 = 72.0 / 203.0;
const MARGIN: f32 = 10.0;
const CONTENT_WIDTH: f32 = LABEL_WIDTH - 2.0 * MARGIN;

/// Code128 wants 10 modules of white on each side to find the ends.
pub(crate) const CODE128_QUIET_MODULES: usize = 10;
/// Narrowest bars tried first: 3 dots (0.375 mm) scans from a worn head;
/// 2 dots (0.25 mm) is the least a 203 dpi printer reliably resolves.
const CODE128_MODULE_DOTS: [u32; 2] = [3, 2];
const QR_QUIET_MODULES: usize = 4;
const QR_MODULE_DOTS: std::ops::RangeInclusive<u32> = 2..=6;
/// The square the QR code (with its quiet zone) must fit in.
const QR_BOX: f32 = 92.0;

pub(crate) const A4_WIDTH: f32 = 595.276;
pub(crate) const A4_HEIGHT: f32 = 841.89;
pub(crate) const LABELS_PER_A4: usize = 4;
/// White space kept around each label in its A4 quarter.
const A4_GUTTER: f32 = 6.0;

fn to_dots(points: f32) -> f32 {
    points / DOT
}

fn snap(points: f32) -> f32 {
    to_dots(points).floor() * DOT
}

/// The Code128 modules (1 = bar, 0 = space) for an AWB. All-digit AWBs of
/// even length use character set C (two digits a symbol, half the width);
/// others set B, which covers printable ASCII.
pub fn awb_barcode_modules(awb: &str) -> Result<Vec<u8>, LabelError> {
    if awb.is_empty() || !awb.bytes().all(|b| (0x20..=0x7E).contains(&b)) {
        return Err(LabelError::Barcode(awb.to_string()));
    }
    let data = if awb.len().is_multiple_of(2) && awb.bytes().all(|b| b.is_ascii_digit()) {
        format!("Ć{awb}")
    } else {
        format!("Ɓ{awb}")
    };
    barcoders::sym::code128::Code128::new(data)
        .map(|c| c.encode())
        .map_err(|_| LabelError::Barcode(awb.to_string()))
}

/// The widest module (in dots) at which `modules` plus quiet zones fit in
/// `available` points, if any of the sizes that scan does.
pub(crate) fn code128_module_dots(modules: usize, available: f32) -> Option<u32> {
    let total = modules + 2 * CODE128_QUIET_MODULES;
    CODE128_MODULE_DOTS
        .into_iter()
        .find(|&d| (total as f32) * d as f32 <= to_dots(available).floor())
}

/// The QR code's modules, row by row (`true` = dark), and its width.
pub(crate) fn qr_modules(payload: &str) -> Result<(usize, Vec<bool>), LabelError> {
    // Level M (15 % recovery) survives a scuffed label at a size that keeps
    // the modules large.
    let code = fast_qr::QRBuilder::new(payload.as_bytes())
        .ecl(fast_qr::ECL::M)
        .build()
        .map_err(|_| LabelError::QrTooLarge(payload.len()))?;
    let dark = code.data[..code.size * code.size]
        .iter()
        .map(|m| m.value())
        .collect();
    Ok((code.size, dark))
}

/// The largest module (in dots) at which a `width`-module QR code with its
/// quiet zone fits a `box_side`-point square.
pub(crate) fn qr_module_dots(width: usize, box_side: f32) -> Option<u32> {
    let total = (width + 2 * QR_QUIET_MODULES) as f32;
    QR_MODULE_DOTS
        .rev()
        .find(|&d| total * d as f32 <= to_dots(box_side).floor())
}

/// Calls `run(start, end)` for each run of dark modules in `row`: adjacent
/// modules merge, so a bar is a single shape and no hairline can appear
/// between its modules.
fn for_each_run(row: impl Iterator<Item = bool>, mut run: impl FnMut(usize, usize)) {
    let mut run_start = None;
    let mut n = 0;
    for (i, dark) in row.enumerate() {
        match (dark, run_start) {
            (true, None) => run_start = Some(i),
            (false, Some(start)) => {
                run(start, i);
                run_start = None;
            }
            _ => {}
        }
        n = i + 1;
    }
    if let Some(start) = run_start {
        run(start, n);
    }
}

/// Draws a 1-D barcode: `modules` (1 = bar) of `module` points each,
/// `height` points tall, as one filled path in module units (integer
/// coordinates keep the content stream small).
pub(crate) fn draw_bars(s: &mut Surface, modules: &[u8], x: f32, y: f32, module: f32, height: f32) {
    let mut pb = PathBuilder::new();
    for_each_run(modules.iter().map(|&m| m == 1), |start, end| {
        if let Some(r) = Rect::from_xywh(start as f32, 0.0, (end - start) as f32, 1.0) {
            pb.push_rect(r);
        }
    });
    if let Some(path) = pb.finish() {
        s.push_transform(&Transform::from_row(module, 0.0, 0.0, height, x, y));
        s.draw_path(&path);
        s.pop();
    }
}

/// Draws a QR code's dark modules (row by row, `width` a row) as one path:
/// each run of dark modules in a row is a line one module thick, stroked
/// with butt caps, which covers exactly the run's modules. A run written as
/// `x y m x2 y l` is less than half the bytes of the same run as a filled
/// rectangle (`m l l l h`), and the QR code is most of a label's content
/// stream, which every label deflates.
fn draw_matrix(s: &mut Surface, width: usize, dark: &[bool], x: f32, y: f32, module: f32) {
    let mut pb = PathBuilder::new();
    for (row, cells) in dark.chunks(width.max(1)).enumerate() {
        for_each_run(cells.iter().copied(), |start, end| {
            pb.move_to(start as f32, row as f32);
            pb.line_to(end as f32, row as f32);
        });
    }
    let Some(path) = pb.finish() else {
        return;
    };
    let fill = s.get_fill().cloned();
    s.set_fill(None);
    s.set_stroke(Some(Stroke {
        width: 1.0,
        line_cap: LineCap::Butt,
        ..Stroke::default()
    }));
    // Row `r`'s line runs along its middle: half a module down.
    s.push_transform(&Transform::from_row(
        module,
        0.0,
        0.0,
        module,
        x,
        y + module / 2.0,
    ));
    s.draw_path(&path);
    s.pop();
    s.set_stroke(None);
    s.set_fill(fill);
}

pub(crate) fn fill_rect(s: &mut Surface, x: f32, y: f32, w: f32, h: f32) {
    let mut pb = PathBuilder::new();
    if let Some(r) = Rect::from_xywh(x, y, w, h) {
        pb.push_rect(r);
    }
    if let Some(path) = pb.finish() {
        s.draw_path(&path);
    }
}

fn set_gray(s: &mut Surface, lightness: u8) {
    s.set_fill(Some(Fill {
        paint: luma::Color::new(lightness).into(),
        ..Fill::default()
    }));
}

#[derive(Clone, Copy)]
pub(crate) enum Align {
    Left,
    Center,
}

/// Draws one line of text in `width` from `x`, cut with an ellipsis if it
/// does not fit.
#[allow(clippy::too_many_arguments)]
pub(crate) fn line(
    s: &mut Surface,
    f: &Fonts,
    text: &str,
    weight: Weight,
    size: f32,
    x: f32,
    baseline: f32,
    width: f32,
    align: Align,
) {
    let laid = text::layout(text, weight, size, width, 1, f);
    let Some(range) = laid.lines.first().cloned() else {
        return;
    };
    let ell_width = laid
        .ellipsis
        .as_ref()
        .map_or(0.0, |e| e.width(0..e.glyphs.len()));
    let w = (laid.shaped.width(range.clone()) + ell_width) * size;
    let x = match align {
        Align::Left => x,
        Align::Center => x + (width - w) / 2.0,
    };
    let end = text::draw(s, f, &laid.shaped, range, x, baseline, size);
    if let Some(e) = &laid.ellipsis {
        text::draw(s, f, e, 0..e.glyphs.len(), end, baseline, size);
    }
}

/// The largest size from `preferred` down to `min` at which `text` fits
/// `width` on one line.
fn fit_size(f: &Fonts, text: &str, weight: Weight, preferred: f32, min: f32, width: f32) -> f32 {
    let shaped = text::shape(text, weight, f);
    let em = shaped.width(0..shaped.glyphs.len());
    if em <= 0.0 {
        return preferred;
    }
    (width / em).clamp(min, preferred)
}

/// Draws a wrapped paragraph from `top` (the top of its first line) and
/// returns the y below its last line.
#[allow(clippy::too_many_arguments)]
fn paragraph(
    s: &mut Surface,
    f: &Fonts,
    text: &str,
    weight: Weight,
    size: f32,
    top: f32,
    max_lines: usize,
    leading: f32,
) -> f32 {
    if max_lines == 0 {
        return top;
    }
    let laid = text::layout(text, weight, size, CONTENT_WIDTH, max_lines, f);
    let mut y = top;
    let count = laid.lines.len();
    for (i, range) in laid.lines.iter().enumerate() {
        let baseline = y + size;
        let end = text::draw(s, f, &laid.shaped, range.clone(), MARGIN, baseline, size);
        if i + 1 == count
            && let Some(e) = &laid.ellipsis
        {
            text::draw(s, f, e, 0..e.glyphs.len(), end, baseline, size);
        }
        y += leading;
    }
    y
}

fn rule(s: &mut Surface, y: f32) {
    fill_rect(s, MARGIN, y, CONTENT_WIDTH, 0.8);
}

/// "₹1499.00" for rupees (the embedded font has the sign), "USD 12.00" else.
pub(crate) fn money(minor_units: i64, currency: &str) -> String {
    if currency == "INR" {
        format!("₹{}", decimal(minor_units))
    } else {
        format!("{currency} {}", decimal(minor_units))
    }
}

fn joined<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    parts
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The street part of an address: lines and landmark, one paragraph.
fn street(a: &Address) -> String {
    let landmark = a.landmark.as_ref().map(|l| format!("Near {l}"));
    joined([
        a.company.as_deref(),
        Some(a.line1.as_str()),
        a.line2.as_deref(),
        landmark.as_deref(),
    ])
}

/// Everything a label shows, computed before drawing so a bad AWB or an
/// oversized payload fails before any page is started.
pub(crate) struct Prepared<'a> {
    shipment: &'a Shipment,
    bars: Vec<u8>,
    bar_module: f32,
    qr_width: usize,
    qr_dark: Vec<bool>,
    qr_module: f32,
}

pub(crate) fn prepare(shipment: &Shipment) -> Result<Prepared<'_>, LabelError> {
    let bars = awb_barcode_modules(&shipment.awb)?;
    let bar_dots = code128_module_dots(bars.len(), CONTENT_WIDTH)
        .ok_or_else(|| LabelError::BarcodeTooWide(shipment.awb.clone()))?;
    let payload = LabelPayload::from_shipment(shipment).encode();
    let (qr_width, qr_dark) = qr_modules(&payload)?;
    let qr_dots = qr_module_dots(qr_width, QR_BOX).ok_or(LabelError::QrTooLarge(payload.len()))?;
    Ok(Prepared {
        shipment,
        bars,
        bar_module: bar_dots as f32 * DOT,
        qr_width,
        qr_dark,
        qr_module: qr_dots as f32 * DOT,
    })
}

/// Draws one 4×6 label with its top-left corner at the surface's origin.
pub(crate) fn draw_label(s: &mut Surface, f: &Fonts, p: &Prepared) {
    let sh = p.shipment;
    s.set_fill(Some(Fill::default()));

    // Header: carrier and AWB on the left, the sort code large on the right
    // (white on black), where a hub sorter's eye goes first.
    let code_box = 112.0;
    line(
        s,
        f,
        &sh.carrier.to_uppercase(),
        Weight::Bold,
        15.0,
        MARGIN,
        27.0,
        CONTENT_WIDTH - code_box - 6.0,
        Align::Left,
    );
    line(
        s,
        f,
        &format!("AWB {}", sh.awb),
        Weight::Regular,
        9.0,
        MARGIN,
        42.0,
        CONTENT_WIDTH - code_box - 6.0,
        Align::Left,
    );
    if let Some(code) = sh
        .routing_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let x = LABEL_WIDTH - MARGIN - code_box;
        fill_rect(s, x, MARGIN, code_box, 40.0);
        let size = fit_size(f, code, Weight::Bold, 30.0, 10.0, code_box - 8.0);
        s.set_fill(Some(Fill {
            paint: luma::Color::white().into(),
            ..Fill::default()
        }));
        line(
            s,
            f,
            code,
            Weight::Bold,
            size,
            x + 4.0,
            MARGIN + 20.0 + size * 0.36,
            code_box - 8.0,
            Align::Center,
        );
        s.set_fill(Some(Fill::default()));
    }
    rule(s, 54.0);

    // The AWB barcode, centred on the dot grid.
    let bar_width = p.bars.len() as f32 * p.bar_module;
    let bar_x = snap((LABEL_WIDTH - bar_width) / 2.0);
    draw_bars(s, &p.bars, bar_x, snap(60.0), p.bar_module, 66.0);
    let awb_size = fit_size(f, &sh.awb, Weight::Bold, 13.0, 7.0, CONTENT_WIDTH);
    line(
        s,
        f,
        &sh.awb,
        Weight::Bold,
        awb_size,
        MARGIN,
        142.0,
        CONTENT_WIDTH,
        Align::Center,
    );
    rule(s, 148.0);

    // Payment, order and weight on the left; the QR code on the right.
    let left = CONTENT_WIDTH - QR_BOX - 6.0;
    match cod_amount(sh) {
        Some(m) => {
            line(
                s,
                f,
                "COD",
                Weight::Bold,
                20.0,
                MARGIN,
                172.0,
                left,
                Align::Left,
            );
            let amount = money(m.minor_units, m.currency.as_str());
            let size = fit_size(f, &amount, Weight::Bold, 20.0, 9.0, left);
            line(
                s,
                f,
                &amount,
                Weight::Bold,
                size,
                MARGIN,
                195.0,
                left,
                Align::Left,
            );
        }
        None => {
            line(
                s,
                f,
                "PREPAID",
                Weight::Bold,
                22.0,
                MARGIN,
                180.0,
                left,
                Align::Left,
            );
            line(
                s,
                f,
                "Do not collect cash",
                Weight::Regular,
                8.0,
                MARGIN,
                194.0,
                left,
                Align::Left,
            );
        }
    }
    let order = format!("Order: {}", sh.order_reference);
    let size = fit_size(f, &order, Weight::Regular, 9.0, 7.0, left);
    line(
        s,
        f,
        &order,
        Weight::Regular,
        size,
        MARGIN,
        212.0,
        left,
        Align::Left,
    );
    let kg = decimal_kg(sh.total_weight_grams());
    line(
        s,
        f,
        &format!("Weight: {kg} kg · Pieces: {}", sh.parcels.len()),
        Weight::Regular,
        9.0,
        MARGIN,
        225.0,
        left,
        Align::Left,
    );
    let value = money(
        sh.declared_value.minor_units,
        sh.declared_value.currency.as_str(),
    );
    line(
        s,
        f,
        &format!("Value: {value}"),
        Weight::Regular,
        9.0,
        MARGIN,
        238.0,
        left,
        Align::Left,
    );
    let qr_side = (p.qr_width + 2 * QR_QUIET_MODULES) as f32 * p.qr_module;
    let qr_x = snap(LABEL_WIDTH - MARGIN - QR_BOX + (QR_BOX - qr_side) / 2.0)
        + QR_QUIET_MODULES as f32 * p.qr_module;
    let qr_y = snap(152.0 + (QR_BOX - qr_side) / 2.0) + QR_QUIET_MODULES as f32 * p.qr_module;
    draw_matrix(s, p.qr_width, &p.qr_dark, qr_x, qr_y, p.qr_module);
    rule(s, 246.0);

    // Consignee. The street gets the lines left once the name, city, PIN and
    // phone are placed, so a long street can only ever shorten the street.
    let c = &sh.consignee;
    line(
        s,
        f,
        "DELIVER TO",
        Weight::Bold,
        8.0,
        MARGIN,
        258.0,
        CONTENT_WIDTH,
        Align::Left,
    );
    let mut y = paragraph(s, f, &c.name, Weight::Bold, 12.0, 261.0, 2, 14.0);
    let (city_h, pin_h, phone_h) = (12.0, 17.0, 12.0);
    let street_bottom = 375.0 - (city_h + pin_h + phone_h);
    let street_lines = ((street_bottom - y) / 11.5).floor().max(0.0) as usize;
    y = paragraph(
        s,
        f,
        &street(c),
        Weight::Regular,
        9.5,
        y,
        street_lines,
        11.5,
    );
    let city = joined([Some(c.city.as_str()), Some(c.state.as_str())]);
    line(
        s,
        f,
        &city,
        Weight::Regular,
        9.5,
        MARGIN,
        y + 9.5,
        CONTENT_WIDTH,
        Align::Left,
    );
    y += city_h;
    let pin = format!("PIN {} · {}", c.postal_code, c.country.as_str());
    line(
        s,
        f,
        &pin,
        Weight::Bold,
        14.0,
        MARGIN,
        y + 14.0,
        CONTENT_WIDTH,
        Align::Left,
    );
    y += pin_h;
    line(
        s,
        f,
        &format!("Ph: {}", c.phone),
        Weight::Regular,
        9.5,
        MARGIN,
        y + 9.5,
        CONTENT_WIDTH,
        Align::Left,
    );
    rule(s, 377.0);

    let r = sh.return_address.as_ref().unwrap_or(&sh.pickup);
    line(
        s,
        f,
        "IF UNDELIVERED, RETURN TO",
        Weight::Bold,
        7.0,
        MARGIN,
        388.0,
        CONTENT_WIDTH,
        Align::Left,
    );
    let pin = format!("{} {}", r.state, r.postal_code);
    let phone = format!("Ph: {}", r.phone);
    let text = joined([
        Some(r.name.as_str()),
        Some(street(r).as_str()),
        Some(r.city.as_str()),
        Some(pin.as_str()),
        Some(phone.as_str()),
    ]);
    paragraph(s, f, &text, Weight::Regular, 7.5, 390.0, 4, 8.8);
}

/// Grams as kilograms with three decimals, without floating point.
pub(crate) fn decimal_kg(grams: u64) -> String {
    format!("{}.{:03}", grams / 1000, grams % 1000)
}

/// How a document is written. Multi-label documents (A4 sheets, manifests)
/// are mostly drawing operators, so those are compressed; see
/// [`label_settings`] for the single 4×6 label.
pub(crate) fn settings() -> SerializeSettings {
    SerializeSettings {
        // Neither is read by label printers; both cost time on every label.
        xmp_metadata: false,
        enable_tagging: false,
        ..SerializeSettings::default()
    }
}

/// How a single 4×6 label is written: as [`settings`], but its drawing
/// operators (and the fonts' ToUnicode maps) are left uncompressed.
/// Deflating them was a quarter of a label's CPU time; plain they add about
/// 9 KB, which the unhinted fonts and the QR code drawn as lines had already
/// saved, so a label stays about 25 KB. The embedded fonts are compressed
/// all the same (krilla always deflates them).
pub(crate) fn label_settings() -> SerializeSettings {
    SerializeSettings {
        compress_content_streams: false,
        ..settings()
    }
}

pub(crate) fn finish(mut doc: Document, title: String) -> Result<Vec<u8>, LabelError> {
    doc.set_metadata(Metadata::new().title(title).creator("Shipgate".to_string()));
    doc.finish().map_err(|e| LabelError::Pdf(e.to_string()))
}

pub(crate) fn page_settings(width: f32, height: f32) -> Result<PageSettings, LabelError> {
    PageSettings::from_wh(width, height).ok_or_else(|| LabelError::Pdf("page size".into()))
}

/// Renders the 4×6 in label for a shipment as a one-page PDF.
pub fn render_pdf(shipment: &Shipment) -> Result<Vec<u8>, LabelError> {
    let f = fonts()?;
    let prepared = prepare(shipment)?;
    let mut doc = Document::new_with(label_settings());
    {
        let mut page = doc.start_page_with(page_settings(LABEL_WIDTH, LABEL_HEIGHT)?);
        let mut s = page.surface();
        draw_label(&mut s, f, &prepared);
        s.finish();
        page.finish();
    }
    // The title names the AWB: viewers show it, and it is searchable in the
    // file even though the page text is compressed glyph codes.
    finish(doc, format!("Shipping label {}", shipment.awb))
}

/// Where label `i` (0..4) of an A4 page goes: its offset and scale. A4 is
/// slightly shorter than two 6 in labels, so labels shrink a little (about
/// 95 %), identically, keeping their proportions.
pub(crate) fn a4_slot(i: usize) -> (f32, f32, f32) {
    let (cell_w, cell_h) = (A4_WIDTH / 2.0, A4_HEIGHT / 2.0);
    let scale = ((cell_w - 2.0 * A4_GUTTER) / LABEL_WIDTH)
        .min((cell_h - 2.0 * A4_GUTTER) / LABEL_HEIGHT)
        .min(1.0);
    let (col, row) = ((i % 2) as f32, ((i / 2) % 2) as f32);
    let x = col * cell_w + (cell_w - LABEL_WIDTH * scale) / 2.0;
    let y = row * cell_h + (cell_h - LABEL_HEIGHT * scale) / 2.0;
    (x, y, scale)
}

/// Renders labels four to an A4 page (two by two, with cut lines), as many
/// pages as needed.
pub fn render_pdf_a4(shipments: &[Shipment]) -> Result<Vec<u8>, LabelError> {
    if shipments.is_empty() {
        return Err(LabelError::NoShipments);
    }
    let f = fonts()?;
    let prepared = shipments
        .iter()
        .map(prepare)
        .collect::<Result<Vec<_>, _>>()?;
    let mut doc = Document::new_with(settings());
    for chunk in prepared.chunks(LABELS_PER_A4) {
        let mut page = doc.start_page_with(page_settings(A4_WIDTH, A4_HEIGHT)?);
        let mut s = page.surface();
        set_gray(&mut s, 170);
        fill_rect(&mut s, A4_WIDTH / 2.0 - 0.15, 0.0, 0.3, A4_HEIGHT);
        fill_rect(&mut s, 0.0, A4_HEIGHT / 2.0 - 0.15, A4_WIDTH, 0.3);
        for (i, p) in chunk.iter().enumerate() {
            let (x, y, scale) = a4_slot(i);
            s.push_transform(&Transform::from_row(scale, 0.0, 0.0, scale, x, y));
            draw_label(&mut s, f, p);
            s.pop();
        }
        s.finish();
        page.finish();
    }
    finish(doc, format!("Shipping labels ({})", shipments.len()))
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
    fn numeric_awbs_use_the_denser_set_c() {
        let modules = awb_barcode_modules("12345678901234").unwrap();
        // Start C + 7 digit pairs + check = 9 symbols, then the stop.
        assert_eq!(modules.len(), 9 * 11 + 13);
        // Start C is 11010011100.
        assert_eq!(&modules[..11], &[1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0]);
        // Odd length stays in set B.
        assert_eq!(awb_barcode_modules("123").unwrap().len(), 5 * 11 + 13);
    }

    #[test]
    fn awbs_code128_cannot_carry_are_errors() {
        for bad in ["", "SG\u{e9}1", "A\tB"] {
            assert!(
                matches!(awb_barcode_modules(bad), Err(LabelError::Barcode(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn barcode_modules_shrink_to_fit_then_refuse() {
        // 15-character AWB: 210 modules at 3 dots = 690 dots < 743 available.
        assert_eq!(code128_module_dots(210, CONTENT_WIDTH), Some(3));
        assert_eq!(code128_module_dots(300, CONTENT_WIDTH), Some(2));
        assert_eq!(code128_module_dots(400, CONTENT_WIDTH), None);
        let long = "A".repeat(40);
        let shipment_awb_len = awb_barcode_modules(&long).unwrap().len();
        assert_eq!(code128_module_dots(shipment_awb_len, CONTENT_WIDTH), None);
    }

    #[test]
    fn qr_modules_shrink_to_fit_the_box() {
        // Version 4 (33 modules) + quiet zone = 41; 6 dots = 246 ≤ 259 dots.
        assert_eq!(qr_module_dots(33, QR_BOX), Some(6));
        assert_eq!(qr_module_dots(57, QR_BOX), Some(3));
        assert_eq!(qr_module_dots(177, QR_BOX), None);
        let (width, dark) = qr_modules("SG1|SG0001000000425|ORD-1001|560001|PREPAID").unwrap();
        assert_eq!(dark.len(), width * width);
        assert!(matches!(
            qr_modules(&"x".repeat(5000)),
            Err(LabelError::QrTooLarge(5000))
        ));
    }

    #[test]
    fn a4_slots_are_four_equal_non_overlapping_quarters_inside_the_page() {
        let slots: Vec<_> = (0..4).map(a4_slot).collect();
        for &(x, y, scale) in &slots {
            assert!(scale > 0.9 && scale < 1.0, "{scale}");
            assert!(x >= 0.0 && y >= 0.0);
            assert!(x + LABEL_WIDTH * scale <= A4_WIDTH);
            assert!(y + LABEL_HEIGHT * scale <= A4_HEIGHT);
        }
        assert!(slots[0].0 + LABEL_WIDTH * slots[0].2 < slots[1].0);
        assert!(slots[0].1 + LABEL_HEIGHT * slots[0].2 < slots[2].1);
        assert_eq!(a4_slot(4), a4_slot(0));
    }

    #[test]
    fn money_and_weight_format_without_floats() {
        assert_eq!(money(149_905, "INR"), "₹1499.05");
        assert_eq!(money(100, "BRL"), "BRL 1.00");
        assert_eq!(decimal_kg(1_250), "1.250");
        assert_eq!(decimal_kg(5), "0.005");
    }
}
