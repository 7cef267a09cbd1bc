//! [`IncomingRequest`]: a claimed incoming request answered by the application.

use std::net::SocketAddr;
use std::sync::Mutex;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::{
    IncomingRequestGotRequestData, IncomingRequestSentResponseData, RequestError, non_empty,
};
use crate::engine::{self, Engine};
use crate::header::{Header, Headers};
use crate::message::{Method, Request as SipRequest, StatusCode};
use crate::notification::{NotificationCenter, NotificationData, Sender};
use crate::transaction::{Target, TransactionKey};
use crate::uri::Uri;

/// The state of an [`IncomingRequest`] (the seed's `"incoming"` and `"answered"`; the seed's
/// inert `None` state does not exist, since the object always wraps a received request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IncomingRequestState {
    /// Received, no final response sent yet.
    Incoming,
    /// A final response was sent.
    Answered,
}

impl IncomingRequestState {
    /// The seed's state string: `incoming` or `answered`.
    pub fn as_str(self) -> &'static str {
        match self {
            IncomingRequestState::Incoming => "incoming",
            IncomingRequestState::Answered => "answered",
        }
    }
}

/// A request for a method claimed with
/// [`EngineConfig::incoming_requests`](crate::engine::EngineConfig::incoming_requests), to be
/// answered by the application in a single server transaction (not for INVITE, SUBSCRIBE, ACK
/// or BYE).
///
/// Creating it posts `SIPIncomingRequestGotRequest`; each response sent posts
/// `SIPIncomingRequestSentResponse`. Dropped without a final answer, it answers 500 (from a
/// spawned task, when a tokio runtime is available).
#[derive(Debug)]
pub struct IncomingRequest {
    engine: Engine,
    center: NotificationCenter,
    sender: Sender,
    request: SipRequest,
    key: TransactionKey,
    source: Target,
    to_tag: String,
    state: Mutex<IncomingRequestState>,
}

impl IncomingRequest {
    /// Wraps a request taken from [`Engine::incoming_requests`] and posts
    /// `SIPIncomingRequestGotRequest`.
    pub fn new(
        engine: &Engine,
        center: &NotificationCenter,
        incoming: engine::IncomingRequest,
    ) -> IncomingRequest {
        let this = IncomingRequest {
            engine: engine.clone(),
            center: center.clone(),
            sender: center.new_sender("IncomingRequest"),
            request: incoming.request,
            key: incoming.key,
            source: incoming.source,
            to_tag: format!("{:016x}", super::random_u64()),
            state: Mutex::new(IncomingRequestState::Incoming),
        };
        center.post_notification(
            Some(&this.sender),
            NotificationData::custom(IncomingRequestGotRequestData {
                method: this.request.method().as_str().to_owned(),
                request_uri: this.request.uri().clone(),
                headers: this.request.headers().clone(),
                body: non_empty(this.request.body()),
            }),
        );
        this
    }

    /// Receives the next request from `incoming` (the stream of [`Engine::incoming_requests`])
    /// and wraps it with [`new`](Self::new); `None` when the Engine stopped.
    pub async fn receive(
        engine: &Engine,
        center: &NotificationCenter,
        incoming: &mut mpsc::Receiver<engine::IncomingRequest>,
    ) -> Option<IncomingRequest> {
        let request = incoming.recv().await?;
        Some(IncomingRequest::new(engine, center, request))
    }

    /// The notification sender this object posts as.
    pub fn sender(&self) -> &Sender {
        &self.sender
    }

    /// The current state.
    pub fn state(&self) -> IncomingRequestState {
        *self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The received request.
    pub fn request(&self) -> &SipRequest {
        &self.request
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        self.request.method()
    }

    /// The Request-URI.
    pub fn request_uri(&self) -> &Uri {
        self.request.uri()
    }

    /// The request headers.
    pub fn headers(&self) -> &Headers {
        self.request.headers()
    }

    /// The request body, `None` when empty.
    pub fn body(&self) -> Option<Bytes> {
        non_empty(self.request.body())
    }

    /// Where the request came from.
    pub fn peer_address(&self) -> SocketAddr {
        self.source.addr
    }

    /// Sends a provisional response (101–199); `reason` `None` uses the code's default text.
    pub async fn answer_provisional(
        &self,
        code: u16,
        reason: Option<&str>,
    ) -> Result<(), RequestError> {
        if !(101..200).contains(&code) {
            return Err(RequestError::InvalidArgument(format!(
                "{code} is not a provisional status code"
            )));
        }
        if self.state() != IncomingRequestState::Incoming {
            return Err(RequestError::InvalidState(
                "the request was already answered",
            ));
        }
        self.respond(code, reason, &[], None).await
    }

    /// Sends the final response (200–699) with `extra_headers` and an optional body
    /// (content type, body); `reason` `None` uses the code's default text. Fails when already
    /// answered.
    pub async fn answer(
        &self,
        code: u16,
        reason: Option<&str>,
        extra_headers: &[Header],
        body: Option<(&str, Bytes)>,
    ) -> Result<(), RequestError> {
        if !(200..700).contains(&code) {
            return Err(RequestError::InvalidArgument(format!(
                "{code} is not a final status code"
            )));
        }
        {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if *state != IncomingRequestState::Incoming {
                return Err(RequestError::InvalidState(
                    "the request was already answered",
                ));
            }
            *state = IncomingRequestState::Answered;
        }
        let result = self.respond(code, reason, extra_headers, body).await;
        if result.is_err() {
            *self.state.lock().unwrap_or_else(|e| e.into_inner()) = IncomingRequestState::Incoming;
        }
        result
    }

    async fn respond(
        &self,
        code: u16,
        reason: Option<&str>,
        extra_headers: &[Header],
        body: Option<(&str, Bytes)>,
    ) -> Result<(), RequestError> {
        let status = StatusCode::new(code)
            .ok_or_else(|| RequestError::InvalidArgument(format!("bad status code {code}")))?;
        let mut builder = self.request.response(status).to_tag(&self.to_tag);
        if let Some(reason) = reason {
            builder = builder.reason(reason.to_owned());
        }
        for h in extra_headers {
            builder = builder.header(h.name().clone(), h.value_bytes().clone());
        }
        if let Some((content_type, body)) = body {
            builder = builder.body(content_type, body);
        }
        let response = builder.build();
        let data = IncomingRequestSentResponseData {
            code,
            reason: response.reason().to_owned(),
            headers: response.headers().clone(),
            body: None,
        };
        self.engine.respond(&self.key, response).await?;
        self.center
            .post_notification(Some(&self.sender), NotificationData::custom(data));
        Ok(())
    }
}

impl Drop for IncomingRequest {
    fn drop(&mut self) {
        if self.state() != IncomingRequestState::Incoming {
            return;
        }
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let Some(status) = StatusCode::new(500) else {
            return;
        };
        let response = self.request.response(status).to_tag(&self.to_tag).build();
        let (engine, key, center, sender) = (
            self.engine.clone(),
            self.key.clone(),
            self.center.clone(),
            self.sender.clone(),
        );
        handle.spawn(async move {
            let data = IncomingRequestSentResponseData {
                code: 500,
                reason: response.reason().to_owned(),
                headers: response.headers().clone(),
                body: None,
            };
            if engine.respond(&key, response).await.is_ok() {
                center.post_notification(Some(&sender), NotificationData::custom(data));
            }
        });
    }
}
