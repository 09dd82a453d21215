//! Device cookies: a browser's proof that a user signed in on it before,
//! so the sign-in throttle counts its attempts apart from strangers'
//! (OWASP, "Slow down online guessing attacks with device cookies").
//!
//! The cookie is `<username>.<issued unix seconds>.<nonce>.<mac>`, the MAC
//! an HMAC-SHA256 keyed with the user's stored password hash. Nothing is
//! stored: the hash never leaves the server, every instance can check the
//! cookie, and changing the password voids every device cookie at once.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The cookie's name.
pub const DEVICE_COOKIE: &str = "sampark_device";
/// How long a device stays known after its last sign-in.
pub const DEVICE_TTL: std::time::Duration = std::time::Duration::from_secs(180 * 24 * 60 * 60);

fn mac(password_hash: &str, username: &str, issued: i64, nonce: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(password_hash.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("sampark device\n{username}\n{issued}\n{nonce}").as_bytes());
    mac
}

/// A fresh device cookie value for a user who just signed in.
pub fn issue(username: &str, password_hash: &str, now: DateTime<Utc>) -> String {
    let nonce = super::new_token();
    let issued = now.timestamp();
    let tag = URL_SAFE_NO_PAD.encode(mac(password_hash, username, issued, &nonce).finalize().into_bytes());
    format!("{username}.{issued}.{nonce}.{tag}")
}

/// The device's id when `value` is a live device cookie for `username`
/// under this password hash; `None` otherwise.
pub fn recognise(value: &str, username: &str, password_hash: &str, now: DateTime<Utc>) -> Option<String> {
    let mut parts = value.rsplitn(4, '.');
    let (tag, nonce, issued, user) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if user != username {
        return None;
    }
    let issued: i64 = issued.parse().ok()?;
    let age = now.timestamp().checked_sub(issued)?;
    if !(0..=i64::try_from(DEVICE_TTL.as_secs()).ok()?).contains(&age) {
        return None;
    }
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    mac(password_hash, username, issued, nonce).verify_slice(&tag).ok()?;
    Some(nonce.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_cookie_is_known_only_for_its_user_hash_and_lifetime() {
        let now = Utc::now();
        let cookie = issue("asha.k", "$argon2id$hash-one", now);
        let id = recognise(&cookie, "asha.k", "$argon2id$hash-one", now).expect("recognised");
        assert_eq!(id.len(), 43);
        assert_eq!(recognise(&cookie, "ravi", "$argon2id$hash-one", now), None, "another user");
        assert_eq!(recognise(&cookie, "asha.k", "$argon2id$hash-two", now), None, "password changed");
        let later = now + chrono::Duration::days(181);
        assert_eq!(recognise(&cookie, "asha.k", "$argon2id$hash-one", later), None, "too old");
        let forged = format!("{}x", &cookie[..cookie.len() - 1]);
        assert_eq!(recognise(&forged, "asha.k", "$argon2id$hash-one", now), None);
        assert_eq!(recognise("asha.k", "asha.k", "$argon2id$hash-one", now), None);
    }
}
