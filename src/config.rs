//! config stage (to be written).
