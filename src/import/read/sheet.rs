//! Workbooks through `calamine`: one sheet loaded, its cells as the text a
//! person sees in them (a mobile number stored as a number without ".0",
//! dates in ISO form).

use std::io::{Read, Seek};

use calamine::{Data, Range, Reader, SheetType, SheetVisible, Xls, Xlsx};

use super::{Format, ReadError, Record};

/// A loaded sheet's rows, handed out one at a time.
pub(super) struct SheetRows {
    format: Format,
    range: Range<Data>,
    next: usize,
    /// The sheet's row (from 0) and column of the range's first cell.
    start: (u32, u32),
}

pub(super) fn open_xlsx<R: Read + Seek>(reader: R, sheet: Option<&str>) -> Result<SheetRows, ReadError> {
    let book: Xlsx<R> = Xlsx::new(reader).map_err(|e| ReadError::Spreadsheet(e.to_string()))?;
    load(book, sheet, |sheet| Format::Xlsx { sheet })
}

pub(super) fn open_xls<R: Read + Seek>(reader: R, sheet: Option<&str>) -> Result<SheetRows, ReadError> {
    let book: Xls<R> = Xls::new(reader).map_err(|e| ReadError::Spreadsheet(e.to_string()))?;
    load(book, sheet, |sheet| Format::Xls { sheet })
}

fn load<RS: Read + Seek, B: Reader<RS>>(
    mut book: B,
    wanted: Option<&str>,
    format: impl FnOnce(String) -> Format,
) -> Result<SheetRows, ReadError>
where
    B::Error: std::fmt::Display,
{
    let names = book.sheet_names();
    let name = match wanted {
        Some(wanted) => names.iter().find(|n| n.as_str() == wanted || n.trim().eq_ignore_ascii_case(wanted.trim())),
        None => first_worksheet(&book),
    };
    let Some(name) = name.cloned() else {
        return Err(match wanted {
            Some(wanted) => ReadError::NoSuchSheet { wanted: wanted.to_owned(), sheets: names.join(", ") },
            None => ReadError::Empty,
        });
    };
    let range = book.worksheet_range(&name).map_err(|e| ReadError::Spreadsheet(e.to_string()))?;
    let start = range.start().unwrap_or((0, 0));
    Ok(SheetRows { format: format(name), range, next: 0, start })
}

/// The first visible worksheet (not a chart), else the first worksheet.
fn first_worksheet<RS: Read + Seek, B: Reader<RS>>(book: &B) -> Option<&String> {
    let sheets = book.sheets_metadata();
    let work = || sheets.iter().filter(|s| s.typ == SheetType::WorkSheet);
    work().find(|s| s.visible == SheetVisible::Visible).or_else(|| work().next()).map(|s| &s.name)
}

impl SheetRows {
    pub(super) fn format(&self) -> Format {
        self.format.clone()
    }

    /// The next row, its cells from column A (cells left of the range are
    /// blank), so column numbers are the sheet's.
    pub(super) fn next(&mut self) -> Option<Record> {
        let (height, width) = self.range.get_size();
        if self.next >= height {
            return None;
        }
        let i = self.next;
        self.next += 1;
        let pad = usize::try_from(self.start.1).unwrap_or(0);
        let mut cells = vec![String::new(); pad];
        cells.extend((0..width).map(|j| self.range.get((i, j)).map_or_else(String::new, cell_text)));
        while cells.last().is_some_and(String::is_empty) {
            cells.pop();
        }
        let offset = u64::try_from(i).unwrap_or(u64::MAX);
        Some(Record { row: u64::from(self.start.0).saturating_add(offset).saturating_add(1), cells })
    }
}

/// A cell as the text a person reads in it.
pub(super) fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(n) => n.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(when) if when.is_datetime() => {
            let (y, m, d, hh, mm, ss, _) = when.to_ymd_hms_milli();
            if (hh, mm, ss) == (0, 0, 0) {
                format!("{y:04}-{m:02}-{d:02}")
            } else {
                format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}")
            }
        }
        Data::DateTime(duration) => number_text(duration.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => e.to_string(),
    }
}

/// A number as digits: whole numbers without ".0" (a mobile number typed
/// into a cell is stored as a float), never in scientific notation.
fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.is_finite() { format!("{f:.0}") } else { format!("{f}") }
}

#[cfg(test)]
mod tests {
    use super::{cell_text, number_text};
    use calamine::{Data, ExcelDateTime, ExcelDateTimeType};

    #[test]
    fn numbers_read_as_typed() {
        assert_eq!(number_text(6_000_000_001.0), "6000000001");
        assert_eq!(number_text(916_000_000_001.0), "916000000001");
        assert_eq!(number_text(1e20), "100000000000000000000");
        assert_eq!(number_text(-3.0), "-3");
        assert_eq!(number_text(2.5), "2.5");
        assert_eq!(number_text(0.1), "0.1");
        assert_eq!(cell_text(&Data::Int(841_301)), "841301");
    }

    #[test]
    fn dates_in_iso_form_and_errors_as_excel_shows_them() {
        let day = ExcelDateTime::new(43_952.0, ExcelDateTimeType::DateTime, false);
        assert_eq!(cell_text(&Data::DateTime(day)), "2020-05-01");
        let noon = ExcelDateTime::new(43_952.5, ExcelDateTimeType::DateTime, false);
        assert_eq!(cell_text(&Data::DateTime(noon)), "2020-05-01T12:00:00");
        assert_eq!(cell_text(&Data::Error(calamine::CellErrorType::NA)), "#N/A");
        assert_eq!(cell_text(&Data::Bool(true)), "TRUE");
    }
}
