"""Catalog feeds for marketplaces (Heureka, Zboží.cz, Google Merchant / Meta, idealo), written
streaming from the catalog by the feeds workflow and served by `api.routes.feeds`."""
