//! The fonts labels embed, parsed once per process.
//!
//! Labels never use the PDF base-14 fonts: those cover only WinAnsi, so an
//! Indian address in Devanagari would print as `?`. Noto Sans covers Latin
//! (plus ₹, Greek, Cyrillic) and Noto Sans Devanagari the Devanagari script,
//! with the GSUB/GPOS tables that shaping needs for conjuncts and matras.
//! Both are OFL-1.1 (`fonts/OFL.txt`); the PDF embeds only the glyphs a
//! label uses (krilla subsets at render time). The files have their
//! TrueType hinting, glyph names and long name records removed
//! (`fonts/README.md`): every label deflates its font subsets anew, and
//! those were two thirds of a subset's bytes.

use std::sync::LazyLock;

use crate::LabelError;

static NOTO_SANS_REGULAR: &[u8] = include_bytes!("../fonts/NotoSans-Regular.ttf");
static NOTO_SANS_BOLD: &[u8] = include_bytes!("../fonts/NotoSans-Bold.ttf");
static NOTO_SANS_DEVANAGARI: &[u8] = include_bytes!("../fonts/NotoSansDevanagari-Regular.ttf");

/// Which embedded font a glyph comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FontId {
    Latin,
    LatinBold,
    Devanagari,
}

/// One font, as both the shaper and the PDF writer need it.
pub(crate) struct LoadedFont {
    /// krilla's handle: hashing the font data happens once, here, rather
    /// than on every label.
    pub pdf: krilla::text::Font,
    pub shaper: rustybuzz::Face<'static>,
    /// The script every run in this font is shaped as.
    pub script: rustybuzz::Script,
    /// Compiled once: building a plan (collecting the font's GSUB/GPOS
    /// features for the script) cost more than shaping a line.
    pub plan: rustybuzz::ShapePlan,
    pub units_per_em: f32,
}

impl LoadedFont {
    fn load(data: &'static [u8], script: rustybuzz::Script) -> Option<Self> {
        let shaper = rustybuzz::Face::from_slice(data, 0)?;
        let units_per_em = shaper.units_per_em() as f32;
        let plan = rustybuzz::ShapePlan::new(
            &shaper,
            rustybuzz::Direction::LeftToRight,
            Some(script),
            None,
            &[],
        );
        Some(Self {
            pdf: krilla::text::Font::new(data.into(), 0)?,
            shaper,
            script,
            plan,
            units_per_em,
        })
    }

    pub fn has_glyph(&self, c: char) -> bool {
        self.shaper.glyph_index(c).is_some_and(|g| g.0 != 0)
    }
}

pub(crate) struct Fonts {
    pub latin: LoadedFont,
    pub latin_bold: LoadedFont,
    pub devanagari: LoadedFont,
}

impl Fonts {
    pub fn get(&self, id: FontId) -> &LoadedFont {
        match id {
            FontId::Latin => &self.latin,
            FontId::LatinBold => &self.latin_bold,
            FontId::Devanagari => &self.devanagari,
        }
    }
}

static FONTS: LazyLock<Option<Fonts>> = LazyLock::new(|| {
    Some(Fonts {
        latin: LoadedFont::load(NOTO_SANS_REGULAR, rustybuzz::script::LATIN)?,
        latin_bold: LoadedFont::load(NOTO_SANS_BOLD, rustybuzz::script::LATIN)?,
        devanagari: LoadedFont::load(NOTO_SANS_DEVANAGARI, rustybuzz::script::DEVANAGARI)?,
    })
});

/// The parsed fonts. They are compiled in, so failure means a corrupt build,
/// but it is reported as an error rather than a panic all the same.
pub(crate) fn fonts() -> Result<&'static Fonts, LabelError> {
    FONTS.as_ref().ok_or(LabelError::Font)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_fonts_parse_and_cover_what_labels_print() {
        let f = fonts().unwrap();
        for c in ['A', 'z', '0', '₹', '…', 'é'] {
            assert!(f.latin.has_glyph(c), "{c}");
            assert!(f.latin_bold.has_glyph(c), "{c}");
        }
        for c in ['न', 'म', 'स', '्', 'ि', '।', '०'] {
            assert!(f.devanagari.has_glyph(c), "{c}");
            assert!(!f.latin.has_glyph(c), "{c}");
        }
        assert!(!f.latin.has_glyph('漢'));
    }
}
