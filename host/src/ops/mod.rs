//! What operators and tools read: AsyncAPI documents and Prometheus metrics.
//!
//! - [`asyncapi`]: AsyncAPI 3.0 documents built from the components' routes.
//! - [`metrics`]: `/metrics` in the Prometheus text format.

pub mod asyncapi;
pub mod metrics;
