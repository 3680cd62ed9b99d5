"""The thermometer of Deep Learning with PyTorch

Eleven readings of an unknown thermometer against Celsius, fitted by w·x + b for 5000 epochs
exactly as chapter 5 does (the book's printed losses are gdviz's test vectors). Look at the
contour: the valley is long and thin, so gradient descent crosses it in a few steps and then
crawls along its floor for thousands; 200 frames are chosen to show both.
"""

import gdviz

run = gdviz.train("thermometer")
gdviz.animate(run, view="dashboard", size=(960, 400)).save("thermometer.gif")
