//! Text on labels: font choice per character, shaping, line breaking.
//!
//! krilla's `draw_text` shapes with one font and no fallback, so a line that
//! mixes Latin and Devanagari ("Flat 4, राम निवास, MG Road") would lose one of
//! the two. Here text is split into runs by font, each run is shaped with
//! rustybuzz (which applies the Devanagari GSUB/GPOS features: conjuncts,
//! reordered matras, reph), and the glyphs are handed to krilla's
//! `draw_glyphs`, which embeds and subsets the fonts and writes a ToUnicode
//! map so the text stays searchable and extractable.
//!
//! Nothing here can panic on user text: control characters become spaces and
//! characters no embedded font covers (other Indic scripts, CJK, emoji)
//! become `?`, so a label always renders.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;

use krilla::geom::Point;
use krilla::surface::Surface;
use krilla::text::{GlyphId, KrillaGlyph};

use crate::fonts::{FontId, Fonts};

/// Shown for characters no embedded font has.
const REPLACEMENT: char = '?';
const ELLIPSIS: &str = "…";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    Regular,
    Bold,
}

/// One shaped glyph; advances and offsets are in em (multiply by font size).
#[derive(Debug, Clone)]
pub(crate) struct Glyph {
    pub font: FontId,
    pub id: u32,
    pub x_advance: f32,
    pub x_offset: f32,
    pub y_offset: f32,
    pub y_advance: f32,
    /// Bytes of `Shaped::text` this glyph shows (its cluster).
    pub range: Range<usize>,
}

/// A paragraph shaped once; lines are ranges of its glyphs.
#[derive(Debug, Clone)]
pub(crate) struct Shaped {
    /// The text actually shown, after replacing what cannot be.
    pub text: String,
    pub glyphs: Vec<Glyph>,
}

fn is_devanagari(c: char) -> bool {
    matches!(c, '\u{0900}'..='\u{097F}' | '\u{A8E0}'..='\u{A8FF}' | '\u{1CD0}'..='\u{1CFF}')
}

/// Characters that belong to whatever script surrounds them: spaces, digits,
/// punctuation, joiners and combining marks. Keeping them in the current run
/// keeps a Devanagari phrase one shaping unit across its spaces.
fn is_neutral(c: char) -> bool {
    (c.is_ascii() && !c.is_ascii_alphabetic())
        || matches!(c, '\u{200C}' | '\u{200D}' | '\u{0300}'..='\u{036F}' | '\u{FE00}'..='\u{FE0F}')
}

/// Picks the font for each character and replaces what no font covers.
fn assign_fonts(text: &str, fonts: &Fonts, latin: FontId) -> Vec<(char, FontId)> {
    let mut out: Vec<(char, FontId)> = Vec::with_capacity(text.len());
    for c in text.chars() {
        // Tabs, newlines and other controls are spacing; runs of spacing
        // print as one space, the way a person would have typed them.
        let c = if c.is_control() || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if c == ' ' && out.last().is_some_and(|&(p, _)| p == ' ') {
            continue;
        }
        let previous = out.last().map(|&(_, f)| f);
        let candidates: [Option<FontId>; 3] = if is_devanagari(c) {
            [Some(FontId::Devanagari), None, None]
        } else if is_neutral(c) {
            [previous, Some(latin), Some(FontId::Devanagari)]
        } else {
            [Some(latin), Some(FontId::Devanagari), None]
        };
        let chosen = candidates
            .into_iter()
            .flatten()
            .find(|&f| fonts.get(f).has_glyph(c));
        out.push(match chosen {
            Some(f) => (c, f),
            // A joiner or mark no font has is dropped to `?` too: it must not
            // vanish silently, or "?" would be the only sign of lost text.
            None => (REPLACEMENT, previous.unwrap_or(latin)),
        });
    }
    out
}

/// Texts at most this long are kept once shaped.
const CACHE_MAX_TEXT: usize = 256;
/// Shaped texts kept per thread and weight; the cache starts over when full,
/// so a thread's cache stays under 3 MB even for texts of the longest kept
/// length (a label's texts take a few kilobytes).
const CACHE_ENTRIES: usize = 128;

thread_local! {
    /// Shaped text by weight and text. Labels repeat much of their text —
    /// captions, the carrier, the routing code, the warehouse's return
    /// address — and fitting a line shapes it twice (once to measure), while
    /// shaping is a fifth of a label's time. Only the process's one set of
    /// embedded fonts is ever used, so the text and weight decide the result.
    static SHAPED: RefCell<[HashMap<Box<str>, Rc<Shaped>>; 2]> = RefCell::default();
}

/// Shapes `text` for one line or paragraph.
pub(crate) fn shape(text: &str, weight: Weight, fonts: &Fonts) -> Rc<Shaped> {
    if text.len() > CACHE_MAX_TEXT {
        return Rc::new(shape_uncached(text, weight, fonts));
    }
    let slot = weight as usize;
    if let Some(hit) = SHAPED.with_borrow(|cache| cache[slot].get(text).cloned()) {
        return hit;
    }
    let shaped = Rc::new(shape_uncached(text, weight, fonts));
    SHAPED.with_borrow_mut(|cache| {
        let map = &mut cache[slot];
        if map.len() >= CACHE_ENTRIES {
            map.clear();
        }
        map.insert(text.into(), shaped.clone());
    });
    shaped
}

fn shape_uncached(text: &str, weight: Weight, fonts: &Fonts) -> Shaped {
    let latin = match weight {
        Weight::Regular => FontId::Latin,
        Weight::Bold => FontId::LatinBold,
    };
    let chars = assign_fonts(text, fonts, latin);
    let mut shown = String::with_capacity(text.len());
    let mut glyphs = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let font = chars[i].1;
        let start = shown.len();
        while i < chars.len() && chars[i].1 == font {
            shown.push(chars[i].0);
            i += 1;
        }
        shape_run(&shown[start..], start, font, fonts, &mut glyphs);
    }
    Shaped {
        text: shown,
        glyphs,
    }
}

fn shape_run(run: &str, offset: usize, font: FontId, fonts: &Fonts, out: &mut Vec<Glyph>) {
    let loaded = fonts.get(font);
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(run);
    // The run's script is its font's (digits and punctuation inside a
    // Devanagari phrase are shaped with it), matching the cached plan. No
    // bidi: neither embedded font has a right-to-left script.
    buffer.set_script(loaded.script);
    buffer.set_direction(rustybuzz::Direction::LeftToRight);
    let output = rustybuzz::shape_with_plan(&loaded.shaper, &loaded.plan, buffer);
    let (infos, positions) = (output.glyph_infos(), output.glyph_positions());
    let em = loaded.units_per_em;
    for (i, (info, pos)) in infos.iter().zip(positions).enumerate() {
        let start = info.cluster as usize;
        // Clusters are monotonic left to right, so a glyph's text ends where
        // the next cluster starts (glyphs of one cluster share the range).
        let end = infos[i + 1..]
            .iter()
            .map(|n| n.cluster as usize)
            .find(|&c| c != start)
            .unwrap_or(run.len());
        out.push(Glyph {
            font,
            id: info.glyph_id,
            x_advance: pos.x_advance as f32 / em,
            x_offset: pos.x_offset as f32 / em,
            y_offset: pos.y_offset as f32 / em,
            y_advance: pos.y_advance as f32 / em,
            range: offset + start..offset + end.max(start),
        });
    }
}

impl Shaped {
    /// Width in em of a range of glyphs.
    pub fn width(&self, glyphs: Range<usize>) -> f32 {
        self.glyphs[glyphs].iter().map(|g| g.x_advance).sum()
    }

    fn is_space(&self, i: usize) -> bool {
        self.text
            .get(self.glyphs[i].range.clone())
            .is_some_and(|t| !t.is_empty() && t.chars().all(char::is_whitespace))
    }

    /// Whether a line may end after glyph `i` without splitting a cluster.
    fn cluster_ends(&self, i: usize) -> bool {
        self.glyphs
            .get(i + 1)
            .is_none_or(|n| n.range.start != self.glyphs[i].range.start)
    }

    /// Greedy line breaking at spaces (or, for a word wider than the line,
    /// at a cluster boundary). Returns glyph ranges without edge spaces.
    pub fn break_lines(&self, max_width_em: f32) -> Vec<Range<usize>> {
        let n = self.glyphs.len();
        let mut lines = Vec::new();
        let mut start = 0;
        while start < n {
            while start < n && self.is_space(start) {
                start += 1;
            }
            if start == n {
                break;
            }
            let mut width = 0.0;
            let mut end = start;
            let mut last_space = None;
            let mut last_cluster_end = None;
            while end < n {
                width += self.glyphs[end].x_advance;
                if width > max_width_em && end > start {
                    break;
                }
                if self.is_space(end) {
                    last_space = Some(end);
                }
                if self.cluster_ends(end) {
                    last_cluster_end = Some(end + 1);
                }
                end += 1;
            }
            let stop = if end == n {
                n
            } else if let Some(space) = last_space.filter(|&s| s > start) {
                space
            } else {
                // One unbreakable word: cut it at the last whole cluster.
                last_cluster_end.unwrap_or(end).max(start + 1)
            };
            let mut trimmed = stop;
            while trimmed > start && self.is_space(trimmed - 1) {
                trimmed -= 1;
            }
            if trimmed > start {
                lines.push(start..trimmed);
            }
            start = stop;
        }
        lines
    }
}

/// A paragraph laid out in at most `max_lines` lines of `max_width` points;
/// what does not fit ends in an ellipsis.
pub(crate) struct Laid {
    pub shaped: Rc<Shaped>,
    pub lines: Vec<Range<usize>>,
    /// The ellipsis, shaped, when the last line was cut short.
    pub ellipsis: Option<Rc<Shaped>>,
}

pub(crate) fn layout(
    text: &str,
    weight: Weight,
    size: f32,
    max_width: f32,
    max_lines: usize,
    fonts: &Fonts,
) -> Laid {
    let shaped = shape(text, weight, fonts);
    let max_em = max_width / size;
    let mut lines = shaped.break_lines(max_em);
    let mut ellipsis = None;
    if lines.len() > max_lines {
        lines.truncate(max_lines.max(1));
        let ell = shape(ELLIPSIS, weight, fonts);
        let ell_width = ell.width(0..ell.glyphs.len());
        if let Some(last) = lines.last_mut() {
            // Drop whole clusters from the end until the ellipsis fits.
            while last.end > last.start + 1
                && (shaped.width(last.clone()) + ell_width > max_em
                    || !shaped.cluster_ends(last.end - 1)
                    || shaped.is_space(last.end - 1))
            {
                last.end -= 1;
            }
        }
        ellipsis = Some(ell);
    }
    Laid {
        shaped,
        lines,
        ellipsis,
    }
}

/// Draws glyphs `range` of `shaped` with the left end of the baseline at
/// (`x`, `baseline`); returns the x where the text ends.
pub(crate) fn draw(
    surface: &mut Surface,
    fonts: &Fonts,
    shaped: &Shaped,
    range: Range<usize>,
    x: f32,
    baseline: f32,
    size: f32,
) -> f32 {
    let mut x = x;
    let glyphs = &shaped.glyphs[range];
    let mut i = 0;
    while i < glyphs.len() {
        let font = glyphs[i].font;
        let run_end = glyphs[i..]
            .iter()
            .position(|g| g.font != font)
            .map_or(glyphs.len(), |p| i + p);
        let run: Vec<KrillaGlyph> = glyphs[i..run_end]
            .iter()
            .map(|g| {
                KrillaGlyph::new(
                    GlyphId::new(g.id),
                    g.x_advance,
                    g.x_offset,
                    g.y_offset,
                    g.y_advance,
                    g.range.clone(),
                    None,
                )
            })
            .collect();
        surface.draw_glyphs(
            Point::from_xy(x, baseline),
            &run,
            fonts.get(font).pdf.clone(),
            &shaped.text,
            size,
            false,
        );
        x += glyphs[i..run_end].iter().map(|g| g.x_advance).sum::<f32>() * size;
        i = run_end;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fonts::fonts;

    fn fonts_runs(text: &str) -> Vec<(String, FontId)> {
        let f = fonts().unwrap();
        let mut runs: Vec<(String, FontId)> = Vec::new();
        for (c, font) in assign_fonts(text, f, FontId::Latin) {
            match runs.last_mut() {
                Some((s, last)) if *last == font => s.push(c),
                _ => runs.push((c.to_string(), font)),
            }
        }
        runs
    }

    #[test]
    fn mixed_scripts_split_into_font_runs_keeping_spaces_with_their_phrase() {
        assert_eq!(
            fonts_runs("Flat 4, राम निवास, MG Road"),
            vec![
                ("Flat 4, ".to_string(), FontId::Latin),
                ("राम निवास, ".to_string(), FontId::Devanagari),
                ("MG Road".to_string(), FontId::Latin),
            ]
        );
    }

    #[test]
    fn uncovered_and_control_characters_are_replaced_not_fatal() {
        let f = fonts().unwrap();
        let shaped = shape("A\u{0}漢😀\nக", Weight::Regular, f);
        assert_eq!(shaped.text, "A ?? ?");
        assert_eq!(shape("a \t\n\u{a0} b", Weight::Regular, f).text, "a b");
        assert!(shaped.glyphs.iter().all(|g| g.id != 0), "no .notdef boxes");
        // Empty and whitespace-only text lay out to nothing.
        assert!(shape("", Weight::Bold, f).glyphs.is_empty());
        assert!(
            layout("   ", Weight::Regular, 9.0, 100.0, 2, f)
                .lines
                .is_empty()
        );
    }

    #[test]
    fn shaping_is_cached_per_text_and_weight_and_matches_a_fresh_shaping() {
        let f = fonts().unwrap();
        let a = shape("DELIVER TO", Weight::Bold, f);
        let b = shape("DELIVER TO", Weight::Bold, f);
        assert!(Rc::ptr_eq(&a, &b));
        let regular = shape("DELIVER TO", Weight::Regular, f);
        assert!(!Rc::ptr_eq(&a, &regular));
        let fresh = shape_uncached("DELIVER TO", Weight::Bold, f);
        let glyphs = |s: &Shaped| s.glyphs.iter().map(|g| (g.font, g.id)).collect::<Vec<_>>();
        assert_eq!(glyphs(&a), glyphs(&fresh));
        assert_ne!(glyphs(&a), glyphs(&regular), "bold is its own font");
        // Long texts are shaped each time, and a full cache starts over.
        let long = "x".repeat(CACHE_MAX_TEXT + 1);
        assert!(!Rc::ptr_eq(
            &shape(&long, Weight::Regular, f),
            &shape(&long, Weight::Regular, f)
        ));
        for i in 0..=CACHE_ENTRIES {
            shape(&format!("line {i}"), Weight::Regular, f);
        }
        assert!(SHAPED.with_borrow(|c| c[0].len()) <= CACHE_ENTRIES);
    }

    #[test]
    fn devanagari_is_shaped_into_conjuncts_and_reordered_matras() {
        let f = fonts().unwrap();
        // क्ष is one conjunct glyph (3 code points); कि puts the i-matra first.
        let kssa = shape("क्ष", Weight::Regular, f);
        assert_eq!(kssa.glyphs.len(), 1, "{:?}", kssa.glyphs);
        let ki = shape("कि", Weight::Regular, f);
        assert_eq!(ki.glyphs.len(), 2);
        let ka = f.devanagari.shaper.glyph_index('क').unwrap().0 as u32;
        assert_eq!(ki.glyphs[1].id, ka, "the consonant comes after the matra");
        // Both glyphs map back to the whole syllable for text extraction.
        assert!(ki.glyphs.iter().all(|g| g.range == (0..ki.text.len())));
    }

    #[test]
    fn lines_break_at_spaces_and_long_words_at_clusters() {
        let f = fonts().unwrap();
        let text = "12 Mahatma Gandhi Road Bengaluru";
        let laid = layout(text, Weight::Regular, 10.0, 80.0, 10, f);
        let lines: Vec<&str> = laid
            .lines
            .iter()
            .map(|r| {
                &laid.shaped.text[laid.shaped.glyphs[r.start].range.start
                    ..laid.shaped.glyphs[r.end - 1].range.end]
            })
            .collect();
        assert_eq!(lines, ["12 Mahatma", "Gandhi Road", "Bengaluru"]);
        for r in &laid.lines {
            assert!(laid.shaped.width(r.clone()) * 10.0 <= 80.0);
        }
        let word = layout(&"W".repeat(100), Weight::Bold, 10.0, 50.0, 100, f);
        assert!(word.lines.len() > 1);
        assert!(
            word.lines
                .iter()
                .all(|r| word.shaped.width(r.clone()) * 10.0 <= 50.0)
        );
    }

    #[test]
    fn overflow_ends_in_an_ellipsis_within_the_width() {
        let f = fonts().unwrap();
        let laid = layout(
            &"long address ".repeat(40),
            Weight::Regular,
            9.0,
            120.0,
            2,
            f,
        );
        assert_eq!(laid.lines.len(), 2);
        let ell = laid.ellipsis.as_ref().expect("cut short");
        let last = laid.lines[1].clone();
        assert!((laid.shaped.width(last) + ell.width(0..ell.glyphs.len())) * 9.0 <= 120.0);
        assert!(
            layout("short", Weight::Regular, 9.0, 120.0, 2, f)
                .ellipsis
                .is_none()
        );
    }
}
