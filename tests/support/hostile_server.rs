//! A hostile HTTP/1.1 server the tests own, on 127.0.0.1 (port 0, reported): a script chooses for each
//! request what to do: answer (and echo what was sent), redirect, stream forever, claim a huge length,
//! stall, or trickle a byte a second. Every request is recorded, so a test can prove what another origin
//! received. One thread per connection; everything stops on drop.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::http_server::read_request;
pub use super::http_server::Request;

/// Every header line and the body, as one string: what an echoing server sends back.
pub trait Echo {
    fn echo(&self) -> String;
}

impl Echo for Request {
    fn echo(&self) -> String {
        let mut text: Vec<String> = self.headers.iter().map(|(n, v)| format!("{n}: {v}")).collect();
        text.push(format!("body: {}", self.body));
        text.join("; ")
    }
}

/// What the server does with one request.
pub enum Action {
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// `200`-style headers, then a chunked body that never ends.
    StreamForever {
        status: u16,
    },
    /// `Content-Length: 1 TiB`, then bytes for as long as they are read.
    HugeLength {
        status: u16,
    },
    /// Read the request, never answer.
    Stall,
    /// Headers at once, then the body one byte a second.
    Trickle {
        status: u16,
    },
}

impl Action {
    pub fn respond(status: u16, headers: &[(&str, &str)], body: impl Into<String>) -> Action {
        let headers = headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        Action::Respond { status, headers, body: body.into() }
    }

    /// A redirect with `status` to `location`.
    pub fn redirect(status: u16, location: &str) -> Action {
        Action::respond(status, &[("Location", location)], "")
    }
}

type Script = dyn Fn(&Request, &str) -> Action + Send + Sync;

pub struct HostileServer {
    pub port: u16,
    received: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HostileServer {
    /// Start a server that answers each request as `script(request, own base URL)` says.
    pub fn start(script: impl Fn(&Request, &str) -> Action + Send + Sync + 'static) -> HostileServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");
        let stop = Arc::new(AtomicBool::new(false));
        let received = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let (stopping, log) = (stop.clone(), received.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let (script, log, stop, base) = (script.clone(), log.clone(), stopping.clone(), base.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, script.as_ref(), &base, &log, &stop);
                });
            }
        });
        HostileServer { port, received, stop, thread: Some(thread) }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `127.0.0.1:PORT`, as an image reference's registry.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Every request received so far.
    pub fn received(&self) -> Vec<Request> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port)); // wake the accept loop
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    stream: TcpStream,
    script: &Script,
    base: &str,
    log: &Mutex<Vec<Request>>,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    // A TLS ClientHello (regauth tries https first) is not HTTP: hang up, as a plain server does.
    if reader.fill_buf()?.first() == Some(&0x16) {
        return Ok(());
    }
    let Some(request) = read_request(&mut reader)? else { return Ok(()) };
    log.lock().unwrap().push(request.clone());
    let action = script(&request, base);
    let mut stream = stream;
    let head = |status: u16, extra: &str| {
        format!(
            "HTTP/1.1 {status} Status\r\nContent-Type: application/json\r\nConnection: close\r\n{extra}\r\n"
        )
    };
    match action {
        Action::Respond { status, headers, body } => {
            let mut extra = format!("Content-Length: {}\r\n", body.len());
            for (name, value) in headers {
                extra.push_str(&format!("{name}: {value}\r\n"));
            }
            stream.write_all(head(status, &extra).as_bytes())?;
            if request.method != "HEAD" {
                stream.write_all(body.as_bytes())?;
            }
        }
        Action::StreamForever { status } => {
            stream.write_all(head(status, "Transfer-Encoding: chunked\r\n").as_bytes())?;
            let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "x".repeat(64 * 1024));
            while !stop.load(Ordering::SeqCst) {
                stream.write_all(chunk.as_bytes())?;
            }
        }
        Action::HugeLength { status } => {
            stream.write_all(head(status, "Content-Length: 1099511627776\r\n").as_bytes())?;
            let block = vec![b'y'; 64 * 1024];
            while !stop.load(Ordering::SeqCst) {
                stream.write_all(&block)?;
            }
        }
        Action::Stall => {
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Action::Trickle { status } => {
            stream.write_all(head(status, "Content-Length: 100000\r\n").as_bytes())?;
            while !stop.load(Ordering::SeqCst) {
                stream.write_all(b"{")?;
                for _ in 0..20 {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }
    }
    stream.flush()
}
