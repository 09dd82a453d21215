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
//! A repeated name is signed with all its values, sorted, as Plivo's own
//! validators do; the adapter then refuses repeated names it reads, so one
//! parsed set of parameters is both what was checked and what is used.
//!
//! The header may hold several comma-separated signatures; any may match.
//! V2 (`X-Plivo-Signature-V2`, `-V2-Nonce`): HMAC-SHA256 over the URL
//! without its query, followed by the nonce.

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

/// The V3 signature Plivo would send for `url` (query included).
pub fn sign_v3(token: &str, method: &str, url: &str, params: &[(String, String)], nonce: &str) -> String {
    let (base, query) = split_url(url);
    let query: Vec<(String, String)> = query.and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
    sign_parsed(token, method, base, &query, params, nonce)
}

fn sign_parsed(
    token: &str,
    method: &str,
    base: &str,
    query: &[(String, String)],
    params: &[(String, String)],
    nonce: &str,
) -> String {
    hmac_base64(token, &format!("{}.{nonce}", canonical_url_v3(method, base, query, params)))
}

/// The V2 signature Plivo would send.
pub fn sign_v2(token: &str, url: &str, nonce: &str) -> String {
    let base = url.split('?').next().unwrap_or(url);
    hmac_base64(token, &format!("{base}{nonce}"))
}

/// Checks a V3 header (one or more comma-separated signatures) against the
/// request as parsed once: `base_url` without its query, the query's
/// parameters and the POST parameters, every value of a repeated name
/// included (as Plivo's validators sign them). The caller reads the same
/// parsed parameters, so what is read is what was signed.
pub fn validate_v3(
    token: &str,
    method: &str,
    base_url: &str,
    query: &[(String, String)],
    params: &[(String, String)],
    nonce: &str,
    header: &str,
) -> bool {
    let expected = sign_parsed(token, method, base_url, query, params, nonce);
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

/// `scheme://host/path` and the query string, if any.
fn split_url(url: &str) -> (&str, Option<&str>) {
    let url = url.split('#').next().unwrap_or(url);
    match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    }
}

/// Parameters sorted by name, the values of a repeated name sorted too.
fn sorted<'a>(pairs: impl Iterator<Item = &'a (String, String)>) -> Vec<&'a (String, String)> {
    let mut sorted: Vec<&(String, String)> = pairs.collect();
    sorted.sort();
    sorted
}

fn canonical_url_v3(method: &str, base: &str, query: &[(String, String)], params: &[(String, String)]) -> String {
    let mut out = match base.parse::<Uri>() {
        Ok(uri) if uri.authority().is_some() => {
            let scheme = uri.scheme_str().unwrap_or("https");
            let authority = uri.authority().map_or("", |a| a.as_str());
            format!("{scheme}://{authority}{}", uri.path())
        }
        _ => base.to_owned(),
    };
    if query.is_empty() && params.is_empty() {
        return out;
    }
    out.push('?');
    let pairs = |m: Vec<&(String, String)>| m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    let concatenated = |m: Vec<&(String, String)>| m.iter().map(|(k, v)| format!("{k}{v}")).collect::<String>();
    if method.eq_ignore_ascii_case("GET") {
        out.push_str(&pairs(sorted(query.iter().chain(params))));
    } else if query.is_empty() {
        out.push_str(&concatenated(sorted(params.iter())));
    } else {
        out.push_str(&pairs(sorted(query.iter())));
        out.push('.');
        out.push_str(&concatenated(sorted(params.iter())));
        while out.ends_with('.') {
            out.pop();
        }
    }
    out
}
