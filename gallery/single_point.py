"""One point, one parameter

The smallest gradient-descent problem there is: fit f(x) = θ·x to the single point (2, 3) from
θ = 1 with a learning rate of 0.1. The first step has E = 1, dE/dθ = -4 and moves θ to 1.4,
the same by hand, with autograd, with torch.optim.SGD and with MSELoss. With one parameter the
"surface" is a curve, and the point rolls down it to θ = 1.5.
"""

import gdviz

run = gdviz.train("single-point")
gdviz.animate(run, view="contour").save("single_point.gif")
