//! The web pages volunteers, coordinators and admins use: server-rendered
//! (maud), readable on a 360-pixel phone, labels in Hindi and English, no
//! JavaScript needed (the case page's one script, `desk.js`, only makes
//! the PIN look-up happen in place and shows a voice message's failure).
//! Every form carries the session's CSRF token, which its handler checks by
//! taking the form as a [`super::access::CsrfForm`]. Times are India time,
//! and say so.

mod account;
mod admin;
mod calling;
mod case_page;
mod central;
mod charts;
mod desk;
mod handover;
mod import_page;
mod login;
mod numbers;
mod people;
mod prompts;
mod reports;
mod voice;

pub use handover::HandForm;

use axum::Router;
use chrono::{DateTime, FixedOffset, Utc};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::{AppState, session::SignedIn};
use crate::{
    auth::Role,
    directory::Directory,
    domain::{DistrictCode, PhoneNumber, StateCode},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(login::router())
        .merge(account::router())
        .merge(desk::router())
        .merge(case_page::router())
        .merge(calling::router())
        .merge(voice::router())
        .merge(admin::router())
        .merge(reports::router())
        .merge(people::router())
        .merge(import_page::router())
        .merge(handover::router())
        .merge(central::router())
        .merge(prompts::router())
}

/// Pages whose forms upload audio (a larger body limit).
pub fn upload_router() -> Router<AppState> {
    prompts::upload_router().merge(import_page::upload_router())
}

const CSS: &str = r#"
*{box-sizing:border-box}body{font-family:system-ui,"Noto Sans","Noto Sans Devanagari",sans-serif;margin:0;
color:#1b1b1b;background:#f6f5f1;font-size:16px;line-height:1.4}main{max-width:42rem;margin:0 auto;padding:.75rem}
header{background:#174a3c;color:#fff;padding:.5rem .75rem;display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
header a{color:#fff}header .who{margin-left:auto;font-size:.9rem}h1{font-size:1.3rem;margin:.5rem 0}
h2{font-size:1.1rem;margin:1rem 0 .4rem}table{border-collapse:collapse;width:100%;background:#fff}
td,th{border:1px solid #ddd;padding:.35rem;text-align:left;font-size:.95rem}
.card{background:#fff;border:1px solid #ddd;border-radius:.4rem;padding:.75rem;margin:.5rem 0}
button,.button{display:inline-block;font-size:1.05rem;padding:.7rem 1rem;border-radius:.4rem;border:0;
background:#1f6f5a;color:#fff;text-decoration:none;min-height:44px}button.secondary{background:#666}
button.urgent{background:#a3361d}label{display:block;margin:.4rem 0 .15rem;font-weight:600}
input,select,textarea{width:100%;font-size:1rem;padding:.5rem;border:1px solid #aaa;border-radius:.3rem}
fieldset{border:1px solid #ccc;border-radius:.4rem;margin:.5rem 0}fieldset label{font-weight:400;display:flex;gap:.5rem;align-items:center}
fieldset input[type=radio]{width:auto}.flash{background:#e6f2ec;border-left:4px solid #1f6f5a;padding:.5rem}
.error{background:#fbeae5;border-left:4px solid #a3361d;padding:.5rem}.notice{background:#eef4fb;border-left:4px solid #1d5fa3;padding:.5rem}.notice pre{white-space:pre-wrap;word-break:break-all}.muted{color:#666;font-size:.9rem}
.medical{color:#a3361d;font-weight:700}.unchecked{color:#8a5a00}.scroll{overflow-x:auto}
table.matrix td,table.matrix th{white-space:nowrap;font-size:.8rem;padding:.25rem}
table.matrix td:first-child{white-space:normal;word-break:break-all;max-width:7rem}
summary{cursor:pointer;padding:.25rem 0}ul.codes{columns:2;padding-left:1.2rem;font-size:.9rem;margin:.4rem 0}
details.user form+form,details.user p.error{border-top:1px solid #eee;margin-top:.5rem;padding-top:.25rem}audio{width:100%}svg{max-width:100%;height:auto;background:#fff}
@media (max-width:30rem){header .role{display:none}}.badge{font-size:.8rem;vertical-align:middle}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:.3rem 0 0}#call h1{margin-top:0}#call p{margin:.3rem 0}
fieldset.outcomes{display:grid;grid-template-columns:1fr 1fr;gap:.1rem .4rem;padding:.1rem .4rem .3rem;margin:0 0 .3rem}
fieldset.outcomes legend{font-weight:600;padding:0 .2rem}
fieldset.outcomes label{margin:0;min-height:40px;font-size:.88rem;line-height:1.15;gap:.35rem}
#outcome-form:not(:has(input[value=follow_up]:checked)) .if-follow-up{display:none}
#outcome-form:not(:has(input[value=call_back]:checked)) .if-call-back{display:none}
#outcome-form textarea{height:3.2rem;font-family:inherit}#outcome-form>label{margin-top:.3rem}details{margin:.5rem 0}summary{padding:.5rem 0;cursor:pointer;font-weight:600}
.inline{display:flex;gap:.5rem}.inline input{flex:1;min-width:0}.inline button{padding:.5rem .8rem}
dl.facts{display:grid;grid-template-columns:auto 1fr;gap:.2rem .6rem;margin:0}dl.facts dt{font-weight:600}dl.facts dd{margin:0;overflow-wrap:anywhere}
"#;

/// A page with the header (and the user's name and sign-out when signed in).
fn page(title: &str, who: Option<&SignedIn>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="hi" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Sampark" }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    a href="/" { strong { "सम्पर्क Sampark" } }
                    @if let Some(who) = who {
                        // Until a one-time password is replaced, no page but that one opens.
                        @let working = !who.user.must_change_password;
                        @if working && matches!(who.user.role, Role::Coordinator | Role::Admin) { a href="/reports" { "रिपोर्ट · Reports" } a href="/units/handed" { "सौंपे गए · Hand-overs" } a href="/people" { "लोग · People" } }
                        @if working && matches!(who.user.role, Role::Central | Role::Admin) { a href="/central" { "केंद्रीय · Central" } }
                        @if working && who.user.role == Role::Admin { a href="/admin/users" { "उपयोगकर्ता · Users" } a href="/admin/units" { "इकाइयाँ · Units" } a href="/admin/prompts" { "रिकॉर्डिंग · Prompts" } a href="/admin/audit" { "ऑडिट · Audit" } }
                        span.who {
                            a href="/account/password" title="पासवर्ड बदलें · Change your password" { (who.user.username) }
                            span.role { " (" (who.user.role) ")" } " "
                            form method="post" action="/logout" style="display:inline" {
                                (csrf_field(who))
                                button.secondary type="submit" style="padding:.3rem .6rem;min-height:0;font-size:.85rem" { "बाहर · Sign out" }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

fn csrf_field(who: &SignedIn) -> Markup {
    html! { input type="hidden" name="csrf" value=(who.csrf); }
}

/// India Standard Time, for the times people read.
fn ist() -> FixedOffset {
    FixedOffset::east_opt(5 * 3600 + 30 * 60).expect("a valid offset")
}

/// A time as people read it: India time, marked IST.
fn when(at: &DateTime<Utc>) -> String {
    at.with_timezone(&ist()).format("%d %b %Y, %H:%M IST").to_string()
}

fn state_name(code: Option<StateCode>) -> String {
    let directory = Directory::bundled();
    code.and_then(|c| directory.state(c))
        .map_or_else(|| "राज्य नहीं बताया · state not given".to_owned(), |s| format!("{} ({})", s.name, s.code))
}

fn district_name(code: Option<DistrictCode>) -> String {
    let directory = Directory::bundled();
    code.and_then(|c| directory.district(c))
        .map_or_else(|| "ज़िला नहीं बताया · district not given".to_owned(), |d| format!("{} ({})", d.name, d.code))
}

fn masked(phone: Option<&str>) -> String {
    phone.and_then(PhoneNumber::parse).map_or_else(|| "नंबर नहीं · number withheld".to_owned(), |p| p.masked())
}

fn need_label(need: Option<&str>) -> &'static str {
    match need {
        Some("food") => "भोजन · food",
        Some("money") => "पैसा/मज़दूरी · money or wages",
        Some("travel") => "घर वापसी · travel home",
        Some("medical") => "इलाज · medical",
        Some("shelter") => "रहने की जगह · shelter",
        Some("other") => "अन्य · other",
        _ => "नहीं बताया · not given",
    }
}

fn language_label(language: Option<&str>) -> &'static str {
    match language {
        Some("hi") => "हिन्दी Hindi",
        Some("bn") => "বাংলা Bengali",
        Some("or") => "ଓଡ଼ିଆ Odia",
        Some("en") => "English",
        Some("as") => "অসমীয়া Assamese",
        Some("bho") => "भोजपुरी Bhojpuri",
        Some("mai") => "मैथिली Maithili",
        Some("sat") => "ᱥᱟᱱᱛᱟᱲᱤ Santali",
        Some("ne") => "नेपाली Nepali",
        Some("ur") => "اردو Urdu",
        Some("mr") => "मराठी Marathi",
        Some("gu") => "ગુજરાતી Gujarati",
        Some("pa") => "ਪੰਜਾਬੀ Punjabi",
        Some("ta") => "தமிழ் Tamil",
        Some("te") => "తెలుగు Telugu",
        Some("kn") => "ಕನ್ನಡ Kannada",
        Some("ml") => "മലയാളം Malayalam",
        Some(_) => "other",
        None => "नहीं बताया · not given",
    }
}
