//! The changelog as data, release notes rendered from it, and the commands that write it.

pub mod rules;
