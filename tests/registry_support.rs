//! The test bed itself works: a real htpasswd registry starts, refuses a wrong password and takes a push;
//! a taken port is detected; the leak check finds every form of a secret.

mod support;

use support::registry::{basic, push_image, Auth, Registry};

#[test]
fn htpasswd_registry_accepts_a_push_and_refuses_a_wrong_password() {
    let Some(registry) = Registry::start(Auth::Htpasswd(vec![("alice".into(), "right-pw".into())]), None)
    else {
        return;
    };
    let client = reqwest::blocking::Client::new();
    let v2 = format!("{}/v2/", registry.base_url());
    assert_eq!(client.get(&v2).send().unwrap().status().as_u16(), 401);
    let wrong = client.get(&v2).header("Authorization", basic("alice", "wrong")).send().unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let right = client.get(&v2).header("Authorization", basic("alice", "right-pw")).send().unwrap();
    assert_eq!(right.status().as_u16(), 200);
    push_image(&client, &registry.base_url(), "team/app", "v1", Some(&basic("alice", "right-pw")));
    let manifest = client
        .head(format!("{}/v2/team/app/manifests/v1", registry.base_url()))
        .header("Authorization", basic("alice", "right-pw"))
        .header("Accept", "application/vnd.oci.image.manifest.v1+json")
        .send()
        .unwrap();
    assert_eq!(manifest.status().as_u16(), 200);
}

/// The registry cannot report a port it chose, so `Registry::start` retries when the port it tried was
/// taken: the failure it retries on must be told apart from every other.
#[test]
fn a_taken_port_is_detected_so_start_can_retry() {
    if support::need_program("docker-registry").is_none() {
        return;
    }
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    if let Ok(registry) = Registry::start_on(&Auth::None, None, port) {
        panic!("started on a taken port: {}", registry.log());
    }
    // A free port works through the same path.
    drop(taken);
    let registry = Registry::start(Auth::None, None).expect("checked above");
    let v2 = reqwest::blocking::get(format!("{}/v2/", registry.base_url())).unwrap();
    assert_eq!(v2.status().as_u16(), 200);
}

#[test]
fn the_leak_check_finds_every_form_of_a_secret() {
    let secret = "s3cret/with+signs";
    let outputs_with = |text: &str| {
        std::panic::catch_unwind(|| support::leaks::assert_absent(&[("out", text)], &[("u", secret)]))
    };
    for form in support::leaks::forms("u", secret) {
        assert!(outputs_with(&format!("x {form} y")).is_err(), "form {form} not detected");
    }
    assert!(outputs_with("nothing here").is_ok());
}
