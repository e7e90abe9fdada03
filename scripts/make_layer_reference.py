#!/usr/bin/env python3
"""Reference for `tests/model_parity.rs::layer_features_match_transformers_hidden_states`:
transformers' hidden states of all-MiniLM-L6-v2 after layers 4 and 5, mean-pooled over
the attention mask and L2-normalised, for the first 12 texts of
../shared/reference/minilm-l6-v2-embeddings.jsonl.

  python3 scripts/make_layer_reference.py MODEL_DIR > tests/fixtures/minilm-layers-4-5.jsonl

(MODEL_DIR: the encoder directory whyline pulled, e.g. ~/.cache/whyline/models/all-MiniLM-L6-v2;
needs torch and transformers.)
"""
import json
import os
import sys

import torch
from transformers import AutoModel, AutoTokenizer

model_dir = sys.argv[1]
ref = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "reference", "minilm-l6-v2-embeddings.jsonl")
texts = [json.loads(l)["text"] for l in open(ref)][:12]
tok = AutoTokenizer.from_pretrained(model_dir)
model = AutoModel.from_pretrained(model_dir).eval()
with torch.inference_mode():
    for t in texts:
        enc = tok([t], truncation=True, max_length=256, return_tensors="pt")
        hs = model(**enc, output_hidden_states=True).hidden_states
        mask = enc["attention_mask"].unsqueeze(-1).float()
        row = {"text": t, "layers": {}}
        for layer in (4, 5):
            v = (hs[layer] * mask).sum(1) / mask.sum(1)
            v = torch.nn.functional.normalize(v, dim=-1)[0]
            row["layers"][str(layer)] = [float(f"{x:.8g}") for x in v.tolist()]
        print(json.dumps(row))
