use std::io::Cursor;

use super::*;

fn reader(bytes: &[u8]) -> Result<ListReader, ReadError> {
    ListReader::from_reader(Cursor::new(bytes.to_vec()), None)
}

fn rows(list: ListReader) -> Vec<(u64, Vec<String>)> {
    list.map(|r| r.map(|r| (r.row, r.cells)).unwrap()).collect()
}

fn cells(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|t| (*t).to_owned()).collect()
}

#[test]
fn utf8_with_a_bom_reads_without_it() {
    let list = reader("\u{FEFF}नाम,मोबाइल\nराम,6000000001\n".as_bytes()).unwrap();
    assert_eq!(list.headers(), ["नाम", "मोबाइल"]);
    assert_eq!(list.format(), Format::Text { encoding: TextEncoding::Utf8, delimiter: b',' });
    assert_eq!(rows(list), [(2, cells(&["राम", "6000000001"]))]);
}

#[test]
fn utf16_text_as_excel_saves_unicode_text() {
    for (bom, bytes) in [
        (true, [&[0xFF, 0xFE][..], &utf16le("नाम\tमोबाइल\r\nसीता\t6000000002\r\n")].concat()),
        (false, utf16le("Name\tMobile\r\nSita\t6000000002\r\n")),
    ] {
        let list = reader(&bytes).unwrap();
        assert_eq!(list.format(), Format::Text { encoding: TextEncoding::Utf16Le, delimiter: b'\t' }, "bom {bom}");
        assert_eq!(list.headers().len(), 2);
        assert_eq!(rows(list)[0].1[1], "6000000002");
    }
    let be: Vec<u8> =
        [0xFE, 0xFF].into_iter().chain("Name;Mobile\nA;B\n".encode_utf16().flat_map(u16::to_be_bytes)).collect();
    let list = reader(&be).unwrap();
    assert_eq!(list.format(), Format::Text { encoding: TextEncoding::Utf16Be, delimiter: b';' });
}

fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

#[test]
fn bytes_that_are_not_utf8_are_windows_1252() {
    let list = reader(b"Name;Mobile\nRen\xe9 D\x92Souza;6000000003\n").unwrap();
    assert_eq!(list.format(), Format::Text { encoding: TextEncoding::Windows1252, delimiter: b';' });
    assert_eq!(rows(list)[0].1[0], "René D’Souza");
}

#[test]
fn a_windows_1252_byte_far_into_a_plain_file_is_read_as_windows_1252() {
    let mut file = b"Name,Mobile\n".to_vec();
    for _ in 0..8000 {
        file.extend_from_slice(b"Ram Kumar,6000000001\n");
    }
    file.extend_from_slice(b"Jos\xe9,6000000002\n");
    let mut list = reader(&file).unwrap();
    let last = list.by_ref().last().unwrap().unwrap();
    assert_eq!((last.row, last.cells[0].as_str()), (8002, "José"));
    assert_eq!(list.format(), Format::Text { encoding: TextEncoding::Windows1252, delimiter: b',' });
}

#[test]
fn invalid_utf8_in_a_utf8_file_is_an_error_at_its_row() {
    let mut list = reader(b"Name,Mobile\n\xe0\xa4\xa8,1\nbad \xff,2\n").unwrap();
    assert!(list.next().unwrap().is_ok());
    let error = list.next().unwrap().unwrap_err();
    assert!(matches!(error, ReadError::Undecodable { row: 3, encoding: "UTF-8" }), "{error:?}");
    assert_eq!(error.to_string(), "row 3: the text is not valid UTF-8");
}

#[test]
fn rows_are_numbered_as_a_spreadsheet_shows_them() {
    let text = "\"List of workers, Surat\",,\n\nName,Mobile,Village\n,,\nA,1,\"two\nlines\"\n\nB,2\n,,\nC,3,x,extra\n";
    let list = reader(text.as_bytes()).unwrap();
    assert_eq!(list.header_row(), 3);
    assert_eq!(list.headers(), ["Name", "Mobile", "Village"]);
    let got = rows(list);
    assert_eq!(got.iter().map(|(row, _)| *row).collect::<Vec<_>>(), [5, 7, 9], "a cell over two lines is one row");
    assert_eq!(got[0].1, cells(&["A", "1", "two\nlines"]));
    assert_eq!(got[1].1, cells(&["B", "2"]), "ragged rows are kept as they are");
    assert_eq!(got[2].1.len(), 4);
}

#[test]
fn a_row_numbering_the_columns_under_the_header_is_skipped() {
    let list = reader(b"Name,Mobile,District\n1,2,3\nA,6000000001,Patna\n").unwrap();
    assert_eq!(rows(list), [(3, cells(&["A", "6000000001", "Patna"]))]);
}

#[test]
fn a_one_column_list_has_its_first_row_as_header() {
    let list = reader(b"Name\nRam\nSita\n").unwrap();
    assert_eq!(list.headers(), ["Name"]);
    assert_eq!(rows(list).len(), 2);
}

#[test]
fn empty_files_and_files_without_a_header_are_refused() {
    for empty in [&b""[..], b"\xEF\xBB\xBF", b"\n\n  \n", b",,,\n,,\n", &[0xFF, 0xFE]] {
        assert!(matches!(reader(empty), Err(ReadError::Empty)), "{empty:?}: {:?}", reader(empty).err());
    }
    let error = reader(b"Ram,6000000001,Patna\nSita,6000000002,Gaya\n").err().unwrap();
    assert!(matches!(error, ReadError::NoHeader { row: 1, column: 2 }), "{error:?}");
    assert!(error.to_string().contains("needs a header row"));
    assert!(matches!(reader(b"\x00\x01\x02\x03binary\x00\x00\x00\x00\x00\x9f"), Err(ReadError::NotText)));
}

#[test]
fn a_damaged_workbook_is_refused_as_one() {
    let error = reader(b"PK\x03\x04 this is not a zip archive at all").err().unwrap();
    assert!(matches!(error, ReadError::Spreadsheet(_)), "{error:?}");
    assert!(error.to_string().starts_with("the workbook cannot be read"));
}

#[test]
fn a_broken_utf16_row_is_an_error_at_its_row() {
    let mut bytes = [&[0xFF, 0xFE][..], &utf16le("Name\tMobile\r\nA\t1\r\n")].concat();
    bytes.extend_from_slice(&[0x00, 0xD8, b'B', 0]); // a lone high surrogate, then "B"
    bytes.extend_from_slice(&utf16le("\t2\r\n"));
    let mut list = reader(&bytes).unwrap();
    assert!(list.next().unwrap().is_ok());
    let error = list.next().unwrap().unwrap_err();
    assert!(matches!(error, ReadError::Undecodable { row: 3, encoding: "UTF-16LE" }), "{error:?}");
}

#[test]
fn the_format_is_said_in_words_and_the_reader_can_go_to_another_thread() {
    let text = Format::Text { encoding: TextEncoding::Utf16Le, delimiter: b'\t' };
    assert_eq!(text.to_string(), "tab-separated text in UTF-16LE");
    assert_eq!(Format::Xlsx { sheet: "Workers".into() }.to_string(), "XLSX workbook, sheet 'Workers'");
    fn sendable<T: Send>() {}
    sendable::<ListReader>();
}

#[test]
fn a_quote_that_never_closes_is_refused_not_read_to_the_end() {
    let mut file = b"Name,Mobile\nA,6000000001\n\"Ram, 6000000002\n".to_vec();
    for _ in 0..100_000 {
        file.extend_from_slice(b"Sita,6000000003\n");
    }
    let mut list = reader(&file).unwrap();
    assert_eq!(list.next().unwrap().unwrap().row, 2);
    let error = list.next().unwrap().unwrap_err();
    assert!(matches!(error, ReadError::Malformed { row: 3, .. }), "{error:?}");
    assert!(error.to_string().contains("never close"), "{error}");
    assert!(list.next().is_none());
}
