//! The freedesktop Secret Service (gnome-keyring, KeePassXC, KWallet) over the D-Bus session bus, in pure
//! Rust (zbus, blocking API, no async runtime of ours).
//!
//! Items are labelled `regauth: <serverURL>` and carry the attributes `xdg:schema` = [`SCHEMA`],
//! `regauth` = `docker-credential`, `server` and `username`: a keyring browser shows whose they are, and
//! lookups never match another program's items.
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
use zbus::blocking::Connection;
use zbus::zvariant::{ObjectPath, OwnedObjectPath, OwnedValue, Value};
use zeroize::Zeroizing;

/// The `xdg:schema` attribute of regauth's items.
pub const SCHEMA: &str = "io.regauth.DockerCredential";

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

/// One connection and one plain transfer session, for one helper call.
struct Session {
    conn: Connection,
    path: OwnedObjectPath,
}

impl Session {
    fn open() -> Result<Session, StoreError> {
        let conn = Connection::session()
            .map_err(|e| StoreError::Unavailable(format!("{NO_BUS} ({})", one_line(&e.to_string()))))?;
        let (_, path): (OwnedValue, OwnedObjectPath) =
            call(&conn, &service_path(), SERVICE_IFACE, "OpenSession", &("plain", Value::from("")))?;
        Ok(Session { conn, path })
    }

    /// `(unlocked, locked)` items of regauth matching `server` (every regauth item when None).
    fn search(
        &self,
        server: Option<&str>,
    ) -> Result<(Vec<OwnedObjectPath>, Vec<OwnedObjectPath>), StoreError> {
        let mut attributes = HashMap::from([("regauth", "docker-credential")]);
        if let Some(server) = server {
            attributes.insert("server", server);
        }
        call(&self.conn, &service_path(), SERVICE_IFACE, "SearchItems", &(attributes,))
    }

    fn attributes(&self, item: &ObjectPath) -> Result<HashMap<String, String>, StoreError> {
        let value: OwnedValue = call(&self.conn, item, PROPERTIES_IFACE, "Get", &(ITEM_IFACE, "Attributes"))?;
        HashMap::try_from(value)
            .map_err(|e| StoreError::Failed(format!("Secret Service item attributes: {e}")))
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
        let (old, _) = session.search(Some(&creds.server_url))?;
        let attributes = HashMap::from([
            ("xdg:schema", SCHEMA),
            ("regauth", "docker-credential"),
            ("server", creds.server_url.as_str()),
            ("username", creds.username.as_str()),
        ]);
        let label = format!("regauth: {}", creds.server_url);
        let properties: HashMap<&str, Value> = HashMap::from([
            ("org.freedesktop.Secret.Item.Label", Value::from(label.as_str())),
            ("org.freedesktop.Secret.Item.Attributes", Value::from(attributes)),
        ]);
        let value = Zeroizing::new(creds.secret.expose().as_bytes().to_vec());
        let secret = (&session.path, Vec::<u8>::new(), value.as_slice(), "text/plain");
        let (item, prompt): (OwnedObjectPath, OwnedObjectPath) =
            call(&session.conn, &collection, COLLECTION_IFACE, "CreateItem", &(properties, secret, true))?;
        no_prompt(&prompt)?;
        // The same server under another username is a different attribute set: drop the older entry.
        for stale in old.iter().filter(|p| **p != item) {
            session.delete(stale)?;
        }
        Ok(())
    }

    fn get(&self, server_url: &str) -> Result<Credentials, StoreError> {
        let session = Session::open()?;
        let (unlocked, locked) = session.search(Some(server_url))?;
        let Some(item) = unlocked.first() else {
            if !locked.is_empty() {
                return Err(StoreError::Unavailable(LOCKED.into()));
            }
            // A locked keyring may hide its items: say it is locked rather than that nothing is there.
            if let Some((_, true)) = session.default_collection()? {
                return Err(StoreError::Unavailable(LOCKED.into()));
            }
            return Err(StoreError::NotFound);
        };
        let username = session.attributes(item)?.remove("username").unwrap_or_default();
        let secret: SecretStruct = call(&session.conn, item, ITEM_IFACE, "GetSecret", &(&session.path,))?;
        let value = Zeroizing::new(secret.2);
        let text = std::str::from_utf8(&value)
            .map_err(|_| StoreError::Failed("the stored secret is not UTF-8 text".into()))?;
        Ok(Credentials { server_url: server_url.to_owned(), username, secret: Secret::new(text) })
    }

    fn erase(&self, server_url: &str) -> Result<(), StoreError> {
        let session = Session::open()?;
        let (unlocked, locked) = session.search(Some(server_url))?;
        if !locked.is_empty() {
            return Err(StoreError::Unavailable(LOCKED.into()));
        }
        if unlocked.is_empty() {
            return Err(StoreError::NotFound);
        }
        unlocked.iter().try_for_each(|item| session.delete(item))
    }

    fn list(&self) -> Result<Listing, StoreError> {
        let session = Session::open()?;
        let (unlocked, locked) = session.search(None)?;
        if !locked.is_empty() {
            return Err(StoreError::Unavailable(LOCKED.into()));
        }
        let mut listing = Listing::new();
        for item in &unlocked {
            let mut attributes = session.attributes(item)?;
            if let Some(server) = attributes.remove("server") {
                listing.insert(server, attributes.remove("username").unwrap_or_default());
            }
        }
        Ok(listing)
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
    let reply = conn.call_method(Some(SERVICE), path.clone(), Some(iface), method, body).map_err(classify)?;
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
