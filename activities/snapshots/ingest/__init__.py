"""Turning Shoptet documents (snapshot lines, detail responses) into rows, and loading them.

The same mappers and loader serve snapshots and incremental sync, so both write identical rows.
"""
