"""Pure analytics over pandas frames: customer value and churn, inventory; no I/O here."""
