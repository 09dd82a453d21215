//! Sharing with partners' systems: read-only tokens, each scoped to one
//! unit, and pages of that unit's people for `GET /api/v1/people`.
//!
//! A unit's people are those its lists brought (`people.unit_id`), those
//! whose home state it serves, and those with a case handed to it. Pages
//! go by person id: the cursor is the last id sent, so a person added
//! while a partner pages through is neither skipped nor sent twice.

use chrono::{DateTime, Utc};

use super::{PeopleStore, export::Exported};
use crate::{
    auth::{new_token, token_hash},
    db::{StoreError, is_unique_violation},
    on_db,
};

/// The most people one page holds.
pub const MAX_PAGE: i64 = 500;

/// Which people a partner asks for.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub home_state: Option<i64>,
    pub home_district: Option<i64>,
    /// Only people with a fact from this kind of source (`import`, `call`…).
    pub source_kind: Option<String>,
    pub updated_since: Option<DateTime<Utc>>,
    /// The cursor: people after this id.
    pub after: Option<i64>,
    pub limit: i64,
}

/// A partner's token, as checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partner {
    pub name: String,
    pub unit_id: i64,
}

impl PeopleStore {
    /// Makes a token for partner `name` scoped to `unit_id`: the token is
    /// shown once (only its hash is kept).
    pub async fn add_partner(&self, name: &str, unit_id: i64, at: DateTime<Utc>) -> Result<String, StoreError> {
        const SQL: &str = "INSERT INTO partner_tokens (name, token_hash, unit_id, created_at) VALUES ($1, $2, $3, $4)";
        let token = new_token();
        let done = on_db!(self.db(), pool => sqlx::query(SQL)
            .bind(name).bind(token_hash(&token)).bind(unit_id).bind(at).execute(pool).await.map(drop));
        match done {
            Ok(_) => Ok(token),
            Err(e) if is_unique_violation(&e) => Err(StoreError::Refused(format!("a partner named {name} exists"))),
            Err(e) => Err(e.into()),
        }
    }

    /// Revokes partner `name`'s token: whether there was one to revoke.
    pub async fn revoke_partner(&self, name: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE partner_tokens SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL";
        let done = on_db!(self.db(), pool => sqlx::query(SQL).bind(name).bind(at).execute(pool).await?.rows_affected());
        Ok(done == 1)
    }

    /// The partner a token belongs to, unless it is unknown or revoked.
    pub async fn partner(&self, token: &str) -> Result<Option<Partner>, StoreError> {
        const SQL: &str = "SELECT name, unit_id FROM partner_tokens WHERE token_hash = $1 AND revoked_at IS NULL";
        let found: Option<(String, i64)> =
            on_db!(self.db(), pool => sqlx::query_as(SQL).bind(token_hash(token)).fetch_optional(pool).await?);
        Ok(found.map(|(name, unit_id)| Partner { name, unit_id }))
    }

    /// A page of unit `unit`'s people by `filter`, and the cursor of the
    /// next page when there is one.
    pub async fn unit_people(&self, unit: i64, filter: &Filter) -> Result<(Vec<Exported>, Option<i64>), StoreError> {
        const SQL: &str = "SELECT p.* FROM people p
            WHERE (p.unit_id = $1
                   OR p.home_state_code IN (SELECT state_code FROM unit_states WHERE unit_id = $1)
                   OR EXISTS (SELECT 1 FROM cases c WHERE c.person_id = p.id AND c.unit_id = $1))
              AND ($2 IS NULL OR p.home_state_code = $2)
              AND ($3 IS NULL OR p.home_district_code = $3)
              AND ($4 IS NULL OR EXISTS (SELECT 1 FROM person_facts f WHERE f.person_id = p.id AND f.source_kind = $4))
              AND ($5 IS NULL OR p.updated_at >= $5)
              AND p.id > $6
            ORDER BY p.id LIMIT $7";
        const SOURCES: &str = "SELECT DISTINCT source_kind, source FROM person_facts WHERE person_id = $1
                               ORDER BY source_kind, source";
        let limit = filter.limit.clamp(1, MAX_PAGE);
        let mut people: Vec<Exported> = on_db!(self.db(), pool => sqlx::query_as(SQL)
            .bind(unit)
            .bind(filter.home_state)
            .bind(filter.home_district)
            .bind(filter.source_kind.as_deref())
            .bind(filter.updated_since)
            .bind(filter.after.unwrap_or(0))
            .bind(limit + 1)
            .fetch_all(pool)
            .await?);
        let next = if people.len() as i64 > limit {
            people.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            people.last().map(|p| p.person.id)
        } else {
            None
        };
        for person in &mut people {
            let sources: Vec<(String, String)> =
                on_db!(self.db(), pool => sqlx::query_as(SOURCES).bind(person.person.id).fetch_all(pool).await?);
            person.sources = sources.into_iter().map(|(kind, name)| format!("{kind}:{name}")).collect();
        }
        Ok((people, next))
    }
}

impl PeopleStore {
    /// A page of the people coordinator `user_id` holds — of their states,
    /// or brought by their units' lists — or everyone's (`all`, an admin),
    /// after id `after`; only those with open conflicts with `conflicts`.
    pub async fn held_by(
        &self,
        user_id: i64,
        all: bool,
        conflicts: bool,
        after: i64,
        limit: i64,
    ) -> Result<Vec<super::Person>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            "id, phone, name, language, home_state_code, home_district_code, village, ward, post_office, pin_code, \
             current_location, need, consent, unit_id, open_conflicts, created_at, updated_at, other_phone",
            " FROM people p
            WHERE ($2 OR p.home_state_code IN (SELECT state_code FROM user_states WHERE user_id = $1)
                   OR p.unit_id IN (SELECT unit_id FROM unit_members WHERE user_id = $1))
              AND (NOT $3 OR p.open_conflicts > 0) AND p.id > $4
            ORDER BY p.id LIMIT $5"
        );
        Ok(on_db!(self.db(), pool => sqlx::query_as(SQL)
            .bind(user_id).bind(all).bind(conflicts).bind(after).bind(limit.clamp(1, MAX_PAGE))
            .fetch_all(pool).await?))
    }
}
