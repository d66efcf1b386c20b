//! # tlscope-web — the dashboard
//!
//! A static Yew site: a person drops (or picks, or pastes) certificates and sees their details,
//! computed in the browser by `tlscope-core` compiled to WebAssembly: the page decodes and
//! shows; every judgement is made in its judging worker ([`judge`]), so the page's own module
//! carries no chain validation, signature code, linter or TOML. Nothing dropped is sent
//! anywhere.
//!
//! | module | owns |
//! |---|---|
//! | [`state`] | the page's state and the actions that change it (`impl Reducible`) |
//! | [`components`] | one component per file: drop target, paste box, certificate card, error card |
//! | [`app`] | the App that wires state to components |
//! | [`export`] | what the downloads say of each input, and the share link in the URL fragment |
//! | [`report`] | the JSON, SARIF and Markdown reports, written in the judging worker |
//! | [`live`] | the link to an agent: the snapshot (fetch) and the event stream (EventSource) |
//! | [`trust`] | the Mozilla root set (fetched, handed to the workers) and which inputs can be trusted as roots |
//! | [`samples`] | the built-in samples behind "Try the samples" |
//! | [`judge`] | the page's questions to its judging worker and the worker's answers (every judgement is made there) |
//! | [`questions`] | what the page asks its judging worker about each entry (and the roots and links) |
//! | [`bundle`] | large bundles judged in a Web Worker: the protocol and the judgement |
//! | [`source`] | source files read in a second worker (`tlscope-source-worker`): the protocol and the reading |
//! | [`worker`], [`offload`] | the workers' side (the two worker binaries) and the page's side |
//! | [`browser`] | the few browser facts the view needs (the clock, reading dropped files) |

#![forbid(unsafe_code)]

pub mod app;
pub mod browser;
pub mod bundle;
pub mod components;
pub mod export;
pub mod hooks;
pub mod judge;
pub mod live;
pub mod offload;
pub mod questions;
pub mod report;
pub mod samples;
pub mod source;
pub mod state;
pub mod trust;
pub mod worker;

pub use app::App;
