//! Gateway adapters: each turns its provider's webhook into a neutral
//! [`Inbound`] event and renders [`Action`](crate::flow::Action)s back in the
//! provider's dialect. Nothing past this module knows which gateway a call
//! came through, except by the [`Provider`] tag stored with it.

pub mod exotel;
pub mod kookoo;
pub mod plivo;
pub mod twilio;
mod xml;

use std::{fmt, time::Duration};

use sha2::{Digest, Sha256};

use crate::{
    domain::{CallId, Digits, PhoneNumber},
    flow::CallEvent,
};

/// The gateways Sampark speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    Twilio,
    Plivo,
    KooKoo,
    Exotel,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Twilio => "twilio",
            Self::Plivo => "plivo",
            Self::KooKoo => "kookoo",
            Self::Exotel => "exotel",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "twilio" => Some(Self::Twilio),
            "plivo" => Some(Self::Plivo),
            "kookoo" => Some(Self::KooKoo),
            "exotel" => Some(Self::Exotel),
            _ => None,
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a request sits in its call, which is how a retry is recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Answers the question of this turn. Gateways that follow our action
    /// URLs (Twilio, Plivo) carry the turn in them; the first request of a
    /// call is turn 0. A retry names the same turn.
    Turn(u32),
    /// Answers whatever the call is asking now. Gateways with fixed URLs
    /// (KooKoo, Exotel) cannot say which turn; a request identical to the
    /// call's last answer, arriving within `retry_window`, is taken for a
    /// retry of it.
    CurrentTurn { retry_window: Duration },
    /// Not an answer (status or recording callbacks); `key` identifies it.
    Callback { key: String },
}

/// A webhook, parsed: which call, who is calling, and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    pub provider: Provider,
    /// The provider's id for the call (Twilio `CallSid`).
    pub call_id: CallId,
    /// The caller, normalised; `None` when withheld or not a phone number.
    pub caller: Option<PhoneNumber>,
    pub step: Step,
    pub event: CallEvent,
    /// SHA-256 of the request's parameters, kept with the event.
    pub request_hash: String,
}

/// A webhook that cannot be understood. The message names the parameter,
/// never its value (it may be a phone number).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    #[error("required parameter `{0}` is missing or empty")]
    Missing(&'static str),
    #[error("parameter `{0}` is not valid")]
    Invalid(&'static str),
    /// A name the adapter reads came more than once. Gateways never repeat
    /// one; a request that does is forged or mangled, and taking either
    /// value would read something other than what was checked.
    #[error("parameter `{0}` is given more than once")]
    Repeated(&'static str),
}

/// A reply body and its content type, as sent (and as replayed on a retry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub content_type: String,
    pub body: String,
}

/// The content type of every XML dialect's reply. Without the charset a
/// common HTTP client decoded the Hindi prompts as ISO-8859-1.
pub const XML: &str = "text/xml; charset=utf-8";

/// Text answers (Exotel's Greeting applet), which may hold Hindi words.
pub const PLAIN_TEXT: &str = "text/plain; charset=utf-8";

impl Reply {
    /// The reply with `charset=utf-8` on a text type that names no charset:
    /// replies stored before the charset was sent are replayed with it too.
    #[must_use]
    pub fn with_charset(mut self) -> Self {
        let lower = self.content_type.to_ascii_lowercase();
        let text = lower.split(';').next().is_some_and(|mime| mime.trim().starts_with("text/"));
        if text && !lower.contains("charset") {
            self.content_type = format!("{}; charset=utf-8", self.content_type.trim());
        }
        self
    }
}

/// Request parameters in arrival order (names may repeat).
pub type Params = Vec<(String, String)>;

/// The value of a parameter, if present. A repeated name is refused, never
/// resolved to its first or last value: a signature covers every value, so
/// picking one would let a captured signed request carry forged values next
/// to the signed ones (issue 9, item 6). Every name an adapter reads goes
/// through here, so every name that matters is checked.
pub fn param<'a>(params: &'a [(String, String)], name: &'static str) -> Result<Option<&'a str>, GatewayError> {
    let mut values = params.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let first = values.next();
    if values.next().is_some() {
        return Err(GatewayError::Repeated(name));
    }
    Ok(first)
}

/// The call's id from parameter `name` (Twilio `CallSid`, Plivo
/// `CallUUID`, KooKoo `sid`, Exotel `CallSid`): required, and a [`CallId`].
pub fn call_id(params: &[(String, String)], name: &'static str) -> Result<CallId, GatewayError> {
    let id = param(params, name)?.filter(|s| !s.is_empty()).ok_or(GatewayError::Missing(name))?;
    CallId::parse(id).map_err(|_| GatewayError::Invalid(name))
}

/// Keys the caller pressed, from parameter `name`'s value (empty: the
/// caller pressed none, which each adapter reads as no input first).
pub fn digits(keys: &str, name: &'static str) -> Result<Digits, GatewayError> {
    Digits::parse(keys).map_err(|_| GatewayError::Invalid(name))
}

/// A stable hash of a request's parameters, independent of their order.
pub fn request_hash(params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut hasher = Sha256::new();
    for (k, v) in sorted {
        hasher.update(k.as_bytes());
        hasher.update([0]);
        hasher.update(v.as_bytes());
        hasher.update([0]);
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(content_type: &str) -> Reply {
        Reply { content_type: content_type.to_owned(), body: String::new() }
    }

    #[test]
    fn text_replies_stored_without_a_charset_are_sent_with_utf8() {
        assert_eq!(reply("text/xml").with_charset().content_type, XML);
        assert_eq!(reply("text/plain").with_charset().content_type, PLAIN_TEXT);
        assert_eq!(reply(XML).with_charset().content_type, XML, "already there: unchanged");
        assert_eq!(reply("text/xml;Charset=UTF-8").with_charset().content_type, "text/xml;Charset=UTF-8");
        assert_eq!(reply("application/json").with_charset().content_type, "application/json", "JSON is UTF-8");
    }
}
