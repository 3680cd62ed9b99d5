"""The record, numpy only: `Run`, its file, the frames chosen, plane geometry, convergence."""
