"""Rebuild facecard's ONNX models from the packaged TF.js weights and UTKFace crops."""
