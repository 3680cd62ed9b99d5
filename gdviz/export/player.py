"""The interactive page's markup, with its style and script (`player.css`, `player.js`, files of
their own beside this one, read once), inlined in every page: no request leaves it.

The script decodes the tracks `gdviz.export.page` wrote (deflated typed arrays, inflated with
the browser's own `DecompressionStream`), then draws the moving artists of snapshot K over the
static PNG on a canvas: prefix paths, points with their markers, curves, arrows and notes. It
exposes ``window.gdviz`` (``show(j)``, ``point(track, j)``, ``ready``) for tests and scripts.
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
# Where no script runs (a notebook viewer that strips them: GitHub's, nbviewer's), the last
# frame shows with a note instead of an empty box; the script, when it runs, swaps them.
PLAYER = """<div class="gdviz">
<style>@STYLE@</style>
<div class="still" data-gdviz="still"><img alt="the animation's last frame" src="@STILL@">
<p class="note">This viewer runs no scripts, so it shows the last frame. The player runs in
Jupyter, VS Code, Colab and marimo; a .gif or .mp4 saved by gdviz plays anywhere.</p></div>
<div class="live" data-gdviz="live" hidden>
<div class="stage">
<img class="background" alt="" data-gdviz="background">
<canvas data-gdviz="canvas" aria-label="the moving parts of the picture"></canvas>
<img class="overlay" alt="" data-gdviz="overlay" hidden>
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
<div class="readout" data-gdviz="readout" role="status" aria-live="polite"></div>
<p class="note" data-gdviz="note">@NOTE@</p>
</div>
<script type="application/json" data-gdviz="data">@DATA@</script>
<script>@SCRIPT@</script>
</div>
"""


def _read(name: str) -> str:
    return resources.files("gdviz.export").joinpath(name).read_text(encoding="utf-8")


STYLE = _read("player.css")
SCRIPT = _read("player.js")
