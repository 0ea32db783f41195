"""Delivering notifications and e-mails: the SMTP mailer, the Slack webhook, the outboxes."""
