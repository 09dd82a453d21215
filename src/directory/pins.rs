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
    if pin.len() != 6 || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    table().get(&pin.parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::pin_code;
    use crate::domain::{DistrictCode, StateCode};

    #[test]
    fn a_pin_lists_its_post_offices_and_district() {
        let delhi = pin_code("110001").expect("New Delhi GPO's PIN");
        assert!(delhi.offices.contains(&"New Delhi GPO"));
        assert_eq!((delhi.state, delhi.district), (StateCode::new(7).ok(), DistrictCode::new(79).ok()));
        assert!(pin_code("000000").is_none());
        assert!(pin_code("11000").is_none());
    }
}
