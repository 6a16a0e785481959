//! Classic StackPack 1.0 source trees and `.sts` archives: reading, linting, importing.

pub mod hocon;
pub mod json;
pub mod rules;
