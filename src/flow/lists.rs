//! Lists of names read a page at a time (the state list): which names a
//! page holds. Keys 1–8 pick a name on the page, 9 is the next page, 0 the
//! way out to the codes.

use crate::domain::StateCode;

/// Names a page holds: keys 1 to 8.
pub const PAGE: usize = 8;

/// How many pages `order` fills.
pub fn pages(order: &[StateCode]) -> usize {
    order.len().div_ceil(PAGE).max(1)
}

/// The names on page `page` of `order`; after the last page, the first again.
pub fn page(order: &[StateCode], page: u8) -> &[StateCode] {
    let first = usize::from(page) % pages(order) * PAGE;
    &order[first.min(order.len())..(first + PAGE).min(order.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_six_states_fill_five_pages_and_the_sixth_is_the_first_again() {
        let order: Vec<StateCode> = (1..=36).map(|c| StateCode::new(c).unwrap()).collect();
        assert_eq!(pages(&order), 5);
        assert_eq!(page(&order, 0).len(), 8);
        assert_eq!(page(&order, 4).iter().map(|s| s.get()).collect::<Vec<_>>(), [33, 34, 35, 36]);
        assert_eq!(page(&order, 5), page(&order, 0));
        assert!(page(&[], 0).is_empty());
    }
}
