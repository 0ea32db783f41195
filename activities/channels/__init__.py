"""Sales channels: one adapter module per channel, the activities that sync them, catalog feeds."""
