"""Runtime pieces shared by the stages and drivers (onnxruntime sessions, retry back-off)."""
