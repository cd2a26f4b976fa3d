//! The case-file language.
