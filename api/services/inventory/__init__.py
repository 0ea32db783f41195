"""Inventory services: the planning run and its results (`planning`), purchase orders and
their documents (`purchase_orders`, `purchase_order_documents`), suppliers and their offers
(`suppliers`)."""
