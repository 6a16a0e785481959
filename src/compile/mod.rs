//! Stage 4, **compile**: the typed model → the files of a StackPack 1.0 archive.
