//! The freedesktop Secret Service (gnome-keyring, KeePassXC, KWallet) over the D-Bus session bus, in pure
//! Rust (zbus, blocking API, no async runtime of ours).
//!
//! Items are interchangeable with upstream docker-credential-secretservice (docker-credential-helpers):
//! `store` writes upstream's form, so either helper reads what the other stored and users switch either way
//! without logging in again. Upstream's form, as observed by storing with it under gnome-keyring: the item's
//! label is the server URL; attributes `xdg:schema` = [`SCHEMA`], `server`, `username`, `docker_cli` = `1`
//! and `label` = `Docker Credentials`. Upstream's `get` finds an item by schema, `server` and `docker_cli`;
//! its `list` takes items whose `label` attribute is `Docker Credentials`, keyed by the item label; it
//! keeps one item per server and username, so a login under another username adds an item.
//!
//! Earlier regauth versions wrote their own form ([`LEGACY_SCHEMA`], attribute `regauth` =
//! `docker-credential`, label `regauth: <serverURL>`): `get` and `list` still read it, `store` replaces it
//! with upstream's form, `erase` removes both. Where a server has several items, the newest wins.
//!
//! Every D-Bus exchange has a deadline ([`TIMEOUT`]): a bus or a service that accepts a request and never
//! answers is reported in seconds, because docker waits on a helper forever.
//!
//! The transfer session is "plain", not Diffie-Hellman: the secret travels over the user's private session
//! bus socket, and a process able to eavesdrop on that bus runs as this user and could ask the Secret
//! Service for the item itself; the key agreement would add a round trip and a 1024-bit modular
//! exponentiation to every `get`, about half of its time.

use crate::protocol::Credentials;
use crate::protocol::{Listing, Store, StoreError};
use crate::sanitize::one_line;
use crate::secret::Secret;
use std::collections::HashMap;
use std::time::Duration;
use zbus::blocking::Connection;
use zbus::zvariant::{ObjectPath, OwnedObjectPath, OwnedValue, Value};
use zeroize::Zeroizing;

/// The `xdg:schema` attribute of the items `store` writes: upstream docker-credential-secretservice's.
pub const SCHEMA: &str = "io.docker.Credentials";
/// The `xdg:schema` of items earlier regauth versions wrote (with the attribute `regauth`).
pub const LEGACY_SCHEMA: &str = "io.regauth.DockerCredential";
/// Upstream's `label` attribute, which its `list` filters on.
const LABEL_ATTRIBUTE: &str = "Docker Credentials";

/// How long the session bus may take to accept us, and the Secret Service to answer one call.
pub const TIMEOUT: Duration = Duration::from_secs(5);

const SERVICE: &str = "org.freedesktop.secrets";
const SERVICE_PATH: &str = "/org/freedesktop/secrets";
const SERVICE_IFACE: &str = "org.freedesktop.Secret.Service";
const ITEM_IFACE: &str = "org.freedesktop.Secret.Item";
const COLLECTION_IFACE: &str = "org.freedesktop.Secret.Collection";
const PROPERTIES_IFACE: &str = "org.freedesktop.DBus.Properties";

const NO_BUS: &str =
    "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset or unreachable): the Secret Service \
                      needs a desktop session; on a headless machine use docker-credential-regauth-keyutils";
const NO_SERVICE: &str =
    "no Secret Service on the session bus: start gnome-keyring-daemon (or KeePassXC with \
                          Secret Service enabled), or use docker-credential-regauth-keyutils";
const LOCKED: &str =
    "the Secret Service keyring is locked: unlock it (log in to the desktop session, or run \
                      `gnome-keyring-daemon --unlock`) and try again";
const PROMPT: &str =
    "the Secret Service wants to show a prompt, which a credential helper cannot: unlock or \
                      create the default keyring first";

const NO_DEFAULT: &str =
    "the Secret Service has no default keyring: create one (in Seahorse, say) and try again";

/// `(session, parameters, value, content type)`: the Secret Service's `Secret` struct.
type SecretStruct = (OwnedObjectPath, Vec<u8>, Vec<u8>, String);

#[derive(Debug, Default)]
pub struct SecretServiceStore;

impl SecretServiceStore {
    pub fn new() -> SecretServiceStore {
        SecretServiceStore
    }
}

/// The two forms an item can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// Upstream docker-credential-secretservice's, which `store` writes.
    Upstream,
    /// Earlier regauth versions'.
    Legacy,
}

impl Form {
    /// The attributes that find this form's items (for one server, or all of them).
    fn query(self, server: Option<&str>) -> HashMap<&'static str, &str> {
        let mut attributes = match self {
            Form::Upstream => HashMap::from([("xdg:schema", SCHEMA), ("docker_cli", "1")]),
            Form::Legacy => HashMap::from([("regauth", "docker-credential")]),
        };
        if let Some(server) = server {
            attributes.insert("server", server);
        }
        attributes
    }
}

/// What `get` and `list` need of one item.
struct Item {
    path: OwnedObjectPath,
    server: Option<String>,
    username: String,
    modified: u64,
}

/// Items found by a search: readable ones, and whether any were locked.
#[derive(Default)]
struct Found {
    unlocked: Vec<OwnedObjectPath>,
    locked: bool,
}

/// One connection and one plain transfer session, for one helper call.
struct Session {
    conn: Connection,
    path: OwnedObjectPath,
}

impl Session {
    fn open() -> Result<Session, StoreError> {
        let conn = connect()?;
        let (_, path): (OwnedValue, OwnedObjectPath) =
            call(&conn, &service_path(), SERVICE_IFACE, "OpenSession", &("plain", Value::from("")))?;
        Ok(Session { conn, path })
    }

    fn search(&self, form: Form, server: Option<&str>) -> Result<Found, StoreError> {
        let (unlocked, locked): (Vec<OwnedObjectPath>, Vec<OwnedObjectPath>) =
            call(&self.conn, &service_path(), SERVICE_IFACE, "SearchItems", &(form.query(server),))?;
        Ok(Found { unlocked, locked: !locked.is_empty() })
    }

    /// Items of both forms for `server` (every server when None).
    fn search_both(&self, server: Option<&str>) -> Result<Found, StoreError> {
        let mut found = self.search(Form::Upstream, server)?;
        let legacy = self.search(Form::Legacy, server)?;
        found.unlocked.extend(legacy.unlocked);
        found.locked |= legacy.locked;
        Ok(found)
    }

    fn item(&self, path: &OwnedObjectPath) -> Result<Item, StoreError> {
        let properties: HashMap<String, OwnedValue> =
            call(&self.conn, path, PROPERTIES_IFACE, "GetAll", &(ITEM_IFACE,))?;
        let mut attributes = properties
            .get("Attributes")
            .and_then(|v| HashMap::<String, String>::try_from(v.try_clone().ok()?).ok())
            .unwrap_or_default();
        let modified = properties.get("Modified").and_then(|v| u64::try_from(v).ok()).unwrap_or(0);
        Ok(Item {
            path: path.clone(),
            server: attributes.remove("server"),
            username: attributes.remove("username").unwrap_or_default(),
            modified,
        })
    }

    /// The newest of `paths` (the last login, when upstream added one item per username).
    fn newest(&self, paths: &[OwnedObjectPath]) -> Result<Option<Item>, StoreError> {
        let mut best: Option<Item> = None;
        for path in paths {
            let item = self.item(path)?;
            if best.as_ref().is_none_or(|b| item.modified > b.modified) {
                best = Some(item);
            }
        }
        Ok(best)
    }

    /// The default collection and whether it is locked; None when there is no default keyring.
    fn default_collection(&self) -> Result<Option<(OwnedObjectPath, bool)>, StoreError> {
        let path: OwnedObjectPath =
            call(&self.conn, &service_path(), SERVICE_IFACE, "ReadAlias", &("default",))?;
        if path.as_str() == "/" {
            return Ok(None);
        }
        let locked: OwnedValue =
            call(&self.conn, &path, PROPERTIES_IFACE, "Get", &(COLLECTION_IFACE, "Locked"))?;
        Ok(Some((path, bool::try_from(locked).unwrap_or(false))))
    }

    fn delete(&self, item: &ObjectPath) -> Result<(), StoreError> {
        let prompt: OwnedObjectPath = call(&self.conn, item, ITEM_IFACE, "Delete", &())?;
        no_prompt(&prompt)
    }
}

impl Store for SecretServiceStore {
    fn store(&self, creds: &Credentials) -> Result<(), StoreError> {
        let session = Session::open()?;
        let collection = match session.default_collection()? {
            None => return Err(StoreError::Unavailable(NO_DEFAULT.into())),
            Some((_, true)) => return Err(StoreError::Unavailable(LOCKED.into())),
            Some((path, false)) => path,
        };
        let old = session.search_both(Some(&creds.server_url))?;
        // Exactly upstream's attributes: its own store of the same server and username then replaces
        // this item instead of adding a second one.
        let attributes = HashMap::from([
            ("xdg:schema", SCHEMA),
            ("label", LABEL_ATTRIBUTE),
            ("docker_cli", "1"),
            ("server", creds.server_url.as_str()),
            ("username", creds.username.as_str()),
        ]);
        let properties: HashMap<&str, Value> = HashMap::from([
            ("org.freedesktop.Secret.Item.Label", Value::from(creds.server_url.as_str())),
            ("org.freedesktop.Secret.Item.Attributes", Value::from(attributes)),
        ]);
        let value = Zeroizing::new(creds.secret.expose().as_bytes().to_vec());
        let secret = (&session.path, Vec::<u8>::new(), value.as_slice(), "text/plain");
        let (item, prompt): (OwnedObjectPath, OwnedObjectPath) =
            call(&session.conn, &collection, COLLECTION_IFACE, "CreateItem", &(properties, secret, true))?;
        no_prompt(&prompt)?;
        // One entry per server: drop items under other usernames, and regauth's older form.
        for stale in old.unlocked.iter().filter(|p| **p != item) {
            session.delete(stale)?;
        }
        Ok(())
    }

    fn get(&self, server_url: &str) -> Result<Credentials, StoreError> {
        let session = Session::open()?;
        let mut found = session.search(Form::Upstream, Some(server_url))?;
        if found.unlocked.is_empty() {
            // Only when upstream's form is missing: one search on the common path.
            let legacy = session.search(Form::Legacy, Some(server_url))?;
            found.unlocked = legacy.unlocked;
            found.locked |= legacy.locked;
        }
        let Some(item) = session.newest(&found.unlocked)? else {
            if found.locked {
                return Err(StoreError::Unavailable(LOCKED.into()));
            }
            // A locked keyring may hide its items: say it is locked rather than that nothing is there.
            if let Some((_, true)) = session.default_collection()? {
                return Err(StoreError::Unavailable(LOCKED.into()));
            }
            return Err(StoreError::NotFound);
        };
        let secret: SecretStruct =
            call(&session.conn, &item.path, ITEM_IFACE, "GetSecret", &(&session.path,))?;
        let value = Zeroizing::new(secret.2);
        let text = std::str::from_utf8(&value)
            .map_err(|_| StoreError::Failed("the stored secret is not UTF-8 text".into()))?;
        Ok(Credentials {
            server_url: server_url.to_owned(),
            username: item.username,
            secret: Secret::new(text),
        })
    }

    fn erase(&self, server_url: &str) -> Result<(), StoreError> {
        let session = Session::open()?;
        let found = session.search_both(Some(server_url))?;
        if found.locked {
            return Err(StoreError::Unavailable(LOCKED.into()));
        }
        if found.unlocked.is_empty() {
            return Err(StoreError::NotFound);
        }
        found.unlocked.iter().try_for_each(|item| session.delete(item))
    }

    fn list(&self) -> Result<Listing, StoreError> {
        let session = Session::open()?;
        let upstream = session.search(Form::Upstream, None)?;
        let legacy = session.search(Form::Legacy, None)?;
        if upstream.locked || legacy.locked {
            return Err(StoreError::Unavailable(LOCKED.into()));
        }
        // Per server, the item `get` would return: upstream's form first, then the newest.
        let mut best: HashMap<String, (bool, u64, String)> = HashMap::new();
        let forms =
            upstream.unlocked.iter().map(|p| (true, p)).chain(legacy.unlocked.iter().map(|p| (false, p)));
        for (is_upstream, path) in forms {
            let item = session.item(path)?;
            let Some(server) = item.server else { continue };
            let rank = (is_upstream, item.modified, item.username);
            match best.get(&server) {
                Some(held) if (held.0, held.1) >= (rank.0, rank.1) => {}
                _ => {
                    best.insert(server, rank);
                }
            }
        }
        Ok(best.into_iter().map(|(server, (_, _, username))| (server, username)).collect())
    }
}

/// The session bus connection, with a deadline on the connection itself (zbus has none for the
/// handshake) and on every method call.
fn connect() -> Result<Connection, StoreError> {
    use futures_lite::FutureExt;
    let builder = zbus::connection::Builder::session().map_err(classify)?.method_timeout(TIMEOUT);
    let connected = async_io::block_on(builder.build().or(async {
        async_io::Timer::after(TIMEOUT).await;
        Err(zbus::Error::InputOutput(
            std::io::Error::new(std::io::ErrorKind::TimedOut, "handshake timed out").into(),
        ))
    }));
    match connected {
        Ok(conn) => Ok(Connection::from(conn)),
        Err(zbus::Error::InputOutput(e)) if e.kind() == std::io::ErrorKind::TimedOut => {
            Err(StoreError::Unavailable(format!(
                "the D-Bus session bus did not answer within {} s: it accepts connections but does not \
                 respond (a hung dbus-daemon?)",
                TIMEOUT.as_secs()
            )))
        }
        Err(e) => Err(classify(e)),
    }
}

fn service_path() -> ObjectPath<'static> {
    ObjectPath::from_static_str_unchecked(SERVICE_PATH)
}

fn no_prompt(prompt: &ObjectPath) -> Result<(), StoreError> {
    if prompt.as_str() == "/" {
        Ok(())
    } else {
        Err(StoreError::Unavailable(PROMPT.into()))
    }
}

/// One method call on the Secret Service, its reply body decoded as `R`.
fn call<B, R>(
    conn: &Connection,
    path: &ObjectPath,
    iface: &str,
    method: &str,
    body: &B,
) -> Result<R, StoreError>
where
    B: serde::Serialize + zbus::zvariant::DynamicType,
    R: for<'d> serde::Deserialize<'d> + zbus::zvariant::Type,
{
    let reply =
        conn.call_method(Some(SERVICE), path.clone(), Some(iface), method, body).map_err(|e| match &e {
            zbus::Error::InputOutput(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                StoreError::Unavailable(format!(
                    "the Secret Service did not answer {method} within {} s: it may be hung, or waiting \
                     for a prompt nobody can see; restart it (gnome-keyring-daemon --replace) and try again",
                    TIMEOUT.as_secs()
                ))
            }
            _ => classify(e),
        })?;
    reply
        .body()
        .deserialize::<R>()
        .map_err(|e| StoreError::Failed(format!("Secret Service {method}: unexpected reply: {e}")))
}

fn classify(err: zbus::Error) -> StoreError {
    match &err {
        zbus::Error::MethodError(name, message, _) => match name.as_str() {
            "org.freedesktop.DBus.Error.ServiceUnknown" | "org.freedesktop.DBus.Error.NameHasNoOwner" => {
                StoreError::Unavailable(NO_SERVICE.into())
            }
            "org.freedesktop.Secret.Error.IsLocked" => StoreError::Unavailable(LOCKED.into()),
            _ if message.as_deref().is_some_and(|m| m.contains("locked")) => {
                StoreError::Unavailable(LOCKED.into())
            }
            name => StoreError::Failed(format!(
                "Secret Service: {name}: {}",
                one_line(message.as_deref().unwrap_or(""))
            )),
        },
        zbus::Error::InputOutput(_)
        | zbus::Error::Connection(..)
        | zbus::Error::Address(_)
        | zbus::Error::Handshake(_) => {
            StoreError::Unavailable(format!("{NO_BUS} ({})", one_line(&err.to_string())))
        }
        _ => StoreError::Failed(format!("Secret Service: {}", one_line(&err.to_string()))),
    }
}
