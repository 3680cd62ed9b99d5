"""What can be minimised, numpy only: presets and CSV data, models and losses, test functions, formulas, optimisers, schedules, scaling."""
