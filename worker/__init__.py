"""Background side of the notifier: settings, outside-service clients, the notification store and RQ jobs."""
