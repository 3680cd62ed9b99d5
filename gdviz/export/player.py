"""The interactive page's markup, with its style and script (`player.css`, `player.js`, files of
their own beside this one, read once), inlined in every page: no request leaves it.

The script decodes the tracks `gdviz.export.page` wrote (deflated typed arrays, inflated with
the browser's own `DecompressionStream`), then draws snapshot K on one canvas: the still PNG,
the moving artists over it (prefix paths, points with their markers, curves, arrows, notes),
and the still PNG of what lies over them (legends, stars), so the canvas holds the whole
picture. Two
more files join it in one scope: ``descent.js`` (a formula's gradient and torch.optim's updates,
for the runs a click starts: `gdviz.export.rerun`) and ``turning.js`` (the 3-D view drawn at
any angle: `gdviz.export.turning`). It exposes ``window.gdviz``, and the same object as the
``gdviz`` property of the player's element (``[data-gdviz="player"]``): ``show(j)``,
``point(track, j)``, ``ready``, and, where the page can, ``rerun({start, optimizer, lr,
steps, beta})``, ``start([x, y])``, ``again`` (the run a click started), ``toCanvas`` and
``turning`` (the camera), for tests and scripts.
"""

from importlib import resources

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>@TITLE@</title>
<style>body { margin: 0; }</style>
</head>
<body>
@PLAYER@
</body>
</html>
"""

# The player alone: what a page's body holds and what a notebook's output shows (several on
# one page keep to themselves: the script finds its data and elements from its own place).
# Where no script runs (a notebook viewer that strips them: GitHub's, nbviewer's, or Jupyter's
# own for a notebook it does not trust), the last frame shows with a note instead of an empty
# box. The live part's markup travels as the text of an inert script block, which the player's
# script puts in place: a sanitiser that keeps the markup but drops the scripts, the stylesheet
# and the `hidden` attributes (JupyterLab's, Notebook 7's) would otherwise show a dead player
# (buttons, a slider, empty boxes) under the still; every sanitiser drops a script's text.
PLAYER = """<div class="gdviz" data-gdviz="player">
<style>@STYLE@</style>
<div class="still" data-gdviz="still"><img alt="the animation's last frame" src="@STILL@">
<p class="note">This viewer runs no scripts, so it shows the last frame. The player runs in
JupyterLab, Jupyter Notebook, VS Code, Colab and marimo (in Jupyter, run the cell or trust the
notebook); a .gif or .mp4 saved by gdviz plays anywhere.</p></div>
<script type="text/html" data-gdviz="markup"><div class="live" data-gdviz="live">
<div class="stage">
<canvas data-gdviz="canvas" role="img" aria-label="the animation's picture at the chosen step"></canvas>
<div class="tip" data-gdviz="tip" hidden></div>
</div>
<div class="controls">
<button type="button" data-gdviz="play" aria-label="play">&#9654;</button>
<input type="range" min="0" max="0" value="0" step="1" data-gdviz="slider"
 aria-label="snapshot" aria-valuetext="step 0">
<label>speed <select data-gdviz="speed" aria-label="playing speed">
<option value="0.25">0.25&times;</option><option value="0.5">0.5&times;</option>
<option value="1" selected>1&times;</option><option value="2">2&times;</option>
<option value="4">4&times;</option></select></label>
</div>
<div class="rerun" data-gdviz="again" hidden>
<span data-gdviz="hint"></span>
<label>optimizer <select data-gdviz="optimizer" aria-label="the new run's optimizer"></select></label>
<label>lr <input type="number" data-gdviz="lr" step="any" min="0"
 aria-label="the new run's learning rate"></label>
<label data-gdviz="beta-label">&beta; <input type="number" data-gdviz="beta" step="any"
 min="0" max="1" aria-label="the new run's momentum or Adam's first beta"></label>
<label>steps <input type="number" data-gdviz="steps" step="1" min="1"
 aria-label="the new run's steps"></label>
<button type="button" data-gdviz="clear" aria-label="remove the new run">clear</button>
</div>
<div class="readout" data-gdviz="readout" role="status" aria-live="polite"></div>
<p class="note" data-gdviz="note">@NOTE@</p>
</div></script>
<script type="application/json" data-gdviz="data">@DATA@</script>
<script>@SCRIPT@</script>
</div>
"""


def _read(name: str) -> str:
    return resources.files("gdviz.export").joinpath(name).read_text(encoding="utf-8")


STYLE = _read("player.css")
# One scope for the three: the player calls the other two's functions, and nothing is left on
# the page's global object (several players on one page each bring their own copy).
SCRIPT = (
    "(function () {\n" + "\n".join(map(_read, ("descent.js", "turning.js", "player.js"))) + "})();"
)
