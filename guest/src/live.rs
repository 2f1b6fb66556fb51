//! The topics the host numbered, and the updates gathered for them.
//!
//! The host gives each live topic an id with `create-topic` and names the
//! topics of due timers by it (`on-timers`), so a tick hands the component
//! a number, not a string: this table turns it back into the topic. An
//! update of a topic known by id is gathered rather than sent at once, and
//! the updates of an export call go to the host in one `topic-updates` call
//! when it returns ([`flush`], called by [`crate::dispatch`]), or sooner
//! when they grow past [`MAX_GATHERED`] updates or [`MAX_GATHERED_BYTES`].
//! An update sent by topic string (`topic-update`) first sends what was
//! gathered, so every topic's updates reach the host in the order they
//! were made.

use crate::host::Host;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Updates gathered before they are sent regardless.
pub const MAX_GATHERED: usize = 256;
/// Bytes of data gathered before they are sent regardless.
pub const MAX_GATHERED_BYTES: usize = 256 * 1024;

/// The live topics, by id and by name.
#[derive(Default)]
struct Live {
    by_id: HashMap<u32, Rc<str>, foldhash::fast::RandomState>,
    by_name: HashMap<Rc<str>, u32, foldhash::fast::RandomState>,
}

#[derive(Default)]
struct Gathered {
    updates: Vec<(u32, String)>,
    bytes: usize,
}

thread_local! {
    /// The live topics by id.
    static LIVE: RefCell<Live> = RefCell::new(Live::default());
    static GATHERED: RefCell<Gathered> = RefCell::new(Gathered::default());
}

/// `topic` is live as `id` (its `create-topic` succeeded).
pub(crate) fn insert(id: u32, topic: Rc<str>) {
    LIVE.with_borrow_mut(|live| {
        if let Some(old) = live.by_name.insert(topic.clone(), id) {
            live.by_id.remove(&old);
        }
        if let Some(old) = live.by_id.insert(id, topic) {
            live.by_name.remove(&old);
        }
    });
}

/// `topic` is no longer live (its `remove-topic`).
pub(crate) fn remove(topic: &str) {
    LIVE.with_borrow_mut(|live| {
        if let Some(id) = live.by_name.remove(topic) {
            live.by_id.remove(&id);
        }
    });
}

/// The topic live as `id`, if the host numbered it so.
pub fn topic_of(id: u32) -> Option<Rc<str>> {
    LIVE.with_borrow(|live| live.by_id.get(&id).cloned())
}

/// Gathers an update of the topic live as `id`, sending what was gathered
/// once it is past the bounds.
pub(crate) fn gather<H: Host>(id: u32, data: String) {
    let full = GATHERED.with_borrow_mut(|gathered| {
        gathered.bytes += data.len();
        gathered.updates.push((id, data));
        gathered.updates.len() >= MAX_GATHERED || gathered.bytes >= MAX_GATHERED_BYTES
    });
    if full {
        flush::<H>();
    }
}

/// Sends the gathered updates to the host, in one `topic-updates` call.
pub fn flush<H: Host>() {
    let updates = GATHERED.with_borrow_mut(|gathered| {
        gathered.bytes = 0;
        std::mem::take(&mut gathered.updates)
    });
    if !updates.is_empty() {
        H::topic_updates(&updates);
        // The buffer goes back, so the next export gathers without allocating it again.
        GATHERED.with_borrow_mut(|gathered| {
            if gathered.updates.is_empty() {
                let mut updates = updates;
                updates.clear();
                gathered.updates = updates;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Recorder, calls};

    #[test]
    fn gathered_updates_go_once_past_a_bound_and_on_flush() {
        for n in 0..MAX_GATHERED {
            gather::<Recorder>(1, n.to_string());
        }
        let sent = calls();
        assert_eq!(sent.len(), 1, "one call at the bound");
        assert!(sent[0].starts_with("topic-updates #1 0 #1 1 "), "in order: {}", &sent[0][..40]);
        gather::<Recorder>(2, "x".repeat(MAX_GATHERED_BYTES));
        assert_eq!(calls().len(), 1, "one update past the byte bound goes at once");
        gather::<Recorder>(2, "{}".into());
        flush::<Recorder>();
        flush::<Recorder>();
        assert_eq!(calls(), ["topic-updates #2 {}"], "nothing left to send the second time");
    }

    #[test]
    fn topics_are_known_by_id_while_live() {
        insert(4, "t:{}".into());
        assert_eq!(topic_of(4).as_deref(), Some("t:{}"));
        insert(5, "t:{}".into());
        assert_eq!((topic_of(4), topic_of(5).as_deref()), (None, Some("t:{}")), "created again: its new id");
        remove("t:{}");
        assert_eq!(topic_of(5), None);
    }
}
