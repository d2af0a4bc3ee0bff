"""Out: e-mail — statements once a period's inputs are final (its own task) and payment
reminders before deadlines."""
