//! What operators and tools read: AsyncAPI documents and Prometheus metrics.
//!
//! - [`asyncapi`]: AsyncAPI 3.0 documents built from the components' routes.
//! - [`metrics`]: `/metrics` in the Prometheus text format.
//! - [`client_ts`]: `topicwire client-ts`, typed TypeScript clients from the modules' routes.
//! - [`dashboard`]: the dashboard page at `/`, embedded in the binary.

pub mod asyncapi;
pub mod client_ts;
pub mod dashboard;
pub mod metrics;
