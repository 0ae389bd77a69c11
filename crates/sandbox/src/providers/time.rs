//! Timestamps in the formats providers print.

use time::OffsetDateTime;

/// `2021-12-08T08:47:52Z`, the `submitTimeUtc` format.
pub fn utc_now_iso() -> String {
    iso(OffsetDateTime::now_utc())
}

pub fn iso(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
