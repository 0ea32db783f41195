"""The reports merchants receive: the weekly sales report."""
