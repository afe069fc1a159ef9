//! The sinks at their boundary: what lands in the file, what lands in memory, what lands in logs.

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::{Arc, Mutex};

use tiyn_notify::{Channel, FileSink, MemorySink, Message, Notifier};

/// How many senders race in the concurrency test (the brief's number).
const CONCURRENT_SENDERS: usize = 200;
/// Long enough that one line needs more than one pipe/page-sized write if anything split it.
const TEXT_PADDING_BYTES: usize = 8 * 1024;

fn at(text: &str) -> jiff::Timestamp {
    text.parse().expect("an RFC 3339 instant")
}

fn read_lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    let content = std::fs::read_to_string(path).expect("the sink wrote its file");
    assert!(content.ends_with('\n'), "the file ends with a whole line");
    content.lines().map(|line| serde_json::from_str(line).expect("every line is one JSON object")).collect()
}

#[tokio::test]
async fn file_sink_creates_directories_and_appends_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo").join("out").join("sms.jsonl");
    let sink = FileSink::new(&path);
    assert_eq!(sink.path(), path);
    assert!(!path.exists(), "nothing is touched before the first message");

    sink.send(&Message::new(Channel::Sms, "+77011234567", "Код: 493817"), at("2025-03-01T10:00:00Z")).await.unwrap();
    sink.send(&Message::new(Channel::Email, "anna@example.kz", "two\nlines"), at("2025-03-01T10:00:01.5Z"))
        .await
        .unwrap();

    let lines = read_lines(&path);
    assert_eq!(
        lines,
        [
            serde_json::json!({"channel": "sms", "to": "+77011234567", "text": "Код: 493817", "created_at": "2025-03-01T10:00:00Z"}),
            serde_json::json!({"channel": "email", "to": "anna@example.kz", "text": "two\nlines", "created_at": "2025-03-01T10:00:01.5Z"}),
        ]
    );

    // A second sink on the same file (a restarted server) appends, never truncates.
    let again = FileSink::new(&path);
    again.send(&Message::new(Channel::Push, "device-42", "hello"), at("2025-03-01T10:00:02Z")).await.unwrap();
    let lines = read_lines(&path);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["channel"], "push");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn file_sink_never_interleaves_concurrent_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sms.jsonl");
    let sink = Arc::new(FileSink::new(&path));
    let padding = "x".repeat(TEXT_PADDING_BYTES);

    let mut tasks = Vec::with_capacity(CONCURRENT_SENDERS);
    for sender in 0..CONCURRENT_SENDERS {
        let sink = Arc::clone(&sink);
        let text = format!("code {sender:06} {padding}");
        tasks.push(tokio::spawn(async move {
            let message = Message::new(Channel::Sms, format!("+7701{sender:07}"), text);
            sink.send(&message, at("2025-03-01T10:00:00Z")).await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }

    let lines = read_lines(&path);
    assert_eq!(lines.len(), CONCURRENT_SENDERS);
    let mut seen = BTreeSet::new();
    for line in &lines {
        let to = line["to"].as_str().unwrap();
        let sender: usize = to.trim_start_matches("+7701").parse().unwrap();
        assert_eq!(line["text"].as_str().unwrap(), format!("code {sender:06} {padding}"));
        assert_eq!(line["channel"], "sms");
        assert!(seen.insert(sender), "sender {sender} written twice");
    }
    assert_eq!(seen.len(), CONCURRENT_SENDERS);
}

#[tokio::test]
async fn file_sink_reports_an_unwritable_path_without_the_text() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-directory");
    std::fs::write(&blocker, b"").unwrap();
    let sink = FileSink::new(blocker.join("sms.jsonl"));
    let error = sink
        .send(&Message::new(Channel::Sms, "+77011234567", "code 493817"), at("2025-03-01T10:00:00Z"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "notify_file");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("493817"), "{shown}");
}

#[tokio::test]
async fn memory_sink_keeps_messages_in_order() {
    let sink: Arc<dyn Notifier> = Arc::new(MemorySink::new());
    let memory = MemorySink::new();
    for (index, to) in ["+77011234567", "+77021234567", "+77011234567"].into_iter().enumerate() {
        let message = Message::new(Channel::Sms, to, format!("code {index}"));
        memory.send(&message, at("2025-03-01T10:00:00Z")).await.unwrap();
        sink.send(&message, at("2025-03-01T10:00:00Z")).await.unwrap();
    }
    let messages = memory.messages();
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[1], Message::new(Channel::Sms, "+77021234567", "code 1"));
    assert_eq!(memory.last_text_to("+77011234567").as_deref(), Some("code 2"));
    assert_eq!(memory.last_text_to("+77031234567"), None);
    assert_eq!(memory.sent()[0].1, at("2025-03-01T10:00:00Z"));
}

/// A `Write` into a shared buffer, for capturing what tracing prints.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("no writer panicked").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// sending logs the channel and a masked recipient, never the text or the full recipient.
#[test]
fn r_5_8_sinks_log_no_codes_and_no_full_recipients() {
    let dir = tempfile::tempdir().unwrap();
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    tracing::subscriber::with_default(subscriber, || {
        runtime.block_on(async {
            let message = Message::new(Channel::Sms, "+77011234567", "Tiyn code 493817");
            FileSink::new(dir.path().join("sms.jsonl")).send(&message, at("2025-03-01T10:00:00Z")).await.unwrap();
            MemorySink::new().send(&message, at("2025-03-01T10:00:00Z")).await.unwrap();
        });
    });
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("notification written to file sink"), "{logs}");
    assert!(logs.contains("notification kept in memory"), "{logs}");
    assert!(logs.contains("sms"), "{logs}");
    assert!(logs.contains("•••4567"), "{logs}");
    assert!(!logs.contains("493817"), "{logs}");
    assert!(!logs.contains("+77011234567"), "{logs}");
}
