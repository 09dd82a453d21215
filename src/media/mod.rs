//! Callers' voice messages kept by the gateways: which Twilio URLs
//! retention may delete with the account's credentials.
//!
//! A recording URL arrives in a webhook, so it is data a stranger may have
//! written. Twilio's credentials go only to the exact scheme, host and port
//! of its API, for a recording resource of the account
//! ([`twilio_recording`]).

mod twilio;

pub use twilio::{TwilioRecording, twilio_recording};
