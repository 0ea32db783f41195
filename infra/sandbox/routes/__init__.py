"""HTTP routes of the sandbox: Shoptet's OAuth server and REST API, and the `/_sandbox` control API."""
