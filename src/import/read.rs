//! Opening a list file and reading its rows, as whichever spreadsheet made
//! it: XLSX (and old XLS) workbooks, or CSV and tab-separated text in
//! UTF-8 (with or without a byte-order mark), UTF-16 (Excel's "Unicode
//! text") or Windows-1252 (Excel's "CSV" on Windows).
//!
//! The format is told by the bytes, not the file's name. Text is read as a
//! stream, one record at a time, so memory does not grow with the file;
//! a workbook sheet is loaded whole by `calamine` (XLSX keeps its cells in
//! one compressed XML part per sheet), then handed out row by row.
//!
//! Rows are numbered as a spreadsheet numbers them, from 1 at the top of
//! the file, so a coordinator can find row 14 in the file they sent. The
//! header is the first row with two or more cells filled (title rows above
//! it are passed over); blank rows are skipped.

use std::{
    collections::VecDeque,
    fmt,
    fs::File,
    io::{self, BufReader, Read, Seek},
    path::Path,
};

mod sheet;
mod text;

/// One row of a list: its number in the file (the header's row counted,
/// from 1) and its cells as text, as many as the row has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub row: u64,
    pub cells: Vec<String>,
}

impl Record {
    fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }

    fn filled(&self) -> usize {
        self.cells.iter().filter(|c| !c.trim().is_empty()).count()
    }
}

/// What the file turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// An Excel workbook (`.xlsx`), and the sheet read.
    Xlsx { sheet: String },
    /// An Excel 97–2003 workbook (`.xls`), and the sheet read.
    Xls { sheet: String },
    /// Delimited text.
    Text { encoding: TextEncoding, delimiter: u8 },
}

/// The encodings spreadsheets export text in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    Windows1252,
}

impl TextEncoding {
    pub fn name(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Utf16Le => "UTF-16LE",
            Self::Utf16Be => "UTF-16BE",
            Self::Windows1252 => "Windows-1252",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Xlsx { sheet } => write!(f, "XLSX workbook, sheet '{sheet}'"),
            Self::Xls { sheet } => write!(f, "XLS workbook, sheet '{sheet}'"),
            Self::Text { encoding, delimiter } => {
                let by = match delimiter {
                    b'\t' => "tab",
                    b';' => "semicolon",
                    _ => "comma",
                };
                write!(f, "{by}-separated text in {}", encoding.name())
            }
        }
    }
}

/// Why a list cannot be read (words for the coordinator who sent it).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("the file is empty: it has no rows")]
    Empty,
    #[error("row {row} has a number in column {column}: it is data, not column names; the list needs a header row")]
    NoHeader { row: u64, column: usize },
    #[error("the workbook cannot be read (damaged, or not really XLSX/XLS): {0}")]
    Spreadsheet(String),
    #[error("the workbook has no sheet '{wanted}' (its sheets: {sheets})")]
    NoSuchSheet { wanted: String, sheets: String },
    #[error("this is not a spreadsheet or a text file")]
    NotText,
    #[error("row {row}: the text is not valid {encoding}")]
    Undecodable { row: u64, encoding: &'static str },
    #[error("row {row}: {message}")]
    Malformed { row: u64, message: String },
    #[error("reading the file: {0}")]
    Io(#[from] io::Error),
}

/// Rows still to come, from a text file or a sheet. Blank rows are the
/// reader's to skip.
enum Rows {
    Text(Box<text::TextRows>),
    Sheet(sheet::SheetRows),
}

impl Rows {
    fn next(&mut self) -> Option<Result<Record, ReadError>> {
        match self {
            Self::Text(rows) => rows.next(),
            Self::Sheet(rows) => rows.next().map(Ok),
        }
    }
}

/// How many rows above the header may be titles ("List of workers of
/// Bihar stranded in Surat, as on 12.05.2020").
const TITLE_ROWS: usize = 10;

/// A list being read: its format and header, then its rows as an iterator
/// of [`Record`]s.
pub struct ListReader {
    header: Record,
    ahead: VecDeque<Record>,
    rows: Rows,
    first: bool,
}

impl ListReader {
    /// Opens a list file; `sheet` names a workbook's sheet (default: its
    /// first worksheet) and is not used for text.
    pub fn open(path: &Path, sheet: Option<&str>) -> Result<ListReader, ReadError> {
        Self::from_reader(BufReader::new(File::open(path)?), sheet)
    }

    /// Reads a list from any seekable bytes (an uploaded file).
    pub fn from_reader<R: Read + Seek + Send + 'static>(
        mut reader: R,
        sheet: Option<&str>,
    ) -> Result<ListReader, ReadError> {
        let mut magic = [0_u8; 8];
        let got = read_up_to(&mut reader, &mut magic)?;
        reader.rewind()?;
        let mut rows = match &magic[..got] {
            [] => return Err(ReadError::Empty),
            [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] => Rows::Sheet(sheet::open_xlsx(reader, sheet)?),
            [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] => Rows::Sheet(sheet::open_xls(reader, sheet)?),
            _ => Rows::Text(Box::new(text::TextRows::open(Box::new(reader))?)),
        };
        let (header, ahead) = find_header(&mut rows)?;
        Ok(ListReader { header, ahead, rows, first: true })
    }

    /// What the file is (format, encoding, delimiter, sheet). A text file
    /// whose first part is plain ASCII is taken for UTF-8 until a row
    /// shows it is Windows-1252.
    pub fn format(&self) -> Format {
        match &self.rows {
            Rows::Text(rows) => rows.format(),
            Rows::Sheet(rows) => rows.format(),
        }
    }

    /// The header row's cells, trimmed.
    pub fn headers(&self) -> &[String] {
        &self.header.cells
    }

    /// The header's row number (above 1 when title rows precede it).
    pub fn header_row(&self) -> u64 {
        self.header.row
    }
}

impl Iterator for ListReader {
    type Item = Result<Record, ReadError>;

    /// The next row that is not blank, or why the file cannot be read on.
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let record = match self.ahead.pop_front() {
                Some(record) => record,
                None => match self.rows.next()? {
                    Ok(record) => record,
                    Err(e) => return Some(Err(e)),
                },
            };
            let first = std::mem::replace(&mut self.first, false);
            if record.is_blank() || (first && numbers_columns(&record)) {
                continue;
            }
            return Some(Ok(record));
        }
    }
}

/// A row under the header numbering the columns (1, 2, 3 …), as
/// government forms print them.
fn numbers_columns(record: &Record) -> bool {
    record.cells.len() >= 2 && record.cells.iter().enumerate().all(|(i, c)| c.trim() == (i + 1).to_string())
}

/// The header among the first rows: the first with two cells filled, or
/// else the first not blank; and the rows read past it.
fn find_header(rows: &mut Rows) -> Result<(Record, VecDeque<Record>), ReadError> {
    let mut seen: VecDeque<Record> = VecDeque::new();
    while seen.len() < TITLE_ROWS {
        match rows.next().transpose()? {
            Some(record) if record.is_blank() => {}
            Some(record) if record.filled() >= 2 => {
                seen.clear();
                return header_of(record).map(|h| (h, seen));
            }
            Some(record) => seen.push_back(record),
            None => break,
        }
    }
    let header = seen.pop_front().ok_or(ReadError::Empty)?;
    header_of(header).map(|h| (h, seen))
}

/// The header row trimmed; refused when a cell holds a long number (a
/// phone number or PIN code: the file starts with data).
fn header_of(mut record: Record) -> Result<Record, ReadError> {
    for cell in &mut record.cells {
        *cell = cell.trim().to_owned();
    }
    let data = record.cells.iter().position(|c| {
        let digits = c.chars().filter(char::is_ascii_digit).count();
        digits >= 6 && c.chars().all(|ch| ch.is_ascii_digit() || " +-.()/".contains(ch))
    });
    match data {
        Some(i) => Err(ReadError::NoHeader { row: record.row, column: i + 1 }),
        None => Ok(record),
    }
}

/// Fills `buf` as far as the reader goes; how many bytes it got.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

#[cfg(test)]
#[path = "read_tests.rs"]
mod tests;
