//! Request validation errors, shaped like `google.rpc.BadRequest` field violations so the
//! gRPC layer can map them one to one.
//!
//! Descriptions say what is wrong with a field, never what the field contained: they end up
//! in responses and logs, and the field may be a card number.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FieldViolation {
    /// Path of the field in the public API, e.g. `payment_method.card.number`.
    pub field: String,
    /// What is wrong with it. Must never quote the submitted value.
    pub description: String,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }
}

impl fmt::Display for FieldViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.description)
    }
}

/// Every invalid field of a request at once, so a caller can fix them all in one go.
///
/// Also works as a collector: start with [`ValidationError::new`], record problems with
/// [`push`](Self::push) or [`capture`](Self::capture), and finish with
/// [`into_result`](Self::into_result).
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    pub violations: Vec<FieldViolation>,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid request")?;
        for (index, violation) in self.violations.iter().enumerate() {
            let separator = if index == 0 { ": " } else { "; " };
            write!(f, "{separator}{violation}")?;
        }
        Ok(())
    }
}

impl ValidationError {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// An error with exactly one violation.
    pub fn single(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            violations: vec![FieldViolation::new(field, description)],
        }
    }

    /// True when no violation has been recorded.
    pub fn is_empty(&self) -> bool {
        self.violations.is_empty()
    }

    pub fn len(&self) -> usize {
        self.violations.len()
    }

    /// Records a violation.
    pub fn push(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.violations
            .push(FieldViolation::new(field, description));
    }

    /// Records a violation when `ok` is false; returns `ok`.
    pub fn check(
        &mut self,
        ok: bool,
        field: impl Into<String>,
        description: impl Into<String>,
    ) -> bool {
        if !ok {
            self.push(field, description);
        }
        ok
    }

    /// Keeps the value of a successful check, or records its violation and gives `None`.
    pub fn capture<T>(&mut self, result: Result<T, FieldViolation>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(violation) => {
                self.violations.push(violation);
                None
            }
        }
    }

    /// Appends every violation of `other` (e.g. of a nested message).
    pub fn merge(&mut self, other: ValidationError) {
        self.violations.extend(other.violations);
    }

    /// Whether `field` has at least one violation.
    pub fn has_field(&self, field: &str) -> bool {
        self.violations.iter().any(|v| v.field == field)
    }

    /// `Ok(())` when nothing was recorded, otherwise the collected error.
    pub fn into_result(self) -> Result<(), ValidationError> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl From<FieldViolation> for ValidationError {
    fn from(violation: FieldViolation) -> Self {
        Self {
            violations: vec![violation],
        }
    }
}

impl Extend<FieldViolation> for ValidationError {
    fn extend<I: IntoIterator<Item = FieldViolation>>(&mut self, iter: I) {
        self.violations.extend(iter);
    }
}

impl FromIterator<FieldViolation> for ValidationError {
    fn from_iter<I: IntoIterator<Item = FieldViolation>>(iter: I) -> Self {
        Self {
            violations: iter.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_holds_one_violation() {
        let err = ValidationError::single("amount.currency", "unknown currency");
        assert_eq!(err.len(), 1);
        assert!(!err.is_empty());
        assert!(err.has_field("amount.currency"));
        assert_eq!(
            err.to_string(),
            "invalid request: amount.currency: unknown currency"
        );
    }

    #[test]
    fn display_lists_every_field() {
        let mut err = ValidationError::new();
        err.push("a", "is required");
        err.push("b.c", "is too long");
        assert_eq!(
            err.to_string(),
            "invalid request: a: is required; b.c: is too long"
        );
    }

    #[test]
    fn collector_empty_is_ok() {
        let mut err = ValidationError::new();
        assert!(err.check(true, "a", "never recorded"));
        assert_eq!(err.capture::<u8>(Ok(7)), Some(7));
        assert_eq!(err.into_result(), Ok(()));
    }

    #[test]
    fn collector_gathers_all_problems() {
        let mut err = ValidationError::new();
        assert!(!err.check(false, "a", "is required"));
        assert_eq!(
            err.capture::<u8>(Err(FieldViolation::new("b", "is invalid"))),
            None
        );
        err.merge(ValidationError::single("c", "is invalid"));
        err.extend([FieldViolation::new("d", "is invalid")]);
        let err = err.into_result().unwrap_err();
        let fields: Vec<_> = err.violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["a", "b", "c", "d"]);
    }

    #[test]
    fn from_iterator_and_from_violation() {
        let err: ValidationError = [FieldViolation::new("x", "bad")].into_iter().collect();
        assert_eq!(err, ValidationError::from(FieldViolation::new("x", "bad")));
    }
}
