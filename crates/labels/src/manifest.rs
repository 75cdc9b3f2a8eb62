//! The end-of-day manifest a pickup rider signs: every AWB handed over for a
//! carrier and pickup location, with pieces, weight and the cash to collect,
//! as CSV and as an A4 PDF with a signature box.

use krilla::Document;
use shipgate_domain::PaymentMode;

use crate::LabelError;
use crate::fonts::fonts;
use crate::pdf::{
    A4_HEIGHT, A4_WIDTH, Align, fill_rect, finish, line, money, page_settings, settings,
};
use crate::text::Weight;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestRow {
    pub awb: String,
    pub order_reference: String,
    pub consignee: String,
    pub destination: String,
    pub pieces: u32,
    pub weight_grams: u64,
    pub payment_mode: PaymentMode,
    pub cod_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub carrier: String,
    pub account: String,
    pub location: String,
    pub date: String,
    pub currency: String,
    pub rows: Vec<ManifestRow>,
}

impl Manifest {
    pub fn total_pieces(&self) -> u64 {
        self.rows.iter().map(|r| u64::from(r.pieces)).sum()
    }

    pub fn total_cod_minor(&self) -> i64 {
        self.rows.iter().map(|r| r.cod_minor).sum()
    }
}

/// RFC 4180 field: quoted when it holds a comma, quote or line break; a
/// leading `=`, `+`, `-` or `@` is prefixed with `'` so spreadsheets do not
/// run it as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn decimal(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, (minor % 100).abs())
}

pub fn render_manifest_csv(m: &Manifest) -> String {
    let mut out = String::from(
        "awb,order_reference,consignee,destination,pieces,weight_kg,payment_mode,cod_amount\n",
    );
    for r in &m.rows {
        let fields = [
            csv_field(&r.awb),
            csv_field(&r.order_reference),
            csv_field(&r.consignee),
            csv_field(&r.destination),
            r.pieces.to_string(),
            format!("{:.3}", r.weight_grams as f64 / 1000.0),
            r.payment_mode.as_str().to_string(),
            decimal(r.cod_minor),
        ];
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out.push_str(&format!(
        "TOTAL,{} shipments,,,{},,,{}\n",
        m.rows.len(),
        m.total_pieces(),
        decimal(m.total_cod_minor())
    ));
    out
}

const MARGIN: f32 = 36.0;
const ROW: f32 = 16.0;
/// Column x positions (points from the left margin) and widths.
const COLUMNS: [(f32, f32, &str); 7] = [
    (0.0, 18.0, "#"),
    (20.0, 110.0, "AWB"),
    (132.0, 90.0, "Order"),
    (224.0, 130.0, "Consignee / destination"),
    (356.0, 36.0, "Pcs"),
    (394.0, 46.0, "Kg"),
    (442.0, 80.0, "COD"),
];

pub fn render_manifest_pdf(m: &Manifest) -> Result<Vec<u8>, LabelError> {
    let f = fonts()?;
    let mut doc = Document::new_with(settings());
    let per_page = ((A4_HEIGHT - 2.0 * MARGIN - 140.0) / ROW).floor().max(1.0) as usize;
    let pages: Vec<&[ManifestRow]> = if m.rows.is_empty() {
        vec![&[]]
    } else {
        m.rows.chunks(per_page).collect()
    };
    let width = A4_WIDTH - 2.0 * MARGIN;
    for (page_no, rows) in pages.iter().enumerate() {
        let mut page = doc.start_page_with(page_settings(A4_WIDTH, A4_HEIGHT)?);
        let mut s = page.surface();
        let mut y = MARGIN + 18.0;
        line(
            &mut s,
            f,
            &format!("Pickup manifest — {} ({})", m.carrier, m.account),
            Weight::Bold,
            16.0,
            MARGIN,
            y,
            width,
            Align::Left,
        );
        y += 18.0;
        let sub = format!(
            "Location {} · {} · page {} of {}",
            m.location,
            m.date,
            page_no + 1,
            pages.len()
        );
        line(
            &mut s,
            f,
            &sub,
            Weight::Regular,
            10.0,
            MARGIN,
            y,
            width,
            Align::Left,
        );
        y += 20.0;
        for (x, w, title) in COLUMNS {
            line(
                &mut s,
                f,
                title,
                Weight::Bold,
                9.0,
                MARGIN + x,
                y,
                w,
                Align::Left,
            );
        }
        y += 4.0;
        fill_rect(&mut s, MARGIN, y, width, 0.8);
        y += ROW - 4.0;
        let first = page_no * per_page;
        for (i, r) in rows.iter().enumerate() {
            let cod = if r.payment_mode == PaymentMode::Cod {
                money(r.cod_minor, &m.currency)
            } else {
                "Prepaid".into()
            };
            let cells = [
                (first + i + 1).to_string(),
                r.awb.clone(),
                r.order_reference.clone(),
                format!("{}, {}", r.consignee, r.destination),
                r.pieces.to_string(),
                format!("{:.2}", r.weight_grams as f64 / 1000.0),
                cod,
            ];
            for ((x, w, _), text) in COLUMNS.iter().zip(cells) {
                line(
                    &mut s,
                    f,
                    &text,
                    Weight::Regular,
                    9.0,
                    MARGIN + x,
                    y,
                    *w,
                    Align::Left,
                );
            }
            y += ROW;
        }
        if page_no + 1 == pages.len() {
            fill_rect(&mut s, MARGIN, y - 10.0, width, 0.8);
            y += 6.0;
            let totals = format!(
                "{} shipments · {} pieces · COD to collect {}",
                m.rows.len(),
                m.total_pieces(),
                money(m.total_cod_minor(), &m.currency)
            );
            line(
                &mut s,
                f,
                &totals,
                Weight::Bold,
                11.0,
                MARGIN,
                y,
                width,
                Align::Left,
            );
            // The signature box: who handed over, who picked up, when.
            let top = A4_HEIGHT - MARGIN - 90.0;
            for (x, label) in [
                (0.0, "Handed over by (name, signature)"),
                (
                    width / 2.0 + 6.0,
                    "Received by courier (name, signature, time)",
                ),
            ] {
                let w = width / 2.0 - 6.0;
                fill_rect(&mut s, MARGIN + x, top, w, 0.8);
                fill_rect(&mut s, MARGIN + x, top + 80.0, w, 0.8);
                fill_rect(&mut s, MARGIN + x, top, 0.8, 80.0);
                fill_rect(&mut s, MARGIN + x + w - 0.8, top, 0.8, 80.0);
                line(
                    &mut s,
                    f,
                    label,
                    Weight::Regular,
                    8.0,
                    MARGIN + x + 4.0,
                    top + 12.0,
                    w - 8.0,
                    Align::Left,
                );
            }
        }
        s.finish();
        page.finish();
    }
    finish(
        doc,
        format!("Manifest {} {} {}", m.carrier, m.location, m.date),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(rows: usize) -> Manifest {
        Manifest {
            carrier: "delhivery".into(),
            account: "Delhivery North".into(),
            location: "Main Warehouse".into(),
            date: "2026-11-25".into(),
            currency: "INR".into(),
            rows: (0..rows)
                .map(|i| ManifestRow {
                    awb: format!("AWB{i:05}"),
                    order_reference: format!("ORD-{i}"),
                    consignee: if i == 0 {
                        "=HYPERLINK(\"x\"), Rao".into()
                    } else {
                        "आशा राव".into()
                    },
                    destination: "Bengaluru 560001".into(),
                    pieces: 1 + (i % 2) as u32,
                    weight_grams: 750,
                    payment_mode: if i % 2 == 0 {
                        PaymentMode::Cod
                    } else {
                        PaymentMode::Prepaid
                    },
                    cod_minor: if i % 2 == 0 { 149_900 } else { 0 },
                })
                .collect(),
        }
    }

    #[test]
    fn csv_lists_rows_and_totals_and_defuses_formulas() {
        let csv = render_manifest_csv(&manifest(3));
        let lines: Vec<_> = csv.lines().collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(
            lines[1],
            "AWB00000,ORD-0,\"'=HYPERLINK(\"\"x\"\"), Rao\",Bengaluru 560001,1,0.750,cod,1499.00"
        );
        assert_eq!(lines[4], "TOTAL,3 shipments,,,4,,,2998.00");
    }

    #[test]
    fn pdf_pages_many_rows() {
        let long = render_manifest_pdf(&manifest(120)).unwrap();
        let short = render_manifest_pdf(&manifest(1)).unwrap();
        assert!(long.starts_with(b"%PDF") && short.starts_with(b"%PDF"));
        let title = b"Manifest delhivery Main Warehouse 2026-11-25";
        assert!(long.windows(title.len()).any(|w| w == title));
        assert!(
            long.len() > short.len(),
            "120 rows take more pages than one"
        );
        assert!(
            render_manifest_pdf(&manifest(0))
                .unwrap()
                .starts_with(b"%PDF")
        );
    }
}
