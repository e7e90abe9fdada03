//! insight stage (to be written).
