//! The review list: place names on lists the matcher was not sure of. A
//! coordinator picks the place; every person waiting on that spelling (in
//! that state) gets it, as a fact from the coordinator, and the pick is
//! remembered for the spelling ([`PlaceStore`]), so the next list spelt so
//! is not asked about again.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Field, Given, PeopleStore, Source, SourceKind, store};
use crate::{
    db::{StoreError, corrupt},
    directory::{Directory, spelling_key},
    domain::{DistrictCode, StateCode},
    on_db, on_tx,
    places::PlaceStore,
};

/// Open reviews a page shows at most.
pub const SHOWN: i64 = 500;

/// A place name waiting for a coordinator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Review {
    pub id: i64,
    pub person_id: i64,
    pub field: Field,
    pub spelling: String,
    pub state_code: Option<i64>,
    /// LGD codes with the matcher's confidence, most likely first.
    pub candidates: Vec<(i64, f64)>,
    pub source: String,
    pub unit_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ReviewRow {
    id: i64,
    person_id: i64,
    field: String,
    spelling: String,
    state_code: Option<i64>,
    candidates: String,
    source: String,
    unit_id: Option<i64>,
    created_at: DateTime<Utc>,
}

impl ReviewRow {
    fn review(self) -> Result<Review, StoreError> {
        Ok(Review {
            id: self.id,
            person_id: self.person_id,
            field: Field::from_column(&self.field).ok_or_else(|| corrupt("review field"))?,
            candidates: serde_json::from_str(&self.candidates).map_err(|_| corrupt("review candidates"))?,
            spelling: self.spelling,
            state_code: self.state_code,
            source: self.source,
            unit_id: self.unit_id,
            created_at: self.created_at,
        })
    }
}

/// The columns [`ReviewRow`] reads; a macro so queries stay static strings.
macro_rules! review_columns {
    () => {
        "id, person_id, field, spelling, state_code, candidates, source, unit_id, created_at"
    };
}

impl PeopleStore {
    /// The open reviews, oldest first: of the lists of `units` (and of
    /// lists of no unit), or all with `None`. At most [`SHOWN`].
    pub async fn open_reviews(&self, units: Option<&[i64]>) -> Result<Vec<Review>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            review_columns!(),
            " FROM place_reviews WHERE resolved_at IS NULL ORDER BY created_at, id LIMIT $1"
        );
        let rows: Vec<ReviewRow> = on_db!(self.db(), pool => sqlx::query_as(SQL).bind(SHOWN).fetch_all(pool).await?);
        let mine = |r: &ReviewRow| units.is_none_or(|units| r.unit_id.is_none_or(|u| units.contains(&u)));
        rows.into_iter().filter(mine).map(ReviewRow::review).collect()
    }

    /// Settles review `id` for the place `code` (a district, or a state for
    /// a state's review), picked by `by`: every open review of the same
    /// spelling in the same state is settled with it. Returns how many
    /// people got the place.
    pub async fn resolve_review(
        &self,
        directory: &Directory,
        places: &PlaceStore,
        id: i64,
        code: i64,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        const ONE: &str = concat!("SELECT ", review_columns!(), " FROM place_reviews WHERE id = $1");
        // Spellings that fold alike ("Aurangabad", "AURANGABAD ") are one.
        const SAME: &str = "SELECT id, person_id, spelling FROM place_reviews WHERE resolved_at IS NULL
            AND field = $1 AND COALESCE(state_code, 0) = $2";
        const SETTLE: &str = "UPDATE place_reviews SET resolved_at = $2, resolved_by = $3 WHERE id = $1";
        let mut tx = self.db().begin().await?;
        let row: Option<ReviewRow> =
            on_tx!(&mut tx, conn => sqlx::query_as(ONE).bind(id).fetch_optional(&mut **conn).await?);
        let review = row.ok_or_else(|| StoreError::Refused("no such review".to_owned()))?.review()?;
        let mut given = Given::default();
        let district = match review.field {
            Field::HomeDistrict => {
                let district = u16::try_from(code).ok().and_then(|c| DistrictCode::new(c).ok());
                let district = district.and_then(|d| directory.district(d));
                let district = district.ok_or_else(|| StoreError::Refused(format!("{code} is not a district")))?;
                if review.state_code.is_some_and(|s| s != i64::from(district.state.get())) {
                    return Err(StoreError::Refused(format!("{} is not in the list's state", district.name)));
                }
                given.set(Field::HomeState, &district.state.to_string());
                given.set(Field::HomeDistrict, &district.code.to_string());
                Some(district.code)
            }
            _ => {
                let state = u8::try_from(code).ok().and_then(|c| StateCode::new(c).ok());
                let state = state.and_then(|s| directory.state(s));
                let state = state.ok_or_else(|| StoreError::Refused(format!("{code} is not a state")))?;
                given.set(Field::HomeState, &state.code.to_string());
                None
            }
        };
        let source =
            Source { kind: SourceKind::Volunteer, name: by.to_owned(), unit_id: None, by: Some(by.to_owned()), at };
        let open: Vec<(i64, i64, String)> = on_tx!(&mut tx, conn => sqlx::query_as(SAME)
            .bind(review.field.column()).bind(review.state_code.unwrap_or(0)).fetch_all(&mut **conn).await?);
        let key = spelling_key(&review.spelling);
        let same: Vec<(i64, i64)> =
            open.into_iter().filter(|(_, _, s)| spelling_key(s) == key).map(|(id, person, _)| (id, person)).collect();
        let mut people: Vec<i64> = same.iter().map(|(_, person)| *person).collect();
        people.dedup();
        for person in &people {
            store::record_into(&mut tx, Some(*person), &given, &source).await?;
        }
        for (id, _) in &same {
            on_tx!(&mut tx, conn => sqlx::query(SETTLE)
                .bind(*id).bind(at).bind(by).execute(&mut **conn).await.map(drop)?);
        }
        tx.commit().await?;
        if let Some(district) = district {
            let state = review.state_code.and_then(|s| u8::try_from(s).ok());
            let state = state.and_then(|s| StateCode::new(s).ok());
            places.remember_district(&review.spelling, state, district, by, at).await?;
        }
        Ok(people.len() as u64)
    }
}
