//! Delimited text as spreadsheets export it, streamed: the encoding told
//! by a byte-order mark (UTF-8, UTF-16LE/BE), by UTF-16's zero bytes when
//! it has none, or by the bytes themselves (UTF-8 unless a row is not valid
//! UTF-8, then Windows-1252); the delimiter by the first line.

use std::{
    io::{self, Cursor, Read},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, WINDOWS_1252};
use encoding_rs_io::DecodeReaderBytesBuilder;

use super::{Format, ReadError, Record, TextEncoding, read_up_to};

/// How much of the file is looked at to tell its encoding and delimiter.
const SNIFF: usize = 64 * 1024;

/// What is known of an 8-bit file's encoding so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decoding {
    /// Transcoded from UTF-16 to UTF-8 by the decoder.
    Utf16(TextEncoding),
    /// Shown to be UTF-8 by a character beyond ASCII that is valid UTF-8.
    Utf8,
    /// ASCII so far: UTF-8 and Windows-1252 read it alike.
    Ascii,
    Windows1252,
}

type Source = Box<dyn Read + Send>;

pub(in crate::import) struct TextRows {
    csv: csv::Reader<Source>,
    record: csv::ByteRecord,
    decoding: Decoding,
    delimiter: u8,
    /// The last record's row.
    last_row: u64,
    /// Bytes read since the last record began (see [`Metered`]).
    read: Arc<AtomicUsize>,
    done: bool,
}

impl TextRows {
    pub(super) fn open(mut raw: Source) -> Result<TextRows, ReadError> {
        let mut head = vec![0_u8; SNIFF];
        let got = read_up_to(&mut raw, &mut head)?;
        head.truncate(got);
        let (bom, bom_len) = Encoding::for_bom(&head).map_or((None, 0), |(e, n)| (Some(e), n));
        let utf16 = bom.filter(|e| *e != encoding_rs::UTF_8).or_else(|| utf16_without_bom(&head));
        let body = &head[bom_len..];
        let decoding = match utf16 {
            Some(e) if e == UTF_16BE => Decoding::Utf16(TextEncoding::Utf16Be),
            Some(_) => Decoding::Utf16(TextEncoding::Utf16Le),
            None if body.contains(&0) => return Err(ReadError::NotText),
            None if bom_len > 0 => Decoding::Utf8,
            None => eight_bit(body),
        };
        let first_line = match utf16 {
            Some(e) => e.decode_without_bom_handling(&head[bom_len..]).0.into_owned(),
            None => String::from_utf8_lossy(body).into_owned(),
        };
        if first_line.trim().is_empty() {
            return Err(ReadError::Empty);
        }
        let delimiter = delimiter(&first_line);
        let stream = Cursor::new(head).chain(raw);
        let decoded = DecodeReaderBytesBuilder::new()
            .encoding(utf16)
            .bom_override(true)
            .utf8_passthru(true)
            .strip_bom(true)
            .build(stream);
        let read = Arc::new(AtomicUsize::new(0));
        let metered: Source = Box::new(Metered { inner: decoded, read: Arc::clone(&read) });
        let csv = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(metered);
        Ok(TextRows { csv, record: csv::ByteRecord::new(), decoding, delimiter, last_row: 0, read, done: false })
    }

    pub(super) fn format(&self) -> Format {
        let encoding = match self.decoding {
            Decoding::Utf16(e) => e,
            Decoding::Utf8 | Decoding::Ascii => TextEncoding::Utf8,
            Decoding::Windows1252 => TextEncoding::Windows1252,
        };
        Format::Text { encoding, delimiter: self.delimiter }
    }

    /// The next record, numbered as a spreadsheet shows it: empty lines
    /// (which the CSV reader skips) counted, and a record whose quoted cell
    /// spans lines one row.
    pub(super) fn next(&mut self) -> Option<Result<Record, ReadError>> {
        if self.done {
            return None;
        }
        self.read.store(0, Ordering::Relaxed);
        match self.csv.read_byte_record(&mut self.record) {
            Ok(true) => {}
            Ok(false) => {
                self.done = true;
                return None;
            }
            Err(e) => {
                self.done = true;
                return Some(Err(csv_error(e, self.last_row + 1)));
            }
        }
        // The CSV reader skips empty lines before a record and counts them
        // in its line number: the lines this read went through, less the
        // record's own, are the empty rows above it.
        let breaks = self.record.iter().flatten().filter(|b| **b == b'\n').count();
        let breaks = u64::try_from(breaks).unwrap_or(0);
        let start = self.record.position().map_or(1, csv::Position::line);
        let skipped = self.csv.position().line().saturating_sub(start).saturating_sub(breaks + 1);
        let row = self.last_row + 1 + skipped;
        self.last_row = row;
        Some(self.decode(row).map(|cells| Record { row, cells }))
    }

    fn decode(&mut self, row: u64) -> Result<Vec<String>, ReadError> {
        let utf8: Result<Vec<&str>, _> = self.record.iter().map(std::str::from_utf8).collect();
        match (self.decoding, utf8) {
            (Decoding::Utf16(_), Ok(cells)) if !cells.iter().any(|c| c.contains('\u{FFFD}')) => Ok(owned(&cells)),
            (Decoding::Utf16(e), _) => Err(ReadError::Undecodable { row, encoding: e.name() }),
            (Decoding::Utf8, Ok(cells)) => Ok(owned(&cells)),
            (Decoding::Utf8, Err(_)) => Err(ReadError::Undecodable { row, encoding: "UTF-8" }),
            (Decoding::Ascii, Ok(cells)) => {
                if !cells.iter().all(|c| c.is_ascii()) {
                    self.decoding = Decoding::Utf8;
                }
                Ok(owned(&cells))
            }
            (Decoding::Ascii | Decoding::Windows1252, _) => {
                self.decoding = Decoding::Windows1252;
                let cell = |c: &[u8]| WINDOWS_1252.decode_without_bom_handling(c).0.into_owned();
                Ok(self.record.iter().map(cell).collect())
            }
        }
    }
}

fn owned(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

/// The most a row may take. A quote that opens a cell and never closes
/// makes the rest of the file one cell: refused, not held in memory.
const MAX_ROW: usize = 1 << 20;

/// A row longer than [`MAX_ROW`].
#[derive(Debug, thiserror::Error)]
#[error("a row longer than 1 MiB")]
struct RowTooLong;

/// The text stream, counting what the CSV reader takes from it since the
/// record it reads began; more than [`MAX_ROW`] is an error. (The reader
/// buffers a few KiB ahead, so the count is a little short: a bound, not
/// an exact size.)
struct Metered<R> {
    inner: R,
    read: Arc<AtomicUsize>,
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.read.fetch_add(n, Ordering::Relaxed) + n > MAX_ROW {
            return Err(io::Error::other(RowTooLong));
        }
        Ok(n)
    }
}

fn csv_error(e: csv::Error, row: u64) -> ReadError {
    match e.into_kind() {
        csv::ErrorKind::Io(e) if e.get_ref().is_some_and(|e| e.is::<RowTooLong>()) => ReadError::Malformed {
            row,
            message: "the row is longer than 1 MiB: does a quote (\") open a cell and never close?".to_owned(),
        },
        csv::ErrorKind::Io(e) if e.kind() == io::ErrorKind::InvalidData => {
            ReadError::Undecodable { row, encoding: "its encoding" }
        }
        csv::ErrorKind::Io(e) => ReadError::Io(e),
        other => ReadError::Malformed { row, message: format!("{other:?}") },
    }
}

/// The 8-bit encoding the first part of a file shows: UTF-8 when it has
/// UTF-8 beyond ASCII, ASCII when nothing tells them apart yet (a
/// character cut at the end of the part aside), else Windows-1252.
fn eight_bit(body: &[u8]) -> Decoding {
    match std::str::from_utf8(body) {
        Ok(text) if text.is_ascii() => Decoding::Ascii,
        Ok(_) => Decoding::Utf8,
        // Valid UTF-8 beyond ASCII before the first bad byte: UTF-8 with a
        // damaged row (Windows-1252 text seldom spells UTF-8 by chance).
        Err(e) if !body[..e.valid_up_to()].is_ascii() => Decoding::Utf8,
        Err(e) if e.error_len().is_none() => Decoding::Ascii,
        Err(_) => Decoding::Windows1252,
    }
}

/// UTF-16 without a byte-order mark: text whose every other byte is zero
/// (ASCII letters and digits in UTF-16), the zero first for big-endian.
fn utf16_without_bom(head: &[u8]) -> Option<&'static Encoding> {
    let sample = &head[..head.len().min(512) & !1];
    if sample.len() < 4 {
        return None;
    }
    let zeros = |parity: usize| sample.iter().skip(parity).step_by(2).filter(|b| **b == 0).count();
    let half = sample.len() / 2;
    let (even, odd) = (zeros(0), zeros(1));
    if odd * 10 >= half * 7 && even * 10 < half {
        Some(UTF_16LE)
    } else if even * 10 >= half * 7 && odd * 10 < half {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// How many lines tell the delimiter (a title row may have none, or commas).
const DELIMITER_LINES: usize = 5;

/// The delimiter of the first lines: whichever of tab, semicolon and comma
/// they have most of outside quotes (comma when they have none).
fn delimiter(text: &str) -> u8 {
    let mut counts = [(b'\t', 0), (b';', 0), (b',', 0)];
    let (mut quoted, mut lines) = (false, 0);
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' if !quoted => {
                lines += 1;
                if lines == DELIMITER_LINES {
                    break;
                }
            }
            _ if quoted => {}
            _ => {
                if let Some(count) = counts.iter_mut().find(|(d, _)| char::from(*d) == c) {
                    count.1 += 1;
                }
            }
        }
    }
    counts.iter().filter(|(_, n)| *n > 0).max_by_key(|(_, n)| *n).map_or(b',', |(d, _)| *d)
}

#[cfg(test)]
mod tests {
    use super::{Decoding, delimiter, eight_bit, utf16_without_bom};

    #[test]
    fn the_first_line_tells_the_delimiter() {
        assert_eq!(delimiter("Name,Mobile,District\n1;2;3"), b',');
        assert_eq!(delimiter("List of workers, Bihar\nName\tMobile\tDistrict\nA\tB\tC"), b'\t');
        assert_eq!(delimiter("Name;Mobile;\"A, B\""), b';');
        assert_eq!(delimiter("नाम\tमोबाइल\tजिला"), b'\t');
        assert_eq!(delimiter("\"Name, full\"\tMobile"), b'\t');
        assert_eq!(delimiter("Name"), b',');
    }

    #[test]
    fn eight_bit_text_is_utf8_until_shown_otherwise() {
        assert_eq!(eight_bit(b"Name,Mobile"), Decoding::Ascii);
        assert_eq!(eight_bit("Name,नाम".as_bytes()), Decoding::Utf8);
        assert_eq!(eight_bit(b"Ren\xe9,6000000001"), Decoding::Windows1252);
        let cut = &"नाम".as_bytes()[..4];
        assert_eq!(eight_bit(cut), Decoding::Utf8, "a character cut at the end of the sniffed part");
    }

    #[test]
    fn utf16_is_told_by_its_zero_bytes() {
        let le: Vec<u8> = "Name\tMobile".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = "Name\tMobile".encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(utf16_without_bom(&le), Some(encoding_rs::UTF_16LE));
        assert_eq!(utf16_without_bom(&be), Some(encoding_rs::UTF_16BE));
        assert_eq!(utf16_without_bom(b"Name,Mobile"), None);
    }
}
