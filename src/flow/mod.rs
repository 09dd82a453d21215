//! Call flows: their definition (TOML files in `call_flows/`), their checks,
//! and the pure engine that runs a call through one.
//!
//! The engine is a transducer: `step(flow, directory, state, event)` returns
//! the next state and the neutral [`Action`]s to send back. It does no I/O,
//! reads no clock and never sees a gateway's dialect; gateways turn requests
//! into [`CallEvent`]s and render actions at the edge.

mod check;
pub mod cost;
mod coverage;
mod definition;
mod files;
mod format;
pub mod keypad;
mod list_node;
mod list_questions;
mod lists;
mod machine;
mod model;
mod questions;
mod slots;

/// The neutral prompt lives with the prompts; flows and gateways name it here too.
pub use crate::prompts::Prompt;
pub use check::Problem;
pub use coverage::{Cell, Coverage, CoverageRow, CoverageTotals, coverage};
pub use definition::{Flow, InputPolicy, ListOf, ListOption, Node, PromptRef, Slot, SlotValue};
pub use files::{LoadedFile, flow_files, load_files, load_flow_set};
pub use format::FlowFileError;
pub use lists::Ranking;
pub use machine::{FlowError, Lookups, Transition, reprompt, start, step};
pub use model::{Action, CallEvent, CallState, Captured, EndReason, Ending, VoiceMessage};
pub use questions::Recorded;

#[cfg(test)]
mod guess_tests;
#[cfg(test)]
mod list_tests;
#[cfg(test)]
mod number_tests;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
