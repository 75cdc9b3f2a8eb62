//! Shipping labels.
//!
//! A 4×6 in (288×432 pt) thermal label as PDF, or four of them on an A4 page,
//! and the same label as ZPL II. A label shows the carrier, the sort/routing
//! code (large), the AWB as a Code128 barcode, a QR code carrying the AWB,
//! order reference, destination PIN and COD amount ([`LabelPayload`]), COD
//! amount or PREPAID, consignee and return addresses, order reference and
//! weight.
//!
//! PDF text uses embedded Noto fonts (no base-14 fonts), shaped with
//! rustybuzz, so Indian addresses print in Latin and Devanagari alike; any
//! other character is replaced, never a reason to fail. Barcodes are vector
//! rectangles aligned to the 203 dpi dot grid.

mod fonts;
mod manifest;
mod payload;
mod pdf;
mod text;
mod zpl;

pub use manifest::{Manifest, ManifestRow, render_manifest_csv, render_manifest_pdf};
pub use payload::{LabelPayload, PAYLOAD_TAG};
pub use pdf::{awb_barcode_modules, render_pdf, render_pdf_a4};
pub use zpl::{render_zpl, zpl_field};

#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    #[error("the AWB `{0}` cannot be encoded as Code128 (printable ASCII only)")]
    Barcode(String),
    #[error("the AWB `{0}` is too long for a Code128 barcode that scans on a 4 in label")]
    BarcodeTooWide(String),
    #[error("the label's QR payload ({0} bytes) is too long for its space")]
    QrTooLarge(usize),
    #[error("an embedded label font could not be read")]
    Font,
    #[error("writing the label PDF failed: {0}")]
    Pdf(String),
    #[error("no shipments to print labels for")]
    NoShipments,
}

#[cfg(test)]
mod render_tests;
