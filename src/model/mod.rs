//! Model: local transformer models through candle (the only module that names
//! candle, tokenizers or hf-hub types).

pub mod train;
