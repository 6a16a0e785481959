//! `stackpack`: compile, lint, version-check and release declarative StackState StackPacks.
//!
//! The pipeline, one module per stage:
//!
//! ```text
//! load (files → spanned syntax) → model (typed, resolved definition) → check (rules → diagnostics)
//!       → compile (STJ nodes, conf, provisioning script, resources) → archive (deterministic zip)
//! ```
//!
//! Beside it: [`changelog`] (release notes), [`compat`] (StackState version checks),
//! [`classic`] (existing v1 packs and `.sts` archives), [`diag`] (diagnostics and renderers)
//! and [`cli`] (the commands; `main.rs` only calls [`cli::main`]).

pub mod archive;
pub mod changelog;
pub mod check;
pub mod classic;
pub mod cli;
pub mod compat;
pub mod compile;
pub mod diag;
pub mod diff;
pub mod fmt;
pub mod fuzzing;
pub mod load;
pub mod model;
pub mod pipeline;
pub mod scaffold;
pub mod schema;
pub mod source;
pub mod sync;
pub mod synth;
pub mod template;
pub mod v2;
