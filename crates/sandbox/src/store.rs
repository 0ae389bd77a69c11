//! A bounded, insertion-ordered map: the only kind of state the sandbox keeps.
//!
//! Every simulator stores its transactions here so memory stays flat during long load
//! tests: once `capacity` entries exist, inserting a new key evicts the oldest one.
//! Callers wrap it in a `Mutex`; every operation is O(1) amortised, so the lock is
//! held for microseconds.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// A map that forgets its oldest entries beyond `capacity`.
#[derive(Debug)]
pub struct BoundedMap<K, V> {
    capacity: usize,
    entries: HashMap<K, V>,
    order: VecDeque<K>,
}

impl<K: Eq + Hash + Clone, V> BoundedMap<K, V> {
    /// A map holding at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Inserts or replaces; a new key may evict the oldest entry.
    pub fn insert(&mut self, key: K, value: V) {
        if self.entries.insert(key.clone(), value).is_none() {
            self.order.push_back(key);
            while self.entries.len() > self.capacity {
                match self.order.pop_front() {
                    Some(oldest) => {
                        self.entries.remove(&oldest);
                    }
                    None => break,
                }
            }
        }
        // Keys removed explicitly leave stale entries in `order`; compact now and then.
        if self.order.len() > self.capacity.saturating_mul(2) {
            let entries = &self.entries;
            self.order.retain(|k| entries.contains_key(k));
        }
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.entries.get(key)
    }

    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.entries.get_mut(key)
    }

    pub fn remove(&mut self, key: &K) -> Option<V> {
        self.entries.remove(key)
    }

    pub fn contains_key(&self, key: &K) -> bool {
        self.entries.contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry, in no particular order. O(n): for rare scans (e.g. a provider's
    /// search API), not for per-request lookups.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_oldest_beyond_capacity() {
        let mut m = BoundedMap::new(2);
        m.insert(1, "a");
        m.insert(2, "b");
        m.insert(3, "c");
        assert_eq!(m.len(), 2);
        assert!(m.get(&1).is_none());
        assert_eq!(m.get(&3), Some(&"c"));
    }

    #[test]
    fn replacing_a_key_does_not_evict() {
        let mut m = BoundedMap::new(2);
        m.insert(1, "a");
        m.insert(2, "b");
        m.insert(1, "z");
        assert_eq!(m.len(), 2);
        assert_eq!(m.get(&1), Some(&"z"));
        assert_eq!(m.get(&2), Some(&"b"));
    }

    #[test]
    fn removed_keys_do_not_grow_the_order_queue() {
        let mut m = BoundedMap::new(4);
        for i in 0..1000 {
            m.insert(i, i);
            m.remove(&i);
        }
        assert!(m.order.len() <= 8);
        assert!(m.is_empty());
    }
}
