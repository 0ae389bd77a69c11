//! The `payorch-sandbox` binary reads its settings under payorch's spelling
//! (`PAYORCH_SANDBOX__LISTEN`, ...), and the single-underscore names of earlier versions as
//! deprecated aliases that still work but warn.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Sandbox {
    child: Child,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn spawn(env: &[(&str, String)]) -> Sandbox {
    let mut command = Command::new(env!("CARGO_BIN_EXE_payorch-sandbox"));
    for name in [
        "PAYORCH_SANDBOX__LISTEN",
        "PAYORCH_SANDBOX_LISTEN",
        "PAYORCH_SANDBOX__FIXED_OTP",
        "PAYORCH_SANDBOX_FIXED_OTP",
        "PAYORCH_SANDBOX__PUBLIC_URL",
        "PAYORCH_SANDBOX_PUBLIC_URL",
        "PAYORCH_SANDBOX__FAULT",
        "PAYORCH_SANDBOX_FAULT",
    ] {
        command.env_remove(name);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let lines = stderr.clone();
    let pipe = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            lines.lock().unwrap().push(line);
        }
    });
    Sandbox { child, stderr }
}

/// Polls until the sandbox prints that it listens on `addr`.
fn wait_listening(sandbox: &mut Sandbox, addr: SocketAddr) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let expected = format!("listening on http://{addr}");
    loop {
        let lines = sandbox.stderr.lock().unwrap().clone();
        if lines.iter().any(|l| l.contains(&expected)) {
            return lines;
        }
        if let Ok(Some(status)) = sandbox.child.try_wait() {
            panic!("payorch-sandbox exited with {status}: {lines:?}");
        }
        assert!(
            Instant::now() < deadline,
            "not listening on {addr}: {lines:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The listener on `addr` is the sandbox: its health hook answers.
async fn assert_sandbox_answers(addr: SocketAddr) {
    let health = reqwest::get(format!("http://{addr}/_sandbox/health"))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn the_sandbox_binary_reads_payorchs_spelling() {
    let addr = free_addr();
    let mut sandbox = spawn(&[
        ("PAYORCH_SANDBOX__LISTEN", addr.to_string()),
        ("PAYORCH_SANDBOX__FIXED_OTP", "123456".into()),
    ]);
    let lines = wait_listening(&mut sandbox, addr);
    assert_sandbox_answers(addr).await;
    assert!(
        !lines.iter().any(|l| l.contains("deprecated")),
        "the current names must not warn: {lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("FIXED OTP 123456")),
        "the fixed OTP must be loud: {lines:?}"
    );
}

#[tokio::test]
async fn the_old_single_underscore_names_still_work_with_a_warning() {
    let addr = free_addr();
    let mut sandbox = spawn(&[
        ("PAYORCH_SANDBOX_LISTEN", addr.to_string()),
        ("PAYORCH_SANDBOX_FIXED_OTP", "654321".into()),
    ]);
    let lines = wait_listening(&mut sandbox, addr);
    assert_sandbox_answers(addr).await;
    for (old, new) in [
        ("PAYORCH_SANDBOX_LISTEN", "PAYORCH_SANDBOX__LISTEN"),
        ("PAYORCH_SANDBOX_FIXED_OTP", "PAYORCH_SANDBOX__FIXED_OTP"),
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.contains(&format!("{old} is deprecated")) && l.contains(new)),
            "no deprecation warning for {old}: {lines:?}"
        );
    }
    assert!(
        lines.iter().any(|l| l.contains("FIXED OTP 654321")),
        "{lines:?}"
    );
}

#[test]
fn the_new_name_wins_over_the_old_one() {
    let (new, old) = (free_addr(), free_addr());
    let mut sandbox = spawn(&[
        ("PAYORCH_SANDBOX__LISTEN", new.to_string()),
        ("PAYORCH_SANDBOX_LISTEN", old.to_string()),
    ]);
    let lines = wait_listening(&mut sandbox, new);
    assert!(!lines.iter().any(|l| l.contains("deprecated")), "{lines:?}");
}
