//! The HTTP surface: the router (`GET`/`POST /`) and a server with graceful shutdown.

use std::future::Future;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http_body_util::{BodyExt, LengthLimitError};

use crate::emulator::{Answer, Emulator};
use crate::error::ApiError;

/// The whole HTTP surface: `GET` and `POST` on `/`, parameters in the query and/or a form
/// body. Mount it in process with `tower::ServiceExt::oneshot`, or serve it with [`serve`].
pub fn app(emulator: Emulator) -> Router {
    Router::new()
        .route("/", get(handle).post(handle))
        .with_state(emulator)
}

/// Serves [`app`] on `listener` (HTTP/1.1, keep-alive) until `shutdown` resolves, then lets
/// requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    emulator: Emulator,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    // RPC answers are small: without TCP_NODELAY, Nagle's algorithm meets the client's delayed
    // ACK and a keep-alive connection stalls for tens of milliseconds now and then.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app(emulator))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn handle(State(emulator): State<Emulator>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let limit = emulator.limits().max_body_bytes;
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return respond(emulator.wire_error(&parts.method, &ApiError::too_large("body", limit)));
    }
    let bytes = match http_body_util::Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return respond(
                emulator.wire_error(&parts.method, &ApiError::too_large("body", limit)),
            );
        }
        // A body that cannot be read: a broken chunked encoding or a dropped connection.
        Err(_) => {
            return respond(emulator.wire_error(&parts.method, &ApiError::body_unreadable()));
        }
    };
    let answer = emulator
        .handle(&parts.method, parts.uri.query(), &parts.headers, &bytes)
        .await;
    respond(answer)
}

fn respond(answer: Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = (status, Body::from(answer.body)).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(answer.format.content_type()),
    );
    response
}
