//! The case page's numbers and the answers earlier calls gave: the number
//! the caller asked to be called back on first (it is the one dialled
//! first), then the caller's own; under each answer, the different ones
//! earlier calls gave, with when and which call.

use maud::{Markup, html};

use super::{district_name, masked, need_label, state_name, when};
use crate::{
    directory::Directory,
    domain::{DistrictCode, StateCode},
    queue::{AnswerView, CaseHistory, OpenedCase},
};

/// The numbers to call: the callback number (when the caller gave one)
/// above the caller's own, each labelled; in full only for the holder.
pub(super) fn phone_lines(opened: &OpenedCase) -> Markup {
    let case = &opened.case;
    let number = |full: &Option<String>, stored: &Option<String>| {
        html! {
            @match full {
                Some(phone) => { a href={ "tel:" (phone) } { (phone) } }
                None => { (masked(stored.as_deref())) }
            }
        }
    };
    html! {
        @if case.callback_phone.is_some() {
            p id="callback-line" {
                "वापस कॉल का नंबर · Call back on: " strong id="callback-phone" { (number(&opened.callback_phone, &case.callback_phone)) }
                br; span.muted { "कॉलर ने यह नंबर दिया; पहले इसी पर कॉल करें · The number the caller keyed to be called back on: call it first." }
            }
        }
        p id="phone-line" {
            @if case.callback_phone.is_some() { "कॉलर का अपना नंबर · Caller's own number: " } @else { "फ़ोन · Phone: " }
            strong id="phone" { (number(&opened.phone, &case.phone)) }
        }
        @if !case.has_number() {
            p.notice id="withheld" {
                "कॉलर ने नंबर छिपाया: कॉल नहीं हो सकती। आवाज़ संदेश सुनें, आगे भेजें या “वापस कॉल नहीं हो सकती” दर्ज करें · "
                "The caller withheld their number, so there is nothing to call: listen to the voice message, "
                "refer it on, or record “cannot call back”."
            }
        }
    }
}

/// The answers to `field` earlier calls gave that the case no longer
/// shows: "earlier: … (call at …)", nothing when there are none.
pub(super) fn earlier(history: &CaseHistory, field: &str) -> Markup {
    let earlier = history.earlier(field);
    html! {
        @if !earlier.is_empty() {
            br;
            span.muted.earlier data-field=(field) {
                "पहले · earlier: "
                @for (i, answer) in earlier.iter().enumerate() {
                    @if i > 0 { "; " }
                    (value(answer)) " (कॉल · call at " (when(&answer.given_at)) ", " (answer.provider) " " (answer.call_sid) ")"
                }
            }
        }
    }
}

/// An answer as the page names it: a state or district by name (a
/// district with its state, which may not be the case's state now).
fn value(answer: &AnswerView) -> String {
    match answer.field.as_str() {
        "home_state_code" => state_name(answer.value.parse::<StateCode>().ok()),
        "home_district_code" => {
            let code = answer.value.parse::<DistrictCode>().ok();
            let state = code.and_then(|c| Directory::bundled().district(c)).map(|d| d.state);
            format!("{}, {}", district_name(code), state_name(state))
        }
        "need" => need_label(Some(&answer.value)).to_owned(),
        _ => answer.value.clone(),
    }
}
