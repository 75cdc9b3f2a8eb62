//! End-to-end checks of the PDF labels: rasterise at a thermal printer's
//! 203 dpi with hayro (pure Rust), then read every barcode back with rxing,
//! as a hub scanner would.

use std::sync::{Arc, Mutex};

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::Pdf;
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{PixmapSettings, RenderCache, RenderSettings};
use jiff::Timestamp;
use krilla::Document;
use krilla::page::PageSettings;
use rxing::BarcodeFormat;
use shipgate_domain::{Address, Currency, Money, Parcel, PaymentMode, Shipment, ShipmentState};

use super::*;
use crate::pdf::{DOT, LABEL_HEIGHT, LABEL_WIDTH, a4_slot, draw_bars};

const SCALE: f32 = 203.0 / 72.0;

fn address(name: &str, line1: &str, city: &str, state: &str, pin: &str) -> Address {
    let country = shipgate_domain::CountryCode::india();
    Address {
        name: name.into(),
        phone: shipgate_domain::Phone::parse(&country, "9812345678").unwrap(),
        email: None,
        company: None,
        line1: line1.into(),
        line2: None,
        landmark: None,
        city: city.into(),
        state: state.into(),
        postal_code: shipgate_domain::PostalCode::parse(&country, pin).unwrap(),
        country,
    }
}

fn shipment(awb: &str, order: &str, cod: Option<i64>) -> Shipment {
    Shipment {
        id: "shp_1".into(),
        tenant_id: "ten_1".into(),
        order_reference: order.into(),
        carrier: "delhivery".into(),
        carrier_account_id: None,
        awb: awb.into(),
        routing_code: Some("BLR/KOR/E12".into()),
        allocation: None,
        carrier_facts: Default::default(),
        promise: None,
        pickup: address(
            "Shipgate Warehouse",
            "Plot 7, KIADB",
            "Bengaluru",
            "Karnataka",
            "562114",
        ),
        consignee: address("Asha Rao", "12 MG Road", "Bengaluru", "Karnataka", "560001"),
        return_address: None,
        parcels: vec![Parcel {
            weight_grams: 1_250,
            length_cm: None,
            width_cm: None,
            height_cm: None,
            description: None,
        }],
        payment_mode: if cod.is_some() {
            PaymentMode::Cod
        } else {
            PaymentMode::Prepaid
        },
        cod_amount: cod.map(|minor_units| Money {
            minor_units,
            currency: Currency::inr(),
        }),
        declared_value: Money {
            minor_units: 149_900,
            currency: Currency::inr(),
        },
        delivery: Default::default(),
        state: ShipmentState::default(),
        created_at: Timestamp::UNIX_EPOCH,
        updated_at: Timestamp::UNIX_EPOCH,
    }
}

/// A page as 8-bit grey, at 203 dpi.
struct Raster {
    width: u32,
    height: u32,
    luma: Vec<u8>,
}

impl Raster {
    fn crop(&self, x: u32, y: u32, w: u32, h: u32) -> Raster {
        let (w, h) = (w.min(self.width - x), h.min(self.height - y));
        let mut luma = Vec::with_capacity((w * h) as usize);
        for row in y..y + h {
            let start = (row * self.width + x) as usize;
            luma.extend_from_slice(&self.luma[start..start + w as usize]);
        }
        Raster {
            width: w,
            height: h,
            luma,
        }
    }

    fn decode(&self, format: BarcodeFormat) -> Option<String> {
        rxing::helpers::detect_in_luma(self.luma.clone(), self.width, self.height, Some(format))
            .ok()
            .map(|r| r.getText().to_string())
    }

    fn dark_pixels(&self) -> usize {
        self.luma.iter().filter(|&&l| l < 128).count()
    }
}

/// Renders every page the way a 203 dpi thermal head prints: each dot is
/// either black or white (no anti-aliasing). Interpreter warnings (a font
/// that failed to load, say) fail the test.
fn rasterize(pdf: &[u8]) -> Vec<Raster> {
    let doc = Pdf::new(pdf.to_vec()).expect("a PDF hayro can read");
    let warnings = Arc::new(Mutex::new(Vec::new()));
    let sink = warnings.clone();
    let settings = InterpreterSettings {
        warning_sink: Arc::new(move |w| sink.lock().unwrap().push(format!("{w:?}"))),
        ..InterpreterSettings::default()
    };
    let render = RenderSettings {
        aliasing_threshold: Some(127),
        ..RenderSettings::default()
    };
    let cache = RenderCache::new();
    let pages: Vec<Raster> = doc
        .pages()
        .iter()
        .map(|page| {
            let pixmap = hayro::render(
                page,
                &cache,
                &settings,
                &render,
                &PixmapSettings {
                    x_scale: SCALE,
                    y_scale: SCALE,
                    bg_color: WHITE,
                },
            );
            let luma = pixmap
                .data_as_u8_slice()
                .chunks_exact(4)
                .map(|p| {
                    ((u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114) / 1000)
                        as u8
                })
                .collect();
            Raster {
                width: u32::from(pixmap.width()),
                height: u32::from(pixmap.height()),
                luma,
            }
        })
        .collect();
    assert!(
        warnings.lock().unwrap().is_empty(),
        "{:?}",
        warnings.lock().unwrap()
    );
    dump(&pages);
    pages
}

/// With `LABELS_DUMP_DIR` set, writes each rasterised page there as a PGM
/// image, to look at what the tests decode.
fn dump(pages: &[Raster]) {
    let Some(dir) = std::env::var_os("LABELS_DUMP_DIR") else {
        return;
    };
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    for p in pages {
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut out = format!("P5\n{} {}\n255\n", p.width, p.height).into_bytes();
        out.extend_from_slice(&p.luma);
        let _ = std::fs::write(
            std::path::Path::new(&dir).join(format!("page-{n}.pgm")),
            out,
        );
    }
}

#[test]
fn label_4x6_barcodes_decode_to_the_exact_awb_and_payload() {
    for (awb, cod) in [("SG0001000000425", Some(149_900)), ("12345678901234", None)] {
        let s = shipment(awb, "ORD-1001", cod);
        let pages = rasterize(&render_pdf(&s).unwrap());
        assert_eq!(pages.len(), 1);
        let page = &pages[0];
        assert_eq!((page.width, page.height), (812, 1218), "4x6 in at 203 dpi");
        assert_eq!(page.decode(BarcodeFormat::CODE_128).as_deref(), Some(awb));
        let expected = LabelPayload::from_shipment(&s).encode();
        assert_eq!(page.decode(BarcodeFormat::QR_CODE), Some(expected.clone()));
        let expected_tail = if cod.is_some() {
            "|COD:INR:1499.00"
        } else {
            "|PREPAID"
        };
        assert_eq!(
            expected,
            format!("SG1|{awb}|ORD-1001|560001{expected_tail}")
        );
    }
}

#[test]
fn payload_with_reserved_characters_survives_the_qr_round_trip() {
    let s = shipment("SG0001000000999", "A|B%C ₹~^", Some(5));
    let page = &rasterize(&render_pdf(&s).unwrap())[0];
    let text = page.decode(BarcodeFormat::QR_CODE).expect("QR decodes");
    assert_eq!(text, LabelPayload::from_shipment(&s).encode());
    assert_eq!(
        LabelPayload::parse(&text).unwrap().order_reference,
        "A|B%C ₹~^"
    );
}

/// One barcode alone on a 4×6 page, drawn by the label's own bar routine.
fn lone_code128(modules: &[u8], module: f32) -> Vec<u8> {
    let mut doc = Document::new();
    let mut page = doc.start_page_with(PageSettings::from_wh(LABEL_WIDTH, LABEL_HEIGHT).unwrap());
    let mut s = page.surface();
    draw_bars(&mut s, modules, 20.0 * DOT * 3.0, 60.0, module, 66.0);
    s.finish();
    page.finish();
    doc.finish().unwrap()
}

#[test]
fn a_code128_denser_than_the_printer_fails_to_decode() {
    let awb = "SG0001000000425";
    let modules = awb_barcode_modules(awb).unwrap();
    // Control: the same routine at 2 dots a module (the label's minimum) reads.
    let page = &rasterize(&lone_code128(&modules, 2.0 * DOT))[0];
    assert_eq!(page.decode(BarcodeFormat::CODE_128).as_deref(), Some(awb));
    // Modules of 0.6 dot cannot be printed: bars and spaces merge or vanish.
    let page = &rasterize(&lone_code128(&modules, 0.6 * DOT))[0];
    assert!(page.dark_pixels() > 0, "something was drawn");
    assert_eq!(page.decode(BarcodeFormat::CODE_128), None);
}

#[test]
fn devanagari_addresses_render_with_the_embedded_font() {
    let mut s = shipment("SG0001000000777", "ORD-हिं-1", Some(99_900));
    s.consignee = address(
        "राम कुमार शर्मा",
        "फ्लैट 4, श्री निवास, क्षेत्र 5, MG Road",
        "नई दिल्ली",
        "दिल्ली",
        "110001",
    );
    s.consignee.landmark = Some("हनुमान मंदिर".into());
    let pdf = render_pdf(&s).unwrap();
    // Both fonts are embedded (subset, so their names carry a tag prefix).
    let has = |needle: &[u8]| pdf.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"NotoSansDevanagari-Regular"));
    assert!(has(b"NotoSans-Bold"));
    assert!(!has(b"Helvetica"), "no base-14 font");
    let page = &rasterize(&pdf)[0];
    // The name (Devanagari only, bold line under DELIVER TO) leaves ink.
    let name_band = page.crop(0, (262.0 * SCALE) as u32, 812, (14.0 * SCALE) as u32);
    assert!(name_band.dark_pixels() > 500, "{}", name_band.dark_pixels());
    // And the barcodes still read.
    assert_eq!(
        page.decode(BarcodeFormat::CODE_128).as_deref(),
        Some("SG0001000000777")
    );
    assert_eq!(
        page.decode(BarcodeFormat::QR_CODE),
        Some(LabelPayload::from_shipment(&s).encode())
    );
}

#[test]
fn hostile_text_renders_without_panicking() {
    let mut s = shipment("SG0001000000888", "ORD\u{202E}1", None);
    let long = "Ünïcödé 漢字 😀 தமிழ் \u{0} \t\n ".repeat(20);
    s.consignee.name = long.clone();
    s.consignee.line1 = format!("{long}{}", "x".repeat(500));
    s.consignee.line2 = Some("\u{0301}\u{200D}्".into());
    s.consignee.landmark = Some(long.clone());
    s.carrier = long.clone();
    s.routing_code = Some(long);
    let pdf = render_pdf(&s).unwrap();
    let page = &rasterize(&pdf)[0];
    assert_eq!(
        page.decode(BarcodeFormat::CODE_128).as_deref(),
        Some("SG0001000000888")
    );
    let zpl = render_zpl(&s);
    assert!(zpl.starts_with("^XA") && zpl.ends_with("^XZ\n"));
}

#[test]
fn a4_sheets_hold_four_labels_each_and_every_one_decodes() {
    let shipments: Vec<Shipment> = (0..6)
        .map(|i| {
            shipment(
                &format!("SG000100000{i:04}"),
                &format!("ORD-{i}"),
                (i % 2 == 0).then_some(10_000 * i),
            )
        })
        .collect();
    let pages = rasterize(&render_pdf_a4(&shipments).unwrap());
    assert_eq!(pages.len(), 2);
    assert_eq!(
        (pages[0].width, pages[0].height),
        (1678, 2373),
        "A4 at 203 dpi"
    );
    for (i, s) in shipments.iter().enumerate() {
        let page = &pages[i / 4];
        let (x, y, scale) = a4_slot(i % 4);
        let slot = page.crop(
            (x * SCALE) as u32,
            (y * SCALE) as u32,
            (LABEL_WIDTH * scale * SCALE) as u32,
            (LABEL_HEIGHT * scale * SCALE) as u32,
        );
        assert_eq!(
            slot.decode(BarcodeFormat::CODE_128).as_deref(),
            Some(s.awb.as_str()),
            "label {i}"
        );
        assert_eq!(
            slot.decode(BarcodeFormat::QR_CODE),
            Some(LabelPayload::from_shipment(s).encode()),
            "label {i}"
        );
    }
    // The last page's empty quarters stay blank (only the cut lines).
    let (x, y, scale) = a4_slot(3);
    let empty = pages[1].crop(
        (x * SCALE) as u32 + 4,
        (y * SCALE) as u32 + 4,
        (LABEL_WIDTH * scale * SCALE) as u32 - 8,
        (LABEL_HEIGHT * scale * SCALE) as u32 - 8,
    );
    assert_eq!(empty.dark_pixels(), 0);
    assert!(matches!(render_pdf_a4(&[]), Err(LabelError::NoShipments)));
}

#[test]
fn pdf_names_the_awb_and_bad_awbs_are_typed_errors() {
    let pdf = render_pdf(&shipment("SG0001000000425", "ORD-1", None)).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(pdf.windows(15).any(|w| w == b"SG0001000000425"));
    let mut bad = shipment("SG\u{e9}", "ORD-1", None);
    assert!(matches!(render_pdf(&bad), Err(LabelError::Barcode(_))));
    bad.awb = "A".repeat(40);
    assert!(matches!(
        render_pdf(&bad),
        Err(LabelError::BarcodeTooWide(_))
    ));
    assert!(matches!(
        render_pdf_a4(&[bad]),
        Err(LabelError::BarcodeTooWide(_))
    ));
}

#[test]
fn zpl_carries_both_barcodes_and_escapes_user_text() {
    let mut s = shipment("SG0001000000425", "ORD^XZ~1", Some(149_900));
    s.consignee.name = "Evil ^XZ^FO0,0 ~JR".into();
    let zpl = render_zpl(&s);
    assert!(zpl.starts_with("^XA") && zpl.ends_with("^XZ\n"));
    assert!(zpl.contains("^BCN,160,Y,N,N^FDSG0001000000425^FS"), "{zpl}");
    let payload = LabelPayload::from_shipment(&s).encode();
    assert_eq!(
        payload,
        "SG1|SG0001000000425|ORD^XZ~1|560001|COD:INR:1499.00"
    );
    let qr = format!("^FH^FDQA,{}^FS", zpl_field(&payload));
    assert!(zpl.contains("^BQN,2,") && zpl.contains(&qr), "{zpl}");
    assert!(zpl.contains("SG1|SG0001000000425|ORD_5EXZ_7E1|560001|COD:INR:1499.00"));
    // User text never starts a command: one ^XA and one ^XZ, no ~JR.
    assert_eq!(zpl.matches("^XZ").count(), 1);
    assert_eq!(zpl.matches("^XA").count(), 1);
    assert!(!zpl.contains("~JR") && zpl.contains("Evil _5EXZ_5EFO0,0 _7EJR"));
    assert!(zpl.contains("COD Rs. 1499.00"));
    assert!(zpl.contains("BLR/KOR/E12"));
}
