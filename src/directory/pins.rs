//! PIN codes → post offices, and the district most of them are in.
//!
//! From India Post's All India Pincode Directory (Department of Posts,
//! Ministry of Communications, Government of India, 03/10/2025, via the Open
//! Government Data Platform India; GODL-India), joined to LGD district codes
//! (`data/geo/SOURCES.md`). Parsed on first use.

use std::{collections::HashMap, sync::OnceLock};

use crate::domain::{DistrictCode, StateCode};

/// One PIN code's post offices and its primary LGD state and district.
#[derive(Debug, Clone)]
pub struct PinCode {
    pub state: Option<StateCode>,
    pub district: Option<DistrictCode>,
    pub offices: Vec<&'static str>,
}

impl PinCode {
    /// The office to name when the PIN code is read back: the general or
    /// head post office if it has one, else a sub office, else the first; without the
    /// "SO"/"HO"/"BO" India Post writes after the name.
    pub fn main_office(&self) -> Option<&'static str> {
        let of = |kind: &str| self.offices.iter().find(|o| o.ends_with(kind)).copied();
        let office =
            of(" GPO").or_else(|| of(" HO")).or_else(|| of(" SO")).or_else(|| self.offices.first().copied())?;
        let name = [" HO", " SO", " BO", " PO"].iter().find_map(|s| office.strip_suffix(s)).unwrap_or(office);
        Some(name.trim())
    }
}

const PIN_OFFICES_CSV: &str = include_str!("../../data/geo/pin_offices.csv");

fn table() -> &'static HashMap<u32, PinCode> {
    static TABLE: OnceLock<HashMap<u32, PinCode>> = OnceLock::new();
    TABLE.get_or_init(|| {
        PIN_OFFICES_CSV
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut fields = line.splitn(4, ',');
                let pin = fields.next()?.parse().ok()?;
                let state = fields.next()?.parse().ok();
                let district = fields.next()?.parse().ok();
                let offices = fields.next()?.trim_matches('"').split('|').collect();
                Some((pin, PinCode { state, district, offices }))
            })
            .collect()
    })
}

/// The post offices of a six-digit PIN code.
pub fn pin_code(pin: &str) -> Option<&'static PinCode> {
    look_up_pin(pin).ok()
}

/// Why a PIN code has no post offices to show (words for the case page).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    #[error("पिन कोड छह अंकों का होता है · A PIN code has six digits")]
    NotSixDigits,
    #[error("पिन कोड {0} का कोई डाकघर नहीं मिला · No post office has PIN code {0}")]
    Unknown(String),
}

/// The post offices of a PIN code as a volunteer typed it (spaces
/// around it ignored), or why there are none.
pub fn look_up_pin(text: &str) -> Result<&'static PinCode, PinError> {
    let pin = text.trim();
    if pin.len() != 6 || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PinError::NotSixDigits);
    }
    let number: u32 = pin.parse().map_err(|_| PinError::NotSixDigits)?;
    table().get(&number).ok_or_else(|| PinError::Unknown(pin.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::{PinError, look_up_pin, pin_code};
    use crate::domain::{DistrictCode, StateCode};

    #[test]
    fn a_pin_lists_its_post_offices_and_district() {
        let delhi = pin_code("110001").expect("New Delhi GPO's PIN");
        assert!(delhi.offices.contains(&"New Delhi GPO"));
        assert_eq!((delhi.state, delhi.district), (StateCode::new(7).ok(), DistrictCode::new(79).ok()));
        assert!(pin_code("000000").is_none());
        assert!(pin_code("11000").is_none());
    }

    #[test]
    fn a_look_up_says_why_a_pin_has_no_offices() {
        assert!(look_up_pin(" 110001 ").is_ok(), "spaces around it are ignored");
        assert_eq!(look_up_pin("11000").unwrap_err(), PinError::NotSixDigits);
        assert_eq!(look_up_pin("11000a").unwrap_err(), PinError::NotSixDigits);
        assert_eq!(look_up_pin("000000").unwrap_err(), PinError::Unknown("000000".to_owned()));
        assert!(PinError::Unknown("000000".to_owned()).to_string().contains("No post office has PIN code 000000"));
    }
}
