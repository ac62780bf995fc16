//! Reports: the data model and its renderings.
pub mod model;
