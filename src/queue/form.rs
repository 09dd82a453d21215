//! An outcome as a page's form or the API's JSON sends it, checked into an
//! [`OutcomeReport`].

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{CaseNotes, MAX_FIELD, Outcome, OutcomeKind, OutcomeReport};

/// An outcome as a form or JSON body sends it: flat fields. A page that
/// shows it again (after a refusal, or a PIN look-up without a script)
/// shows what was typed, so nothing is lost.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OutcomeForm {
    /// An [`OutcomeKind`]'s name; empty when none was chosen.
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub referred_to: Option<String>,
    /// RFC 3339, or `YYYY-MM-DDTHH:MM` (an HTML datetime-local) in India time.
    #[serde(default)]
    pub callback_at: Option<String>,
    #[serde(default, flatten)]
    pub details: CaseNotes,
}

/// India Standard Time, for times people type.
fn ist() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(5 * 3600 + 30 * 60).expect("a valid offset")
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let local = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").ok()?;
    local.and_local_timezone(ist()).single().map(|t| t.with_timezone(&Utc))
}

impl OutcomeForm {
    /// Checks the form: a known outcome, a referral for follow-up, a future
    /// time (within 30 days) for a call-back, fields of sane length.
    pub fn into_report(self, now: DateTime<Utc>) -> Result<OutcomeReport, String> {
        let text = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let kind = match OutcomeKind::parse(&self.outcome) {
            Some(kind) => kind,
            None if self.outcome.is_empty() => return Err("choose an outcome".to_owned()),
            None => return Err(format!("`{}` is not an outcome", self.outcome)),
        };
        let outcome = match kind {
            OutcomeKind::Resolved => Outcome::Resolved,
            OutcomeKind::NoAnswer => Outcome::NoAnswer,
            OutcomeKind::WrongNumber => Outcome::WrongNumber,
            OutcomeKind::CannotCallBack => Outcome::CannotCallBack,
            OutcomeKind::FollowUp => {
                let referred_to = text(self.referred_to).ok_or("say who the caller was referred to")?;
                if referred_to.chars().count() > MAX_FIELD {
                    return Err(format!("referred_to is longer than {MAX_FIELD} characters"));
                }
                Outcome::FollowUp { referred_to }
            }
            OutcomeKind::CallBack => {
                let raw = text(self.callback_at).ok_or("give the time the caller asked to be called")?;
                let at = parse_time(&raw).ok_or("the call-back time is not a date and time")?;
                if at <= now || at > now + chrono::Duration::days(30) {
                    return Err("the call-back time must be in the next 30 days".to_owned());
                }
                Outcome::CallBack { at }
            }
        };
        let notes = text(self.notes);
        if notes.as_ref().is_some_and(|n| n.chars().count() > 4 * MAX_FIELD) {
            return Err("the notes are too long".to_owned());
        }
        Ok(OutcomeReport { outcome, notes, details: self.details.cleaned()? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_must_be_chosen_and_known() {
        let now = Utc::now();
        let none = OutcomeForm::default().into_report(now).unwrap_err();
        assert_eq!(none, "choose an outcome");
        let unknown = OutcomeForm { outcome: "unreachable".to_owned(), ..OutcomeForm::default() };
        assert!(unknown.into_report(now).unwrap_err().contains("is not an outcome"));
        let cannot = OutcomeForm { outcome: "cannot_call_back".to_owned(), ..OutcomeForm::default() };
        assert_eq!(cannot.into_report(now).unwrap().outcome, Outcome::CannotCallBack);
    }
}
