"""Errors the customer analytics raise, so callers can tell bad data from bugs."""

from __future__ import annotations


class NotEnoughData(ValueError):
    """Too few customers or repeat buyers to fit a model: a shop state, not a bug."""

    def __init__(
        self,
        what: str,
        *,
        customers: int,
        repeat_buyers: int,
        needed_customers: int,
        needed_repeat_buyers: int,
    ) -> None:
        self.customers = customers
        self.repeat_buyers = repeat_buyers
        self.needed_customers = needed_customers
        self.needed_repeat_buyers = needed_repeat_buyers
        super().__init__(
            f"{what} needs at least {needed_customers} customers of whom at least "
            f"{needed_repeat_buyers} bought again; found {customers} customers and "
            f"{repeat_buyers} repeat buyers. Widen the order history window or wait for more orders."
        )


class ModelFitError(RuntimeError):
    """The optimiser found no usable maximum of the likelihood."""
