//! `payorch demo` walks a whole flow against its own embedded sandbox, for every connector.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

#[test]
fn the_demo_completes_a_flow_on_every_connector() {
    for connector in ["cybersource", "fiserv-ipg", "mpgs", "juspay"] {
        let output = Command::new(env!("CARGO_BIN_EXE_payorch"))
            .args(["demo", "--connector", connector])
            .env_remove("REDIS_URL")
            .output()
            .expect("run payorch demo");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{connector}: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            stdout.contains("AUTHENTICATION_STATUS_SUCCEEDED"),
            "{connector}: {stdout}"
        );
        assert!(
            stdout.contains("PAYMENT_STATUS_CAPTURED"),
            "{connector}: {stdout}"
        );
        assert!(
            !stdout.contains("5085000000000015"),
            "{connector}: the card number was printed"
        );
    }
}

#[test]
fn the_mandate_demo_registers_notifies_and_debits() {
    let output = Command::new(env!("CARGO_BIN_EXE_payorch"))
        .args(["demo", "--mandate"])
        .env_remove("REDIS_URL")
        .output()
        .expect("run payorch demo --mandate");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for step in [
        "MANDATE_STATUS_PENDING_AUTHENTICATION",
        "MANDATE_STATUS_ACTIVE",
        "MANDATE_DEBIT_NOTIFICATION_STATUS_NOTIFIED",
        "PAYMENT_STATUS_CAPTURED",
        "1 debit made, 11 left",
    ] {
        assert!(stdout.contains(step), "missing {step}: {stdout}");
    }
    assert!(
        !stdout.contains("6531000000000021"),
        "the card number was printed"
    );
}
