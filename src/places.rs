//! Place names as people type them and lists spell them, and the districts
//! coordinators picked for the spellings the matcher was not sure of
//! ([`Directory::match_district`]): a pick is remembered for that spelling
//! (in that state, or in any), so the same spelling is not asked about
//! again. One SQL text for both backends.

use chrono::{DateTime, Utc};

use crate::{
    db::{Db, StoreError, Tx},
    directory::{Candidate, Candidates, Directory, Matched, spelling_key},
    domain::{DistrictCode, StateCode},
    on_db, on_tx,
};

/// The pick for a spelling (`$1`) in a state (`$2`), else in any state.
const PICKED: &str = "SELECT lgd_code FROM place_spellings
                      WHERE kind = 'district' AND spelling = $1 AND state_code IN ($2, 0)
                      ORDER BY state_code DESC LIMIT 1";

fn district(code: Option<i64>) -> Option<DistrictCode> {
    code.and_then(|c| u16::try_from(c).ok()).and_then(|c| DistrictCode::new(c).ok())
}

/// As [`PlaceStore::picked_district`], inside a transaction (an import's batch).
pub(crate) async fn picked_in(
    tx: &mut Tx<'_>,
    text: &str,
    state: Option<i64>,
) -> Result<Option<DistrictCode>, StoreError> {
    let code: Option<i64> = on_tx!(tx, conn => sqlx::query_scalar(PICKED)
        .bind(spelling_key(text))
        .bind(state.unwrap_or(0))
        .fetch_optional(&mut **conn)
        .await?);
    Ok(district(code))
}

/// Remembered picks of places for spellings.
#[derive(Debug, Clone)]
pub struct PlaceStore {
    db: Db,
}

impl PlaceStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Remembers that `text` (in `state`, or anywhere) means `district`,
    /// as `by` picked it at `at`; a later pick for the spelling replaces it.
    pub async fn remember_district(
        &self,
        text: &str,
        state: Option<StateCode>,
        district: DistrictCode,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let spelling = spelling_key(text);
        if spelling.is_empty() {
            return Err(StoreError::Refused("a spelling needs letters or digits".to_owned()));
        }
        const SQL: &str = "INSERT INTO place_spellings (kind, spelling, state_code, lgd_code, chosen_by, chosen_at)
                           VALUES ('district', $1, $2, $3, $4, $5)
                           ON CONFLICT (kind, spelling, state_code) DO UPDATE
                           SET lgd_code = excluded.lgd_code, chosen_by = excluded.chosen_by,
                               chosen_at = excluded.chosen_at";
        let state = state.map_or(0, |s| i64::from(s.get()));
        on_db!(&self.db, pool => sqlx::query(SQL)
            .bind(spelling)
            .bind(state)
            .bind(i64::from(district.get()))
            .bind(by)
            .bind(at)
            .execute(pool)
            .await
            .map(drop)?);
        Ok(())
    }

    /// The district picked for `text` in `state` (else in any state), if any.
    pub async fn picked_district(
        &self,
        text: &str,
        state: Option<StateCode>,
    ) -> Result<Option<DistrictCode>, StoreError> {
        let state = state.map_or(0, |s| i64::from(s.get()));
        let code: Option<i64> = on_db!(&self.db, pool => sqlx::query_scalar(PICKED)
            .bind(spelling_key(text))
            .bind(state)
            .fetch_optional(pool)
            .await?);
        Ok(district(code))
    }

    /// The districts `text` may name: a pick remembered for the spelling
    /// first (sure), else the matcher's candidates.
    pub async fn match_district(
        &self,
        directory: &Directory,
        text: &str,
        state: Option<StateCode>,
    ) -> Result<Candidates<DistrictCode>, StoreError> {
        let picked = self.picked_district(text, state).await?;
        let picked = picked.and_then(|code| directory.district(code)).filter(|d| state.is_none_or(|s| d.state == s));
        Ok(match picked {
            Some(district) => Candidates(vec![Candidate {
                code: district.code,
                confidence: 1.0,
                matched: Matched::Picked,
                name: district.name.clone(),
            }]),
            None => directory.match_district(text, state),
        })
    }
}
