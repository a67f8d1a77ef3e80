"""Reports: accuracy, latency, throughput, resources and energy of a built core."""
