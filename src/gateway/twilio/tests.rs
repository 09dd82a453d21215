//! Twilio adapter tests: the published signature vectors, request parsing,
//! and TwiML rendering.

use super::*;
use crate::domain::Digits;
use crate::flow::{CallEvent, EndReason};

fn params(pairs: &[(&str, &str)]) -> Params {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// gateways.md §7.1: Twilio's documented worked example.
#[test]
fn twilios_documented_signature_example_matches() {
    let form = params(&[
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ]);
    let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    assert_eq!(sign("12345", url, &form), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    assert!(validate("12345", url, &form, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
    assert!(!validate("54321", url, &form, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
}

fn sdk_params() -> Params {
    params(&[
        ("CallSid", "CA1234567890ABCDE"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
        ("Caller", "+14158675309"),
    ])
}

/// gateways.md §7.2: vectors from twilio-python's request validator tests.
#[test]
fn sdk_vectors_with_and_without_ports_validate() {
    let base = "https://mycompany.com/myapp.php?foo=1&bar=2";
    assert_eq!(sign("12345", base, &sdk_params()), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
    // Twilio signed with :443 added; we were configured without it.
    assert!(validate("12345", base, &sdk_params(), "kvajT1Ptam85bY51eRf/AJRuM3w="));
    let custom = "http://mycompany.com:1234/myapp.php?foo=1&bar=2";
    assert!(validate("12345", custom, &sdk_params(), "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="));
    let http80 = "http://mycompany.com:80/myapp.php?foo=1&bar=2";
    assert!(validate("12345", http80, &sdk_params(), "0ZXoZLH/DfblKGATFgpif+LLRf4="));
    // Configured with a port, Twilio signed without it.
    let https1234 = "https://mycompany.com:1234/myapp.php?foo=1&bar=2";
    assert!(validate("12345", https1234, &sdk_params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
}

#[test]
fn repeated_parameters_are_signed_with_sorted_values() {
    let form = params(&[("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")]);
    let base = "https://mycompany.com/myapp.php?foo=1&bar=2";
    assert_eq!(sign("12345", base, &form), "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
}

/// Issue 9, item 6, for Twilio: the signature sorts a repeated name's
/// values, so reordering them keeps a captured signature valid; a repeated
/// name the adapter reads is therefore refused, never resolved to one value.
#[test]
fn a_repeated_name_is_refused_even_when_signed() {
    let signed = params(&[("CallSid", "CA1"), ("Digits", "10"), ("Digits", "99")]);
    let reordered = params(&[("CallSid", "CA1"), ("Digits", "99"), ("Digits", "10")]);
    let url = "https://sampark.test/twilio/voice?turn=3";
    assert!(validate("12345", url, &reordered, &sign("12345", url, &signed)), "the signature cannot tell");
    let turn = params(&[("turn", "3")]);
    assert_eq!(parse_voice(&turn, &reordered), Err(GatewayError::Repeated("Digits")));
    let two_calls = params(&[("CallSid", "CA1"), ("CallSid", "CA2"), ("CallStatus", "completed")]);
    assert_eq!(parse_status(&two_calls), Err(GatewayError::Repeated("CallSid")));
    let two_turns = params(&[("turn", "3"), ("turn", "4")]);
    assert_eq!(parse_voice(&two_turns, &params(&[("CallSid", "CA1")])), Err(GatewayError::Repeated("turn")));
}

#[test]
fn a_garbage_signature_header_is_rejected_not_a_panic() {
    assert!(!validate("12345", "https://x.test/", &sdk_params(), "not base64!!"));
    assert!(!validate("12345", "not a url", &sdk_params(), ""));
}

#[test]
fn the_first_request_of_a_call_is_a_start() {
    let form = params(&[("CallSid", "CA1"), ("From", "+911000000001"), ("CallStatus", "ringing")]);
    let inbound = parse_voice(&[], &form).unwrap();
    assert_eq!(inbound.event, CallEvent::Started);
    assert_eq!(inbound.step, crate::gateway::Step::Turn(0));
    assert_eq!(inbound.caller.unwrap().as_e164(), "+911000000001");
}

#[test]
fn digits_a_timeout_and_a_recording_are_told_apart() {
    let form = params(&[("CallSid", "CA1"), ("Digits", "09")]);
    let turn = params(&[("turn", "3")]);
    assert_eq!(parse_voice(&turn, &form).unwrap().event, CallEvent::Digits { digits: Digits::parse("09").unwrap() });
    let timeout = params(&[("turn", "3"), ("timeout", "1")]);
    assert_eq!(parse_voice(&timeout, &form).unwrap().event, CallEvent::NoInput);
    let empty = params(&[("CallSid", "CA1"), ("Digits", "")]);
    assert_eq!(parse_voice(&turn, &empty).unwrap().event, CallEvent::NoInput);
    let rec =
        params(&[("CallSid", "CA1"), ("RecordingUrl", "https://api.twilio.com/r/RE1"), ("RecordingDuration", "7")]);
    let CallEvent::Recorded { message } = parse_voice(&turn, &rec).unwrap().event else { panic!() };
    assert_eq!(message.duration_secs, Some(7));
}

#[test]
fn malformed_requests_name_the_bad_parameter() {
    assert_eq!(parse_voice(&[], &params(&[("From", "+91")])), Err(GatewayError::Missing("CallSid")));
    let bad_turn = params(&[("turn", "x")]);
    assert_eq!(parse_voice(&bad_turn, &params(&[("CallSid", "CA1")])), Err(GatewayError::Invalid("turn")));
    let bad_digits = params(&[("CallSid", "CA1"), ("Digits", "12<script>")]);
    assert_eq!(parse_voice(&params(&[("turn", "1")]), &bad_digits), Err(GatewayError::Invalid("Digits")));
    let bad_sid = params(&[("CallSid", "CA1/../x")]);
    assert_eq!(parse_voice(&[], &bad_sid), Err(GatewayError::Invalid("CallSid")));
}

#[test]
fn a_call_sid_with_spaces_or_500_characters_and_keys_that_are_no_keys_are_refused() {
    let long = "C".repeat(500);
    for sid in ["CA 1", long.as_str()] {
        let form = params(&[("CallSid", sid), ("Digits", "1")]);
        assert_eq!(parse_voice(&params(&[("turn", "1")]), &form), Err(GatewayError::Invalid("CallSid")));
        let status = params(&[("CallSid", sid), ("CallStatus", "completed")]);
        assert_eq!(parse_status(&status), Err(GatewayError::Invalid("CallSid")));
    }
    let keys = params(&[("CallSid", "CA1"), ("Digits", "12a")]);
    assert_eq!(parse_voice(&params(&[("turn", "1")]), &keys), Err(GatewayError::Invalid("Digits")));
    let too_many = params(&[("CallSid", "CA1"), ("Digits", &"1".repeat(33))]);
    assert_eq!(parse_voice(&params(&[("turn", "1")]), &too_many), Err(GatewayError::Invalid("Digits")));
}

#[test]
fn status_callbacks_end_the_call_only_on_final_statuses() {
    let done = parse_status(&params(&[("CallSid", "CA1"), ("CallStatus", "completed")])).unwrap().unwrap();
    assert_eq!(done.event, CallEvent::Ended { reason: EndReason::CallerHungUp });
    assert_eq!(done.step, crate::gateway::Step::Callback { key: "status:completed".to_owned() });
    assert!(parse_status(&params(&[("CallSid", "CA1"), ("CallStatus", "ringing")])).unwrap().is_none());
    let busy = parse_status(&params(&[("CallSid", "CA1"), ("CallStatus", "no-answer")])).unwrap().unwrap();
    assert_eq!(busy.event, CallEvent::Ended { reason: EndReason::Failed });
}
