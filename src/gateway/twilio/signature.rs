//! `X-Twilio-Signature`: <https://www.twilio.com/docs/usage/webhooks/webhooks-security>.
//!
//! HMAC-SHA1, keyed with the auth token, over the full URL Twilio requested
//! followed by each POST parameter name and value, sorted by name (values of
//! a repeated name sorted too), Base64-encoded. Twilio has been inconsistent
//! about the port in that URL, so, like its own SDKs, we accept the URL with
//! the default port added or removed.

use axum::http::Uri;
use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

type HmacSha1 = Hmac<Sha1>;

/// The signature Twilio would send for `url` and these form parameters.
pub fn sign(token: &str, url: &str, params: &[(String, String)]) -> String {
    STANDARD.encode(mac(token, url, params).finalize().into_bytes())
}

/// Checks a signature header in constant time, against `url` as given and
/// with its default port added or removed.
pub fn validate(token: &str, url: &str, params: &[(String, String)], header: &str) -> bool {
    let Ok(expected) = STANDARD.decode(header.trim()) else { return false };
    url_variants(url).iter().any(|u| mac(token, u, params).verify_slice(&expected).is_ok())
}

fn mac(token: &str, url: &str, params: &[(String, String)]) -> HmacSha1 {
    let mut mac = HmacSha1::new_from_slice(token.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(url.as_bytes());
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac
}

/// The URL itself, and the same URL with the scheme's default port toggled.
fn url_variants(url: &str) -> Vec<String> {
    let mut variants = vec![url.to_owned()];
    let Ok(uri) = url.parse::<Uri>() else { return variants };
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else { return variants };
    let rest = uri.path_and_query().map_or("", |p| p.as_str());
    let host = authority.host();
    let default_port = if scheme == "https" { 443 } else { 80 };
    match authority.port_u16() {
        Some(_) => variants.push(format!("{scheme}://{host}{rest}")),
        None => variants.push(format!("{scheme}://{host}:{default_port}{rest}")),
    }
    variants
}
