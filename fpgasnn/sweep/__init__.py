"""Design-space sweeps on Dask: every point (T, method, resolution bits, lanes, board) of a space
converted, evaluated, cycle-modelled and synthesised as a task graph whose tasks are pure functions of
(model file hash, settings), cached on disk under that key; then the Pareto front and the best fitting
point per board (:func:`fpgasnn.sweep.run.run_sweep`)."""
