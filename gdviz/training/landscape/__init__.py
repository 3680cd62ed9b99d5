"""Landscapes: the loss over a region of parameter space, computed once with torch and stored in
the runs (``run.landscape``), so that the views draw it later without torch.

- `evaluate`: the loss at many parameter vectors at once (`Evaluator`, vmapped where that
  pays), a network as a function of its flat parameters (`FlatModule`), and a plane's
  first-layer shortcut;
- `data` and `mean`: data as users have it (tensors, a `DataLoader`, a seeded subsample) and
  the mean loss over every example of it, batch by batch, on the model's device;
- `grid`: the landscape around recorded paths (`attach`: `train`, `Recorder.to_run`);
- `solutions`: around trained models without a path (`gdviz.landscape`, through three models)
  and along the line between two (`gdviz.interpolate`).

One or two parameters: the exact loss over a box around the paths. Three or more: the loss over
a plane through parameter space (`gdviz.run.plane`), and along each path's shadow in that plane,
so the picture can show how far the shadow's loss is from the real one.
"""

from gdviz.training.landscape.evaluate import (
    BAR_AFTER,
    Evaluator,
    FlatModule,
    first_layer_shortcut,
)
from gdviz.training.landscape.grid import PATH_POINTS, RESOLUTION, attach

__all__ = [
    "BAR_AFTER",
    "PATH_POINTS",
    "RESOLUTION",
    "Evaluator",
    "FlatModule",
    "attach",
    "first_layer_shortcut",
]
