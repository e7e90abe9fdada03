//! classify stage (to be written).
