"""Validates ONNX files with the official checker (Debian's python3-onnx, run with /usr/bin/python3):
check_model(full_check=True) on the loaded model, then strict shape inference with type checks.
Usage: /usr/bin/python3 tools/check-onnx.py model.onnx [...]; exits non-zero on the first failure."""
import sys
import onnx

for path in sys.argv[1:]:
    model = onnx.load(path)  # load first: check_model(path, full_check=True) rewrites the file in onnx 1.12
    onnx.checker.check_model(model, full_check=True)
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True, data_prop=True)
    print(f"{path}: OK (ir_version {model.ir_version}, opset {model.opset_import[0].version}, {len(model.graph.node)} nodes)")
