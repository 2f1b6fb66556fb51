//! How the broker's state is stored, so a restart, a reload or a crash
//! loses nothing acknowledged: every change is written (one transaction per
//! change) before it is answered or streamed.
//!
//! Layout, one bucket per account so that loading or changing an account
//! never touches another's data:
//!
//! | bucket | key | value |
//! |---|---|---|
//! | `broker` | `next-order-id` | the bound below which order ids are reserved |
//! | `account:{id}` | `summary` | balance, P/L, positions, working orders, leverage ([`Summary`]) |
//! | `account:{id}` | `order:{id:020}` | one order, as streamed |
//! | `account:{id}` | `execution:{n:020}` | the account's `n`-th execution |
//! | `broker` | `format` | the layout's version (`1`), for migrations |
//!
//! Order ids are reserved in blocks of [`ID_BLOCK`] with one atomic
//! increment, ahead of use; a restart continues after the last reserved
//! block, so ids are never reused (a crash leaves a gap).

use crate::models::{Execution, Order};
use crate::trading::{Account, Event, MAX_EXECUTIONS, OrderIds, Summary};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Order ids reserved at once.
pub const ID_BLOCK: u64 = 100;
/// The bucket of what is not an account's.
const BROKER: &str = "broker";
const NEXT_ORDER_ID: &str = "next-order-id";
const FORMAT: &str = "format";
const SUMMARY: &str = "summary";

/// Why the store could not serve a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "storage: {}", self.0)
    }
}

/// The key-value store the broker keeps its state in (`wasi:keyvalue` in
/// the component; in memory in unit tests).
pub trait Store {
    /// The value of `key` in `bucket`.
    fn get(&mut self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// The values of `keys` in `bucket`, in order.
    fn get_many(&mut self, bucket: &str, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError>;
    /// Writes every entry of `bucket` durably, in one transaction.
    fn set_many(&mut self, bucket: &str, entries: Vec<(String, Vec<u8>)>) -> Result<(), StoreError>;
    /// Every key of `bucket`.
    fn keys(&mut self, bucket: &str) -> Result<Vec<String>, StoreError>;
    /// Deletes `keys` from `bucket` durably.
    fn delete_many(&mut self, bucket: &str, keys: &[String]) -> Result<(), StoreError>;
    /// Adds `delta` to the integer at `key` (0 when absent) durably; returns the new value.
    fn increment(&mut self, bucket: &str, key: &str, delta: u64) -> Result<u64, StoreError>;
}

/// The order ids after the last reserved block, and records the layout's version.
pub fn open(store: &mut dyn Store) -> Result<OrderIds, StoreError> {
    if store.get(BROKER, FORMAT)?.is_none() {
        store.set_many(BROKER, vec![(FORMAT.to_owned(), b"1".to_vec())])?;
    }
    let next = match store.get(BROKER, NEXT_ORDER_ID)? {
        Some(bytes) => parse::<u64>(&bytes, NEXT_ORDER_ID)?,
        None => 1,
    };
    Ok(OrderIds::starting_at(next))
}

/// Reserves ids durably so that every id taken from `ids` is covered.
pub fn reserve_ids(store: &mut dyn Store, ids: &mut OrderIds) -> Result<(), StoreError> {
    let Some(bound) = ids.unreserved() else { return Ok(()) };
    let stored = match store.get(BROKER, NEXT_ORDER_ID)? {
        Some(bytes) => parse::<u64>(&bytes, NEXT_ORDER_ID)?,
        None => 1,
    };
    // Reserve a whole block past what is needed, in one increment from what is stored.
    let target = bound.max(stored) + ID_BLOCK;
    let reserved = store.increment(BROKER, NEXT_ORDER_ID, target - stored)?;
    ids.reserved_to(reserved.min(target));
    Ok(())
}

/// Account `id` as stored (a fresh account when nothing is).
pub fn load(store: &mut dyn Store, id: &str) -> Result<Account, StoreError> {
    let bucket = bucket_of(id);
    let Some(summary) = store.get(&bucket, SUMMARY)? else { return Ok(Account::default()) };
    let summary: Summary = parse(&summary, SUMMARY)?;
    let order_keys: Vec<String> = store.keys(&bucket)?.into_iter().filter(|key| key.starts_with("order:")).collect();
    let orders = store
        .get_many(&bucket, &order_keys)?
        .into_iter()
        .flatten()
        .map(|bytes| parse::<Order>(&bytes, "order"))
        .collect::<Result<Vec<_>, _>>()?;
    let made = summary.executions_made();
    let first = made.saturating_sub(MAX_EXECUTIONS as u64) + 1;
    let execution_keys: Vec<String> = (first..=made).map(execution_key).collect();
    let executions = store
        .get_many(&bucket, &execution_keys)?
        .into_iter()
        .flatten()
        .map(|bytes| parse::<Execution>(&bytes, "execution"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Account::restore(summary, orders, executions))
}

/// Writes what `events` changed in account `id`, and its summary, in one transaction.
pub fn save(store: &mut dyn Store, id: &str, account: &Account, events: &[Event]) -> Result<(), StoreError> {
    let mut entries = vec![(SUMMARY.to_owned(), json(&account.summary()))];
    for event in events {
        if let Event::Order(order) = event {
            entries.push((order_key(&order.id), json(order)));
        }
    }
    let executions = events.iter().filter(|event| matches!(event, Event::Execution(_))).count();
    for (n, execution) in account.latest_executions(executions) {
        entries.push((execution_key(n), json(&execution)));
    }
    store.set_many(&bucket_of(id), entries)
}

/// Forgets account `id` (`POST /debug/reset`).
pub fn erase(store: &mut dyn Store, id: &str) -> Result<(), StoreError> {
    let bucket = bucket_of(id);
    let keys = store.keys(&bucket)?;
    store.delete_many(&bucket, &keys)
}

fn bucket_of(account: &str) -> String {
    format!("account:{account}")
}

fn order_key(id: &str) -> String {
    format!("order:{:0>20}", id)
}

fn execution_key(n: u64) -> String {
    format!("execution:{n:020}")
}

fn json<T: Serialize>(value: &T) -> Vec<u8> {
    // The broker's models serialise to JSON without fail (no maps with non-string keys).
    serde_json::to_vec(value).unwrap_or_default()
}

fn parse<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|error| StoreError(format!("stored {what} is unreadable: {error}")))
}

/// A store in memory, for tests.
#[derive(Debug, Default)]
pub struct MemoryStore {
    buckets: std::collections::BTreeMap<String, std::collections::BTreeMap<String, Vec<u8>>>,
    /// When set, every write fails with this message.
    pub failing: Option<String>,
}

impl MemoryStore {
    fn writable(&self) -> Result<(), StoreError> {
        self.failing.clone().map_or(Ok(()), |message| Err(StoreError(message)))
    }
}

impl Store for MemoryStore {
    fn get(&mut self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.buckets.get(bucket).and_then(|entries| entries.get(key)).cloned())
    }

    fn get_many(&mut self, bucket: &str, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        keys.iter().map(|key| self.get(bucket, key)).collect()
    }

    fn set_many(&mut self, bucket: &str, entries: Vec<(String, Vec<u8>)>) -> Result<(), StoreError> {
        self.writable()?;
        self.buckets.entry(bucket.to_owned()).or_default().extend(entries);
        Ok(())
    }

    fn keys(&mut self, bucket: &str) -> Result<Vec<String>, StoreError> {
        Ok(self.buckets.get(bucket).map(|entries| entries.keys().cloned().collect()).unwrap_or_default())
    }

    fn delete_many(&mut self, bucket: &str, keys: &[String]) -> Result<(), StoreError> {
        self.writable()?;
        if let Some(entries) = self.buckets.get_mut(bucket) {
            for key in keys {
                entries.remove(key);
            }
        }
        Ok(())
    }

    fn increment(&mut self, bucket: &str, key: &str, delta: u64) -> Result<u64, StoreError> {
        self.writable()?;
        let current = self.get(bucket, key)?.map(|bytes| parse::<u64>(&bytes, key)).transpose()?.unwrap_or(0);
        let next = current + delta;
        self.buckets.entry(bucket.to_owned()).or_default().insert(key.to_owned(), next.to_string().into_bytes());
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::Side;
    use crate::trading::market_order;

    fn priced(_: &str) -> Option<f64> {
        Some(100.0)
    }

    #[test]
    fn an_account_comes_back_as_it_was_stored() {
        let mut store = MemoryStore::default();
        let mut ids = open(&mut store).unwrap();
        let mut account = Account::default();
        let limit = crate::models::PreOrder {
            order_type: crate::models::OrderType::Limit,
            limit_price: Some(90.0),
            qty: 1.0,
            ..market_order("AAPL", Side::Buy)
        };
        let (_, events) = account.place(ids.take(), limit, priced, 1).unwrap();
        let (_, placed) = account
            .place(ids.take(), crate::models::PreOrder { qty: 2.0, ..market_order("AAPL", Side::Buy) }, priced, 1)
            .unwrap();
        let mut all = events;
        all.extend(placed);
        all.extend(account.tick(priced, &mut ids, 2));
        reserve_ids(&mut store, &mut ids).unwrap();
        save(&mut store, "A", &account, &all).unwrap();

        let mut restored = load(&mut store, "A").unwrap();
        assert_eq!(restored.orders(), account.orders());
        assert_eq!(restored.positions(), account.positions());
        assert_eq!(restored.executions("AAPL"), account.executions("AAPL"));
        assert_eq!(restored.equity(priced), account.equity(priced));
        // The working limit order keeps working after the restore.
        assert_eq!(restored.tick(|_| Some(89.0), &mut ids, 3).len(), 4);
        assert_eq!(load(&mut store, "B").unwrap().orders(), Vec::new(), "accounts are apart");
    }

    #[test]
    fn order_ids_continue_after_the_reserved_block() {
        let mut store = MemoryStore::default();
        let mut ids = open(&mut store).unwrap();
        assert_eq!(ids.take(), 1);
        reserve_ids(&mut store, &mut ids).unwrap();
        assert_eq!(ids.unreserved(), None);
        let mut after_restart = open(&mut store).unwrap();
        let next = after_restart.take();
        assert!(next > 1, "an id is never reused: {next}");
        for _ in 0..(ID_BLOCK * 2) {
            ids.take();
        }
        reserve_ids(&mut store, &mut ids).unwrap();
        assert_eq!(ids.unreserved(), None);
    }

    #[test]
    fn a_failing_store_is_an_error() {
        let mut store = MemoryStore { failing: Some("disk full".into()), ..MemoryStore::default() };
        assert_eq!(open(&mut store).unwrap_err(), StoreError("disk full".into()));
    }
}
