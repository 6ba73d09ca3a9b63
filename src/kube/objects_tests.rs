//! The table of good and bad `kubectl get -o json` inputs for `kube::objects`.

use super::*;

fn parse(text: &str) -> Cluster {
    let mut c = Cluster::default();
    parse_into(text.as_bytes(), "test", &mut c).unwrap();
    c
}

#[test]
fn a_list_of_every_kind() {
    let c = parse(
        r#"{"apiVersion":"v1","kind":"List","items":[
          {"kind":"Deployment","metadata":{"name":"web","namespace":"shop"},"spec":{"template":{"spec":{
             "serviceAccountName":"builder","imagePullSecrets":[{"name":"a"},{}],
             "initContainers":[{"name":"init","image":"busybox"}],
             "containers":[{"name":"app","image":"registry.example.com/shop/web:1"}]}}}},
          {"kind":"CronJob","metadata":{"name":"nightly"},"spec":{"jobTemplate":{"spec":{"template":{"spec":{
             "containers":[{"name":"c","image":"nightly:1"}]}}}}}},
          {"kind":"Pod","metadata":{"name":"p"},"spec":{"serviceAccount":"old",
             "containers":[{"name":"c","image":"x"}],"ephemeralContainers":[{"name":"dbg","image":"dbg"}]}},
          {"kind":"ServiceAccount","metadata":{"name":"builder","namespace":"shop"},"imagePullSecrets":[{"name":"b"}]},
          {"kind":"Secret","metadata":{"name":"b","namespace":"shop"},"type":"kubernetes.io/dockerconfigjson",
             "data":{".dockerconfigjson":"e30="}},
          {"kind":"ConfigMap","metadata":{"name":"x"}},
          {"kind":"Deployment","metadata":{"name":"bad"},"spec":{"template":{"spec":{"containers":"nope"}}}}
        ]}"#,
    );
    assert_eq!(c.workloads.len(), 3);
    let web = &c.workloads[0];
    assert_eq!((web.namespace.as_str(), web.service_account.as_str()), ("shop", "builder"));
    assert_eq!(web.image_pull_secrets, ["a"]);
    assert_eq!(web.containers[0].kind, ContainerType::InitContainer);
    assert_eq!(c.workloads[1].namespace, "default");
    assert_eq!(c.workloads[1].containers[0].image, "nightly:1");
    assert_eq!(c.workloads[2].service_account, "old");
    assert_eq!(c.workloads[2].containers[1].kind, ContainerType::EphemeralContainer);
    assert_eq!(c.service_accounts[0].image_pull_secrets, ["b"]);
    assert_eq!(&*c.secrets[0].data[".dockerconfigjson"].decode().unwrap(), b"{}");
    assert_eq!(c.other_objects, 1);
    assert_eq!(c.skipped.len(), 1, "{:?}", c.skipped);
    assert!(c.skipped[0].contains("Deployment default/bad"), "{:?}", c.skipped);
}

#[test]
fn several_objects_in_a_row_and_typed_lists() {
    let c = parse(
        r#"{"kind":"Secret","metadata":{"name":"s"},"stringData":{".dockercfg":"{}"},"type":"kubernetes.io/dockercfg"}
           {"kind":"PodList","items":[{"metadata":{"name":"p"},"spec":{"containers":[{"image":"a"}]}}]}"#,
    );
    assert_eq!(c.secrets.len(), 1);
    assert_eq!(c.workloads.len(), 1);
    assert_eq!(c.workloads[0].kind, "Pod");
}

#[test]
fn not_kubernetes() {
    for text in ["", "[]", "{\"a\":1}", "{\"kind\":", "42"] {
        let mut c = Cluster::default();
        assert!(parse_into(text.as_bytes(), "t", &mut c).is_err(), "{text}");
    }
}

#[test]
fn lookups_see_objects_read_after_them() {
    let mut c = parse(r#"{"kind":"ServiceAccount","metadata":{"name":"default"}}"#);
    assert!(c.service_account("default", "default").is_some());
    assert!(c.secret("default", "s").is_none());
    parse_into(br#"{"kind":"Secret","metadata":{"name":"s"}}"#, "later", &mut c).unwrap();
    assert!(c.secret("default", "s").is_some());
}

#[test]
fn deep_lists_are_refused() {
    let mut text = String::from(r#"{"kind":"Secret","metadata":{"name":"s"}}"#);
    for _ in 0..10 {
        text = format!(r#"{{"kind":"List","items":[{text}]}}"#);
    }
    let c = parse(&text);
    assert!(c.secrets.is_empty());
    assert_eq!(c.skipped.len(), 1);
}

#[test]
fn secrets_borrow_the_input_unless_a_string_has_escapes() {
    let text = r#"{"kind":"List","items":[
        {"kind":"Secret","metadata":{"name":"plain","namespace":"a"},"type":"kubernetes.io/dockerconfigjson",
         "data":{".dockerconfigjson":"e30="}},
        {"kind":"Secret","metadata":{"name":"e\u0073c","namespace":"a"},"type":"kubernetes.io/dockerconfigjson",
         "data":{".dockerconfigjson":"e3\u0030="}}]}"#;
    let mut parsed = Parsed::default();
    parse_objects(text.as_bytes(), "t", &mut parsed).unwrap();
    let [plain, escaped] = &parsed.secrets[..] else { panic!("{:?}", parsed.secrets) };
    let borrowed = |v: Option<&ValueRef>| matches!(v, Some(ValueRef::Base64(std::borrow::Cow::Borrowed(_))));
    assert!(matches!(plain.name, std::borrow::Cow::Borrowed("plain")));
    assert!(borrowed(plain.docker_value()), "an unescaped value is not copied");
    assert_eq!(escaped.name, "esc");
    assert!(!borrowed(escaped.docker_value()));
    for secret in &parsed.secrets {
        assert_eq!(&*secret.docker_value().unwrap().decode().unwrap(), b"{}");
    }
}

#[test]
fn secret_data_a_later_key_and_string_data_win() {
    let text = r#"{"kind":"Secret","metadata":{"name":"s"},"type":"kubernetes.io/dockerconfigjson",
        "data":{"z":"eg==",".dockerconfigjson":"e30=",".dockerconfigjson":"W10=","a":null},
        "stringData":{"z":"plain"}}"#;
    let mut parsed = Parsed::default();
    parse_objects(text.as_bytes(), "t", &mut parsed).unwrap();
    let secret = &parsed.secrets[0];
    let keys: Vec<&str> = secret.data.iter().map(|(k, _)| k.as_ref()).collect();
    assert_eq!(keys, [".dockerconfigjson", "a", "z"]);
    assert_eq!(&*secret.docker_value().unwrap().decode().unwrap(), b"[]");
    assert_eq!(secret.get("a").unwrap().text(), (false, ""));
    assert_eq!(secret.get("z").unwrap().text(), (true, "plain"));
    assert_eq!(secret.namespace, "default");
    // The owned form reads the same.
    let owned = parsed.secrets.pop().unwrap().into_secret();
    assert_eq!(&*owned.data["z"].decode().unwrap(), b"plain");
    assert_eq!(owned.data.iter().count(), 3);
}

#[test]
fn a_secret_of_the_wrong_shape_is_skipped_and_the_rest_read() {
    let text = r#"{"kind":"List","items":[
        {"kind":"Secret","metadata":{"name":"good"},"data":{"k":"eA=="}},
        {"kind":"Secret","metadata":{"name":"bad"},"data":42}]}"#;
    let mut parsed = Parsed::default();
    parse_objects(text.as_bytes(), "t", &mut parsed).unwrap();
    assert_eq!(parsed.secrets.len(), 1);
    assert_eq!(parsed.secrets[0].name, "good");
    assert_eq!(parsed.skipped.len(), 1, "{:?}", parsed.skipped);
    assert!(parsed.skipped[0].contains("Secret default/bad"), "{:?}", parsed.skipped);
}
