//! Lists of names read a page at a time (states, districts, languages):
//! the order they are read in, and which names a page holds.

use std::collections::HashMap;

use crate::{
    directory::Directory,
    domain::{DistrictCode, StateCode},
};

/// How many of this helpline's own callers came from each state and
/// district lately (the calls layer counts the last 30 days): lists read
/// the most common first. Empty for a new helpline, and then the shipped
/// orders hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ranking {
    states: HashMap<StateCode, u64>,
    districts: HashMap<DistrictCode, u64>,
}

impl Ranking {
    /// From (state, district, callers) counts; a district counts for its state too.
    pub fn from_counts(counts: impl IntoIterator<Item = (StateCode, Option<DistrictCode>, u64)>) -> Self {
        let mut ranking = Self::default();
        for (state, district, callers) in counts {
            *ranking.states.entry(state).or_default() += callers;
            if let Some(district) = district {
                *ranking.districts.entry(district).or_default() += callers;
            }
        }
        ranking
    }

    /// An empty ranking, for a flow run with no callers behind it.
    pub fn none() -> &'static Ranking {
        static NONE: std::sync::OnceLock<Ranking> = std::sync::OnceLock::new();
        NONE.get_or_init(Ranking::default)
    }

    pub fn state_callers(&self, state: StateCode) -> u64 {
        self.states.get(&state).copied().unwrap_or(0)
    }

    pub fn district_callers(&self, district: DistrictCode) -> u64 {
        self.districts.get(&district).copied().unwrap_or(0)
    }
}

/// Every state: this helpline's callers' most first, then the shipped order
/// ([`Directory::menu_order`]: the states most migrants come from, then by name).
pub fn state_order(directory: &Directory, ranking: &Ranking) -> Vec<u16> {
    let mut order = directory.menu_order();
    // A stable sort keeps the shipped order among states with as many callers.
    order.sort_by_key(|s| std::cmp::Reverse(ranking.state_callers(*s)));
    order.into_iter().map(|s| u16::from(s.get())).collect()
}

/// A state's districts: this helpline's callers' most first, then by name.
pub fn district_order(directory: &Directory, ranking: &Ranking, state: StateCode) -> Vec<u16> {
    let mut districts: Vec<_> = directory.districts_of(state).collect();
    districts.sort_by(|a, b| {
        let callers = |d: &crate::directory::District| std::cmp::Reverse(ranking.district_callers(d.code));
        callers(a).cmp(&callers(b)).then_with(|| a.name.cmp(&b.name))
    });
    districts.into_iter().map(|d| d.code.get()).collect()
}

/// How a list is cut into pages: `per_page` names a page, but the first
/// page may hold fewer (the languages of the caller's circle, alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub first: usize,
    pub per_page: usize,
}

impl Paging {
    /// Every page `per_page` long.
    pub fn even(per_page: usize) -> Self {
        Self { first: per_page, per_page }
    }

    fn first(self) -> usize {
        self.first.clamp(1, self.per_page.max(1))
    }

    /// How many pages `len` names fill.
    pub fn pages(self, len: usize) -> usize {
        1 + len.saturating_sub(self.first()).div_ceil(self.per_page.max(1))
    }

    /// The names on page `page` of `order`; after the last page, the first again.
    pub fn page<T>(self, order: &[T], page: u8) -> &[T] {
        let page = usize::from(page) % self.pages(order.len());
        let (start, len) = match page {
            0 => (0, self.first()),
            n => (self.first() + (n - 1) * self.per_page.max(1), self.per_page.max(1)),
        };
        &order[start.min(order.len())..(start + len).min(order.len())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_six_states_fill_five_pages_and_the_sixth_is_the_first_again() {
        let order: Vec<u16> = (1..=36).collect();
        let eight = Paging::even(8);
        assert_eq!(eight.pages(order.len()), 5);
        assert_eq!(eight.page(&order, 0).len(), 8);
        assert_eq!(eight.page(&order, 4), [33, 34, 35, 36]);
        assert_eq!(eight.page(&order, 5), eight.page(&order, 0));
        assert_eq!(Paging::even(7).page(&order, 1), [8, 9, 10, 11, 12, 13, 14]);
        assert!(eight.page::<u16>(&[], 0).is_empty());
        assert_eq!(eight.pages(0), 1);
    }

    #[test]
    fn a_short_first_page_then_full_pages() {
        let order: Vec<u16> = (0..17).collect();
        let paging = Paging { first: 4, per_page: 8 };
        assert_eq!(paging.pages(17), 3);
        assert_eq!(paging.page(&order, 0), [0, 1, 2, 3]);
        assert_eq!(paging.page(&order, 1), [4, 5, 6, 7, 8, 9, 10, 11]);
        assert_eq!(paging.page(&order, 2), [12, 13, 14, 15, 16]);
        assert_eq!(paging.page(&order, 3), paging.page(&order, 0));
        assert_eq!(Paging { first: 0, per_page: 8 }.page(&order, 0).len(), 1, "never an empty first page");
    }

    #[test]
    fn the_helplines_own_callers_come_first_then_the_shipped_order() {
        let directory = Directory::bundled();
        let state = |c| StateCode::new(c).unwrap();
        let shipped = state_order(directory, Ranking::none());
        assert_eq!(&shipped[..8], [9, 10, 19, 21, 20, 8, 23, 18]);
        let ranking = Ranking::from_counts([(state(32), None, 3), (state(10), None, 5), (state(27), None, 3)]);
        let order = state_order(directory, &ranking);
        assert_eq!(&order[..5], [10, 32, 27, 9, 19], "Bihar 5, then Kerala and Maharashtra 3, by name");
        assert_eq!(order.len(), 36);
    }

    #[test]
    fn districts_go_by_callers_then_by_name() {
        let directory = Directory::bundled();
        let bihar = StateCode::new(10).unwrap();
        let by_name = district_order(directory, Ranking::none(), bihar);
        let names: Vec<&str> =
            by_name.iter().map(|c| directory.district(DistrictCode::new(*c).unwrap()).unwrap().name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        assert_eq!(names.len(), 38);
        let patna = DistrictCode::new(212).unwrap();
        let ranking = Ranking::from_counts([(bihar, Some(patna), 2)]);
        assert_eq!(district_order(directory, &ranking, bihar)[0], 212);
        assert_eq!(ranking.state_callers(bihar), 2, "a district's callers count for its state");
    }
}
