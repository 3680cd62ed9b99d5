"""Decision regions: a small network learns the two moons

The moons preset is two interleaved half-circles of 200 noisy points, generated and seeded like
scikit-learn's make_moons. gdviz builds a small tanh network (2-16-16-2) and trains it by
cross-entropy with Adam; the fit view shows what it predicts over the whole plane, tinted by
class and stronger where it is surer, with the decision boundary, as TensorFlow Playground does.
The line starts straight and bends around the moons as training goes on.
"""

import gdviz

run = gdviz.train("moons")
gdviz.animate(run, view="fit").save("moons_classifier.gif")
