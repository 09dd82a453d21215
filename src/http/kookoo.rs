//! Ozonetel KooKoo: every event of a call comes to `/kookoo/{secret}` (GET,
//! or POST with a form). Off (404) unless `SAMPARK_KOOKOO_SECRET` is set; a
//! wrong secret or an address outside the allow-list also gets 404.

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};

use super::{
    AppState, Refused, apology_actions,
    guard::{Admitted, KooKoo},
    run_call,
};
use crate::{
    flow::Action,
    gateway::{Params, Reply, kookoo},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/kookoo/{secret}", get(event).post(event))
}

async fn event(
    State(app): State<AppState>,
    Admitted { params: query, .. }: Admitted<KooKoo>,
    body: Bytes,
) -> Result<Response, Refused> {
    let mut params: Params = query;
    // POSTed forms carry their parameters in the body.
    params.extend(serde_urlencoded::from_bytes::<Params>(&body).unwrap_or_default());
    let inbound = kookoo::parse(&params)?;
    let sid = inbound.call_id.clone();
    let render = |actions: &[Action], turn: u32| Reply {
        content_type: crate::gateway::XML.to_owned(),
        body: kookoo::render(actions, &app.voice, sid.as_str(), turn),
    };
    let reply = match run_call(&app, &inbound, &render).await {
        Ok(reply) => reply,
        Err(failed) => render(&apology_actions(&app, failed), 0),
    };
    Ok(([(header::CONTENT_TYPE, reply.content_type)], reply.body).into_response())
}
