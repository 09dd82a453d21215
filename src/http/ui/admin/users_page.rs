//! The users page: one card per user (folded; the one a notice or a
//! refusal is about unfolds) with the forms that edit them, and the form
//! that adds one. Built for a 360-pixel phone: no table, every field a full
//! line, nothing wider than the screen.

use maud::{Markup, html};
use serde::Deserialize;

use crate::{
    auth::{Role, User, profile::join},
    directory::Directory,
    http::{AppState, error::AppError, session::SignedIn, ui::csrf_field, ui::page},
};

/// The add form's fields.
#[derive(Debug, Default, Deserialize)]
pub(super) struct AddUser {
    pub username: String,
    pub role: String,
    #[serde(default)]
    pub states: String,
    #[serde(default)]
    pub languages: String,
    #[serde(default)]
    pub phone: String,
    pub password: String,
}

/// The edit form's fields: all of them, as the form shows them.
#[derive(Debug, Deserialize)]
pub(super) struct EditUser {
    pub role: String,
    #[serde(default)]
    pub states: String,
    #[serde(default)]
    pub languages: String,
    #[serde(default)]
    pub phone: String,
}

/// What the page reports after a change (from the redirect's query).
#[derive(Debug, Default, Deserialize)]
pub(super) struct Notice {
    /// A user added, edited, disabled or enabled.
    saved: Option<String>,
    /// A user given a one-time password.
    reset: Option<String>,
}

/// A refused form, with why and what was typed.
pub(super) enum Problem<'a> {
    Add { message: String, form: &'a AddUser },
    Edit { name: &'a str, message: String, form: &'a EditUser },
    Reset { name: &'a str, message: String },
}

impl Problem<'_> {
    /// The user whose card the problem belongs to.
    fn user(&self) -> Option<&str> {
        match self {
            Self::Add { .. } => None,
            Self::Edit { name, .. } | Self::Reset { name, .. } => Some(name),
        }
    }
}

const ROLES: [Role; 4] = [Role::Volunteer, Role::Coordinator, Role::Admin, Role::Central];

/// The users, each with its forms, and the form to add one.
pub(super) async fn users_page(
    app: &AppState,
    who: &SignedIn,
    notice: &Notice,
    problem: Option<&Problem<'_>>,
) -> Result<Markup, AppError> {
    let users = app.users.users().await?;
    let languages: Vec<String> = app.prompts.catalog().languages().map(ToString::to_string).collect();
    let focus = problem.and_then(Problem::user).or(notice.saved.as_deref()).or(notice.reset.as_deref());
    let body = html! {
        h1 { "उपयोगकर्ता · Users" }
        @if let Some(name) = &notice.saved { p.flash { (name) ": सहेजा · saved" } }
        @if let Some(name) = &notice.reset {
            p.flash {
                (name) ": एक बार का पासवर्ड रखा गया, उनके सत्र बंद · one-time password set, their sessions ended. "
                "Tell them in person or by phone; they choose their own at their next sign-in."
            }
        }
        p.muted { "प्रॉम्प्ट कैटलॉग की भाषाएँ · The prompt catalog's languages: " (languages.join(", ")) }
        @for user in &users {
            (user_card(who, user, focus == Some(user.username.as_str()), problem))
        }
        (add_form(who, match problem { Some(Problem::Add { message, form }) => Some((message.as_str(), *form)), _ => None }))
        (state_codes())
    };
    Ok(page("Users", Some(who), body))
}

/// One user: who they are and serve, folded; the edit, password and
/// disable forms inside.
fn user_card(who: &SignedIn, user: &User, open: bool, problem: Option<&Problem<'_>>) -> Markup {
    let name = user.username.as_str();
    let mine = problem.filter(|p| p.user() == Some(name));
    let (edit_error, typed) = match mine {
        Some(Problem::Edit { message, form, .. }) => (Some(message.as_str()), Some(*form)),
        _ => (None, None),
    };
    let reset_error = match mine {
        Some(Problem::Reset { message, .. }) => Some(message.as_str()),
        _ => None,
    };
    let role = typed.map_or(user.role.as_str(), |f| f.role.as_str());
    let states = typed.map_or_else(|| join_or_empty(&user.states), |f| f.states.clone());
    let languages = typed.map_or_else(|| join_or_empty(&user.languages), |f| f.languages.clone());
    let phone = typed.map_or_else(|| user.phone.clone().unwrap_or_default(), |f| f.phone.clone());
    let id = |field: &str| format!("{field}-{name}");
    html! {
        details.card.user id={ "user-" (name) } open[open] {
            summary {
                strong { (name) } " · " (user.role)
                @if user.disabled { " · बंद · disabled" }
                @if user.must_change_password { " · नया पासवर्ड बाकी · must choose a password" }
                br;
                span.muted { "राज्य · States " (state_names(user)) " · भाषाएँ · Languages " (join(&user.languages)) }
            }
            @if let Some(message) = edit_error { p.error { "सहेजा नहीं · Not saved: " (message) } }
            form.edit method="post" action={ "/admin/users/" (name) "/edit" } {
                (csrf_field(who))
                label for=(id("role")) { "भूमिका · Role" }
                select id=(id("role")) name="role" {
                    @for r in ROLES { option selected[r.as_str() == role] { (r) } }
                }
                label for=(id("states")) { "राज्य कोड · State codes, comma-separated" }
                input id=(id("states")) name="states" value=(states) placeholder="9,10" inputmode="numeric";
                label for=(id("languages")) { "भाषाएँ · Languages" }
                input id=(id("languages")) name="languages" value=(languages) placeholder="hi,bn" autocapitalize="none";
                label for=(id("phone")) { "फ़ोन · Phone (for Call now)" }
                input id=(id("phone")) name="phone" type="tel" value=(phone);
                p { button type="submit" { "सहेजें · Save" } }
            }
            @if let Some(message) = reset_error { p.error { "पासवर्ड नहीं रखा · Not set: " (message) } }
            form.reset method="post" action={ "/admin/users/" (name) "/password" } {
                (csrf_field(who))
                label for=(id("password")) { "एक बार का पासवर्ड · One-time password (they must change it)" }
                input id=(id("password")) name="password" type="password" autocomplete="new-password" required;
                p { button.secondary type="submit" { "पासवर्ड रखें · Set one-time password" } }
            }
            @let action = if user.disabled { "enable" } else { "disable" };
            form method="post" action={ "/admin/users/" (name) "/" (action) } {
                (csrf_field(who))
                button.secondary type="submit" {
                    @if user.disabled { "चालू करें · Enable" } @else { "बंद करें · Disable" }
                }
            }
        }
    }
}

/// The form to add a user; after a refusal, with why and what was typed.
fn add_form(who: &SignedIn, refused: Option<(&str, &AddUser)>) -> Markup {
    let empty = AddUser::default();
    let (error, typed) = refused.map_or((None, &empty), |(message, form)| (Some(message), form));
    let role = if typed.role.is_empty() { "volunteer" } else { typed.role.as_str() };
    html! {
        h2 { "नया उपयोगकर्ता · Add a user" }
        @if let Some(error) = error { p.error #add-error { "नहीं जोड़ा · Not added: " (error) } }
        form.card method="post" action="/admin/users" {
            (csrf_field(who))
            label for="username" { "यूज़रनेम · Username" }
            input id="username" name="username" value=(typed.username) autocapitalize="none" required;
            label for="role" { "भूमिका · Role" }
            select id="role" name="role" { @for r in ROLES { option selected[r.as_str() == role] { (r) } } }
            label for="states" { "राज्य कोड (कॉमा से) · State codes, comma-separated" }
            input id="states" name="states" value=(typed.states) placeholder="9,10" inputmode="numeric";
            label for="languages" { "भाषाएँ · Languages" }
            input id="languages" name="languages" value=(typed.languages) placeholder="hi,bn" autocapitalize="none";
            label for="phone" { "फ़ोन (कॉल के लिए) · Phone (for Call now)" }
            input id="phone" name="phone" type="tel" value=(typed.phone);
            label for="password" { "पासवर्ड · Password (10+ characters, hard to guess)" }
            input id="password" name="password" type="password" autocomplete="new-password" required;
            p { button type="submit" { "जोड़ें · Add" } }
        }
    }
}

/// Every LGD state code the directory knows, folded.
fn state_codes() -> Markup {
    html! {
        details.card {
            summary { "राज्य कोड · LGD state codes" }
            ul.codes { @for state in Directory::bundled().states() { li { (state.code) " " (state.name) } } }
        }
    }
}

/// A user's states by name, with their codes.
fn state_names(user: &User) -> String {
    let directory = Directory::bundled();
    if user.states.is_empty() {
        return "-".to_owned();
    }
    let name = |code| directory.state(code).map_or_else(|| code.to_string(), |s| format!("{} ({code})", s.name));
    user.states.iter().copied().map(name).collect::<Vec<_>>().join(", ")
}

fn join_or_empty<T: ToString>(items: &[T]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}
