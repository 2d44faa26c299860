"""Wake-word detection: openWakeWord's ONNX models run directly on onnxruntime."""
