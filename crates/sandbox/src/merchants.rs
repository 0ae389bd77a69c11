//! One simulator's tables per merchant, as a provider keeps them: what one merchant's
//! credentials made is not found with another's. The merchant a request is served for is
//! the one whose credentials it verified with (set by each simulator's authentication
//! layer with [`as_merchant`]); a payer's browser, which carries no credentials, is served
//! for the merchant whose request opened its page ([`with_merchant`]).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

tokio::task_local! {
    /// The merchant whose credentials the request being served carries.
    static MERCHANT: String;
}

/// Every merchant's tables of one simulator.
#[derive(Debug)]
pub struct Merchants<S> {
    stores: Mutex<HashMap<String, Arc<S>>>,
    capacity: usize,
    make: fn(usize) -> S,
    /// The sample merchant: whose tables a call outside a verified request uses.
    default_merchant: String,
}

impl<S> Merchants<S> {
    /// `make` builds one merchant's tables, each bounded to `capacity` entries.
    pub fn new(capacity: usize, default_merchant: &str, make: fn(usize) -> S) -> Self {
        Self {
            stores: Mutex::new(HashMap::new()),
            capacity,
            make,
            default_merchant: default_merchant.to_owned(),
        }
    }

    /// The merchant the current request is served for.
    pub fn current_id(&self) -> String {
        current_merchant().unwrap_or_else(|| self.default_merchant.clone())
    }

    /// The tables of the merchant the current request is served for.
    pub fn current(&self) -> Arc<S> {
        self.of(&self.current_id())
    }

    /// One merchant's tables (empty ones for a merchant not seen yet).
    pub fn of(&self, merchant: &str) -> Arc<S> {
        let mut stores = self.stores.lock().unwrap_or_else(|p| p.into_inner());
        stores
            .entry(merchant.to_owned())
            .or_insert_with(|| Arc::new((self.make)(self.capacity)))
            .clone()
    }

    /// The first merchant whose tables `find` finds something in, with what it found: for
    /// a payer's browser, which names a transaction but no merchant.
    pub fn find<T>(&self, find: impl Fn(&S) -> Option<T>) -> Option<(String, T)> {
        let stores: Vec<(String, Arc<S>)> = {
            let stores = self.stores.lock().unwrap_or_else(|p| p.into_inner());
            stores
                .iter()
                .map(|(id, s)| (id.clone(), s.clone()))
                .collect()
        };
        stores
            .into_iter()
            .find_map(|(id, store)| find(&store).map(|found| (id, found)))
    }
}

/// Serves `work` for `merchant` (the verified owner of the request's credentials).
pub async fn as_merchant<F: Future>(merchant: String, work: F) -> F::Output {
    MERCHANT.scope(merchant, work).await
}

/// Runs `work` for `merchant` when there is one (a payer's page opened by its request).
pub fn with_merchant<R>(merchant: Option<String>, work: impl FnOnce() -> R) -> R {
    match merchant {
        Some(merchant) => MERCHANT.sync_scope(merchant, work),
        None => work(),
    }
}

/// The merchant the current request is served for, when it carried credentials.
pub fn current_merchant() -> Option<String> {
    MERCHANT.try_with(Clone::clone).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[tokio::test]
    async fn each_merchant_has_its_own_tables() {
        let merchants: Merchants<Mutex<Vec<u32>>> =
            Merchants::new(4, "sample", |_| Mutex::new(Vec::new()));
        as_merchant("a".into(), async {
            merchants.current().lock().unwrap().push(1);
        })
        .await;
        merchants.current().lock().unwrap().push(2);
        assert_eq!(*merchants.of("a").lock().unwrap(), vec![1]);
        assert_eq!(*merchants.of("sample").lock().unwrap(), vec![2]);
        let found = merchants.find(|s| s.lock().unwrap().contains(&1).then_some(()));
        assert_eq!(found.map(|(id, _)| id).as_deref(), Some("a"));
        let inside = with_merchant(Some("b".into()), current_merchant);
        assert_eq!(inside.as_deref(), Some("b"));
        assert_eq!(with_merchant(None, current_merchant), None);
    }
}
