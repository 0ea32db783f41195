"""Inventory routes: the planning run and its results (`planning`), purchase orders
(`purchase_orders`) and suppliers with their offers (`suppliers`)."""
