//! Newline-delimited JSON-RPC 2.0, as signal-cli speaks it on stdio, a UNIX socket or TCP
//! (research native-endpoint.md §4): one object a line, `callEvent` notifications as
//! `{subscription, result}`, `{}` for void results, error codes -1 (user error), -3 (I/O) and
//! the standard -326xx. This module only reads lines, checks their shape and turns them into
//! typed [`Request`]s for the driver; a bad line gets an error reply and the connection goes on.

use serde_json::{Value, json};
use sotto_shared::wire::signal::Media;
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt as _, AsyncRead, AsyncReadExt as _, AsyncWrite,
    AsyncWriteExt as _,
};
use tokio::sync::{mpsc, oneshot};

use crate::driver::ToDriver;

/// The longest line read; longer ones are answered with an error and skipped.
const MAX_LINE: u64 = 1024 * 1024;

/// A user error: unknown contact, no such call, wrong state.
pub(crate) const USER_ERROR: i64 = -1;
/// The relay, a file or the media tunnel failed.
pub(crate) const IO_ERROR: i64 = -3;
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;

/// An error reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RpcError {
    pub(crate) code: i64,
    pub(crate) message: String,
}

impl RpcError {
    pub(crate) fn user(message: impl Into<String>) -> Self {
        Self {
            code: USER_ERROR,
            message: message.into(),
        }
    }

    pub(crate) fn io(message: impl Into<String>) -> Self {
        Self {
            code: IO_ERROR,
            message: message.into(),
        }
    }

    fn params(message: impl Into<String>) -> Self {
        Self {
            code: INVALID_PARAMS,
            message: message.into(),
        }
    }
}

/// A method call, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Request {
    SubscribeCallEvents,
    UnsubscribeCallEvents {
        subscription: u64,
    },
    StartCall {
        recipient: String,
        media: Media,
    },
    AcceptCall {
        call_id: String,
        media: Media,
    },
    RejectCall {
        call_id: String,
    },
    HangupCall {
        call_id: String,
    },
    ListCalls,
    CreateInvite,
    AcceptInvite {
        link: String,
    },
    ListContacts,
    Version,
    PlayAudio {
        call_id: String,
        path: String,
        looped: bool,
    },
    RecordAudio {
        call_id: String,
        path: String,
    },
    RecordVideo {
        call_id: String,
        path: String,
    },
    SetEcho {
        call_id: String,
        on: bool,
    },
    /// "Hide my IP": calls use only a TURN relay (kept in the profile, as the web app's switch).
    SetRelayOnly {
        on: bool,
    },
}

/// Every method name, for the tests.
#[cfg(test)]
pub(crate) const METHODS: [&str; 16] = [
    "subscribeCallEvents",
    "unsubscribeCallEvents",
    "startCall",
    "acceptCall",
    "rejectCall",
    "hangupCall",
    "listCalls",
    "createInvite",
    "acceptInvite",
    "listContacts",
    "version",
    "playAudio",
    "recordAudio",
    "recordVideo",
    "setEcho",
    "setRelayOnly",
];

impl Request {
    fn parse(method: &str, params: &Value) -> Result<Self, RpcError> {
        let p = Params(params);
        Ok(match method {
            "subscribeCallEvents" => Self::SubscribeCallEvents,
            "unsubscribeCallEvents" => Self::UnsubscribeCallEvents {
                subscription: p.u64("subscription")?,
            },
            "startCall" => Self::StartCall {
                recipient: p.recipient()?,
                media: p.media()?,
            },
            "acceptCall" => Self::AcceptCall {
                call_id: p.call_id()?,
                media: p.media()?,
            },
            "rejectCall" => Self::RejectCall {
                call_id: p.call_id()?,
            },
            "hangupCall" => Self::HangupCall {
                call_id: p.call_id()?,
            },
            "listCalls" => Self::ListCalls,
            "createInvite" => Self::CreateInvite,
            "acceptInvite" => Self::AcceptInvite {
                link: p.str("link")?,
            },
            "listContacts" => Self::ListContacts,
            "version" => Self::Version,
            "playAudio" => Self::PlayAudio {
                call_id: p.call_id()?,
                path: p.str("path")?,
                looped: p.opt_bool("loop")?.unwrap_or(false),
            },
            "recordAudio" => Self::RecordAudio {
                call_id: p.call_id()?,
                path: p.str("path")?,
            },
            "recordVideo" => Self::RecordVideo {
                call_id: p.call_id()?,
                path: p.str("path")?,
            },
            "setEcho" => Self::SetEcho {
                call_id: p.call_id()?,
                on: p
                    .opt_bool("on")?
                    .ok_or_else(|| RpcError::params("missing on (true or false)"))?,
            },
            "setRelayOnly" => Self::SetRelayOnly {
                on: p
                    .opt_bool("on")?
                    .ok_or_else(|| RpcError::params("missing on (true or false)"))?,
            },
            other => {
                return Err(RpcError {
                    code: METHOD_NOT_FOUND,
                    message: format!("method not found: {other}"),
                });
            }
        })
    }
}

struct Params<'a>(&'a Value);

impl Params<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    fn opt_str(&self, key: &str) -> Result<Option<String>, RpcError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(RpcError::params(format!("{key} must be a string"))),
        }
    }

    fn str(&self, key: &str) -> Result<String, RpcError> {
        self.opt_str(key)?
            .ok_or_else(|| RpcError::params(format!("missing {key}")))
    }

    fn opt_bool(&self, key: &str) -> Result<Option<bool>, RpcError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(RpcError::params(format!("{key} must be true or false"))),
        }
    }

    fn u64(&self, key: &str) -> Result<u64, RpcError> {
        match self.get(key) {
            None => Err(RpcError::params(format!("missing {key}"))),
            Some(v) => v
                .as_u64()
                .ok_or_else(|| RpcError::params(format!("{key} must be a non-negative integer"))),
        }
    }

    /// `audio` (the default) or `video`.
    fn media(&self) -> Result<Media, RpcError> {
        match self.opt_str("media")?.as_deref() {
            None | Some("audio") => Ok(Media::Audio),
            Some("video") => Ok(Media::Video),
            Some(other) => Err(RpcError::params(format!(
                "media must be \"audio\" or \"video\", not {other:?}"
            ))),
        }
    }

    /// Call ids are strings (DESIGN §3): a JSON number would lose precision in JavaScript.
    fn call_id(&self) -> Result<String, RpcError> {
        match self.get("callId") {
            None => Err(RpcError::params("missing callId")),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(RpcError::params(
                "callId must be a string (as listCalls and callEvent give it)",
            )),
        }
    }

    /// signal-cli accepts a string or a one-element list.
    fn recipient(&self) -> Result<String, RpcError> {
        match self.get("recipient") {
            None => Err(RpcError::params("missing recipient")),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Array(list)) => match list.as_slice() {
                [Value::String(s)] => Ok(s.clone()),
                _ => Err(RpcError::params("recipient must be one contact")),
            },
            Some(_) => Err(RpcError::params("recipient must be a string")),
        }
    }
}

/// Identifies one client connection (its subscriptions end with it).
pub(crate) type ConnId = u64;

fn error_line(id: &Value, error: &RpcError) -> String {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": error.code, "message": error.message}})
        .to_string()
}

/// Serves one connection until it closes: reads requests, answers each (in completion
/// order, matched by `id`), and writes the notifications of its subscriptions.
pub(crate) async fn serve<R, W>(
    conn: ConnId,
    reader: R,
    mut writer: W,
    driver: mpsc::UnboundedSender<ToDriver>,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (out, mut lines) = mpsc::unbounded_channel::<String>();
    let write_task = tokio::spawn(async move {
        while let Some(mut line) = lines.recv().await {
            line.push('\n');
            if writer.write_all(line.as_bytes()).await.is_err() || writer.flush().await.is_err() {
                break;
            }
        }
    });
    let mut reader = tokio::io::BufReader::new(reader);
    loop {
        let line = match read_line(&mut reader).await {
            Ok(Some(Line::Text(line))) => line,
            Ok(Some(Line::TooLong)) => {
                let e = RpcError {
                    code: INVALID_REQUEST,
                    message: format!("line longer than {MAX_LINE} bytes"),
                };
                let _ = out.send(error_line(&Value::Null, &e));
                continue;
            }
            Ok(None) | Err(_) => break,
        };
        if line.trim().is_empty() {
            continue;
        }
        match check(&line) {
            Err((id, e)) => {
                let _ = out.send(error_line(&id, &e));
            }
            Ok((id, request)) => {
                let (reply, replied) = oneshot::channel();
                if driver
                    .send(ToDriver::Rpc {
                        conn,
                        request,
                        reply,
                        notify: out.clone(),
                    })
                    .is_err()
                {
                    break;
                }
                let out = out.clone();
                tokio::spawn(async move {
                    let result = replied
                        .await
                        .unwrap_or_else(|_| Err(RpcError::io("the daemon is shutting down")));
                    // A notification (no id) gets no reply.
                    let Some(id) = id else { return };
                    let line = match result {
                        Ok(result) => {
                            json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string()
                        }
                        Err(e) => error_line(&id, &e),
                    };
                    let _ = out.send(line);
                });
            }
        }
    }
    let _ = driver.send(ToDriver::Closed(conn));
    drop(out);
    let _ = write_task.await;
}

enum Line {
    Text(String),
    TooLong,
}

async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R) -> std::io::Result<Option<Line>> {
    let mut buf = Vec::new();
    let n = (&mut *reader)
        .take(MAX_LINE + 1)
        .read_until(b'\n', &mut buf)
        .await?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() != Some(&b'\n') && n as u64 > MAX_LINE {
        // Skip the rest of the line.
        loop {
            let mut rest = Vec::new();
            let n = (&mut *reader)
                .take(MAX_LINE)
                .read_until(b'\n', &mut rest)
                .await?;
            if n == 0 || rest.last() == Some(&b'\n') {
                return Ok(Some(Line::TooLong));
            }
        }
    }
    Ok(Some(Line::Text(String::from_utf8_lossy(&buf).into_owned())))
}

/// Checks one line's JSON-RPC shape. `Ok((None, _))` is a notification.
fn check(line: &str) -> Result<(Option<Value>, Request), (Value, RpcError)> {
    let value: Value = serde_json::from_str(line).map_err(|e| {
        (
            Value::Null,
            RpcError {
                code: PARSE_ERROR,
                message: format!("parse error: {e}"),
            },
        )
    })?;
    let invalid = |id: &Value, message: &str| {
        (
            id.clone(),
            RpcError {
                code: INVALID_REQUEST,
                message: message.to_owned(),
            },
        )
    };
    let Value::Object(obj) = &value else {
        return Err(invalid(
            &Value::Null,
            "a request must be a JSON object (batches are not supported)",
        ));
    };
    let id = obj.get("id").cloned();
    let reply_id = id.clone().unwrap_or(Value::Null);
    if !matches!(
        &id,
        None | Some(Value::String(_) | Value::Number(_) | Value::Null)
    ) {
        return Err(invalid(
            &Value::Null,
            "id must be a string, a number or null",
        ));
    }
    if obj.get("jsonrpc") != Some(&Value::String("2.0".into())) {
        return Err(invalid(&reply_id, "jsonrpc must be \"2.0\""));
    }
    let Some(Value::String(method)) = obj.get("method") else {
        return Err(invalid(&reply_id, "method must be a string"));
    };
    let params = obj.get("params").cloned().unwrap_or(Value::Null);
    if !matches!(params, Value::Object(_) | Value::Null) {
        return Err((reply_id, RpcError::params("params must be an object")));
    }
    let request = Request::parse(method, &params).map_err(|e| (reply_id, e))?;
    Ok((id, request))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(line: &str) -> i64 {
        check(line).unwrap_err().1.code
    }

    #[test]
    fn reads_a_call_request_with_a_string_call_id() {
        let (id, request) =
            check(r#"{"jsonrpc":"2.0","id":7,"method":"acceptCall","params":{"callId":"abc"}}"#)
                .unwrap();
        assert_eq!(id, Some(json!(7)));
        assert_eq!(
            request,
            Request::AcceptCall {
                call_id: "abc".into(),
                media: Media::Audio,
            }
        );
    }

    #[test]
    fn refuses_numeric_call_ids_as_invalid_params() {
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":"hangupCall","params":{"callId":5}}"#),
            INVALID_PARAMS
        );
    }

    #[test]
    fn names_each_kind_of_bad_line_with_its_standard_code() {
        assert_eq!(code("{not json"), PARSE_ERROR);
        assert_eq!(code("[1,2]"), INVALID_REQUEST);
        assert_eq!(code(r#"{"id":1,"method":"version"}"#), INVALID_REQUEST);
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":"sendMessage"}"#),
            METHOD_NOT_FOUND
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":"startCall","params":[]}"#),
            INVALID_PARAMS
        );
        assert_eq!(
            code(r#"{"jsonrpc":"2.0","id":1,"method":"startCall","params":{}}"#),
            INVALID_PARAMS
        );
    }

    #[test]
    fn accepts_a_recipient_as_a_string_or_a_one_element_list() {
        for params in [json!({"recipient": "bob"}), json!({"recipient": ["bob"]})] {
            let line = json!({"jsonrpc": "2.0", "id": 1, "method": "startCall", "params": params})
                .to_string();
            assert_eq!(
                check(&line).unwrap().1,
                Request::StartCall {
                    recipient: "bob".into(),
                    media: Media::Audio
                }
            );
        }
    }

    #[test]
    fn knows_every_listed_method() {
        for method in METHODS {
            let line = json!({"jsonrpc": "2.0", "id": 1, "method": method}).to_string();
            if let Err((_, e)) = check(&line) {
                assert_ne!(e.code, METHOD_NOT_FOUND, "{method}");
            }
        }
    }
}
