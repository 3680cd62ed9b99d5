"""The landscape in 3-D: a network's loss surface, turning

A small network learning the two moons, seen as a landscape: the loss over the plane of the
path's two main directions, as height, with the path drawn on it. The camera turns sixty degrees
as training runs and ends facing the bottom of the descent: an MP4, since a turning camera
changes every pixel of every frame (a GIF of it holds the camera still at that end, a tenth
of the weight). Height is on a softened log scale where the loss spans decades; the ticks
read in loss. A 3-D frame is drawn whole (the camera moves), so it takes longer to render
than the flat contour view of the same run.
"""

import gdviz

run = gdviz.train("moons", optimizer="adam", lr=0.01, steps=300)
gdviz.animate(run, view="surface").save("surface_3d.mp4")
