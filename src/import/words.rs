//! How lists' words are compared: one folded spelling per word (case,
//! punctuation, spaces, and the Devanagari signs lists write or leave out),
//! and the vocabularies of the cells that are not free text (language,
//! need, consent).

use crate::domain::{Language, Need};

/// `text` folded for comparing: lower case, every run of punctuation or
/// space one space, the nukta dropped (ज़ = ज, फ़ = फ, also in its precomposed
/// letters; Bengali's and Odia's too), chandrabindu as anusvara (गाँव =
/// गांव), zero-width joiners dropped.
pub(super) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = match c {
            '\u{093C}' | '\u{09BC}' | '\u{0B3C}' | '\u{200C}' | '\u{200D}' => continue,
            '\u{0901}' | '\u{0981}' | '\u{0B01}' => char::from_u32(u32::from(c) + 1).unwrap_or(c),
            '\u{0958}'..='\u{095F}' => NUKTA_BASES[c as usize - 0x0958],
            c if c.is_alphanumeric() || is_sign(c) => c,
            _ => ' ',
        };
        if c == ' ' {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// क़ ख़ ग़ ज़ ड़ ढ़ फ़ य़ (U+0958–U+095F) without their nukta.
const NUKTA_BASES: [char; 8] = ['क', 'ख', 'ग', 'ज', 'ड', 'ढ', 'फ', 'य'];

/// Vowel signs, virama and anusvara of the Indic scripts: part of a word,
/// though not alphanumeric to Rust (the danda is punctuation).
fn is_sign(c: char) -> bool {
    matches!(c, '\u{0900}'..='\u{0DFF}') && !matches!(c, '\u{0964}' | '\u{0965}')
}

/// Languages by the names lists give them, and ISO 639-2 codes: `(code, names)`.
const LANGUAGES: [(&str, &[&str]); 17] = [
    ("hi", &["hin", "hindi", "हिंदी", "हिन्दी", "hindustani"]),
    ("bn", &["ben", "bengali", "bangla", "বাংলা", "बंगाली", "बांग्ला"]),
    ("or", &["ory", "ori", "odia", "oriya", "ଓଡ଼ିଆ", "ଓଡିଆ", "उड़िया", "ओड़िया"]),
    ("en", &["eng", "english", "अंग्रेजी"]),
    ("as", &["asm", "assamese", "অসমীয়া", "असमिया"]),
    ("bho", &["bhojpuri", "भोजपुरी"]),
    ("mai", &["maithili", "मैथिली"]),
    ("sat", &["santali", "santhali", "ᱥᱟᱱᱛᱟᱲᱤ", "संथाली"]),
    ("ne", &["nep", "nepali", "नेपाली"]),
    ("ur", &["urd", "urdu", "اردو", "उर्दू"]),
    ("mr", &["mar", "marathi", "मराठी"]),
    ("gu", &["guj", "gujarati", "ગુજરાતી", "गुजराती"]),
    ("pa", &["pan", "punjabi", "panjabi", "ਪੰਜਾਬੀ", "पंजाबी"]),
    ("ta", &["tam", "tamil", "தமிழ்", "तमिल"]),
    ("te", &["tel", "telugu", "తెలుగు", "तेलुगु"]),
    ("kn", &["kan", "kannada", "ಕನ್ನಡ", "कन्नड़"]),
    ("ml", &["mal", "malayalam", "മലയാളം", "मलयालम"]),
];

/// The language a cell names, by its name in English or its own script, or
/// by its code (`hi`, `bho`).
pub(super) fn language(text: &str) -> Option<Language> {
    let folded = fold(text);
    LANGUAGES
        .iter()
        .find(|(code, names)| folded == *code || names.iter().any(|n| fold(n) == folded))
        .and_then(|(code, _)| Language::parse(code).ok())
}

/// Words and phrases for each need.
const NEEDS: [(Need, &[&str]); 6] = [
    (Need::Food, &["food", "ration", "rations", "meal", "meals", "खाना", "भोजन", "राशन", "अनाज"]),
    (Need::Money, &["money", "cash", "wages", "wage", "salary", "पैसा", "पैसे", "मजदूरी", "वेतन", "नकद"]),
    (
        Need::Travel,
        &[
            "travel",
            "transport",
            "ticket",
            "train",
            "bus",
            "travel home",
            "going home",
            "go home",
            "घर वापसी",
            "यात्रा",
            "टिकट",
        ],
    ),
    (
        Need::Medical,
        &["medical", "medicine", "medicines", "health", "doctor", "treatment", "इलाज", "दवा", "दवाई", "चिकित्सा"],
    ),
    (Need::Shelter, &["shelter", "housing", "stay", "accommodation", "आश्रय", "रहने की जगह", "आवास"]),
    (Need::Other, &["other", "others", "अन्य"]),
];

/// Words that join two names of one need ("food and ration", "खाना/राशन").
const JOINERS: [&str; 4] = ["and", "or", "और", "या"];

/// The need a cell names: the whole cell one need's word or phrase, or
/// every word of it one need's ("Food / Ration"); anything more is free text.
pub(super) fn need(text: &str) -> Option<Need> {
    let folded = fold(text);
    let of = |word: &str| NEEDS.iter().find(|(_, words)| words.iter().any(|w| fold(w) == word)).map(|(n, _)| *n);
    if let Some(need) = of(&folded) {
        return Some(need);
    }
    let mut words = folded.split(' ').filter(|w| !JOINERS.contains(w)).map(of);
    let first = words.next()??;
    words.all(|n| n == Some(first)).then_some(first)
}

/// A consent cell: yes or no in the ways lists write them; `None` for
/// anything else (and blank), which is not consent.
pub(super) fn consent(text: &str) -> Option<bool> {
    const YES: [&str; 10] = ["yes", "y", "1", "true", "haan", "han", "हां", "हाँ", "हा", "agreed"];
    const NO: [&str; 8] = ["no", "n", "0", "false", "nahi", "nahin", "नहीं", "ना"];
    let folded = fold(text);
    if YES.iter().any(|w| fold(w) == folded) {
        Some(true)
    } else if NO.iter().any(|w| fold(w) == folded) {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_joins_the_spellings_of_one_word() {
        assert_eq!(fold("  Mobile  No. "), "mobile no");
        assert_eq!(fold("गाँव"), fold("गांव"));
        assert_eq!(fold("ज़िला"), fold("जिला"));
        assert_eq!(fold("फ़ोन"), "फोन");
        assert_eq!(fold("\u{095B}िला"), "जिला", "precomposed ज़");
        assert_eq!(fold("श्रमिक का नाम"), "श्रमिक का नाम", "vowel signs and virama stay");
        assert_eq!(fold("U.P."), "u p");
        assert_eq!(fold("..."), "");
    }

    #[test]
    fn languages_by_name_script_or_code() {
        for (text, code) in
            [("Hindi", "hi"), ("हिंदी", "hi"), ("हिन्दी", "hi"), ("hi", "hi"), ("BHOJPURI", "bho"), ("ORI", "or")]
        {
            assert_eq!(language(text).map(|l| l.as_str().to_owned()), Some(code.to_owned()), "{text}");
        }
        assert_eq!(language("Oriya").unwrap().as_str(), "or");
        assert_eq!(language("বাংলা").unwrap().as_str(), "bn");
        for unknown in ["", "xx", "Klingon", "hindi bhojpuri"] {
            assert_eq!(language(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn needs_by_word_and_the_rest_free_text() {
        assert_eq!(need("Food"), Some(Need::Food));
        assert_eq!(need("राशन"), Some(Need::Food));
        assert_eq!(need("Food / Ration"), Some(Need::Food));
        assert_eq!(need("घर वापसी"), Some(Need::Travel));
        assert_eq!(need("Medicine"), Some(Need::Medical));
        assert_eq!(need("food and money"), None, "two needs are for a person to read");
        assert_eq!(need("wants to go to Patna on the 5th"), None);
        assert_eq!(need(""), None);
    }

    #[test]
    fn consent_is_yes_or_no_and_nothing_else() {
        for yes in ["yes", "Y", "1", "हाँ", "हां", "Haan"] {
            assert_eq!(consent(yes), Some(true), "{yes}");
        }
        for no in ["No", "n", "0", "नहीं"] {
            assert_eq!(consent(no), Some(false), "{no}");
        }
        for neither in ["", "maybe", "?"] {
            assert_eq!(consent(neither), None, "{neither}");
        }
    }
}
