//! Values taken back or settled: a coordinator settling a conflict, a
//! caller who declines taking back what calls gave. Each leaves every
//! field holding one value and the person's count of open conflicts true.

use chrono::{DateTime, Utc};

use super::{
    Field, PeopleStore, SourceKind,
    store::{count_conflicts, set_value},
};
use crate::{
    db::{StoreError, Tx},
    on_tx,
};

impl PeopleStore {
    /// Settles `field` of person `id` for `value` (one of the values its
    /// facts hold): the person gets it, facts with it are held, the others
    /// overruled. Refused for a value no source gave.
    pub async fn settle(&self, id: i64, field: Field, value: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        const GIVEN: &str = "SELECT COUNT(*) FROM person_facts WHERE person_id = $1 AND field = $2 AND value = $3";
        let mut tx = self.db().begin().await?;
        let given: i64 = on_tx!(&mut tx, conn => sqlx::query_scalar(GIVEN)
            .bind(id).bind(field.column()).bind(value).fetch_one(&mut **conn).await?);
        if given == 0 {
            return Err(StoreError::Refused(format!("no source gave {field} = {value}")));
        }
        settle_in(&mut tx, id, field, value, at).await?;
        tx.commit().await
    }
}

/// Gives person `id` `value` for `field`, holding the facts that give it and
/// overruling the others (a coordinator's settling; a caller's refusal).
pub(crate) async fn settle_in(
    tx: &mut Tx<'_>,
    id: i64,
    field: Field,
    value: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    const FACTS: &str = "UPDATE person_facts SET standing = CASE WHEN value = $3 THEN 'held' ELSE 'overruled' END
                         WHERE person_id = $1 AND field = $2";
    set_value(tx, id, field, value, at).await?;
    on_tx!(tx, conn => sqlx::query(FACTS)
        .bind(id).bind(field.column()).bind(value).execute(&mut **conn).await.map(drop)?);
    count_conflicts(tx, id).await
}

/// Erases every fact sources of `kind` gave person `id` (but those of the
/// fields `keep`), as a caller who declines takes back what they said: each
/// field then holds the earliest value another source gave, or nothing.
pub(crate) async fn forget(
    tx: &mut Tx<'_>,
    id: i64,
    kind: SourceKind,
    keep: &[Field],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    const ERASE: &str = "DELETE FROM person_facts WHERE person_id = $1 AND source_kind = $2 AND field = $3";
    const NEXT: &str = "SELECT value FROM person_facts WHERE person_id = $1 AND field = $2 AND standing <> 'overruled'
                        ORDER BY CASE standing WHEN 'held' THEN 0 ELSE 1 END, given_at, id LIMIT 1";
    const HOLD: &str = "UPDATE person_facts SET standing = CASE WHEN value = $3 THEN 'held' ELSE 'conflict' END
                        WHERE person_id = $1 AND field = $2 AND standing <> 'overruled'";
    for field in Field::ALL.into_iter().filter(|f| !keep.contains(f)) {
        let erased = on_tx!(tx, conn => sqlx::query(ERASE).bind(id).bind(kind.as_str()).bind(field.column())
            .execute(&mut **conn).await?.rows_affected());
        if erased == 0 {
            continue;
        }
        let next: Option<String> = on_tx!(tx, conn => sqlx::query_scalar(NEXT).bind(id).bind(field.column())
            .fetch_optional(&mut **conn).await?);
        match &next {
            Some(value) => {
                set_value(tx, id, field, value, at).await?;
                on_tx!(tx, conn => sqlx::query(HOLD).bind(id).bind(field.column()).bind(value)
                    .execute(&mut **conn).await.map(drop)?);
            }
            None => {
                let sql = format!("UPDATE people SET {} = NULL, updated_at = $1 WHERE id = $2", field.column());
                on_tx!(tx, conn => sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(at).bind(id).execute(&mut **conn).await.map(drop)?);
            }
        }
    }
    count_conflicts(tx, id).await
}
