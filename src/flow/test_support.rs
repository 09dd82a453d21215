//! What the engine's tests share: the shipped default flow and its catalog,
//! and keys pressed.

use std::path::Path;

use super::{CallEvent, Flow};
use crate::{domain::Digits, prompts::Catalog};

pub(super) fn catalog() -> Catalog {
    Catalog::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts")).unwrap()
}

/// `call_flows/helpline.toml`, checked against the shipped catalog.
pub(super) fn helpline() -> Flow {
    let source =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("call_flows/helpline.toml")).unwrap();
    Flow::parse(&source, Some(&catalog())).unwrap_or_else(|e| panic!("default flow is broken:\n{e}"))
}

pub(super) fn keys(d: &str) -> CallEvent {
    CallEvent::Digits { digits: Digits::parse(d).unwrap() }
}
