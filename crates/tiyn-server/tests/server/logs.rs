//! nothing secret reaches the logs. Every log line of a run through the security
//! procedure (at TRACE, the most verbose level) is captured and searched for the passwords, codes
//! and tokens that the run used.

use crate::common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{body_json, last_code, post_json, request_json, test_app};
use serde_json::json;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())).into_owned()
    }
}

#[tokio::test]
async fn r_5_8_logs_never_contain_passwords_codes_or_tokens() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber of this test binary");

    let test = test_app().await;
    let mut secrets: Vec<String> = Vec::new();

    // A failed login, then a good one (password + SMS code).
    let (login, password, mobile) = test.login("full", true);
    secrets.push(password.clone());
    let wrong = "definitely not the password";
    secrets.push(wrong.to_owned());
    let refused = post_json(&test.app, "/api/v1/auth/login", None, json!({"login": login, "password": wrong})).await;
    assert_eq!(refused.status(), 401);
    let admin = test.sign_in_with(&login, &password, &mobile).await;
    secrets.push(last_code(&test.sms, &mobile));
    secrets.push(admin.token.clone());
    secrets.push(admin.csrf.clone());

    // A new user: created, activated with a code and a chosen password.
    let created = post_json(
        &test.app,
        "/api/v1/users",
        Some(&admin),
        json!({"full_name": "Жанна Лог", "mobile": "+77070001122", "level": "create", "consent": true}),
    )
    .await;
    assert_eq!(created.status(), 201);
    let challenge =
        body_json(post_json(&test.app, "/api/v1/auth/activation", None, json!({"login": "+77070001122"})).await).await;
    let code = last_code(&test.sms, "+77070001122");
    secrets.push(code.clone());
    let chosen = "мой ключ от сейфа 2026";
    secrets.push(chosen.to_owned());
    let activated = post_json(
        &test.app,
        "/api/v1/auth/activation/confirm",
        None,
        json!({"challenge_id": challenge["challenge_id"], "code": code, "password": chosen}),
    )
    .await;
    assert_eq!(activated.status(), 200);

    // A password change and a recovery.
    let changed_to = "новый пароль администратора";
    secrets.push(changed_to.to_owned());
    let changed = request_json(
        &test.app,
        "POST",
        "/api/v1/auth/password",
        Some(&admin),
        json!({"old_password": password, "new_password": changed_to}),
    )
    .await;
    assert_eq!(changed.status(), 204);
    let recovery =
        body_json(post_json(&test.app, "/api/v1/auth/password/recovery", None, json!({"login": login})).await).await;
    let recovery_code = last_code(&test.sms, &mobile);
    secrets.push(recovery_code.clone());
    let recovered_to = "восстановленный пароль администратора";
    secrets.push(recovered_to.to_owned());
    let recovered = post_json(
        &test.app,
        "/api/v1/auth/password/recovery/confirm",
        None,
        json!({"challenge_id": recovery["challenge_id"], "code": recovery_code, "new_password": recovered_to}),
    )
    .await;
    assert_eq!(recovered.status(), 204);

    let logs = captured.text();
    assert!(logs.matches("answered").count() >= 9, "every request was logged:\n{logs}");
    for secret in &secrets {
        assert!(secret.len() >= 6, "a meaningful secret");
        assert!(!logs.contains(secret.as_str()), "a secret reached the logs: {secret}");
    }
}
