"""The callbacks of `gdviz.callbacks`: `lightning.Lightning`, `transformers.Transformers`, and
what they share (`steps.StepRecorder`). Each framework is imported only by its own module."""
