"""Sales channels: one adapter module per channel, and the activities that sync them."""
