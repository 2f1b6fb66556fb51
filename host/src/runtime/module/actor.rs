//! The actor: the one task that owns a module's instance. It takes one
//! command at a time from its bounded queue, fires the instance's due
//! timers, and retries a quarantined module when its cool-down is over.
//!
//! Every call into the instance goes through [`Actor::guarded`], the one
//! place a trap is handled: the instance is replaced (or the module
//! quarantined) there, and the caller only learns that the call did not
//! return.

use super::routes::Routes;
use super::{Answer, Command, LastError, ModuleState, ModuleStatus, Version, now_ms};
use crate::limits::Limits;
use crate::runtime::instance::{Blueprint, HttpOutcome, Instance};
use crate::runtime::remote::Remote;
use crate::runtime::status::LiveInfo;
use crate::runtime::timers::{Due, sleep_until};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// Timer ticks handled before the actor looks at its queue again: one
/// `on-timers` call, whose ticks share the call's deadline.
const TICKS_PER_TURN: usize = 64;

/// Why a call into the instance did not return a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fault {
    /// There is no instance: the module is quarantined.
    Quarantined,
    /// The instance trapped; it has been replaced (or the module quarantined).
    Trapped,
}

/// The state of a module's actor.
pub(super) struct Actor {
    pub(super) name: Arc<str>,
    pub(super) blueprint: Blueprint,
    /// `None` while quarantined.
    pub(super) instance: Option<Instance>,
    pub(super) routes: Routes,
    pub(super) limits: Arc<Limits>,
    pub(super) status: watch::Sender<ModuleStatus>,
    queue: mpsc::Receiver<Command>,
    /// When recent crashes happened, for backoff and quarantine.
    pub(super) crashes: Vec<Instant>,
    /// While quarantined: when a fresh instance is tried.
    pub(super) retry_at: Option<Instant>,
    /// Consecutive quarantines since the last new version: the cool-down doubles with each.
    pub(super) quarantined_in_a_row: u32,
    /// Whether this node runs the module's topics: always on a single node.
    pub(super) leading: bool,
    /// The module's reach to other nodes.
    pub(super) remote: Arc<dyn Remote>,
}

impl Actor {
    pub(super) fn new(
        name: Arc<str>,
        version: Version,
        limits: Arc<Limits>,
        status: watch::Sender<ModuleStatus>,
        queue: mpsc::Receiver<Command>,
        remote: Arc<dyn Remote>,
    ) -> Self {
        Self {
            leading: remote.is_leader(),
            remote,
            name,
            blueprint: version.blueprint,
            instance: Some(version.instance),
            routes: Routes::new(version.routes),
            limits,
            status,
            queue,
            crashes: Vec::new(),
            retry_at: None,
            quarantined_in_a_row: 0,
        }
    }

    pub(super) async fn run(mut self) {
        loop {
            let next_tick = self.instance.as_ref().and_then(Instance::next_timer);
            let lingering_ends = self.instance.as_ref().and_then(Instance::next_lapse);
            tokio::select! {
                command = self.queue.recv() => match command {
                    Some(Command::Unload { done }) => {
                        self.unload().await;
                        let _ = done.send(());
                        break;
                    }
                    Some(command) => self.handle(command).await,
                    None => break,
                },
                () = sleep_until(next_tick) => self.fire_timers().await,
                () = sleep_until(self.retry_at) => self.retry().await,
                () = sleep_until(lingering_ends) => self.lapse_lingering().await,
            }
        }
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::Request { request, caller, peer, done } => {
                self.request(&request, &caller, &peer).await;
                let _ = done.send(());
            }
            Command::Disconnect { conn } => self.disconnect(conn).await,
            Command::Live { reply } => {
                let _ = reply.send(self.live());
            }
            Command::Replace { version, reply } => {
                self.replace(*version).await;
                let _ = reply.send(());
            }
            Command::Http { request, reply } => {
                let deadline = Duration::from_millis(self.limits.call_deadline_ms);
                let max_body = self.limits.max_http_response_bytes;
                let handled = self
                    .guarded(async |instance| {
                        let outcome = instance.handle_http(request, deadline, max_body).await;
                        outcome.map(|outcome| (outcome, instance.state().topics.barrier()))
                    })
                    .await;
                let (outcome, stored) = match handled {
                    Ok(handled) => handled,
                    Err(Fault::Quarantined) => {
                        (HttpOutcome::Unavailable("the module is quarantined after repeated crashes".into()), None)
                    }
                    Err(Fault::Trapped) => (HttpOutcome::Unavailable("the module failed; try again".into()), None),
                };
                let _ = reply.send(Answer { outcome, stored });
            }
            Command::ReloadFailed { message } => {
                tracing::error!(module = &*self.name, "reload failed, the previous version keeps serving: {message}");
                self.status.send_modify(|status| {
                    if status.state == ModuleState::Serving {
                        status.state = ModuleState::FailedReload;
                    }
                    status.last_error = Some(LastError { message, at_ms: now_ms() });
                });
            }
            Command::Unload { .. } => {}
            Command::Lead { leading } => self.lead(leading).await,
            Command::RemoteInterest { wanted, unwanted } => self.remote_interest(wanted, unwanted).await,
            Command::Frame { topic, frame } => self.mirror_frame(&topic, frame, false),
            Command::Durable { topic, frame } => self.deliver_durable(&topic, frame),
            Command::Filled { topic, frames } => self.filled(&topic, frames),
            Command::CatchUp { topic, frame } => self.mirror_frame(&topic, frame, true),
            Command::Latest { topic, reply } => {
                let _ = reply.send(self.latest(&topic));
            }
        }
    }

    /// The live topics and the instance's publishing counters.
    fn live(&mut self) -> LiveInfo {
        let Some(instance) = self.instance.as_mut() else { return LiveInfo::default() };
        let state = instance.state();
        LiveInfo {
            topics: state.topics.info(),
            published: state.published,
            refused: state.refusals.clone(),
            recoveries: state.topics.recoveries(),
            memory: state.store_limits.usage(),
        }
    }

    /// Runs `call` on the instance. A trap is the guest's fault: the
    /// instance is replaced by a fresh one serving the same topics (or the
    /// module is quarantined), and the caller gets [`Fault::Trapped`]. What
    /// must not outlive a trap (a topic half created) is undone inside
    /// `call`, before the fresh instance takes the topics over.
    pub(super) async fn guarded<T>(
        &mut self,
        call: impl AsyncFnOnce(&mut Instance) -> anyhow::Result<T>,
    ) -> Result<T, Fault> {
        let Some(instance) = self.instance.as_mut() else { return Err(Fault::Quarantined) };
        match call(instance).await {
            Ok(value) => Ok(value),
            Err(trap) => {
                // Boxed: a restart re-creates topics through here again.
                Box::pin(self.crashed(trap)).await;
                Err(Fault::Trapped)
            }
        }
    }

    /// Every timer due now, up to [`TICKS_PER_TURN`], in one `on-timers`
    /// call (for older components, `on-timer` when one is due).
    /// The updates they publish to a connection leave it in one write.
    async fn fire_timers(&mut self) {
        let _ = self
            .guarded(async |instance| {
                let now = Instant::now();
                let timers = &mut instance.state().timers;
                let due: Vec<Due> = std::iter::from_fn(|| timers.pop_due(now)).take(TICKS_PER_TURN).collect();
                if due.is_empty() {
                    return Ok(());
                }
                instance.state().topics.hold_writes();
                let called = instance.on_timers(due).await;
                instance.state().topics.release_writes();
                called
            })
            .await;
    }
}
