//! What an admin sets about a user besides the password: role, states,
//! languages and phone, read from what they typed.
//!
//! One rule serves adding a user and editing one, on the command line and
//! on the admin page: every state is an LGD state code the directory knows,
//! every language is one of the prompt catalog's (a volunteer given another
//! would never see a case), the phone parses as a phone number, and the
//! whole makes sense for the role — a volunteer serves states and speaks
//! languages, a coordinator serves states. An edit is checked as the user
//! it leaves behind, not field by field.

use super::{Role, User, parse_list};
use crate::{
    directory::Directory,
    domain::{Language, PhoneNumber, StateCode},
};

/// A user's role and scope, and the phone "Call now" rings first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub role: Role,
    pub states: Vec<StateCode>,
    pub languages: Vec<Language>,
    /// E.164.
    pub phone: Option<String>,
}

/// Fields as typed (`9,10`, `hi,bn`, `+91…`); `None` leaves one as it was,
/// an empty text clears it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProfileChange<'a> {
    pub role: Option<&'a str>,
    pub states: Option<&'a str>,
    pub languages: Option<&'a str>,
    pub phone: Option<&'a str>,
}

impl<'a> ProfileChange<'a> {
    /// Every field given, as a form with all of them sends it.
    pub fn all(role: &'a str, states: &'a str, languages: &'a str, phone: &'a str) -> Self {
        Self { role: Some(role), states: Some(states), languages: Some(languages), phone: Some(phone) }
    }

    /// True when no field is given: nothing to change.
    pub fn is_empty(&self) -> bool {
        self.role.is_none() && self.states.is_none() && self.languages.is_none() && self.phone.is_none()
    }
}

impl Profile {
    /// A profile from every field (adding a user).
    pub fn parse(change: &ProfileChange<'_>, known_language: &dyn Fn(&Language) -> bool) -> Result<Self, String> {
        let role = parse_role(change.role.unwrap_or_default())?;
        let blank = Self { role, states: Vec::new(), languages: Vec::new(), phone: None };
        blank.with(change, known_language)
    }

    /// A user's profile as it stands.
    pub fn of(user: &User) -> Self {
        Self {
            role: user.role,
            states: user.states.clone(),
            languages: user.languages.clone(),
            phone: user.phone.clone(),
        }
    }

    /// This profile with `change` applied, checked as a whole.
    pub fn with(&self, change: &ProfileChange<'_>, known_language: &dyn Fn(&Language) -> bool) -> Result<Self, String> {
        let profile = Self {
            role: change.role.map(parse_role).transpose()?.unwrap_or(self.role),
            states: change.states.map(parse_states).transpose()?.unwrap_or_else(|| self.states.clone()),
            languages: match change.languages {
                Some(text) => parse_languages(text, known_language)?,
                None => self.languages.clone(),
            },
            phone: change.phone.map(parse_phone).transpose()?.unwrap_or_else(|| self.phone.clone()),
        };
        profile.check()?;
        Ok(profile)
    }

    /// A volunteer serves states and speaks languages; a coordinator serves
    /// states; an admin and the central office need neither.
    fn check(&self) -> Result<(), String> {
        if matches!(self.role, Role::Volunteer | Role::Coordinator) && self.states.is_empty() {
            return Err("give the states a volunteer or coordinator serves".to_owned());
        }
        if self.role == Role::Volunteer && self.languages.is_empty() {
            return Err("give the languages a volunteer speaks".to_owned());
        }
        Ok(())
    }

    /// What changed from `before`, as the audit log says it (`role
    /// volunteer → coordinator; states 9 → 9,10`); a phone only as "phone
    /// changed", never the number. Empty when nothing did.
    pub fn changes_from(&self, before: &Self) -> String {
        let mut changes = Vec::new();
        if self.role != before.role {
            changes.push(format!("role {} → {}", before.role, self.role));
        }
        if self.states != before.states {
            changes.push(format!("states {} → {}", join(&before.states), join(&self.states)));
        }
        if self.languages != before.languages {
            changes.push(format!("languages {} → {}", join(&before.languages), join(&self.languages)));
        }
        match (&before.phone, &self.phone) {
            (None, Some(_)) => changes.push("phone set".to_owned()),
            (Some(_), None) => changes.push("phone removed".to_owned()),
            (Some(a), Some(b)) if a != b => changes.push("phone changed".to_owned()),
            _ => {}
        }
        changes.join("; ")
    }
}

/// Items joined by commas (`-` for none).
pub fn join<T: ToString>(items: &[T]) -> String {
    if items.is_empty() {
        return "-".to_owned();
    }
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.trim().parse()
}

/// LGD state codes the bundled directory knows, comma-separated.
fn parse_states(text: &str) -> Result<Vec<StateCode>, String> {
    let directory = Directory::bundled();
    let mut states = parse_list(text, |s| {
        StateCode::parse(s).ok().filter(|c| directory.state(*c).is_some()).ok_or_else(|| {
            format!("`{s}` is not an LGD state code (9 is Uttar Pradesh, 10 Bihar, 19 West Bengal, 21 Odisha)")
        })
    })?;
    states.sort_unstable();
    states.dedup();
    Ok(states)
}

/// Language codes of the prompt catalog, comma-separated.
fn parse_languages(text: &str, known_language: &dyn Fn(&Language) -> bool) -> Result<Vec<Language>, String> {
    let mut languages = parse_list(text, |l| {
        let language = Language::parse(l).map_err(|e| e.to_string())?;
        if !known_language(&language) {
            return Err(format!("`{l}` is not a language of the prompt catalog"));
        }
        Ok(language)
    })?;
    languages.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
    languages.dedup();
    Ok(languages)
}

/// A phone number (any spelling [`PhoneNumber::parse`] reads) as E.164;
/// blank for none.
fn parse_phone(text: &str) -> Result<Option<String>, String> {
    match text.trim() {
        "" => Ok(None),
        p => Ok(Some(PhoneNumber::parse(p).ok_or("phone is not a phone number")?.as_e164().to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(l: &Language) -> bool {
        ["hi", "bn", "or", "en"].contains(&l.as_str())
    }

    fn volunteer() -> Profile {
        Profile::parse(&ProfileChange::all("volunteer", "10,9", "hi", "+911000000101"), &catalog).unwrap()
    }

    #[test]
    fn a_new_profile_reads_every_field() {
        let profile = volunteer();
        assert_eq!(profile.role, Role::Volunteer);
        assert_eq!(profile.states.iter().map(|s| s.get()).collect::<Vec<_>>(), [9, 10]);
        assert_eq!(profile.phone.as_deref(), Some("+911000000101"));
    }

    #[test]
    fn the_changes_name_each_field_that_changed_and_never_the_number() {
        let before = volunteer();
        let change = ProfileChange {
            role: Some("coordinator"),
            states: Some("9"),
            phone: Some("+911000000102"),
            ..Default::default()
        };
        let after = before.with(&change, &catalog).unwrap();
        assert_eq!(after.changes_from(&before), "role volunteer → coordinator; states 9,10 → 9; phone changed");
        assert_eq!(before.changes_from(&before), "");
    }

    #[test]
    fn an_edit_changes_only_the_fields_given_and_empty_clears() {
        let profile = volunteer();
        let edited = profile.with(&ProfileChange { languages: Some("bn, hi"), ..Default::default() }, &catalog);
        let edited = edited.unwrap();
        assert_eq!(edited.languages.iter().map(Language::as_str).collect::<Vec<_>>(), ["bn", "hi"]);
        assert_eq!((edited.role, &edited.states, &edited.phone), (profile.role, &profile.states, &profile.phone));
        let no_phone = profile.with(&ProfileChange { phone: Some(""), ..Default::default() }, &catalog).unwrap();
        assert_eq!(no_phone.phone, None);
        let admin = ProfileChange { role: Some("admin"), states: Some(""), languages: Some(""), phone: None };
        assert!(profile.with(&admin, &catalog).unwrap().states.is_empty());
    }

    #[test]
    fn unknown_states_languages_roles_and_phones_are_refused_with_what_was_wrong() {
        let profile = volunteer();
        let refused = |change: ProfileChange<'_>| profile.with(&change, &catalog).unwrap_err();
        assert!(refused(ProfileChange { states: Some("9,99"), ..Default::default() }).contains("`99` is not an LGD"));
        assert!(refused(ProfileChange { states: Some("nine"), ..Default::default() }).contains("`nine`"));
        let language = refused(ProfileChange { languages: Some("xx"), ..Default::default() });
        assert!(language.contains("`xx` is not a language of the prompt catalog"), "{language}");
        assert!(refused(ProfileChange { role: Some("owner"), ..Default::default() }).contains("not a role"));
        assert!(refused(ProfileChange { phone: Some("call me"), ..Default::default() }).contains("not a phone"));
    }

    #[test]
    fn an_edit_that_leaves_a_volunteer_serving_nothing_is_refused() {
        let profile = volunteer();
        let refused = |change: ProfileChange<'_>| profile.with(&change, &catalog).unwrap_err();
        assert!(refused(ProfileChange { languages: Some(""), ..Default::default() }).contains("languages"));
        assert!(refused(ProfileChange { states: Some(" "), ..Default::default() }).contains("states"));
        let coordinator = ProfileChange { role: Some("coordinator"), languages: Some(""), ..Default::default() };
        assert!(profile.with(&coordinator, &catalog).is_ok(), "a coordinator needs no language");
    }
}
