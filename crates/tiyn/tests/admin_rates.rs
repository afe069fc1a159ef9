//! `tiyn admin rates` against the real binary: the National Bank's stored sample imported
//! from a file and from an http URL (a local server: the machines here have no internet), again
//! without change, and dealing rates set with their errors named. SQLite in a temporary directory,
//! or a fresh PostgreSQL database with `TIYN_TEST_BACKEND=postgres`.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tiyn-fx/tests/data/nbk_get_rates_example.xml");
const NO_DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tiyn-fx/tests/data/nbk_get_rates_no_data_example.xml");

/// The settings every run shares: its own data directory, and PostgreSQL when asked.
fn settings(dir: &Path) -> Vec<String> {
    let mut args = vec!["--data-dir".to_owned(), dir.display().to_string()];
    if std::env::var("TIYN_TEST_BACKEND").as_deref() == Ok("postgres") {
        let url = tiyn_store_postgres::cluster::fresh_test_database().expect("a PostgreSQL test database");
        args.extend(["--database".to_owned(), url]);
    }
    args
}

fn tiyn(args: &[&str], settings: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tiyn"))
        .args(args)
        .args(settings)
        .env("RUST_LOG", "warn")
        .output()
        .expect("tiyn runs")
}

fn text(output: &Output) -> (bool, String, String) {
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).trim().to_owned(),
        String::from_utf8_lossy(&output.stderr).trim().to_owned(),
    )
}

/// Serves `body` once over HTTP on a free loopback port; answers its URL.
fn serve_once(body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let mut request = [0_u8; 4096];
            let _ = stream.read(&mut request);
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    format!("http://{address}/rss/get_rates.cfm?fdate=31.07.2026")
}

/// the sample day is imported from a file (every code added), then from a URL serving the
/// same file (nothing changes); a day without rates and a missing file fail with a reason.
#[test]
fn r_13_2_import_nbk_from_a_file_and_a_url() {
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = settings(dir.path());
    let (ok, out, err) = text(&tiyn(&["admin", "rates", "import-nbk", SAMPLE], &settings));
    assert!(ok, "{err}");
    assert_eq!(out, "NBK official rates of 2026-07-31: 4 added (USD, EUR, JPY, UZS), 0 replaced, 0 unchanged");

    let url = serve_once(include_str!("../../tiyn-fx/tests/data/nbk_get_rates_example.xml"));
    let (ok, out, err) = text(&tiyn(&["admin", "rates", "import-nbk", &url], &settings));
    assert!(ok, "{err}");
    assert_eq!(out, "NBK official rates of 2026-07-31: 0 added, 0 replaced, 4 unchanged");

    let (ok, _, err) = text(&tiyn(&["admin", "rates", "import-nbk", NO_DATA], &settings));
    assert!(!ok);
    assert!(err.contains("published no rates for this date (nbk_no_data)"), "{err}");
    let missing: PathBuf = dir.path().join("missing.xml");
    let (ok, _, err) = text(&tiyn(&["admin", "rates", "import-nbk", &missing.display().to_string()], &settings));
    assert!(!ok);
    assert!(err.starts_with("tiyn: cannot read"), "{err}");
}

/// the console sets a dealing rate from now on; a refused rate names each field.
#[test]
fn r_13_2_set_a_rate_from_the_console() {
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = settings(dir.path());
    let (ok, out, err) =
        text(&tiyn(&["admin", "rates", "set", "USD", "KZT", "--buy", "470.00", "--sell", "480.00"], &settings));
    assert!(ok, "{err}");
    assert!(out.starts_with("rate 1 set: USD/KZT buy 470.00 sell 480.00 from "), "{out}");

    let (ok, _, err) = text(&tiyn(&["admin", "rates", "set", "USD", "USD", "--buy", "481", "--sell", "x"], &settings));
    assert!(!ok);
    assert!(err.contains("quote: a pair is two different currencies (invalid_pair)"), "{err}");
    assert!(err.contains("sell: a rate is a decimal number such as 474.20 (invalid_rate)"), "{err}");
}
