"""Domain services: the queries and commands routes call."""
