//! `GET /api/v1/pins/{pin}`: a PIN code's post offices, district and state,
//! as JSON, for signed-in users: the case page's look-up in place
//! (`desk.js`). A PIN that is not six digits is 422, one without post
//! offices 404, each with the reason the page shows.

use axum::{Json, Router, extract::Path, middleware::map_response, routing::get};
use serde::Serialize;

use super::{
    AppState,
    access::Caseworker,
    error::{AppError, as_json},
};
use crate::directory::{Directory, PinError, look_up_pin};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/pins/{pin}", get(look_up)).layer(map_response(as_json))
}

#[derive(Serialize)]
struct PinJson {
    pin: String,
    offices: &'static [&'static str],
    state_code: Option<i64>,
    state_name: Option<&'static str>,
    district_code: Option<i64>,
    district_name: Option<&'static str>,
}

async fn look_up(_: Caseworker, Path(pin): Path<String>) -> Result<Json<PinJson>, AppError> {
    let found = look_up_pin(&pin).map_err(|e| match e {
        PinError::NotSixDigits => AppError::unprocessable(e.to_string()),
        PinError::Unknown(_) => AppError::not_found(e.to_string()),
    })?;
    let directory = Directory::bundled();
    Ok(Json(PinJson {
        pin: pin.trim().to_owned(),
        offices: &found.offices,
        state_code: found.state.map(i64::from),
        state_name: found.state.and_then(|s| directory.state(s)).map(|s| s.name.as_str()),
        district_code: found.district.map(i64::from),
        district_name: found.district.and_then(|d| directory.district(d)).map(|d| d.name.as_str()),
    }))
}
