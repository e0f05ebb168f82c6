//! The commands: set up a profile, make and accept invitations, list contacts, and serve
//! JSON-RPC on stdio (`jsonRpc`) or on a UNIX socket and/or TCP (`daemon`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;
use sotto_client::Profile;
use tokio::sync::{mpsc, oneshot};

use crate::driver::{CallOptions, Driver, ToDriver};
use crate::rpc::{self, Request};
use crate::store::{Config, Store};

/// signal-cli's default TCP address.
const DEFAULT_TCP: &str = "localhost:7583";

#[derive(Debug, clap::Parser)]
#[command(
    name = "sotto-cli",
    version,
    about = "A headless sotto endpoint with a signal-cli-style JSON-RPC API"
)]
pub(crate) struct Cli {
    /// Where the profile, contacts and per-call sockets live.
    #[arg(long, env = "SOTTO_DATA_DIR", default_value = "sotto-data")]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// Create a profile with a fresh identity.
    Init {
        /// The name contacts see.
        #[arg(long)]
        name: String,
        /// The home relay (a sotto shim), e.g. `https://sotto.example`.
        #[arg(long)]
        relay: String,
    },
    /// Print a one-time invitation link and its QR code.
    Invite,
    /// Accept someone's invitation link.
    AcceptInvite {
        /// The link.
        link: String,
    },
    /// List contacts.
    Contacts,
    /// Call a contact (by name or id) and follow the call here; its audio is on the PCM socket
    /// printed at the start.
    Call {
        /// Whom.
        contact: String,
        #[command(flatten)]
        call: CallArgs,
    },
    /// JSON-RPC 2.0 on stdin/stdout, one object a line.
    #[command(name = "jsonRpc")]
    JsonRpc(CallArgs),
    /// Answer every call from a contact and send back what is heard (the first call a new
    /// user tries). Also serves JSON-RPC when given --socket or --tcp.
    EchoBot {
        /// Listen on a UNIX socket as `daemon` does.
        #[arg(long, num_args = 0..=1, default_missing_value = "")]
        socket: Option<String>,
        /// Listen on TCP as `daemon` does.
        #[arg(long, num_args = 0..=1, default_missing_value = DEFAULT_TCP)]
        tcp: Option<String>,
    },
    /// JSON-RPC 2.0 on a UNIX socket and/or TCP, one object a line.
    Daemon {
        /// Listen on a UNIX socket (default `$XDG_RUNTIME_DIR/sotto-cli/socket`, or
        /// `<data-dir>/socket`).
        #[arg(long, num_args = 0..=1, default_missing_value = "")]
        socket: Option<String>,
        /// Listen on TCP (default `localhost:7583`).
        #[arg(long, num_args = 0..=1, default_missing_value = DEFAULT_TCP)]
        tcp: Option<String>,
        #[command(flatten)]
        media: CallArgs,
    },
}

#[derive(Debug, Default, clap::Args)]
struct CallArgs {
    /// Echo every call's audio back to the caller instead of exposing a PCM socket.
    #[arg(long)]
    echo: bool,
    /// How long our outgoing calls ring, in milliseconds, instead of 60 s (tests only: the
    /// peer's phone honours the lifetime written into the invitation).
    #[arg(long, hide = true)]
    ring_ms_for_testing: Option<u64>,
}

pub(crate) async fn run(cli: Cli) -> Result<(), String> {
    let dir = cli.data_dir;
    match cli.command {
        Cmd::Init { name, relay } => init(&dir, &name, &relay),
        Cmd::Invite => {
            let result = one_shot(&dir, Request::CreateInvite).await?;
            let link = result["link"].as_str().unwrap_or_default();
            println!("{link}");
            if let Some(qr) = crate::qr::render(link) {
                println!("{qr}");
            }
            println!(
                "Their contact request waits at the relay; `sotto-cli daemon` or `echo-bot` completes the contact when it runs."
            );
            Ok(())
        }
        Cmd::AcceptInvite { link } => {
            let result = one_shot(&dir, Request::AcceptInvite { link }).await?;
            println!(
                "Request sent to {}. They become a contact once they are online.",
                result["name"].as_str().unwrap_or("them")
            );
            Ok(())
        }
        Cmd::Contacts => {
            let (_store, _config, profile) = Store::open(&dir).map_err(|e| e.to_string())?;
            for c in &profile.contacts {
                let state = if c.is_ready() {
                    "ready"
                } else {
                    "waiting for confirmation"
                };
                println!("{}\t{}\t{state}", c.id, c.name);
            }
            Ok(())
        }
        Cmd::Call {
            contact,
            call: args,
        } => call(&dir, contact, &args).await,
        Cmd::JsonRpc(media) => {
            let (tx, driver) = start(&dir, &media, false)?;
            rpc::serve(0, tokio::io::stdin(), tokio::io::stdout(), tx.clone()).await;
            stop(tx, driver).await
        }
        Cmd::EchoBot { socket, tcp } => {
            let media = CallArgs {
                echo: true,
                ring_ms_for_testing: None,
            };
            serve(&dir, socket, tcp, &media, true).await
        }
        Cmd::Daemon { socket, tcp, media } => {
            if socket.is_none() && tcp.is_none() {
                return Err("daemon needs --socket and/or --tcp".into());
            }
            serve(&dir, socket, tcp, &media, false).await
        }
    }
}

/// Runs the driver and serves JSON-RPC on the given listeners until SIGTERM or Ctrl-C.
async fn serve(
    dir: &Path,
    socket: Option<String>,
    tcp: Option<String>,
    media: &CallArgs,
    auto_accept: bool,
) -> Result<(), String> {
    let (tx, driver) = start(dir, media, auto_accept)?;
    let conns = std::sync::Arc::new(AtomicU64::new(1));
    if let Some(path) = socket {
        let path = if path.is_empty() {
            default_socket(dir)
        } else {
            PathBuf::from(path)
        };
        let listener = bind_unix(&path)?;
        eprintln!("listening on unix {}", path.display());
        tokio::spawn(serve_connections(listener, tx.clone(), conns.clone()));
    }
    if let Some(addr) = tcp {
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        eprintln!("listening on tcp {local}");
        tokio::spawn(serve_connections(listener, tx.clone(), conns));
    }
    tokio::select! {
        () = shutdown_signal() => {}
        result = driver => return result.map_err(|e| e.to_string())?,
    }
    let (done, finished) = oneshot::channel();
    let _ = tx.send(ToDriver::Shutdown(done));
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), finished).await;
    Ok(())
}

fn init(dir: &Path, name: &str, relay: &str) -> Result<(), String> {
    if !(relay.starts_with("http://") || relay.starts_with("https://")) {
        return Err(format!(
            "the relay must be an http:// or https:// origin, not {relay:?}"
        ));
    }
    let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
    let profile = Profile::create(name, &mut rng).map_err(|e| e.to_string())?;
    let config = Config {
        relay: relay.trim_end_matches('/').to_owned(),
    };
    Store::init(dir, &config, &profile).map_err(|e| e.to_string())?;
    println!(
        "Created the profile {name:?} in {} (relay {}).",
        dir.display(),
        config.relay
    );
    Ok(())
}

type DriverTask = tokio::task::JoinHandle<Result<(), String>>;

fn start(
    dir: &Path,
    media: &CallArgs,
    auto_accept: bool,
) -> Result<(mpsc::UnboundedSender<ToDriver>, DriverTask), String> {
    let (store, config, profile) = Store::open(dir).map_err(|e| e.to_string())?;
    let media = CallOptions {
        tunnel: crate::tunnel::find_binary(),
        echo: media.echo,
        auto_accept,
        ring_ms: media.ring_ms_for_testing,
        calls_dir: store.dir().join("calls"),
    };
    let (driver, rx) = Driver::new(store, &config.relay, profile, media)?;
    let tx = driver.sender();
    Ok((tx, tokio::spawn(driver.run(rx))))
}

async fn stop(tx: mpsc::UnboundedSender<ToDriver>, driver: DriverTask) -> Result<(), String> {
    let (done, finished) = oneshot::channel();
    let _ = tx.send(ToDriver::Shutdown(done));
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), finished).await;
    drop(tx);
    match tokio::time::timeout(std::time::Duration::from_secs(2), driver).await {
        Ok(Ok(result)) => result,
        _ => Ok(()),
    }
}

/// Runs one request against a driver of its own and stops.
async fn one_shot(dir: &Path, request: Request) -> Result<Value, String> {
    let (tx, driver) = start(dir, &CallArgs::default(), false)?;
    let (notify, _notifications) = mpsc::unbounded_channel();
    let result = ask(&tx, request, &notify).await;
    stop(tx, driver).await?;
    result
}

/// One request to an in-process driver, as a JSON-RPC connection would send it.
async fn ask(
    tx: &mpsc::UnboundedSender<ToDriver>,
    request: Request,
    notify: &mpsc::UnboundedSender<String>,
) -> Result<Value, String> {
    let (reply, replied) = oneshot::channel();
    tx.send(ToDriver::Rpc {
        conn: 0,
        request,
        reply,
        notify: notify.clone(),
    })
    .map_err(|_| "the driver stopped".to_owned())?;
    let result = replied.await.map_err(|_| "the driver stopped".to_owned())?;
    result.map_err(|e| e.message)
}

/// `call CONTACT`: rings them, prints every state (and the security code), hangs up on Enter,
/// end of input or Ctrl-C, and returns when the call has ended.
async fn call(dir: &Path, contact: String, args: &CallArgs) -> Result<(), String> {
    use tokio::io::AsyncBufReadExt as _;
    let (tx, driver) = start(dir, args, false)?;
    let (notify, mut events) = mpsc::unbounded_channel();
    ask(&tx, Request::SubscribeCallEvents, &notify).await?;
    let started = ask(
        &tx,
        Request::StartCall {
            recipient: contact.clone(),
            media: sotto_shared::wire::signal::Media::Audio,
        },
        &notify,
    )
    .await?;
    let call_id = started["callId"].as_str().unwrap_or_default().to_owned();
    println!("Calling {contact}. Enter, end of input or Ctrl-C hangs up.");
    println!(
        "Audio: raw s16le 48 kHz mono PCM on the Unix socket {}",
        started["inputDeviceName"].as_str().unwrap_or_default()
    );
    let mut input = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut hanging_up = false;
    loop {
        tokio::select! {
            line = events.recv() => {
                let Some(line) = line else { break };
                let Ok(event) = serde_json::from_str::<Value>(&line) else { continue };
                let result = &event["params"]["result"];
                let state = result["state"].as_str().unwrap_or_default();
                match (state, result["reason"].as_str(), result["securityCode"].as_str()) {
                    ("ENDED", reason, _) => {
                        println!("ENDED {}", reason.unwrap_or_default());
                        break;
                    }
                    ("CONNECTED", _, Some(code)) => println!("CONNECTED, security code {code}"),
                    _ => println!("{state}"),
                }
            }
            _ = input.next_line(), if !hanging_up => {
                hanging_up = true;
                ask(&tx, Request::HangupCall { call_id: call_id.clone() }, &notify).await?;
            }
            _ = tokio::signal::ctrl_c(), if !hanging_up => {
                hanging_up = true;
                ask(&tx, Request::HangupCall { call_id: call_id.clone() }, &notify).await?;
            }
        }
    }
    stop(tx, driver).await
}

fn default_socket(dir: &Path) -> PathBuf {
    std::env::var_os("XDG_RUNTIME_DIR")
        .map(|d| PathBuf::from(d).join("sotto-cli").join("socket"))
        .unwrap_or_else(|| dir.join("socket"))
}

fn bind_unix(path: &Path) -> Result<tokio::net::UnixListener, String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    if path.exists() {
        // A live daemon answers; a stale file from a crashed one does not.
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(format!("{} is in use by another daemon", path.display()));
        }
        std::fs::remove_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let listener = tokio::net::UnixListener::bind(path)
        .map_err(|e| format!("cannot listen on {}: {e}", path.display()))?;
    // Whoever can connect controls calls: the owner only.
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(listener)
}

/// A listener of byte-stream connections (UNIX or TCP).
trait Listener: Send + 'static {
    type Read: tokio::io::AsyncRead + Unpin + Send + 'static;
    type Write: tokio::io::AsyncWrite + Unpin + Send + 'static;
    fn next(&self) -> impl Future<Output = std::io::Result<(Self::Read, Self::Write)>> + Send;
}

impl Listener for tokio::net::UnixListener {
    type Read = tokio::net::unix::OwnedReadHalf;
    type Write = tokio::net::unix::OwnedWriteHalf;
    async fn next(&self) -> std::io::Result<(Self::Read, Self::Write)> {
        Ok(self.accept().await?.0.into_split())
    }
}

impl Listener for tokio::net::TcpListener {
    type Read = tokio::net::tcp::OwnedReadHalf;
    type Write = tokio::net::tcp::OwnedWriteHalf;
    async fn next(&self) -> std::io::Result<(Self::Read, Self::Write)> {
        Ok(self.accept().await?.0.into_split())
    }
}

/// Serves every connection of `listener`, each with its own id.
async fn serve_connections(
    listener: impl Listener,
    tx: mpsc::UnboundedSender<ToDriver>,
    conns: std::sync::Arc<AtomicU64>,
) {
    while let Ok((r, w)) = listener.next().await {
        let conn = conns.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(rpc::serve(conn, r, w, tx.clone()));
    }
}

async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}
