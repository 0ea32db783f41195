"""A WooCommerce REST API v3 sandbox: what shopops uses of a WooCommerce store, over real HTTP."""
