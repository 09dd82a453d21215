//! The one place that writes gateway XML. Text and attribute values are
//! escaped by quick-xml, so a prompt or URL with `&`, `<` or `"` cannot break
//! the document or inject a verb.

use std::io::Cursor;

use quick_xml::{
    Writer,
    events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event},
};

/// Builds one XML document with a declaration and a root element.
pub struct XmlDoc {
    writer: Writer<Cursor<Vec<u8>>>,
    root: &'static str,
}

impl XmlDoc {
    pub fn new(root: &'static str) -> Self {
        Self::with_root_attrs(root, &[])
    }

    /// A document whose root element carries attributes.
    pub fn with_root_attrs(root: &'static str, attrs: &[(&str, &str)]) -> Self {
        let mut writer = Writer::new(Cursor::new(Vec::new()));
        // Writing to a Vec cannot fail.
        let _ = writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
        let _ = writer.write_event(Event::Start(start(root, attrs)));
        Self { writer, root }
    }

    /// `<name attrs…>text</name>`.
    pub fn text(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.open(name, attrs);
        let _ = self.writer.write_event(Event::Text(BytesText::new(text)));
        self.close(name);
    }

    /// `<name attrs…/>`.
    pub fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let _ = self.writer.write_event(Event::Empty(start(name, attrs)));
    }

    /// `<name attrs…>`; pair with [`XmlDoc::close`].
    pub fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let _ = self.writer.write_event(Event::Start(start(name, attrs)));
    }

    pub fn close(&mut self, name: &str) {
        let _ = self.writer.write_event(Event::End(BytesEnd::new(name)));
    }

    pub fn finish(mut self) -> String {
        let root = self.root;
        self.close(root);
        String::from_utf8(self.writer.into_inner().into_inner()).expect("quick-xml writes UTF-8")
    }
}

fn start<'a>(name: &'a str, attrs: &[(&'a str, &'a str)]) -> BytesStart<'a> {
    let mut element = BytesStart::new(name);
    for attr in attrs {
        element.push_attribute(*attr);
    }
    element
}
