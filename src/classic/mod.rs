//! Classic StackPack 1.0 source trees and `.sts` archives: reading, linting, importing.
//!
//! - [`pack`]: the files of a source tree or of a safely read archive;
//! - [`hocon`] / [`conf`]: `stackpack.conf`, parsed with spans and checked;
//! - [`stj`]: `.stj` templates rendered at import time, parsed as JSON with spans, checked;
//! - [`lint`]: `stackpack lint` on classic packs; [`import`]: conversion to declarative sources.

pub mod conf;
pub mod hocon;
pub mod import;
pub mod json;
pub mod lint;
pub mod pack;
pub mod rules;
pub mod stj;

pub use pack::is_classic;
