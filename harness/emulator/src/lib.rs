//! Reference emulator.
