//! One instance of a component: its [`Store`] and bindings, and calls into it
//! under a deadline.
//!
//! A [`Blueprint`] (the pre-linked component plus the module's environment and
//! limits) makes instances cheaply, so a trapped instance is replaced rather
//! than re-entered, and a new version is instantiated beside the old one.

use crate::bindings::topicwire::ws::types::{Error as GuestError, Route};
use crate::bindings::{WsRouteService, WsRouteServicePre};
use crate::config::Limits;
use crate::guest_state::GuestState;
use crate::topics::TopicTable;
use anyhow::{Context, Result};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::Component;
use wasmtime::{Store, UpdateDeadline};

/// What it takes to instantiate a module's component.
#[derive(Clone)]
pub struct Blueprint {
    module: Arc<str>,
    pre: WsRouteServicePre<GuestState>,
    env: Arc<[(String, String)]>,
    limits: Arc<Limits>,
}

impl Blueprint {
    /// Links `component` for `module`. Fails if it does not implement the
    /// `ws-route-service` world (missing exports, unknown imports).
    pub fn new(
        runtime: &crate::engine::Runtime,
        module: Arc<str>,
        component: &Component,
        env: Arc<[(String, String)]>,
        limits: Arc<Limits>,
    ) -> Result<Self> {
        let pre = runtime
            .linker
            .instantiate_pre(component)
            .map_err(anyhow::Error::from)
            .context("the component's imports are not those of the ws-route-service world")?;
        let pre = WsRouteServicePre::new(pre)
            .map_err(anyhow::Error::from)
            .context("the component does not export the ws-route-service world")?;
        Ok(Self { module, pre, env, limits })
    }

    /// A fresh instance holding `topics`. Its start code runs under the call deadline.
    pub async fn instantiate(&self, topics: TopicTable) -> Result<Instance> {
        let state = GuestState::new(self.module.clone(), &self.env, self.limits.clone(), topics);
        let mut store = Store::new(self.pre.engine(), state);
        store.limiter(|state| &mut state.store_limits);
        let deadline = Duration::from_millis(self.limits.call_deadline_ms);
        // At every epoch tick during a call: yield to the executor, or trap once
        // the call has run past its deadline (a guest spinning forever).
        store.epoch_deadline_callback(move |store| {
            if store.data().call_started.elapsed() >= deadline {
                Ok(UpdateDeadline::Interrupt)
            } else {
                Ok(UpdateDeadline::Yield(1))
            }
        });
        let mut instance = Instance { store, bindings: None };
        instance.arm();
        let bindings = self
            .pre
            .instantiate_async(&mut instance.store)
            .await
            .map_err(anyhow::Error::from)
            .context("the component failed to start")?;
        instance.bindings = Some(bindings);
        Ok(instance)
    }
}

/// A live instance. After a call returns `Err` (a trap) it must be dropped.
pub struct Instance {
    store: Store<GuestState>,
    bindings: Option<WsRouteService>,
}

impl Instance {
    /// The store's data: topics, timers, counters.
    pub fn state(&mut self) -> &mut GuestState {
        self.store.data_mut()
    }

    /// When the instance's next timer is due.
    pub fn next_timer(&self) -> Option<tokio::time::Instant> {
        self.store.data().timers.next_due()
    }

    /// Gives up the instance, keeping its topics for the next one.
    pub fn into_topics(mut self) -> TopicTable {
        std::mem::take(&mut self.store.data_mut().topics)
    }

    /// Starts the deadline of the next call.
    fn arm(&mut self) {
        self.store.data_mut().call_started = std::time::Instant::now();
        self.store.set_epoch_deadline(1);
    }

    fn parts(&mut self) -> Result<(&WsRouteService, &mut Store<GuestState>)> {
        self.arm();
        let bindings = self.bindings.as_ref().context("the instance has not started")?;
        Ok((bindings, &mut self.store))
    }

    /// The `routes` export.
    pub async fn routes(&mut self) -> Result<Vec<Route>> {
        let (bindings, store) = self.parts()?;
        Ok(bindings.call_routes(store).await?)
    }

    /// The `build-topic` export.
    pub async fn build_topic(&mut self, route: &str, request: &str) -> Result<Result<String, GuestError>> {
        let (bindings, store) = self.parts()?;
        Ok(bindings.call_build_topic(store, route, request).await?)
    }

    /// The `create-topic` export.
    pub async fn create_topic(&mut self, topic: &str) -> Result<Result<(), GuestError>> {
        let (bindings, store) = self.parts()?;
        Ok(bindings.call_create_topic(store, &topic.to_owned()).await?)
    }

    /// The `remove-topic` export. The topic's timer is cleared first.
    pub async fn remove_topic(&mut self, topic: &str) -> Result<()> {
        self.store.data_mut().timers.clear(topic);
        let (bindings, store) = self.parts()?;
        Ok(bindings.call_remove_topic(store, &topic.to_owned()).await?)
    }

    /// The `on-timer` export.
    pub async fn on_timer(&mut self, topic: &str) -> Result<()> {
        let (bindings, store) = self.parts()?;
        Ok(bindings.call_on_timer(store, &topic.to_owned()).await?)
    }
}

/// A guest's refusal as text for a client.
pub fn describe(error: &GuestError) -> String {
    match error {
        GuestError::UnknownRoute(route) => format!("unknown route `{route}`"),
        GuestError::InvalidRequest(reason) => format!("invalid request: {reason}"),
        GuestError::Failed(reason) => format!("failed: {reason}"),
    }
}
