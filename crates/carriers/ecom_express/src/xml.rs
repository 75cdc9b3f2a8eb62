//! The tracking answer (`/track_me/api/mawbd/`) is Django's XML serializer
//! format:
//!
//! ```xml
//! <ecomexpress-objects version="1.0">
//!   <object pk="1" model="awb">
//!     <field type="BigIntegerField" name="awb_number">102019265</field>
//!     ...
//!     <field type="CharField" name="scans">
//!       <object pk="1" model="scan_stages">
//!         <field type="DateTimeField" name="updated_on">28 Mar, 2014, 22:43 hrs</field>
//!         ...
//! ```
//!
//! It is read into a small element tree with quick-xml's event reader
//! (iteratively, with a depth limit), then walked.

use quick_xml::Reader;
use quick_xml::escape::{escape, resolve_predefined_entity};
use quick_xml::events::Event;

/// Deeper documents are refused rather than walked (the real answer is 4 deep).
const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }
}

/// Parses a whole document; returns the root element.
pub(crate) fn parse(body: &[u8]) -> Result<Element, String> {
    let text = String::from_utf8_lossy(body);
    let mut reader = Reader::from_str(&text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        match event {
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err("XML nested too deeply".into());
                }
                if root.is_some() && stack.is_empty() {
                    return Err("more than one root element".into());
                }
                stack.push(element(&e)?);
            }
            Event::Empty(e) => {
                if root.is_some() && stack.is_empty() {
                    return Err("more than one root element".into());
                }
                let el = element(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let done = stack.pop().ok_or("unbalanced end tag")?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    let s = t.xml_content().map_err(|e| e.to_string())?;
                    top.text.push_str(&s);
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    let s = t.decode().map_err(|e| e.to_string())?;
                    top.text.push_str(&s);
                }
            }
            Event::GeneralRef(r) => {
                if let Some(top) = stack.last_mut() {
                    if r.is_char_ref() {
                        if let Some(ch) = r.resolve_char_ref().map_err(|e| e.to_string())? {
                            top.text.push(ch);
                        }
                    } else {
                        let name = r.decode().map_err(|e| e.to_string())?;
                        let resolved =
                            resolve_predefined_entity(&name).ok_or("unknown XML entity")?;
                        top.text.push_str(resolved);
                    }
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err("unclosed element".into());
    }
    root.ok_or_else(|| "no XML element".to_string())
}

fn element(e: &quick_xml::events::BytesStart<'_>) -> Result<Element, String> {
    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        let value = a.unescape_value().map_err(|e| e.to_string())?.into_owned();
        attrs.push((key, value));
    }
    Ok(Element {
        name,
        attrs,
        ..Element::default()
    })
}

/// Escapes text for an element body or attribute.
pub(crate) fn esc(s: &str) -> String {
    escape(s).into_owned()
}
