"""AarhusAI for Teams: municipal specialists (grounded, cited chatbots) in Microsoft Teams."""

__version__ = "0.1.0"
