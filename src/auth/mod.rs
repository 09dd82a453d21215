//! Who may do what: users and their roles, passwords, sessions.
//!
//! Passwords are hashed with argon2id (the crate's defaults: m = 19 MiB,
//! t = 2, p = 1). A session is a random 256-bit token in an HttpOnly,
//! SameSite cookie (or a bearer header for scripts); only its SHA-256 is
//! stored, so a copy of the database does not hand out sessions. Each
//! session has its own CSRF token, required on every form and on
//! cookie-authenticated API calls that change something.
//!
//! Passwords that are blank, one character repeated or easy to guess
//! (zxcvbn, Dropbox's estimator, scores them) are refused wherever one is
//! set. Sign-ins are throttled ([`throttle`], [`device`]) and at most a few
//! verify a password at once ([`checks`]). Users, sessions and the
//! throttle's counters are kept by [`UserStore`].
//!
//! What an admin sets about a user (role, states, languages, phone) is
//! judged by one rule, [`profile`], for adding and editing alike. A
//! one-time password an admin sets ([`one_time_password`]) ends the user's
//! sessions and marks them [`User::must_change_password`] until they choose
//! their own ([`check_new_password`]).

pub mod checks;
pub mod device;
pub mod profile;
pub mod store;
pub mod throttle;

pub use profile::{Profile, ProfileChange};
pub use store::UserStore;

/// How the first admin is made, as the server's first start and the
/// sign-in page tell whoever set it up: in the folder the server runs in,
/// with its settings (the same database), the password on standard input.
pub const FIRST_ADMIN_COMMAND: &str = "printf '%s\\n' 'a long password of your own' | ./target/release/sampark users add admin --role admin --password-stdin";

use std::{fmt, str::FromStr};

use argon2::{Argon2, password_hash::PasswordHasher};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::domain::{Language, StateCode};

/// What a user may do. Scopes (states, languages) narrow it further.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Calls back callers in their languages and states.
    Volunteer,
    /// Sees their states' queue, volunteers and figures; exports their cases.
    Coordinator,
    /// Sees everything; manages users.
    Admin,
    /// The central office: rollups across units without personal data, and
    /// nothing else (no queue, no case, no number, no recording, no export
    /// of cases).
    Central,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Volunteer => "volunteer",
            Self::Coordinator => "coordinator",
            Self::Admin => "admin",
            Self::Central => "central",
        }
    }

    /// Whether the role works cases (the queue, case pages, numbers,
    /// recordings): all but the central office.
    pub fn works_cases(self) -> bool {
        self != Self::Central
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "volunteer" => Ok(Self::Volunteer),
            "coordinator" => Ok(Self::Coordinator),
            "admin" => Ok(Self::Admin),
            "central" => Ok(Self::Central),
            _ => Err(format!("`{s}` is not a role (volunteer, coordinator, admin, central)")),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A signed-in user, with what they serve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub states: Vec<StateCode>,
    pub languages: Vec<Language>,
    /// The units (ids in `units`) the user is a member of.
    pub units: Vec<i64>,
    /// The volunteer's own phone, rung first by "Call now" (E.164).
    #[serde(skip)]
    pub phone: Option<String>,
    pub disabled: bool,
    /// An admin set a one-time password: until the user chooses their own,
    /// the password page is all they may reach.
    pub must_change_password: bool,
}

/// A new user, as `sampark users add` or the admin page creates one.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub role: Role,
    pub states: Vec<StateCode>,
    pub languages: Vec<Language>,
    pub phone: Option<String>,
    pub password_hash: String,
}

/// Usernames: 3–32 lower-case letters, digits, `.`, `_` or `-`.
pub fn valid_username(name: &str) -> bool {
    (3..=32).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

/// The shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 10;

/// The weakest password accepted, on zxcvbn's 0–4 scale: three means an
/// estimated 10^8 guesses or more, beyond online guessing and slow offline
/// against argon2id.
pub const MIN_PASSWORD_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the password is blank")]
    Blank,
    #[error("the password must have at least {MIN_PASSWORD_LEN} characters")]
    TooShort,
    #[error("the password is one character repeated")]
    Repeated,
    /// With zxcvbn's advice, when it has some.
    #[error("the password is too easy to guess{0}")]
    Guessable(String),
    #[error("could not hash the password: {0}")]
    Hash(String),
}

/// Refuses a password that is blank, short, one character repeated or easy
/// to guess; `context` holds words an attacker would try first (the
/// username).
pub fn check_password(password: &str, context: &[&str]) -> Result<(), PasswordError> {
    if password.trim().is_empty() {
        return Err(PasswordError::Blank);
    }
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(PasswordError::TooShort);
    }
    let mut chars = password.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return Err(PasswordError::Repeated);
    }
    let estimate = zxcvbn::zxcvbn(password, context);
    if estimate.score() >= MIN_PASSWORD_SCORE {
        return Ok(());
    }
    let advice = estimate.feedback().map(|f| {
        let warning = f.warning().map(|w| w.to_string());
        let suggestions = f.suggestions().iter().map(ToString::to_string);
        warning.into_iter().chain(suggestions).collect::<Vec<_>>().join(" ")
    });
    Err(PasswordError::Guessable(advice.filter(|a| !a.is_empty()).map_or_else(String::new, |a| format!(": {a}"))))
}

/// Hashes a password with argon2id and a fresh salt (PHC string), once
/// [`check_password`] accepts it.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    check_password(password, &[])?;
    hash_unchecked(password)
}

fn hash_unchecked(password: &str) -> Result<String, PasswordError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Checks a password against a stored hash, in constant time.
pub fn verify_password(password: &str, hash: &str) -> bool {
    verify_password_in(password, hash, &mut Vec::new())
}

/// As [`verify_password`], hashing in `memory` (grown to the hash's memory
/// cost if smaller), so a caller that keeps it allocates the 19 MiB once
/// rather than per check: freed and allocated again from many threads, the
/// allocator keeps a copy per thread and never gives them back.
pub fn verify_password_in(password: &str, hash: &str, memory: &mut Vec<argon2::Block>) -> bool {
    let Ok(parsed) = argon2::PasswordHash::new(hash) else { return false };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else { return false };
    let Ok(params) = argon2::Params::try_from(&parsed) else { return false };
    let Ok(algorithm) = argon2::Algorithm::try_from(parsed.algorithm.as_str()) else { return false };
    let version = parsed.version.map_or(Ok(argon2::Version::default()), argon2::Version::try_from);
    let Ok(version) = version else { return false };
    if memory.len() < params.block_count() {
        memory.resize(params.block_count(), argon2::Block::new());
    }
    let blocks = params.block_count();
    let mut out = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params);
    argon2.hash_password_into_with_memory(password.as_bytes(), salt.as_ref(), &mut out, &mut memory[..blocks]).is_ok()
        && argon2::password_hash::phc::Output::new(&out).is_ok_and(|out| out == *expected)
}

/// A hash to verify against when the username does not exist, so a wrong
/// username takes as long as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_unchecked("decoy-password-never-matches").expect("hashing a constant works"))
}

/// Compares two secrets without stopping at the first difference.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A fresh random token (256 bits, URL-safe Base64).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps of a session token.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses a comma-separated list (`9,10` or `hi, bn`), each item by `parse`;
/// empty items are skipped.
pub fn parse_list<T>(text: &str, parse: impl Fn(&str) -> Result<T, String>) -> Result<Vec<T>, String> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(parse).collect()
}

/// A new user from what an admin typed (the fields as [`Profile::parse`]
/// reads them); `known_language` says which languages the prompt catalog
/// has. An error says which field is wrong.
pub fn new_user(
    username: &str,
    role: &str,
    states: &str,
    languages: &str,
    phone: &str,
    password: &str,
    known_language: &dyn Fn(&Language) -> bool,
) -> Result<NewUser, String> {
    let username = username.trim().to_owned();
    if !valid_username(&username) {
        return Err("username: 3–32 lower-case letters, digits, `.`, `_` or `-`".to_owned());
    }
    let profile = Profile::parse(&ProfileChange::all(role, states, languages, phone), known_language)?;
    check_password(password, &[&username]).map_err(|e| e.to_string())?;
    let password_hash = hash_unchecked(password).map_err(|e| e.to_string())?;
    let Profile { role, states, languages, phone } = profile;
    Ok(NewUser { username, role, states, languages, phone, password_hash })
}

/// Checks a one-time password an admin sets for `username` and hashes it.
pub fn one_time_password(username: &str, password: &str) -> Result<String, PasswordError> {
    check_password(password, &[username])?;
    hash_unchecked(password)
}

/// Why a user's own new password is refused.
#[derive(Debug, thiserror::Error)]
pub enum NewPasswordError {
    #[error("the two new passwords differ")]
    Mismatch,
    #[error("choose a password of your own, not the one you have now")]
    Unchanged,
    #[error(transparent)]
    Weak(#[from] PasswordError),
}

/// Checks the password a user chooses for themselves, typed twice:
/// strong, and not the one they have now (the one-time one, after a reset).
pub fn check_new_password(username: &str, current: &str, new: &str, again: &str) -> Result<(), NewPasswordError> {
    if new != again {
        return Err(NewPasswordError::Mismatch);
    }
    if new == current {
        return Err(NewPasswordError::Unchanged);
    }
    check_password(new, &[username])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("anything", "not a hash"));
        assert!(matches!(hash_password("short"), Err(PasswordError::TooShort)));
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn blank_repeated_and_common_passwords_are_refused() {
        assert!(matches!(check_password("", &[]), Err(PasswordError::Blank)));
        assert!(matches!(check_password("            ", &[]), Err(PasswordError::Blank)));
        assert!(matches!(check_password("aaaaaaaaaaaa", &[]), Err(PasswordError::Repeated)));
        assert!(matches!(check_password("1111111111", &[]), Err(PasswordError::Repeated)));
        for common in ["password123", "qwertyuiop", "1234567890", "iloveyou12", "Password1!"] {
            assert!(matches!(check_password(common, &[]), Err(PasswordError::Guessable(_))), "{common}");
        }
        assert!(matches!(check_password("asha.kumari1", &["asha.kumari"]), Err(PasswordError::Guessable(_))));
        assert!(matches!(hash_password("password123"), Err(PasswordError::Guessable(_))));
        check_password("correct horse battery", &[]).unwrap();
        check_password("पानी की बोतल नीली है", &[]).unwrap();
    }

    #[test]
    fn new_users_need_a_strong_password() {
        let weak = new_user("asha", "volunteer", "9", "hi", "", "asha123456", &|_| true);
        assert!(weak.unwrap_err().contains("too easy to guess"));
        assert!(new_user("asha", "volunteer", "9", "hi", "", "", &|_| true).unwrap_err().contains("blank"));
    }

    #[test]
    fn a_chosen_password_is_strong_typed_twice_and_not_the_one_given() {
        let given = "monsoon kites over the ganga";
        let check = |new: &str, again: &str| check_new_password("asha", given, new, again);
        assert!(matches!(check(given, given), Err(NewPasswordError::Unchanged)));
        assert!(matches!(check("a different river", "a different rivers"), Err(NewPasswordError::Mismatch)));
        assert!(matches!(check("asha123456", "asha123456"), Err(NewPasswordError::Weak(_))));
        check("a lantern by the well", "a lantern by the well").unwrap();
        assert!(matches!(one_time_password("asha", "password123"), Err(PasswordError::Guessable(_))));
        assert!(one_time_password("asha", given).unwrap().starts_with("$argon2id$"));
    }

    #[test]
    fn usernames_are_plain() {
        assert!(valid_username("asha.k"));
        assert!(!valid_username("Asha"));
        assert!(!valid_username("a"));
        assert!(!valid_username("a b c"));
    }
}
