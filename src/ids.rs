//! payorch's resource ids: a kind prefix and 32 lowercase hex digits (a random UUID).
//! Minted by the flows, checked by the gRPC and HTTP edges before any lookup.

pub const AUTHENTICATION_ID_PREFIX: &str = "auth_";
pub const PAYMENT_ID_PREFIX: &str = "pay_";
pub const MANDATE_ID_PREFIX: &str = "mdt_";
pub const NOTICE_ID_PREFIX: &str = "mdn_";

/// Whether `id` is a well-formed id of the kind `prefix` names.
pub fn is_resource_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|hex| {
        hex.len() == 32
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// A fresh resource id with the given prefix.
pub fn new_resource_id(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_ids_are_well_formed_and_others_are_not() {
        let id = new_resource_id(AUTHENTICATION_ID_PREFIX);
        assert!(is_resource_id(&id, AUTHENTICATION_ID_PREFIX));
        assert!(!is_resource_id(&id, PAYMENT_ID_PREFIX));
        assert!(!is_resource_id("auth_0123", AUTHENTICATION_ID_PREFIX));
        assert!(!is_resource_id(
            "auth_0123456789ABCDEF0123456789abcdef",
            AUTHENTICATION_ID_PREFIX
        ));
    }
}
