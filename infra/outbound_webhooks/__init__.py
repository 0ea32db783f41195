"""What the API and the webhook activities share about outbound webhooks: the events and how
one is published (rows, then delivery workflows), signing, and the SSRF check of a target."""
