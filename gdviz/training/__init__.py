"""Training, the only layer that imports torch: `train`, `sweep`, `Recorder`, curvature, networks, landscapes."""
