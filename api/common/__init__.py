"""Helpers every router shares: the input types checked at the edge."""
