//! The `broker` component: a paper-trading broker on `/api/v1/broker/ws`,
//! with its REST API under `/api/v1/broker/`.
//!
//! Routes (each request is `{"accountId": "..."}`): `orders`, `positions`,
//! `executions`, `equity`, `broker-connection`. Orders come in through the
//! REST API ([`api`]); fills happen on the module's tick against
//! [`market_sim`]'s prices, and every change is streamed to the account's
//! own topics.
//!
//! # Layout
//!
//! - [`models`]: wire types (the Python system's field names; enums as integers).
//! - [`trading`]: the paper-trading account, pure and unit-tested natively.
//! - [`state`]: the component's state and publishing to live topics;
//!   [`ledger`]: how it is kept in the store; [`storage`]: the store.
//! - [`service`]: the topic handlers; [`access`]: who may use which account.
//! - [`api`]: the REST API (the Python system's); [`rest`]: its parsing and
//!   error answers; [`preview`]: order and leverage previews; [`openapi`]: its
//!   OpenAPI document.
//! - [`ws`]: route declarations; [`ws_generated`]: generated router code.

pub mod access;
pub mod api;
pub mod ledger;
pub mod models;
pub mod openapi;
pub mod preview;
pub mod rest;
pub mod service;
pub mod state;
pub mod storage;
pub mod trading;
pub mod ws;
pub mod ws_generated;
