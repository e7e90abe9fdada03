//! cluster stage (to be written).
