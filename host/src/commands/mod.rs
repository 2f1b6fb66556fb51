//! The commands of the `topicwire` binary, one file each, each owning its
//! arguments and its run (as cargo's `src/bin/cargo/commands/`);
//! [`crate::cli`] only dispatches.
//!
//! - [`serve`]: serve a folder of components.
//! - [`sub`]: subscribe to a route and print what arrives.
//! - [`token`]: mint an HS256 development token.
//! - [`deploy`]: deploy a component to every node of a cluster.
//! - [`client_ts`]: typed TypeScript clients from modules' routes.
//! - [`state`]: export or import a module's state.

pub mod client_ts;
pub mod deploy;
pub mod serve;
pub mod state;
pub mod sub;
pub mod token;
