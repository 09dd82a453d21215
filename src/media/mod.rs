//! Callers' voice messages kept by the gateways: which URLs are a gateway's
//! own, fetching them for the player without reaching anywhere else, and
//! which Twilio URLs retention may delete with the account's credentials.
//!
//! A recording URL arrives in a webhook, so it is data a stranger may have
//! written (a leaked secret of an unsigned gateway, a misconfigured
//! gateway). Sampark therefore:
//! - fetches a message only from the recording hosts of the gateway whose
//!   call brought it in ([`RecordingSources`], the settings
//!   `SAMPARK_<GATEWAY>_RECORDING_HOSTS`), and follows a redirect only to
//!   such a host, checked the same way;
//! - never connects to a private, loopback or link-local address: every
//!   address a host name resolves to is checked, and the connection goes to
//!   the checked addresses (see [`is_public`]), unless the host is listed in
//!   `SAMPARK_RECORDING_PRIVATE_HOSTS` (for tests and local stand-ins of a
//!   gateway only);
//! - sends Twilio's credentials only to the exact scheme, host and port of
//!   its API, for a recording resource of the account
//!   ([`twilio_recording`]).

mod address;
mod fetch;
mod sources;
mod twilio;

pub use address::is_public;
pub use fetch::{FetchError, MAX_VOICE_MESSAGE, MediaClient, VOICE_MESSAGE_DEADLINE, VoiceMessage};
pub use sources::{RecordingSources, Source, SourceError};
pub use twilio::{TwilioRecording, twilio_recording};
