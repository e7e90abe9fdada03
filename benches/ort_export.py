#!/usr/bin/env python3
"""Export the sentence encoder's transformer body to ONNX for the ONNX Runtime
peers of scripts/bench_throughput.sh: fp32 (`model.onnx`) and a dynamically
quantised int8 copy (`model-int8.onnx`, onnxruntime `quantize_dynamic`).

usage: ort_export.py MODEL_DIR OUT_DIR
Inputs input_ids, attention_mask, token_type_ids [batch, seq] (int64); output
last_hidden_state [batch, seq, hidden]. Pooling and normalisation happen in
benches/ort_peer.py, as sentence-transformers does them.
"""
import os
import sys

import torch
from transformers import AutoModel

model_dir, out_dir = sys.argv[1], sys.argv[2]
os.makedirs(out_dir, exist_ok=True)
fp32 = os.path.join(out_dir, "model.onnx")
int8 = os.path.join(out_dir, "model-int8.onnx")

class Body(torch.nn.Module):
    """Keyword call, so the export does not depend on forward()'s argument order."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, token_type_ids):
        out = self.model(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        )
        return out.last_hidden_state


if not os.path.exists(fp32):
    model = Body(AutoModel.from_pretrained(model_dir).eval())
    ids = torch.ones(2, 16, dtype=torch.long)
    args = (ids, torch.ones_like(ids), torch.zeros_like(ids))
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "seq"} for n in names}
    axes["last_hidden_state"] = {0: "batch", 1: "seq"}
    with torch.no_grad():
        torch.onnx.export(
            model,
            args,
            fp32,
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
if not os.path.exists(int8):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8)
print(fp32)
print(int8)
