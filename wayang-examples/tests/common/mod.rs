//! Code shared by this crate's integration tests.

#![allow(dead_code)] // each test binary uses its part

pub mod plans;
