"""The channels a notification goes out on. This registry is the one place a channel is added: rules, the console's
labels and resend choices, the CLI's `--channel` and the API's schema take their names from `names()`."""

# In display order (the console, the CLI, previews).
NAMES = ("sms", "email")


def names() -> tuple[str, ...]:
    """Every channel's name, in display order."""
    return NAMES
