"""The dashboard: fit, surface and loss together

The synthetic fit three ways at once, in step: the line over the data, the point on the loss
surface with the gradient arrow, and the loss curve on a log scale. The straight path down the
bowl is why this problem converges in so few steps.
"""

import gdviz

run = gdviz.train("synthetic", steps=60)
gdviz.animate(run, view="dashboard", size=(960, 400)).save("dashboard.gif")
