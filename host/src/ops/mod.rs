//! What operators and tools read (AsyncAPI documents, Prometheus metrics,
//! the dashboard), and the process's upkeep.
//!
//! - [`asyncapi`]: AsyncAPI 3.0 documents built from the components' routes.
//! - [`metrics`]: `/metrics` in the Prometheus text format.
//! - [`dashboard`]: the dashboard page at `/`, embedded in the binary.
//! - [`heap_trim`]: returns the heap a load leaves behind to the system.

pub mod asyncapi;
pub mod dashboard;
pub mod heap_trim;
pub mod metrics;
