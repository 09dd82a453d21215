//! Ozonetel KooKoo: every event of a call comes to `/kookoo/{secret}` (GET,
//! or POST with a form). Off (404) unless `SAMPARK_KOOKOO_SECRET` is set; a
//! wrong secret or an address outside the allow-list also gets 404.

use std::net::SocketAddr;

use axum::{
    Router,
    body::Bytes,
    extract::{ConnectInfo, Path, RawQuery, State},
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
    routing::get,
};

use super::{AppState, apology_actions, bad_request, not_found, run_call};
use crate::{
    flow::Action,
    gateway::{Params, Reply, kookoo},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/kookoo/{secret}", get(event).post(event))
}

async fn event(
    State(app): State<AppState>,
    Path(secret): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    if !app.gateways.kookoo.admits(&secret, peer, &headers, &app.gateways.trusted_proxies) {
        return not_found();
    }
    let mut params: Params = serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
    // POSTed forms carry their parameters in the body.
    params.extend(serde_urlencoded::from_bytes::<Params>(&body).unwrap_or_default());
    let inbound = match kookoo::parse(&params) {
        Ok(inbound) => inbound,
        Err(e) => return bad_request(&e),
    };
    let sid = inbound.call_id.clone();
    let render = |actions: &[Action], turn: u32| Reply {
        content_type: crate::gateway::XML.to_owned(),
        body: kookoo::render(actions, &app.voice, &sid, turn),
    };
    let reply = match run_call(&app, &inbound, &render).await {
        Ok(reply) => reply,
        Err(failed) => render(&apology_actions(&app, failed), 0),
    };
    ([(header::CONTENT_TYPE, reply.content_type)], reply.body).into_response()
}
