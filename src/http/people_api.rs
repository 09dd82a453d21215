//! `GET /api/v1/people`: a unit's people for partners' systems, read with a
//! partner token (`sampark people partner add NAME --unit UNIT`) as
//! `Authorization: Bearer …`. Filters `home_state`, `home_district`
//! (LGD codes), `source` (`call`, `chat`, `import`, `volunteer`),
//! `updated_since` (RFC 3339); pages of `limit` (at most 500) people, the
//! next one from `after` = the `next` the page gave. Every page is audited.

use axum::{
    Json, Router,
    extract::{Query, State},
    http::{HeaderMap, header},
    middleware::map_response,
    routing::get,
};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    AppState,
    error::{AppError, as_json},
};
use crate::people::{SourceKind, partners::Filter};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/people", get(people)).layer(map_response(as_json))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Asked {
    home_state: Option<i64>,
    home_district: Option<i64>,
    source: Option<String>,
    updated_since: Option<DateTime<Utc>>,
    after: Option<i64>,
    limit: Option<i64>,
}

async fn people(
    State(app): State<AppState>,
    headers: HeaderMap,
    asked: Result<Query<Asked>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, AppError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| AppError::status(axum::http::StatusCode::UNAUTHORIZED, "send a partner token as Bearer"))?;
    let partner = app.people.partner(token.trim()).await?;
    let partner =
        partner.ok_or_else(|| AppError::status(axum::http::StatusCode::UNAUTHORIZED, "unknown or revoked token"))?;
    let Query(asked) = asked.map_err(|e| AppError::bad_request(e.body_text()))?;
    if let Some(source) = &asked.source
        && SourceKind::parse(source).is_none()
    {
        return Err(AppError::bad_request("source is one of call, chat, import, volunteer"));
    }
    let filter = Filter {
        home_state: asked.home_state,
        home_district: asked.home_district,
        source_kind: asked.source,
        updated_since: asked.updated_since,
        after: asked.after,
        limit: asked.limit.unwrap_or(100),
    };
    let (people, next) = app.people.unit_people(partner.unit_id, &filter).await?;
    let details = format!("partner {}: {} people after {}", partner.name, people.len(), filter.after.unwrap_or(0));
    app.desk.audit_partner("partner_read_people", details).await?;
    Ok(Json(json!({ "people": people, "next": next })))
}
