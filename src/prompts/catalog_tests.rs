//! The catalog's checks: every text present, the unchecked marks, the voices.

use std::path::Path;

use super::catalog::*;
use crate::domain::Language;

/// The catalog's languages: the first four, then issue 12's.
const ALL: [&str; 17] =
    ["hi", "bn", "or", "en", "as", "bho", "mai", "sat", "ne", "ur", "mr", "gu", "pa", "ta", "te", "kn", "ml"];

fn lang(code: &str) -> Language {
    Language::parse(code).unwrap()
}

fn key(key: &str) -> PromptKey {
    PromptKey::parse(key).unwrap()
}

const TWO_LANGUAGES: &str = r#"
    [languages.hi]
    name = "हिन्दी"
    say_language = "hi-IN"
    [languages.en]
    name = "English"
    say_language = "en-IN"
"#;

#[test]
fn a_prompt_missing_a_language_is_reported() {
    let text = format!("{TWO_LANGUAGES}\n[prompts.thanks]\nhi = \"धन्यवाद\"\n");
    let err = Catalog::parse(&text).unwrap_err();
    assert!(err.contains("prompt `thanks` has no `en` text"), "{err}");
}

#[test]
fn text_in_an_undeclared_language_is_reported() {
    let text = format!("{TWO_LANGUAGES}\n[prompts.thanks]\nhi = \"a\"\nen = \"b\"\nta = \"c\"\n");
    let err = Catalog::parse(&text).unwrap_err();
    assert!(err.contains("`ta`"), "{err}");
}

#[test]
fn keys_that_could_escape_a_path_are_rejected() {
    for bad in ["", "../x", "Welcome", "a b", "a.wav", &"x".repeat(65)] {
        assert!(PromptKey::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn shipped_catalog_is_complete() {
    let catalog = Catalog::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts").as_path()).unwrap();
    for lang in ALL {
        assert!(catalog.language(&Language::parse(lang).unwrap()).is_some(), "{lang}");
    }
    assert_eq!(catalog.languages().count(), ALL.len());
}

#[test]
fn a_text_is_unchecked_by_its_language_or_by_its_prompt() {
    let text = format!(
        "{TWO_LANGUAGES}\n[languages.ta]\nname = \"தமிழ்\"\nsay_language = \"ta-IN\"\nchecked = false\n\
         [prompts.thanks]\nunchecked = [\"en\"]\nhi = \"a\"\nen = \"b\"\nta = \"c\"\n\
         [prompts.welcome]\nhi = \"a\"\nen = \"b\"\nta = \"c\"\n"
    );
    let catalog = Catalog::parse(&text).unwrap();
    assert!(catalog.is_checked(&key("thanks"), &lang("hi")));
    assert!(!catalog.is_checked(&key("thanks"), &lang("en")));
    assert!(!catalog.is_checked(&key("thanks"), &lang("ta")));
    assert_eq!(catalog.unchecked(&key("thanks")), [&lang("en"), &lang("ta")]);
    assert_eq!(catalog.unchecked(&key("welcome")), [&lang("ta")]);
    assert!(!catalog.language(&lang("ta")).unwrap().checked());
    assert!(catalog.language(&lang("hi")).unwrap().checked(), "checked unless it says otherwise");
}

#[test]
fn an_unchecked_mark_in_an_unknown_language_is_an_error() {
    for code in ["ta", "xx1"] {
        let text = format!("{TWO_LANGUAGES}\n[prompts.thanks]\nunchecked = [\"{code}\"]\nhi = \"a\"\nen = \"b\"\n");
        let err = Catalog::parse(&text).unwrap_err();
        assert!(
            err.contains(&format!("prompt `thanks` marks `{code}` unchecked, which is not a catalog language")),
            "{err}"
        );
    }
}

#[test]
fn a_language_needs_a_voice_or_a_language_to_speak_instead() {
    let with = |entry: &str| format!("{TWO_LANGUAGES}\n[languages.sat]\nname = \"ᱥᱟᱱᱛᱟᱲᱤ\"\n{entry}\n[prompts]\n");
    let err = Catalog::parse(&with("")).unwrap_err();
    assert!(err.contains("language `sat` has neither"), "{err}");
    let err = Catalog::parse(&with("say_language = \"hi-IN\"\nsay_instead = \"hi\"")).unwrap_err();
    assert!(err.contains("both"), "{err}");
    let err = Catalog::parse(&with("say_instead = \"ta\"")).unwrap_err();
    assert!(err.contains("`say_instead = \"ta\"`"), "{err}");
    let catalog = Catalog::parse(&with("say_instead = \"hi\"")).unwrap();
    assert_eq!(catalog.language(&lang("sat")).unwrap().say_instead, Some(lang("hi")));
}

#[test]
fn an_overlay_text_answers_for_itself_and_an_overlay_language_keeps_its_mark() {
    let dir = tempfile::TempDir::new().unwrap();
    let overlay = "[languages.ta]\nname = \"தமிழ்\"\nsay_language = \"ta-IN\"\nsay_voice = \"Google.ta-IN-Standard-A\"\n\
                   [prompts.guess_state]\nbn = \"আপনার রাজ্য কি এর মধ্যে?\"\n";
    std::fs::write(dir.path().join("catalog.toml"), overlay).unwrap();
    let catalog = Catalog::load(dir.path()).unwrap();
    let guess = key("guess_state");
    assert!(catalog.is_checked(&guess, &lang("bn")), "the overlay wrote this text");
    assert!(!catalog.is_checked(&guess, &lang("or")), "the built-in mark stands");
    assert!(!catalog.is_checked(&guess, &lang("ta")), "a new voice does not check the texts");
    assert_eq!(catalog.language(&lang("ta")).unwrap().say_voice.as_deref(), Some("Google.ta-IN-Standard-A"));
}

#[test]
fn shipped_catalog_marks_what_no_native_speaker_has_checked() {
    let catalog = Catalog::built_in();
    for key in catalog.keys() {
        let unchecked: Vec<&str> = catalog.unchecked(key).iter().map(|l| l.as_str()).collect();
        assert!(!unchecked.contains(&"hi") && !unchecked.contains(&"en"), "{key}: {unchecked:?}");
        assert!(ALL[4..].iter().all(|l| unchecked.contains(l)), "{key}: new languages are machine-written");
        assert!(!catalog.note(key).is_some_and(|n| n.contains("native speaker")), "{key}: a mark, not prose");
    }
    let guess = catalog.unchecked(&key("guess_state"));
    assert!(guess.contains(&&lang("bn")) && guess.contains(&&lang("or")), "{guess:?}");
    assert!(catalog.is_checked(&key("consent"), &lang("bn")));
    assert!(catalog.own_language(&key("language_option")) && !catalog.own_language(&key("consent")));
}

/// Every language's `name` is in its own script, and every text too.
#[test]
fn shipped_texts_are_written_in_their_language_s_script() {
    let script = |code: &str| -> &[(u32, u32)] {
        match code {
            "hi" | "bho" | "mai" | "ne" | "mr" => &[(0x0900, 0x097F)],
            "bn" | "as" => &[(0x0980, 0x09FF)],
            "or" => &[(0x0B00, 0x0B7F)],
            "pa" => &[(0x0A00, 0x0A7F)],
            "gu" => &[(0x0A80, 0x0AFF)],
            "ta" => &[(0x0B80, 0x0BFF)],
            "te" => &[(0x0C00, 0x0C7F)],
            "kn" => &[(0x0C80, 0x0CFF)],
            "ml" => &[(0x0D00, 0x0D7F)],
            "ur" => &[(0x0600, 0x06FF)],
            "sat" => &[(0x1C50, 0x1C7F)],
            _ => &[],
        }
    };
    let catalog = Catalog::built_in();
    for code in ALL {
        let ranges = script(code);
        // Dandas, zero-width (non-)joiners and the Arabic comma are shared punctuation.
        let fits = |c: char| {
            c.is_ascii()
                || matches!(c, '\u{0964}' | '\u{0965}' | '\u{200C}' | '\u{200D}' | '\u{060C}')
                || ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&u32::from(c)))
        };
        let language = lang(code);
        let name = &catalog.language(&language).unwrap().name;
        if code != "en" {
            assert!(name.chars().all(|c| !c.is_ascii() && fits(c)), "{code} name {name}");
        }
        for key in catalog.keys() {
            let text = catalog.text(key, &language).unwrap();
            assert!(text.chars().all(fits), "{code}/{key}: {text}");
            if code != "en" {
                assert!(!text.chars().any(|c| c.is_ascii_alphabetic()), "{code}/{key}: {text}");
            }
        }
    }
}

/// Digits stay numerals, and every language keeps the Hindi text's: the
/// keys a caller is told to press and the codes in the examples.
#[test]
fn shipped_texts_keep_the_hindi_text_s_numbers() {
    let numbers = |text: &str| -> Vec<String> {
        text.split(|c: char| !c.is_ascii_digit()).filter(|n| !n.is_empty()).map(str::to_owned).collect()
    };
    let catalog = Catalog::built_in();
    for key in catalog.keys() {
        let hindi = numbers(catalog.text(key, &lang("hi")).unwrap());
        for code in ALL {
            if key.as_str() == "choose_language" {
                continue; // each language its own key in the four-language menu, none for the rest
            }
            let text = catalog.text(key, &lang(code)).unwrap();
            assert_eq!(numbers(text), hindi, "{code}/{key}: {text}");
        }
    }
}
