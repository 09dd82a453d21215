//! `sampark flows check` and the callback number: the slot is known to a
//! collect node (ten digits only) and to a read-back, whose digit prompts
//! must be in the catalog in every language; and a number read back is a
//! question the flow asks, so its recordings may be joined.

use std::path::Path;

use super::*;
use crate::{directory::Directory, domain::Language, prompts::Catalog};

const FLOW: &str = r#"
id = "t"
start = "consent"
languages = ["hi", "en"]
default_language = "hi"
[nodes.consent]
kind = "menu"
prompts = ["consent"]
store = "consent"
invalid_prompts = ["invalid_choice"]
fallback = "end"
options.1 = { value = "yes", next = "number" }
[nodes.number]
kind = "collect"
prompts = ["key_other_number"]
store = "callback_number"
min_digits = 10
max_digits = 10
invalid_prompts = ["invalid_number"]
next = "confirm"
fallback = "end"
[nodes.confirm]
kind = "confirm"
prompts = ["number_readback", "{callback_number}", "confirm_or_reenter"]
confirms = "callback_number"
yes = "end"
no = "number"
invalid_prompts = ["invalid_choice"]
fallback = "end"
[nodes.end]
kind = "end"
prompts = ["thanks"]
"#;

fn catalog_text() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts/catalog.toml")).unwrap()
}

fn problems(source: &str, catalog: &Catalog) -> String {
    match Flow::parse(source, Some(catalog)) {
        Ok(_) => String::new(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_flow_that_collects_and_reads_back_a_callback_number_passes_the_checks() {
    let catalog = Catalog::parse(&catalog_text()).unwrap();
    assert_eq!(problems(FLOW, &catalog), "");
    let flow = Flow::parse(FLOW, Some(&catalog)).unwrap();
    let digits: Vec<_> = flow.catalog_prompts().into_keys().filter(|k| k.as_str().starts_with("digit_")).collect();
    assert_eq!(digits.len(), 10, "the prompt matrix and `prompts synth` know the digits: {digits:?}");
}

#[test]
fn a_callback_number_is_ten_digits_and_its_digits_must_be_in_the_catalog() {
    let catalog = Catalog::parse(&catalog_text()).unwrap();
    let short = FLOW.replace("min_digits = 10\nmax_digits = 10", "min_digits = 1\nmax_digits = 8");
    assert!(problems(&short, &catalog).contains("node `number`: callback_number is the ten digits"), "{short}");
    let text = catalog_text();
    let start = text.find("[prompts.digit_7]").unwrap();
    let end = start + text[start..].find("\n\n").unwrap();
    let without_seven = Catalog::parse(&format!("{}{}", &text[..start], &text[end..])).unwrap();
    let found = problems(FLOW, &without_seven);
    assert!(found.contains("node `confirm`: prompt `digit_7` is not in the prompt catalog"), "{found}");
    let typo = FLOW.replace("{callback_number}", "{callback}");
    assert!(problems(&typo, &catalog).contains("{callback_number} can be read back"));
}

#[test]
fn a_number_read_back_is_a_question_the_flow_asks_and_nothing_else_is() {
    let catalog = Catalog::parse(&catalog_text()).unwrap();
    let flow = Flow::parse(FLOW, Some(&catalog)).unwrap();
    let hi = Language::parse("hi").unwrap();
    let keys = |items: &[&str]| -> Vec<Recorded> {
        items.iter().map(|k| (hi.clone(), crate::prompts::PromptKey::parse(k).unwrap())).collect()
    };
    let mut heard = vec!["number_readback"];
    let digits: Vec<String> = "6000000071".chars().map(|d| format!("digit_{d}")).collect();
    heard.extend(digits.iter().map(String::as_str));
    heard.push("confirm_or_reenter");
    assert!(flow.asks(Directory::bundled(), &keys(&heard)), "{heard:?}");
    let nine_digits = [&heard[..10], &heard[11..]].concat();
    assert!(!flow.asks(Directory::bundled(), &keys(&nine_digits)), "nine digits is no number read back");
    let with_a_word = [&heard[..5], &["thanks"], &heard[6..]].concat();
    assert!(!flow.asks(Directory::bundled(), &keys(&with_a_word)), "{with_a_word:?}");
}
