//! Which URLs are recordings of our Twilio account, at Twilio's API.
//!
//! Recording resources live at
//! `https://api.twilio.com/2010-04-01/Accounts/<AccountSid>/Recordings/<RecordingSid>`
//! (<https://www.twilio.com/docs/voice/api/recording>); `.wav`, `.mp3` or
//! `.json` may follow the SID. A URL is compared as parsed, never as text:
//! `https://api.twilio.com.evil.example/…`, `https://api.twilio.com@evil.example/…`
//! and a prefix that only *starts like* the API URL are not the API.

use reqwest::Url;

/// A recording resource of the account at the configured API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwilioRecording {
    /// The recording's SID (`RE` and 32 hex digits).
    pub sid: String,
    /// The resource, rebuilt from the API URL, the account and the SID alone
    /// (no extension, query or user info from the stored URL).
    pub resource: Url,
}

/// `Some` when `url` has the API's exact scheme, host and port, no user
/// info, query or fragment, and the path of one of `account_sid`'s
/// recordings under the API's path.
pub fn twilio_recording(api_url: &str, account_sid: &str, url: &str) -> Option<TwilioRecording> {
    let api = Url::parse(api_url).ok()?;
    let url = Url::parse(url).ok()?;
    let same_origin = url.scheme() == api.scheme()
        && url.host_str().is_some()
        && url.host_str() == api.host_str()
        && url.port_or_known_default() == api.port_or_known_default();
    let plain = url.username().is_empty() && url.password().is_none() && url.query().is_none();
    if !same_origin || !plain || url.fragment().is_some() {
        return None;
    }
    let prefix = api.path().trim_end_matches('/');
    let rest = url.path().strip_prefix(prefix)?.strip_prefix('/')?;
    let segments: Vec<&str> = rest.split('/').collect();
    let ["2010-04-01", "Accounts", sid, "Recordings", recording] = segments.as_slice() else { return None };
    let recording = [".wav", ".mp3", ".json"].iter().find_map(|ext| recording.strip_suffix(ext)).unwrap_or(recording);
    if *sid != account_sid || !is_sid(sid, "AC") || !is_sid(recording, "RE") {
        return None;
    }
    let mut resource = api.clone();
    resource.set_path(&format!("{prefix}/2010-04-01/Accounts/{account_sid}/Recordings/{recording}"));
    Some(TwilioRecording { sid: recording.to_owned(), resource })
}

/// A Twilio SID: the two-letter prefix and 32 hex digits.
fn is_sid(text: &str, prefix: &str) -> bool {
    text.strip_prefix(prefix).is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const API: &str = "https://api.twilio.com";
    const SID: &str = "AC00000000000000000000000000000000";
    const RE: &str = "RE0123456789abcdef0123456789abcdef";

    fn recording(url: &str) -> Option<String> {
        twilio_recording(API, SID, url).map(|r| r.resource.to_string())
    }

    #[test]
    fn the_accounts_recordings_at_the_api_are_recognised() {
        let genuine = format!("{API}/2010-04-01/Accounts/{SID}/Recordings/{RE}");
        assert_eq!(recording(&genuine), Some(genuine.clone()));
        assert_eq!(recording(&format!("{genuine}.wav")), Some(genuine.clone()), "the extension is dropped");
        assert_eq!(
            recording(&format!("https://api.twilio.com:443/2010-04-01/Accounts/{SID}/Recordings/{RE}")),
            Some(genuine)
        );
    }

    #[test]
    fn lookalike_hosts_and_prefix_tricks_are_not_the_api() {
        let path = format!("/2010-04-01/Accounts/{SID}/Recordings/{RE}");
        for url in [
            format!("https://api.twilio.com.evil.example{path}"),
            format!("https://api.twilio.com@evil.example{path}"),
            format!("https://user:pass@api.twilio.com{path}"),
            format!("https://api.twilio.com:444{path}"),
            format!("http://api.twilio.com{path}"),
            format!("https://evil.example/api.twilio.com{path}"),
            format!("https://api.twilio.com{path}?x=1"),
            format!("https://api.twilio.com{path}/../../../Calls.json"),
            format!("https://api.twilio.com/2010-04-01/Accounts/AC11111111111111111111111111111111/Recordings/{RE}"),
            format!("https://api.twilio.com/2010-04-01/Accounts/{SID}/Calls/{RE}"),
            format!("https://api.twilio.com/2010-04-01/Accounts/{SID}/Recordings/RE1"),
            format!("https://api.twilio.com/2010-04-01/Accounts/{SID}/Recordings/{RE}%2F..%2F"),
            "not a url".to_owned(),
        ] {
            assert_eq!(recording(&url), None, "{url}");
        }
    }

    #[test]
    fn an_api_url_with_a_port_or_a_path_is_matched_exactly() {
        let api = "http://127.0.0.1:4010/twilio";
        let url = format!("http://127.0.0.1:4010/twilio/2010-04-01/Accounts/{SID}/Recordings/{RE}");
        assert!(twilio_recording(api, SID, &url).is_some());
        let other_port = format!("http://127.0.0.1:40100/twilio/2010-04-01/Accounts/{SID}/Recordings/{RE}");
        assert!(twilio_recording(api, SID, &other_port).is_none(), "the API URL is a prefix of it as text");
        let outside = format!("http://127.0.0.1:4010/2010-04-01/Accounts/{SID}/Recordings/{RE}");
        assert!(twilio_recording(api, SID, &outside).is_none());
    }
}
