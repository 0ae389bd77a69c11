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
