//! Plivo request signatures: <https://www.plivo.com/docs/voice/concepts/signature-validation>.
//!
//! V3 (`X-Plivo-Signature-V3`, `X-Plivo-Signature-V3-Nonce`): HMAC-SHA256,
//! keyed with the auth token, over a canonical URL followed by `.` and the
//! nonce, Base64-encoded. The canonical URL is `scheme://host/path`, then —
//! if there are parameters or a query — `?` and:
//! - GET: query and parameters merged, sorted by name, as `k=v` joined by `&`;
//! - POST with a query: the sorted query as `k=v&…`, `.`, then the sorted
//!   POST parameters as `kv…` (a trailing `.` trimmed);
//! - POST without a query: the sorted POST parameters as `kv…`.
//!
//! The header may hold several comma-separated signatures; any may match.
//! V2 (`X-Plivo-Signature-V2`, `-V2-Nonce`): HMAC-SHA256 over the URL
//! without its query, followed by the nonce.

use std::collections::BTreeMap;

use axum::http::Uri;
use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Which signature scheme a deployment checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureVersion {
    V2,
    V3,
}

/// The V3 signature Plivo would send.
pub fn sign_v3(token: &str, method: &str, url: &str, params: &[(String, String)], nonce: &str) -> String {
    let message = format!("{}.{nonce}", canonical_url_v3(method, url, params));
    hmac_base64(token, &message)
}

/// The V2 signature Plivo would send.
pub fn sign_v2(token: &str, url: &str, nonce: &str) -> String {
    let base = url.split('?').next().unwrap_or(url);
    hmac_base64(token, &format!("{base}{nonce}"))
}

/// Checks a V3 header (one or more comma-separated signatures).
pub fn validate_v3(
    token: &str,
    method: &str,
    url: &str,
    params: &[(String, String)],
    nonce: &str,
    header: &str,
) -> bool {
    let expected = sign_v3(token, method, url, params, nonce);
    header.split(',').any(|candidate| constant_time_eq(candidate.trim(), &expected))
}

/// Checks a V2 header.
pub fn validate_v2(token: &str, url: &str, nonce: &str, header: &str) -> bool {
    header.split(',').any(|candidate| constant_time_eq(candidate.trim(), &sign_v2(token, url, nonce)))
}

fn hmac_base64(token: &str, message: &str) -> String {
    let mut mac = HmacSha256::new_from_slice(token.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(message.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Compares two signatures without stopping at the first difference.
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn canonical_url_v3(method: &str, url: &str, params: &[(String, String)]) -> String {
    let Ok(uri) = url.parse::<Uri>() else { return url.to_owned() };
    let scheme = uri.scheme_str().unwrap_or("https");
    let authority = uri.authority().map_or("", |a| a.as_str());
    let mut out = format!("{scheme}://{authority}{}", uri.path());
    let query: BTreeMap<String, String> = uri
        .query()
        .map(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default().into_iter().collect())
        .unwrap_or_default();
    let params: BTreeMap<String, String> = params.iter().cloned().collect();
    if query.is_empty() && params.is_empty() {
        return out;
    }
    out.push('?');
    let pairs = |m: &BTreeMap<String, String>| m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    let concatenated = |m: &BTreeMap<String, String>| m.iter().map(|(k, v)| format!("{k}{v}")).collect::<String>();
    if method.eq_ignore_ascii_case("GET") {
        let mut merged = query;
        merged.extend(params);
        out.push_str(&pairs(&merged));
    } else if query.is_empty() {
        out.push_str(&concatenated(&params));
    } else {
        out.push_str(&pairs(&query));
        out.push('.');
        out.push_str(&concatenated(&params));
        while out.ends_with('.') {
            out.pop();
        }
    }
    out
}
