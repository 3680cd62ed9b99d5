"""The fastai synthetic fit

A hundred points scattered around y = 3x + 2 (plus uniform noise), and a line that starts at
m = -1, b = 1. Watch the first ten steps: the line swings most of the way at once, then creeps
onto the data as the gradient shrinks. This is lesson2-sgd of fastai's course-v3.
"""

import gdviz

run = gdviz.train("synthetic")
gdviz.animate(run, view="fit").save("synthetic_fit.gif")
