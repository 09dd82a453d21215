//! Plivo: the published signature vectors (gateways.md §7.3, §7.4) and parsing.

use super::*;
use crate::domain::Digits;

fn params(pairs: &[(&str, &str)]) -> Params {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[test]
fn v2_vector_from_plivos_sdks() {
    let sig = "ehV3IKhLysWBxC1sy8INm0qGoQYdYsHwuoKjsX7FsXc=";
    assert_eq!(sign_v2("my_auth_token", "https://answer.url", "12345"), sig);
    assert!(validate_v2("my_auth_token", "https://answer.url", "12345", sig));
    assert!(!validate_v2("my_auth_tokens", "https://answer.url", "12345", sig));
}

fn v3_params() -> Params {
    params(&[
        ("Direction", "outbound"),
        ("From", "19792014278"),
        ("ALegUUID", "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36"),
        ("CallStatus", "in-progress"),
        ("BillRate", "0.002"),
        ("ParentAuthID", "MANWVLYTK4ZWU1YTY4QA"),
        ("To", "sip:PlivoSignature382029104058171078704104@phone-qa.voice.plivodev.com"),
        ("ALegRequestUUID", "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36"),
        ("CallUUID", "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36"),
        ("RequestUUID", "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36"),
        ("SIP-H-To", "<sip:PlivoSignature382029104058171078704104@52.9.11.55;transport=udp>;tag=1"),
        ("SessionStart", "2020-04-08 11:34:33.238707"),
        ("Event", "StartApp"),
    ])
}

const V3_TOKEN: &str = "Y2Q2ZDgxZmY5YWRiOTI5YmQ1Njg0MTAxZWIyOTc4";
const V3_NONCE: &str = "31627761595286130198";

#[test]
fn v3_vectors_from_plivo_go() {
    let with_query = "https://plivobin.non-prod.plivops.com/api/v1/validate_signature03.xml/?a=b&c=d";
    let without = "https://plivobin.non-prod.plivops.com/api/v1/validate_signature03.xml";
    let cases = [
        ("POST", with_query, "k7Pusd4OxCIjR5IfA9iedDNu/h/gbdYqdzG/MiYtd1c="),
        ("GET", with_query, "UBq8jAtd32wR8EK9VgxbBn4n5rpI/l1H9iN4WfSEHFQ="),
        ("POST", without, "iAjE5QqI37mbkYe4w3jTMudqEzbDufdqi7sYwTu64e0="),
        ("GET", without, "i/MQsaQSAd6fiKhOh2qeeeLHZ9faldADSb3/7+Akfbc="),
    ];
    for (method, url, expected) in cases {
        assert_eq!(sign_v3(V3_TOKEN, method, url, &v3_params(), V3_NONCE), expected, "{method} {url}");
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let query: Params = serde_urlencoded::from_str(query).unwrap();
        let header = format!("bogus,{expected}");
        assert!(validate_v3(V3_TOKEN, method, base, &query, &v3_params(), V3_NONCE, &header));
        assert!(!validate_v3("another-token", method, base, &query, &v3_params(), V3_NONCE, expected));
    }
}

/// Issue 9, item 6: a captured signed request with forged values added
/// under the same names. Every value is signed (sorted, as Plivo's
/// validators do), so the forgery does not match; and a repeated name the
/// adapter reads is refused even when signed.
#[test]
fn repeated_names_are_signed_with_every_value_and_refused_when_read() {
    let url = "https://sampark.test/plivo/voice";
    let signed = params(&[("CallUUID", "u-signed"), ("From", "911000000001"), ("Event", "StartApp")]);
    let signature = sign_v3(V3_TOKEN, "POST", url, &signed, V3_NONCE);
    let mut forged = params(&[("CallUUID", "u-evil"), ("From", "911000000099")]);
    forged.extend(signed.iter().cloned());
    assert!(!validate_v3(V3_TOKEN, "POST", url, &[], &forged, V3_NONCE, &signature), "forged values are signed too");
    let resigned = sign_v3(V3_TOKEN, "POST", url, &forged, V3_NONCE);
    assert!(validate_v3(V3_TOKEN, "POST", url, &[], &forged, V3_NONCE, &resigned));
    assert_eq!(parse_voice(&[], &forged), Err(GatewayError::Repeated("CallUUID")));
    let swapped: Params = forged.iter().rev().cloned().collect();
    assert_eq!(sign_v3(V3_TOKEN, "POST", url, &swapped, V3_NONCE), resigned, "values sorted: order does not matter");
}

#[test]
fn a_call_uuid_with_spaces_or_500_characters_and_keys_that_are_no_keys_are_refused() {
    let turn = params(&[("turn", "2")]);
    let long = "u".repeat(500);
    for uuid in ["u 1", long.as_str()] {
        let form = params(&[("CallUUID", uuid), ("Digits", "1")]);
        assert_eq!(parse_voice(&turn, &form), Err(GatewayError::Invalid("CallUUID")));
        assert_eq!(parse_hangup(&params(&[("CallUUID", uuid)])), Err(GatewayError::Invalid("CallUUID")));
    }
    let keys = params(&[("CallUUID", "u-1"), ("Digits", "12a")]);
    assert_eq!(parse_voice(&turn, &keys), Err(GatewayError::Invalid("Digits")));
}

#[test]
fn a_plivo_number_without_plus_becomes_e164() {
    let form = params(&[
        ("CallUUID", "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36"),
        ("From", "911000000001"),
        ("Event", "StartApp"),
    ]);
    let inbound = parse_voice(&[], &form).unwrap();
    assert_eq!(inbound.caller.unwrap().as_e164(), "+911000000001");
    assert_eq!(inbound.event, CallEvent::Started);
}

#[test]
fn digits_timeouts_recordings_and_hangups_parse() {
    let base = [("CallUUID", "u-1"), ("From", "911000000001")];
    let turn = params(&[("turn", "2")]);
    let digits = params(&[base[0], base[1], ("Digits", "10")]);
    assert_eq!(parse_voice(&turn, &digits).unwrap().event, CallEvent::Digits { digits: Digits::parse("10").unwrap() });
    let timeout = params(&[("turn", "2"), ("timeout", "1")]);
    assert_eq!(parse_voice(&timeout, &params(&base)).unwrap().event, CallEvent::NoInput);
    let rec = params(&[base[0], ("RecordUrl", "https://media.plivo.com/r/1.wav"), ("RecordingDuration", "8")]);
    assert!(matches!(parse_voice(&turn, &rec).unwrap().event, CallEvent::Recorded { .. }));
    let hangup = parse_hangup(&params(&[base[0], ("CallStatus", "completed"), ("HangupCause", "NORMAL_CLEARING")]));
    assert_eq!(hangup.unwrap().unwrap().event, CallEvent::Ended { reason: EndReason::CallerHungUp });
    assert_eq!(parse_voice(&[], &params(&[("From", "1")])), Err(GatewayError::Missing("CallUUID")));
}
