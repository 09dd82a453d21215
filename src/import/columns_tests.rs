use super::*;

fn headers(names: &[&str]) -> Vec<String> {
    names.iter().map(|h| (*h).to_owned()).collect()
}

fn field_of(header: &str) -> Field {
    detect_field(header)
}

#[test]
fn english_headers_as_lists_write_them() {
    for (header, field) in [
        ("Name", Field::Name),
        ("Worker Name", Field::Name),
        ("Name of Migrant", Field::Name),
        ("WorkerName", Field::Name),
        ("Mobile", Field::Phone),
        ("Mobile No.", Field::Phone),
        ("MOBILE NUMBER", Field::Phone),
        ("Phone", Field::Phone),
        ("Contact No", Field::Phone),
        ("State", Field::HomeState),
        ("Home State", Field::HomeState),
        ("District", Field::HomeDistrict),
        ("Home District", Field::HomeDistrict),
        ("Distt.", Field::HomeDistrict),
        ("District Name", Field::HomeDistrict),
        ("Village", Field::Village),
        ("Name of Village", Field::Village),
        ("Ward", Field::Ward),
        ("Ward No.", Field::Ward),
        ("Post Office", Field::PostOffice),
        ("PO", Field::PostOffice),
        ("P.O.", Field::PostOffice),
        ("PIN", Field::Pin),
        ("Pincode", Field::Pin),
        ("Pin Code", Field::Pin),
        ("Current Location", Field::CurrentLocation),
        ("Stranded at", Field::CurrentLocation),
        ("Present Address", Field::CurrentLocation),
        ("Current State", Field::CurrentLocation),
        ("Language", Field::Language),
        ("Need", Field::Need),
        ("Requirement", Field::Need),
        ("Help Required", Field::Need),
        ("Consent", Field::Consent),
        ("Consent (Y/N)", Field::Consent),
    ] {
        assert_eq!(field_of(header), field, "{header}");
    }
}

#[test]
fn hindi_headers_with_and_without_nukta_and_chandrabindu() {
    for (header, field) in [
        ("नाम", Field::Name),
        ("श्रमिक का नाम", Field::Name),
        ("मोबाइल", Field::Phone),
        ("मोबाइल नंबर", Field::Phone),
        ("मोबाइल सं.", Field::Phone),
        ("फ़ोन", Field::Phone),
        ("फोन", Field::Phone),
        ("राज्य", Field::HomeState),
        ("गृह राज्य", Field::HomeState),
        ("जिला", Field::HomeDistrict),
        ("ज़िला", Field::HomeDistrict),
        ("जनपद", Field::HomeDistrict),
        ("गांव", Field::Village),
        ("गाँव", Field::Village),
        ("ग्राम", Field::Village),
        ("वार्ड", Field::Ward),
        ("डाकघर", Field::PostOffice),
        ("पिन कोड", Field::Pin),
        ("वर्तमान पता", Field::CurrentLocation),
        ("वर्तमान स्थान", Field::CurrentLocation),
        ("भाषा", Field::Language),
        ("ज़रूरत", Field::Need),
        ("आवश्यकता", Field::Need),
        ("सहमति", Field::Consent),
    ] {
        assert_eq!(field_of(header), field, "{header}");
    }
}

#[test]
fn bengali_and_odia_headers_and_hindi_abbreviations() {
    for (header, field) in [
        ("নাম", Field::Name),
        ("মোবাইল নম্বর", Field::Phone),
        ("জেলা", Field::HomeDistrict),
        ("গ্রাম", Field::Village),
        ("বাবার নাম", Field::Ignore),
        ("ନାମ", Field::Name),
        ("ମୋବାଇଲ ନମ୍ବର", Field::Phone),
        ("ଜିଲ୍ଲା", Field::HomeDistrict),
        ("ଗାଁ", Field::Village),
        ("ପିତାଙ୍କ ନାମ", Field::Ignore),
        ("मो0 नं0", Field::Phone),
        ("मो० नं०", Field::Phone),
        ("मो.नं.", Field::Phone),
        ("पोस्ट ऑफिस", Field::PostOffice),
    ] {
        assert_eq!(field_of(header), field, "{header}");
    }
}

#[test]
fn a_document_beside_a_field_does_not_hide_it() {
    assert_eq!(field_of("Name (as per Aadhaar)"), Field::Name);
    assert_eq!(field_of("Aadhaar linked Mobile No"), Field::Phone);
    for ignored in ["Bank Name", "Branch Name", "Employer Name", "Contractor Mobile", "Date of return to Home State"] {
        assert_eq!(field_of(ignored), Field::Ignore, "{ignored}");
    }
}

#[test]
fn numbers_serials_and_other_peoples_names_are_not_the_worker() {
    assert_eq!(field_of("1. Name"), Field::Name);
    assert_eq!(field_of("(3) District"), Field::HomeDistrict);
    for ignored in [
        "Sl No",
        "S.No.",
        "Sr. No",
        "क्रम संख्या",
        "क्र.सं.",
        "Father's Name",
        "Father/Husband Name",
        "पिता का नाम",
        "Aadhaar No",
        "Bank Account No",
        "Alternate Mobile",
        "Age",
        "Ration Card No",
        "Email ID",
        "Remarks",
        "Contact Address",
        "Address",
        "Block",
        "",
        "  ",
        "7",
    ] {
        assert_eq!(field_of(ignored), Field::Ignore, "{ignored}");
    }
}

#[test]
fn a_field_goes_to_the_first_column_that_names_it() {
    let mapping = Mapping::detect(&headers(&["Sl No", "Name", "Mobile", "Phone", "जिला"]));
    let fields: Vec<Field> = mapping.columns().iter().map(|c| c.field).collect();
    assert_eq!(fields, [Field::Ignore, Field::Name, Field::Phone, Field::Ignore, Field::HomeDistrict]);
    assert_eq!(mapping.index_of(Field::Phone), Some(2));
    assert_eq!(mapping.ignored().collect::<Vec<_>>(), ["Sl No", "Phone"]);
}

#[test]
fn the_description_names_each_column_and_what_is_ignored() {
    let mapping = Mapping::detect(&headers(&["क्रम संख्या", "मोबाइल", "नाम", "Phone", ""]));
    assert_eq!(
        mapping.describe(),
        "column 2 'मोबाइल' → phone\ncolumn 3 'नाम' → name\nignored: 1 'क्रम संख्या', 4 'Phone' (phone is column 2)"
    );
}

#[test]
fn overrides_by_header_or_number_move_a_field() {
    let mapping = Mapping::detect(&headers(&["Name", "Mobile No", "Contact", "Gaon Panchayat", "Village, Post"]));
    let fixed = mapping.with_overrides("contact=phone, 4 = village,Village, Post=post_office,Name=ignore").unwrap();
    let fields: Vec<Field> = fixed.columns().iter().map(|c| c.field).collect();
    assert_eq!(fields, [Field::Ignore, Field::Ignore, Field::Phone, Field::Village, Field::PostOffice]);
    assert!(fixed.check().is_ok());
}

#[test]
fn overrides_that_name_nothing_are_refused_clearly() {
    let mapping = Mapping::detect(&headers(&["Name", "Mobile"]));
    assert_eq!(mapping.with_overrides("Mobile=fone").unwrap_err(), MappingError::UnknownField("fone".into()));
    let unknown = mapping.with_overrides("Gaon=village").unwrap_err();
    assert_eq!(unknown, MappingError::UnknownColumn { wanted: "Gaon".into(), columns: "'Name', 'Mobile'".into() });
    assert!(unknown.to_string().contains("no column `Gaon`"), "{unknown}");
    assert!(matches!(mapping.with_overrides("3=phone"), Err(MappingError::UnknownColumn { .. })));
    assert!(matches!(mapping.with_overrides("Mobile"), Err(MappingError::Malformed(_))));
    assert!(matches!(mapping.with_overrides("=phone"), Err(MappingError::Malformed(_))));
    assert_eq!(mapping.with_overrides("Mobile=state").unwrap().index_of(Field::HomeState), Some(1));
    assert_eq!(mapping.with_overrides("").unwrap(), mapping);
}

#[test]
fn a_mapping_without_phone_or_name_is_refused() {
    let mapping = Mapping::detect(&headers(&["District", "Village", "Need"]));
    assert_eq!(mapping.check(), Err(MappingError::NoPhoneOrName));
    assert!(Mapping::detect(&headers(&["नाम"])).check().is_ok());
    assert!(Mapping::detect(&headers(&["Mobile"])).check().is_ok());
    assert!(mapping.with_overrides("Village=name").unwrap().check().is_ok());
}

#[test]
fn a_saved_mapping_round_trips_as_json_and_serves_the_next_file() {
    let saved = Mapping::detect(&headers(&["Naam Shramik", "Mob", "Gaon"])).with_overrides("1=name").unwrap();
    let json = serde_json::to_string(&saved).unwrap();
    assert!(json.contains(r#""field":"name""#), "{json}");
    assert_eq!(serde_json::from_str::<Mapping>(&json).unwrap(), saved);
    let next = saved.applied_to(&headers(&["Sl No", "NAAM SHRAMIK", "Mob", "District"]));
    let fields: Vec<Field> = next.columns().iter().map(|c| c.field).collect();
    assert_eq!(fields, [Field::Ignore, Field::Name, Field::Phone, Field::HomeDistrict]);
}

#[test]
fn fields_read_by_their_names() {
    assert_eq!("home_district".parse::<Field>().unwrap(), Field::HomeDistrict);
    assert_eq!("District".parse::<Field>().unwrap(), Field::HomeDistrict);
    assert_eq!("post office".parse::<Field>().unwrap(), Field::PostOffice);
    for field in Field::ALL {
        assert_eq!(field.as_str().parse::<Field>().unwrap(), field);
        assert_eq!(serde_json::to_string(&field).unwrap(), format!("\"{}\"", field.as_str()));
    }
}
