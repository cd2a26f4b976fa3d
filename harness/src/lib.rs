//! eni-harness library.
