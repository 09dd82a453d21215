//! Messy lists read end to end: `ListReader` → `Mapping::detect` →
//! `parse_row`, on the files in `tests/fixtures/import/` (written by its
//! `make.py`) and a workbook written here.

use std::{io::Cursor, path::PathBuf};

use super::*;
use crate::{
    directory::Directory,
    domain::{DistrictCode, Language, Need, StateCode},
};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import").join(name)
}

struct Imported {
    format: Format,
    mapping: Mapping,
    rows: Vec<Result<ListRow, Rejected>>,
}

fn import(list: ListReader) -> Imported {
    let format = list.format();
    let mapping = Mapping::detect(list.headers());
    mapping.check().unwrap();
    let mut parser = RowParser::new(mapping.clone(), Directory::bundled());
    let rows: Vec<_> = list.map(|record| parser.parse(&record.unwrap())).collect();
    Imported { format, mapping, rows }
}

fn open(name: &str) -> Imported {
    import(ListReader::open(&fixture(name), None).unwrap())
}

fn ok(rows: &[Result<ListRow, Rejected>], row: u64) -> &ListRow {
    let found = rows.iter().find(|r| r.as_ref().map_or_else(|e| e.row, |r| r.row) == row);
    found.unwrap_or_else(|| panic!("no row {row}")).as_ref().unwrap_or_else(|e| panic!("{e}"))
}

fn phone(row: &ListRow) -> &str {
    row.phone.as_ref().map_or("", |p| p.as_e164())
}

fn state_of(row: &ListRow) -> Option<u8> {
    row.home_state.code().map(StateCode::get)
}

fn district_name(row: &ListRow) -> Option<&'static str> {
    let code = row.home_district.code()?;
    Directory::bundled().district(code).map(|d| d.name.as_str())
}

fn district(code: u16) -> DistrictCode {
    DistrictCode::new(code).unwrap()
}

#[test]
fn a_utf8_list_with_hindi_headers_and_a_bom() {
    let Imported { format, mapping, rows } = open("hindi_utf8_bom.csv");
    assert_eq!(format, Format::Text { encoding: TextEncoding::Utf8, delimiter: b',' });
    let described = mapping.describe();
    for line in [
        "column 2 'श्रमिक का नाम' → name",
        "column 4 'मोबाइल नंबर' → phone",
        "column 6 'ज़िला' → home_district",
        "column 7 'गाँव' → village",
        "column 9 'वर्तमान पता' → current_location",
        "ignored: 1 'क्रम संख्या', 3 'पिता का नाम'",
    ] {
        assert!(described.contains(line), "{line} in\n{described}");
    }
    assert_eq!(rows.len(), 7, "the blank row is skipped");

    let ram = ok(&rows, 2);
    assert_eq!((phone(ram), ram.name.as_deref()), ("+916000000001", Some("राम कुमार")));
    assert_eq!((state_of(ram), ram.home_district.code()), (Some(9), Some(district(152))), "U.P., Jounpur");
    assert_eq!((ram.village.as_deref(), ram.current_location.as_deref()), (Some("बदलापुर"), Some("सूरत, गुजरात")));
    assert_eq!(
        (&ram.language, &ram.need, ram.consent),
        (&Checked::Known(lang("hi")), &Checked::Known(Need::Food), Some(true))
    );

    let sita = ok(&rows, 3);
    assert_eq!(sita.other_phone.as_ref().map(|p| p.as_e164()), Some("+916000000012"));
    assert_eq!((state_of(sita), sita.home_district.code()), (Some(10), Some(district(214))), "बिहार, पूर्णिया");
    assert_eq!((&sita.language, &sita.need), (&Checked::Known(lang("bho")), &Checked::Known(Need::Travel)));

    let suman = ok(&rows, 4);
    assert_eq!((phone(suman), suman.name.as_deref(), state_of(suman)), ("+916000000003", Some("সুমন দাস"), Some(19)));
    assert_eq!(suman.language, Checked::Known(lang("bn")));

    let sunil = ok(&rows, 6);
    assert_eq!((phone(sunil), sunil.name.as_deref(), state_of(sunil)), ("+916000000004", Some("ସୁନୀଲ ନାୟକ"), Some(21)));
    assert_eq!((&sunil.language, sunil.consent), (&Checked::Known(lang("or")), Some(false)));

    let mangled = rows[4].as_ref().unwrap_err();
    assert_eq!((mangled.row, &mangled.reason), (7, &RejectReason::Mangled("6.00E+09".into())));

    let gita = ok(&rows, 8);
    assert_eq!((gita.phone.as_ref(), gita.name.as_deref()), (None, Some("गीता")), "no number, a name");
    assert_eq!((state_of(gita), gita.pin.clone()), (Some(7), Checked::Known("110001".into())), "Delhi from the PIN");
    assert!(matches!(gita.home_district, Placed::Known { confidence, .. } if confidence == 1.0));

    assert_eq!(rows[6].as_ref().unwrap_err().to_string(), "row 9: phone '98765' is not a 10-digit mobile number");
}

fn lang(code: &str) -> Language {
    Language::parse(code).unwrap()
}

#[test]
fn a_utf16_tab_separated_list_as_excel_saves_unicode_text() {
    let Imported { format, mapping, rows } = open("unicode_text.txt");
    assert_eq!(format, Format::Text { encoding: TextEncoding::Utf16Le, delimiter: b'\t' });
    assert_eq!(mapping.ignored().collect::<Vec<_>>(), ["Sl No"]);
    let ramesh = ok(&rows, 2);
    assert_eq!((phone(ramesh), state_of(ramesh), district_name(ramesh)), ("+916000000021", Some(10), Some("Purnia")));
    assert_eq!((ramesh.village.as_deref(), ramesh.current_location.as_deref()), (Some("Kasba"), Some("Pune")));
    let anita = ok(&rows, 3);
    assert_eq!((phone(anita), state_of(anita), district_name(anita)), ("+916000000022", Some(20), Some("Ranchi")));
    assert_eq!(anita.need, Checked::Known(Need::Money));
    let abdul = ok(&rows, 4);
    assert_eq!(
        (state_of(abdul), abdul.home_district.code(), &abdul.need),
        (Some(9), Some(district(140)), &Checked::Known(Need::Travel))
    );
}

#[test]
fn a_windows_1252_list_keeps_its_accents_and_curly_quotes() {
    let Imported { format, mapping, rows } = open("windows_1252.csv");
    assert_eq!(format, Format::Text { encoding: TextEncoding::Windows1252, delimiter: b';' });
    assert_eq!(mapping.index_of(Field::Phone), Some(1), "Contact No");
    let rene = ok(&rows, 2);
    assert_eq!(rene.name.as_deref(), Some("René D’Souza"));
    assert_eq!((state_of(rene), district_name(rene)), (Some(21), Some("Kataka")), "Orissa, Cuttack");
    assert_eq!(rene.current_location.as_deref(), Some("Bengaluru"));
    assert_eq!(ok(&rows, 3).home_district.code(), Some(district(62)), "Gurgaon");
    let vikram = ok(&rows, 4);
    assert_eq!((state_of(vikram), vikram.home_district.code()), (Some(9), Some(district(120))), "UP, Allahabad");
}

/// A workbook as a district office makes one: a title above the header,
/// mobile numbers typed as numbers, a date, a tick box, a second sheet.
fn workbook() -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let sheet = book.add_worksheet().set_name("Workers").unwrap();
    sheet.write_string(0, 1, "Stranded workers of Odisha and Bihar, Surat, 01.05.2020").unwrap();
    let headers = ["S.No.", "Worker Name", "Mobile", "State", "District", "Date of Registration", "Consent"];
    for (col, header) in (1..).zip(headers) {
        sheet.write_string(2, col, header).unwrap();
    }
    let rows: [(&str, f64, &str, &str, bool); 3] = [
        ("ସୁନୀଲ ନାୟକ", 6_000_000_041.0, "Orissa", "Ganjam", true),
        ("সুমন দাস", 916_000_000_042.0, "West Bengal", "Purulia", false),
        ("Ramesh", 6_000_000_043.0, "बिहार", "Purnea", true),
    ];
    for (row, (name, mobile, state, district, consent)) in (3..).zip(rows) {
        sheet.write_number(row, 1, f64::from(row - 2)).unwrap();
        sheet.write_string(row, 2, name).unwrap();
        sheet.write_number(row, 3, mobile).unwrap();
        sheet.write_string(row, 4, state).unwrap();
        sheet.write_string(row, 5, district).unwrap();
        sheet.write_datetime_with_format(row, 6, ExcelDateTime::from_ymd(2020, 5, 1).unwrap(), &date).unwrap();
        sheet.write_boolean(row, 7, consent).unwrap();
    }
    let other = book.add_worksheet().set_name("Summary").unwrap();
    other.write_string(0, 0, "Total").unwrap();
    other.write_string(0, 1, "Mobile").unwrap();
    other.write_number(1, 0, 3.0).unwrap();
    book.save_to_buffer().unwrap()
}

#[test]
fn an_xlsx_list_with_numbers_for_phones_and_a_title_row() {
    let list = ListReader::from_reader(Cursor::new(workbook()), None).unwrap();
    assert_eq!(list.format(), Format::Xlsx { sheet: "Workers".into() });
    assert_eq!(list.header_row(), 3, "the title row is passed over");
    assert_eq!(list.headers()[0], "", "column A is empty, and stays column 1");
    let records: Vec<Record> =
        ListReader::from_reader(Cursor::new(workbook()), None).unwrap().map(Result::unwrap).collect();
    assert_eq!(records[0].cells[1..], ["1", "ସୁନୀଲ ନାୟକ", "6000000041", "Orissa", "Ganjam", "2020-05-01", "TRUE"]);
    let Imported { mapping, rows, .. } = import(list);
    assert!(mapping.describe().starts_with("column 3 'Worker Name' → name\ncolumn 4 'Mobile' → phone\n"));
    let sunil = ok(&rows, 4);
    assert_eq!(
        (phone(sunil), state_of(sunil), district_name(sunil), sunil.consent),
        ("+916000000041", Some(21), Some("Ganjam"), Some(true))
    );
    let suman = ok(&rows, 5);
    assert_eq!((phone(suman), state_of(suman), district_name(suman)), ("+916000000042", Some(19), Some("Purulia")));
    assert_eq!(suman.consent, Some(false));
    let ramesh = ok(&rows, 6);
    assert_eq!((phone(ramesh), state_of(ramesh), district_name(ramesh)), ("+916000000043", Some(10), Some("Purnia")));
}

#[test]
fn a_named_sheet_is_read_and_a_missing_one_named_in_the_error() {
    let summary = ListReader::from_reader(Cursor::new(workbook()), Some("summary")).unwrap();
    assert_eq!(
        (summary.format(), summary.headers().to_vec()),
        (Format::Xlsx { sheet: "Summary".into() }, vec!["Total".to_owned(), "Mobile".to_owned()])
    );
    let error = ListReader::from_reader(Cursor::new(workbook()), Some("Sheet9")).err().unwrap();
    assert_eq!(error.to_string(), "the workbook has no sheet 'Sheet9' (its sheets: Workers, Summary)");
}

#[test]
fn a_corrupt_workbook_and_an_empty_file_are_refused() {
    let corrupt = ListReader::open(&fixture("corrupt.xlsx"), None).err().unwrap();
    assert!(matches!(corrupt, ReadError::Spreadsheet(_)), "{corrupt:?}");
    let mut cut = workbook();
    cut.truncate(cut.len() / 2);
    assert!(matches!(ListReader::from_reader(Cursor::new(cut), None), Err(ReadError::Spreadsheet(_))));
    let empty = ListReader::open(&fixture("empty.csv"), None).err().unwrap();
    assert!(matches!(empty, ReadError::Empty), "{empty:?}");
    assert!(matches!(ListReader::open(&fixture("no such file.csv"), None), Err(ReadError::Io(_))));
}
