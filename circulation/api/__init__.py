"""The JSON API (/api/v1/): thin DRF views over ``workflows.services``."""
