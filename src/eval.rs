//! eval stage (to be written).
