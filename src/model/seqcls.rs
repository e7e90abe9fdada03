//! Sequence-classification checkpoints (to be written).
pub struct SeqClassifier;
