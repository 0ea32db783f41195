"""Sales channels: adapters, catalog feeds and the reseller API."""
