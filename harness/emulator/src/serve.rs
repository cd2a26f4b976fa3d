//! The HTTP surface: the router (`GET`/`POST /`), and serving it (with graceful shutdown and
//! the limits of [`crate::server`]).

use std::future::Future;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http_body_util::{BodyExt, LengthLimitError};
use hyper::body::Body as _;

use crate::emulator::{Answer, Emulator};
use crate::error::ApiError;
use crate::server::{BodyTimeout, ServeLimits};

/// The whole HTTP surface: `GET` and `POST` on `/`, parameters in the query and/or a form
/// body. Mount it in process with `tower::ServiceExt::oneshot`, or serve it with [`serve`].
pub fn app(emulator: Emulator) -> Router {
    Router::new()
        .route("/", get(handle).post(handle))
        .with_state(emulator)
}

/// Serves [`app`] on `listener` (HTTP/1.1, keep-alive) with the default [`ServeLimits`] until
/// `shutdown` resolves, then lets requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    emulator: Emulator,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, emulator, ServeLimits::default(), shutdown).await
}

/// Serves [`app`] as [`serve`] does, with these limits on connections and timeouts.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    emulator: Emulator,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = app(emulator.clone());
    crate::server::serve_with(listener, emulator, router, limits, shutdown).await
}

/// Whether the router would hand `request` to [`handle`] and answer with what it returns: `GET`
/// or `POST` on `/` (a `HEAD` it routes there too, but strips the answer's body).
pub(crate) fn routes_to_handler(request: &Request) -> bool {
    (request.method() == Method::GET || request.method() == Method::POST)
        && request.uri().path() == "/"
}

/// [`app`]'s answer to a request [`routes_to_handler`] holds for, without the router: its path
/// match, boxed route, and response futures cost a served request more than the rest of the
/// HTTP surface's own work. What the router's route adds to such an answer is added here: a
/// `content-length` when the body's length is known and none was set.
pub(crate) async fn handle_without_router(emulator: Emulator, request: Request) -> Response {
    let mut response = handle(State(emulator), request).await;
    if !response.headers().contains_key(CONTENT_LENGTH)
        && let Some(length) = response.body().size_hint().exact()
    {
        response
            .headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(length));
    }
    response
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
        // The server's body timeout: the client sends too slowly to be waited for.
        Err(e) if caused_by::<BodyTimeout>(e.as_ref()) => {
            let err = ApiError::body_timeout(e.to_string());
            let mut response = respond(emulator.wire_error(&parts.method, &err));
            response
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
            return response;
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

/// Whether `error` or one of its sources is an `E`.
fn caused_by<E: std::error::Error + 'static>(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.is::<E>() {
            return true;
        }
        cause = error.source();
    }
    false
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
