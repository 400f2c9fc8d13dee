"""The simulated network: cluster, synthetic data, seeding and the demo."""
