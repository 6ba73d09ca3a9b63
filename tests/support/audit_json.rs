//! The audit's JSON as tests read it: schema 3 says each long text once (findings name their credential
//! and index their rule's texts, see `regauth::audit::compact`); [`expanded`] gives every finding its
//! place, registry, message and fix back, as schema 2 wrote them, so a test reads any finding alone.

use regauth::audit::compact::{expand, Subject};
use serde_json::Value;

/// `report` (an audit or an `audit merge`) with its findings expanded, and `rules` and `kinds` dropped;
/// a report of an older schema is returned as it is.
pub fn expanded(report: &Value) -> Value {
    let mut out = report.clone();
    let Some(rules) = out.as_object_mut().and_then(|o| o.remove("rules")) else { return out };
    let kinds = out.as_object_mut().unwrap().remove("kinds").unwrap_or_default();
    let credentials = out["credentials"].clone();
    for f in out["findings"].as_array_mut().unwrap() {
        let rule = &rules[f["code"].as_str().unwrap()];
        let message = rule["messages"][f["message"].as_u64().unwrap() as usize].as_str().unwrap().to_owned();
        let fix = rule["fixes"][f["fix"].as_u64().unwrap() as usize].as_str().unwrap().to_owned();
        let f = f.as_object_mut().unwrap();
        let (message, fix) = match f.remove("credential") {
            Some(i) => {
                let c = &credentials[i.as_u64().unwrap() as usize];
                let subject = Subject {
                    location: c["location"].as_str().unwrap(),
                    registry: c["registry"].as_str().unwrap(),
                    username: c["username"].as_str(),
                    kind: c["kind"].as_str().map_or("credential", |k| kinds[k].as_str().unwrap()),
                };
                if let Some(host) = c.get("host") {
                    f.insert("host".into(), host.clone());
                }
                f.insert("location".into(), c["location"].clone());
                f.insert("registry".into(), c["registry"].clone());
                (expand(&message, &subject), expand(&fix, &subject))
            }
            None => (message, fix),
        };
        f.insert("message".into(), message.into());
        f.insert("fix".into(), fix.into());
    }
    out
}
