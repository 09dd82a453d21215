use super::*;

const HEADERS: [&str; 10] =
    ["Name", "Mobile", "State", "District", "Village", "PIN", "Stranded at", "Language", "Need", "Consent"];

fn mapping() -> Mapping {
    Mapping::detect(&HEADERS.map(str::to_owned))
}

/// A row of `HEADERS`' cells, the rest blank.
fn row(cells: &[(&str, &str)]) -> Record {
    let cells = HEADERS.map(|h| cells.iter().find(|(k, _)| *k == h).map_or("", |(_, v)| v).to_owned());
    Record { row: 14, cells: cells.to_vec() }
}

fn parse(cells: &[(&str, &str)]) -> Result<ListRow, Rejected> {
    parse_row(&mapping(), &row(cells), Directory::bundled())
}

fn state(code: u8) -> StateCode {
    StateCode::new(code).unwrap()
}

fn district(code: u16) -> DistrictCode {
    DistrictCode::new(code).unwrap()
}

#[test]
fn phone_numbers_as_lists_write_them() {
    for written in [
        "6000000001",
        "60000 00001",
        "6000-000-001",
        "+91 6000000001",
        "+91-60000-00001",
        "916000000001",
        "06000000001",
        "(M) 6000000001",
        "Mob: 6000000001",
        "6000000001.0",
        "'6000000001",
        "६००००००००१",
    ] {
        let got = parse(&[("Mobile", written)]).unwrap_or_else(|e| panic!("{written}: {e}"));
        assert_eq!(got.phone.as_ref().map(PhoneNumber::as_e164), Some("+916000000001"), "{written}");
        assert_eq!(got.other_phone, None);
    }
}

#[test]
fn two_numbers_in_a_cell_keep_the_second_as_another() {
    for written in ["6000000001 / 6000000002", "6000000001,6000000002", "+91 6000000001; 06000000002"] {
        let got = parse(&[("Mobile", written)]).unwrap();
        assert_eq!(got.phone.unwrap().as_e164(), "+916000000001", "{written}");
        assert_eq!(got.other_phone.unwrap().as_e164(), "+916000000002", "{written}");
    }
    let same = parse(&[("Mobile", "6000000001/6000000001")]).unwrap();
    assert_eq!(same.other_phone, None);
}

#[test]
fn a_number_the_spreadsheet_rounded_is_refused_not_guessed() {
    for written in ["9.876543210E+09", "6E+09", "6.00E+09", "6.000000001e9"] {
        let error = parse(&[("Name", "Ram"), ("Mobile", written)]).unwrap_err();
        assert_eq!(error.reason, RejectReason::Mangled(written.to_owned()), "{written}");
        assert!(error.to_string().contains("mangled by the spreadsheet"), "{error}");
    }
}

#[test]
fn a_wrong_number_rejects_the_row_with_the_reason() {
    let error = parse(&[("Name", "Ram"), ("Mobile", "98765")]).unwrap_err();
    assert_eq!(error.to_string(), "row 14: phone '98765' is not a 10-digit mobile number");
    for wrong in ["5000000001", "0612 2345678 ext", "+91 98765", "call after 6", "60000000012"] {
        assert!(
            matches!(parse(&[("Mobile", wrong)]), Err(Rejected { reason: RejectReason::NotMobile(_), .. })),
            "{wrong}"
        );
    }
    assert_eq!(parse(&[("Mobile", "+977 9841234567")]).unwrap().phone.unwrap().as_e164(), "+9779841234567");
}

#[test]
fn a_person_without_a_number_is_kept_and_a_row_with_neither_is_not() {
    let ram = parse(&[("Name", "  Ram   Kumar "), ("Mobile", "NA")]).unwrap();
    assert_eq!((ram.phone, ram.name.as_deref()), (None, Some("Ram Kumar")));
    let error = parse(&[("Mobile", "-"), ("District", "Patna")]).unwrap_err();
    assert_eq!(error, Rejected { row: 14, reason: RejectReason::NoPhoneOrName });
}

#[test]
fn places_as_lists_spell_them() {
    for (state_text, district_text, want_state, want_district) in [
        ("U.P.", "Jounpur", 9, 152),
        ("Uttar Pardesh", "Allahabad", 9, 120),
        ("बिहार", "पूर्णिया", 10, 214),
        ("Bihar", "Purnea", 10, 214),
        ("Orissa", "", 21, 0),
        ("Haryana", "Gurgaon", 6, 62),
    ] {
        let got = parse(&[("Name", "A"), ("State", state_text), ("District", district_text)]).unwrap();
        assert_eq!(got.home_state.code(), Some(state(want_state)), "{state_text}: {:?}", got.home_state);
        if want_district > 0 {
            assert_eq!(
                got.home_district.code(),
                Some(district(want_district)),
                "{district_text}: {:?}",
                got.home_district
            );
        } else {
            assert_eq!(got.home_district, Placed::Blank);
        }
    }
}

#[test]
fn a_sure_district_gives_a_blank_state() {
    let got = parse(&[("Name", "A"), ("District", "Purnia")]).unwrap();
    assert_eq!(got.home_district.code(), Some(district(214)));
    assert!(matches!(got.home_state, Placed::Known { code, .. } if code == state(10)), "{:?}", got.home_state);
}

#[test]
fn a_name_two_districts_share_stays_uncertain_with_its_candidates() {
    let got = parse(&[("Name", "A"), ("District", "Aurangabad")]).unwrap();
    let Placed::Uncertain { text, candidates } = &got.home_district else {
        panic!("{:?}", got.home_district);
    };
    assert_eq!(text, "Aurangabad");
    assert!(candidates.len() >= 2 && candidates.len() <= 3, "{candidates:?}");
    assert!(candidates.iter().any(|(c, _)| *c == district(189)), "Bihar's Aurangabad: {candidates:?}");
    assert_eq!(got.home_state, Placed::Blank);
    let nonsense = parse(&[("Name", "A"), ("District", "qqqq zzzz")]).unwrap();
    assert_eq!(nonsense.home_district, Placed::Unknown { text: "qqqq zzzz".into() });
}

#[test]
fn the_pin_code_fills_open_places_and_is_flagged_when_it_disagrees() {
    let pin = crate::directory::pin_code("110001").unwrap();
    let (pin_state, pin_district) = (pin.state.unwrap(), pin.district.unwrap());
    let filled = parse(&[("Name", "A"), ("PIN", "110 001")]).unwrap();
    assert_eq!(filled.pin, Checked::Known("110001".into()));
    assert_eq!(filled.home_district, Placed::Known { code: pin_district, confidence: 1.0 });
    assert_eq!(filled.home_state, Placed::Known { code: pin_state, confidence: 1.0 });
    assert!(!filled.pin_conflicts);
    let against = parse(&[("Name", "A"), ("State", "Bihar"), ("District", "Patna"), ("PIN", "110001")]).unwrap();
    assert_eq!(against.home_district.code(), Some(district(212)), "the list's district is kept");
    assert!(against.pin_conflicts);
    let elsewhere = parse(&[("Name", "A"), ("State", "Bihar"), ("PIN", "110001")]).unwrap();
    assert_eq!((elsewhere.home_state.code(), &elsewhere.home_district), (Some(state(10)), &Placed::Blank));
    assert!(elsewhere.pin_conflicts, "a Delhi PIN gives a Bihar worker no Delhi district");
    let bad = parse(&[("Name", "A"), ("PIN", "8010")]).unwrap();
    assert_eq!(bad.pin, Checked::Unknown { text: "8010".into() });
}

#[test]
fn language_need_and_consent_cells() {
    let got = parse(&[("Name", "A"), ("Language", "हिंदी"), ("Need", "Ration"), ("Consent", "हाँ")]).unwrap();
    assert_eq!(got.language, Checked::Known(Language::parse("hi").unwrap()));
    assert_eq!(got.need, Checked::Known(Need::Food));
    assert_eq!(got.consent, Some(true));
    let free = parse(&[("Name", "A"), ("Language", "Sadri"), ("Need", "wages  not paid  since March")]).unwrap();
    assert_eq!(free.language, Checked::Unknown { text: "Sadri".into() });
    assert_eq!(free.need, Checked::Unknown { text: "wages not paid since March".into() });
    assert_eq!((free.consent, free.village), (None, None));
    assert_eq!(parse(&[("Name", "A"), ("Consent", "N")]).unwrap().consent, Some(false));
}

#[test]
fn a_short_row_reads_its_missing_cells_as_blank() {
    let record = Record { row: 3, cells: vec!["Ram".into()] };
    let got = parse_row(&mapping(), &record, Directory::bundled()).unwrap();
    assert_eq!((got.name.as_deref(), got.phone, got.pin), (Some("Ram"), None, Checked::Blank));
}

#[test]
fn a_parser_for_a_whole_list_reads_as_parse_row_does() {
    let mut parser = RowParser::new(mapping(), Directory::bundled());
    for cells in [
        [("Name", "A"), ("State", "U.P."), ("District", "Jounpur")],
        [("Name", "B"), ("State", "Bihar"), ("District", "Aurangabad")],
        [("Name", "C"), ("State", ""), ("District", "Aurangabad")],
        [("Name", "D"), ("State", "U.P."), ("District", "Jounpur")],
    ] {
        assert_eq!(parser.parse(&row(&cells)), parse(&cells), "{cells:?}");
    }
    assert_eq!(parser.mapping(), &mapping());
}

#[test]
fn rows_and_rejections_round_trip_as_json() {
    let row = parse(&[
        ("Name", "A"),
        ("Mobile", "6000000001"),
        ("State", "Bihar"),
        ("District", "Aurangabad"),
        ("PIN", "110001"),
    ])
    .unwrap();
    let json = serde_json::to_value(&row).unwrap();
    assert_eq!(json["phone"], "+916000000001");
    assert_eq!(json["home_state"]["known"]["code"], 10);
    assert_eq!(json["pin"]["known"], "110001");
    assert_eq!(json["need"], "blank");
    assert_eq!(serde_json::from_value::<ListRow>(json).unwrap(), row);
    let rejected = parse(&[("Mobile", "98765")]).unwrap_err();
    let json = serde_json::to_string(&rejected).unwrap();
    assert_eq!(json, r#"{"row":14,"reason":{"not_mobile":"98765"}}"#);
}
